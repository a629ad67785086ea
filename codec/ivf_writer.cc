#include "codec/ivf_writer.h"

#include <array>
#include <string>

namespace tether::codec {

using desktop::DesktopSize;

namespace {

constexpr size_t kFileHeaderSize = 32;
constexpr size_t kFrameHeaderSize = 12;

void PutLe16(uint8_t* out, uint32_t value) {
  out[0] = static_cast<uint8_t>(value);
  out[1] = static_cast<uint8_t>(value >> 8);
}
void PutLe32(uint8_t* out, uint32_t value) {
  for (int i = 0; i < 4; ++i)
    out[i] = static_cast<uint8_t>(value >> (8 * i));
}
void PutLe64(uint8_t* out, uint64_t value) {
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<uint8_t>(value >> (8 * i));
}

}  // namespace

Result<std::unique_ptr<IvfWriter>> IvfWriter::Create(
    const std::filesystem::path& path,
    Codec codec,
    DesktopSize size,
    int timebase_den) {
  if (size.is_empty() || size.width > 0xFFFF || size.height > 0xFFFF ||
      timebase_den <= 0) {
    return MakeError("invalid IVF parameters");
  }
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr)
    return MakeError("cannot create " + path.string());
  std::unique_ptr<IvfWriter> writer(new IvfWriter(file));

  std::array<uint8_t, kFileHeaderSize> header{};
  header[0] = 'D';
  header[1] = 'K';
  header[2] = 'I';
  header[3] = 'F';
  PutLe16(&header[4], 0);  // version
  PutLe16(&header[6], kFileHeaderSize);
  const char* fourcc = codec == Codec::kVp8 ? "VP80" : "VP90";
  for (int i = 0; i < 4; ++i)
    header[8 + i] = static_cast<uint8_t>(fourcc[i]);
  PutLe16(&header[12], static_cast<uint32_t>(size.width));
  PutLe16(&header[14], static_cast<uint32_t>(size.height));
  PutLe32(&header[16], static_cast<uint32_t>(timebase_den));  // rate
  PutLe32(&header[20], 1);                                    // scale
  PutLe32(&header[24], 0);  // frame count, patched by Close()
  if (std::fwrite(header.data(), 1, header.size(), file) != header.size()) {
    return MakeError("cannot write " + path.string());
  }
  return writer;
}

IvfWriter::~IvfWriter() {
  if (file_ != nullptr)
    (void)Close();
}

Result<void> IvfWriter::WriteFrame(std::span<const uint8_t> frame,
                                   int64_t pts) {
  if (file_ == nullptr)
    return MakeError("IVF file already closed");
  if (frame.size() > 0xFFFFFFFFu)
    return MakeError("frame too large for IVF");
  std::array<uint8_t, kFrameHeaderSize> header{};
  PutLe32(&header[0], static_cast<uint32_t>(frame.size()));
  PutLe64(&header[4], static_cast<uint64_t>(pts));
  if (std::fwrite(header.data(), 1, header.size(), file_) != header.size() ||
      std::fwrite(frame.data(), 1, frame.size(), file_) != frame.size()) {
    return MakeError("IVF write failed");
  }
  ++frame_count_;
  return {};
}

Result<void> IvfWriter::Close() {
  if (file_ == nullptr)
    return {};
  std::array<uint8_t, 4> count{};
  PutLe32(count.data(), frame_count_);
  const bool ok =
      std::fseek(file_, 24, SEEK_SET) == 0 &&
      std::fwrite(count.data(), 1, count.size(), file_) == count.size();
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!ok || !closed)
    return MakeError("IVF finalisation failed");
  return {};
}

}  // namespace tether::codec
