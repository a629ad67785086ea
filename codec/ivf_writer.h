#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <span>

#include "base/result.h"
#include "codec/video_encoder.h"
#include "desktop/desktop_frame.h"

namespace tether::codec {

// Writes encoded frames into an IVF file (the raw container vpxenc/vpxdec
// and ffmpeg read), for tests, benches and debugging a stream.
class IvfWriter {
 public:
  // `size` goes into the header (decoders follow size changes in the
  // stream); timestamps are in 1/`timebase_den` seconds.
  static Result<std::unique_ptr<IvfWriter>> Create(
      const std::filesystem::path& path,
      Codec codec,
      desktop::DesktopSize size,
      int timebase_den = 1000);
  ~IvfWriter();
  IvfWriter(const IvfWriter&) = delete;
  IvfWriter& operator=(const IvfWriter&) = delete;

  Result<void> WriteFrame(std::span<const uint8_t> frame, int64_t pts);
  // Updates the frame count in the header and closes the file.
  Result<void> Close();

  uint32_t frame_count() const { return frame_count_; }

 private:
  explicit IvfWriter(std::FILE* file) : file_(file) {}

  std::FILE* file_;
  uint32_t frame_count_ = 0;
};

}  // namespace tether::codec
