#include "supporter-app/core/webm_recorder.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_NOREPLACE (glibc >= 2.28)
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <random>
#include <string_view>
#include <utility>

#include "base/log.h"

namespace tether::supporter {

namespace {

// Matroska/WebM element IDs (their marker bits included).
constexpr uint32_t kEbml = 0x1A45DFA3;
constexpr uint32_t kEbmlVersion = 0x4286;
constexpr uint32_t kEbmlReadVersion = 0x42F7;
constexpr uint32_t kEbmlMaxIdLength = 0x42F2;
constexpr uint32_t kEbmlMaxSizeLength = 0x42F3;
constexpr uint32_t kDocType = 0x4282;
constexpr uint32_t kDocTypeVersion = 0x4287;
constexpr uint32_t kDocTypeReadVersion = 0x4285;
constexpr uint32_t kSegment = 0x18538067;
constexpr uint32_t kSeekHead = 0x114D9B74;
constexpr uint32_t kSeek = 0x4DBB;
constexpr uint32_t kSeekId = 0x53AB;
constexpr uint32_t kSeekPosition = 0x53AC;
constexpr uint32_t kVoid = 0xEC;
constexpr uint32_t kInfo = 0x1549A966;
constexpr uint32_t kTimecodeScale = 0x2AD7B1;
constexpr uint32_t kDuration = 0x4489;
constexpr uint32_t kMuxingApp = 0x4D80;
constexpr uint32_t kWritingApp = 0x5741;
constexpr uint32_t kTracks = 0x1654AE6B;
constexpr uint32_t kTrackEntry = 0xAE;
constexpr uint32_t kTrackNumber = 0xD7;
constexpr uint32_t kTrackUid = 0x73C5;
constexpr uint32_t kTrackType = 0x83;
constexpr uint32_t kFlagLacing = 0x9C;
constexpr uint32_t kCodecId = 0x86;
constexpr uint32_t kVideo = 0xE0;
constexpr uint32_t kPixelWidth = 0xB0;
constexpr uint32_t kPixelHeight = 0xBA;
constexpr uint32_t kCluster = 0x1F43B675;
constexpr uint32_t kTimecode = 0xE7;
constexpr uint32_t kSimpleBlock = 0xA3;
constexpr uint32_t kCues = 0x1C53BB6B;
constexpr uint32_t kCuePoint = 0xBB;
constexpr uint32_t kCueTime = 0xB3;
constexpr uint32_t kCueTrackPositions = 0xB7;
constexpr uint32_t kCueTrack = 0xF7;
constexpr uint32_t kCueClusterPosition = 0xF1;

constexpr uint64_t kTrack = 1;
// Timestamps in milliseconds (the WebM default scale, 1 ms = 10^6 ns).
constexpr uint64_t kNanosecondsPerTick = 1'000'000;
// A cluster's blocks carry 16-bit offsets from its timecode; a new cluster
// every 10 s (and at every key frame, for the cues) stays well inside.
constexpr int64_t kMaxClusterSpanMs = 10'000;
constexpr uint64_t kMaxClusterBytes = 32u << 20;
// Space kept after the segment header for the SeekHead written at the end:
// three Seek entries with fixed-width positions are 68 bytes.
constexpr size_t kSeekHeadSpace = 80;
constexpr int32_t kMaxDimension = 16384;
constexpr size_t kMaxFrameBytes = 64u << 20;
// Unknown size: written first, patched once the element is complete, so a
// file cut off by a crash still parses up to its last whole block.
constexpr uint64_t kUnknownSize = 0x01FFFFFFFFFFFFFF;

// An EBML byte string under construction.
class Ebml {
 public:
  const std::string& bytes() const { return bytes_; }
  size_t size() const { return bytes_.size(); }

  void Id(uint32_t id) {
    const int n = id > 0xFFFFFF ? 4 : id > 0xFFFF ? 3 : id > 0xFF ? 2 : 1;
    for (int i = n - 1; i >= 0; --i)
      bytes_ += static_cast<char>(id >> (8 * i));
  }
  // A size as the shortest EBML variable-length integer.
  void Size(uint64_t size) {
    int n = 1;
    while (n < 8 && size >= (uint64_t{1} << (7 * n)) - 1)
      ++n;
    SizeFixed(size, n);
  }
  // A size in exactly `n` bytes (patched later in place).
  void SizeFixed(uint64_t size, int n) {
    const uint64_t marked = size | (uint64_t{1} << (7 * n));
    for (int i = n - 1; i >= 0; --i)
      bytes_ += static_cast<char>(marked >> (8 * i));
  }
  void UInt(uint32_t id, uint64_t value) {
    int n = 1;
    while (n < 8 && (value >> (8 * n)) != 0)
      ++n;
    UIntFixed(id, value, n);
  }
  void UIntFixed(uint32_t id, uint64_t value, int n) {
    Id(id);
    Size(static_cast<uint64_t>(n));
    for (int i = n - 1; i >= 0; --i)
      bytes_ += static_cast<char>(value >> (8 * i));
  }
  // Returns where the 8 value bytes start, for patching.
  size_t Float(uint32_t id, double value) {
    Id(id);
    Size(8);
    const size_t at = bytes_.size();
    Raw64(std::bit_cast<uint64_t>(value));
    return at;
  }
  void String(uint32_t id, std::string_view value) {
    Id(id);
    Size(value.size());
    bytes_ += value;
  }
  // Returns where the child's bytes start.
  size_t Master(uint32_t id, const Ebml& child) {
    Id(id);
    Size(child.size());
    const size_t at = bytes_.size();
    bytes_ += child.bytes_;
    return at;
  }
  void Raw(std::string_view raw) { bytes_ += raw; }
  void Raw64(uint64_t value) {
    for (int i = 7; i >= 0; --i)
      bytes_ += static_cast<char>(value >> (8 * i));
  }

 private:
  std::string bytes_;
};

std::string EightByteSize(uint64_t size) {
  Ebml e;
  e.SizeFixed(size, 8);
  return e.bytes();
}

// Takes `to` for `from` without replacing anything there. EEXIST if taken.
int RenameNoReplace(const std::filesystem::path& from,
                    const std::filesystem::path& to) {
  if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(),
                RENAME_NOREPLACE) == 0) {
    return 0;
  }
  const int error = errno;
  if (error != EINVAL && error != ENOSYS)
    return error;
  // File systems without RENAME_NOREPLACE: a hard link fails on any
  // existing name too, then the temporary name goes.
  if (link(from.c_str(), to.c_str()) != 0)
    return errno;
  unlink(from.c_str());
  return 0;
}

bool Exists(const std::filesystem::path& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

}  // namespace

// One output file: the EBML header, a Segment with a reserved SeekHead,
// Info and Tracks, then clusters as frames arrive, and on Close the cues
// and the patched sizes, duration and SeekHead.
class WebmFile {
 public:
  WebmFile(int fd, std::filesystem::path part, std::filesystem::path final_path)
      : fd_(fd), part_(std::move(part)), final_(std::move(final_path)) {}
  ~WebmFile() {
    if (fd_ >= 0)
      close(fd_);
  }
  WebmFile(const WebmFile&) = delete;
  WebmFile& operator=(const WebmFile&) = delete;

  const std::filesystem::path& part() const { return part_; }
  const std::filesystem::path& final_path() const { return final_; }
  bool started() const { return started_; }
  bool Matches(const proto::VideoFrame& frame) const {
    return frame.codec() == codec_ && frame.width() == width_ &&
           frame.height() == height_;
  }

  Result<void> Start(const proto::VideoFrame& frame) {
    codec_ = frame.codec();
    width_ = frame.width();
    height_ = frame.height();
    first_capture_us_ = frame.capture_time_us();

    Ebml head;
    Ebml ebml;
    ebml.UInt(kEbmlVersion, 1);
    ebml.UInt(kEbmlReadVersion, 1);
    ebml.UInt(kEbmlMaxIdLength, 4);
    ebml.UInt(kEbmlMaxSizeLength, 8);
    ebml.String(kDocType, "webm");
    ebml.UInt(kDocTypeVersion, 4);
    ebml.UInt(kDocTypeReadVersion, 2);
    head.Master(kEbml, ebml);

    head.Id(kSegment);
    segment_size_pos_ = head.size();
    head.SizeFixed(kUnknownSize, 8);
    segment_data_pos_ = head.size();

    head.Id(kVoid);
    head.Size(kSeekHeadSpace - 2);
    head.Raw(std::string(kSeekHeadSpace - 2, '\0'));

    info_pos_ = head.size();
    Ebml info;
    info.UInt(kTimecodeScale, kNanosecondsPerTick);
    const size_t duration_in_info = info.Float(kDuration, 0.0);
    info.String(kMuxingApp, "tether");
    info.String(kWritingApp, "tether-supporter");
    duration_pos_ = head.Master(kInfo, info) + duration_in_info;

    tracks_pos_ = head.size();
    Ebml video;
    video.UInt(kPixelWidth, width_);
    video.UInt(kPixelHeight, height_);
    Ebml entry;
    entry.UInt(kTrackNumber, kTrack);
    entry.UInt(kTrackUid, TrackUid());
    entry.UInt(kTrackType, 1);  // video
    entry.UInt(kFlagLacing, 0);
    entry.String(kCodecId, codec_ == proto::CODEC_VP9 ? "V_VP9" : "V_VP8");
    entry.Master(kVideo, video);
    Ebml tracks;
    tracks.Master(kTrackEntry, entry);
    head.Master(kTracks, tracks);

    started_ = true;
    return Append(head.bytes());
  }

  Result<void> AddFrame(const proto::VideoFrame& frame) {
    int64_t ms = 0;
    if (frames_ > 0) {
      // Saturating: a broken clock must not overflow the arithmetic.
      const int64_t us = frame.capture_time_us();
      const bool overflow =
          (first_capture_us_ < 0 &&
           us > std::numeric_limits<int64_t>::max() + first_capture_us_) ||
          (first_capture_us_ > 0 &&
           us < std::numeric_limits<int64_t>::min() + first_capture_us_);
      const int64_t delta_us =
          overflow ? (us > 0 ? std::numeric_limits<int64_t>::max() : -1)
                   : us - first_capture_us_;
      ms = delta_us < 0 ? -1 : delta_us / 1000;
      if (ms <= last_ms_)
        ms = last_ms_ + 1;  // monotonic, as the muxer and players need
    }
    const bool key = frame.key_frame();
    if (!cluster_open_ || key || ms - cluster_ms_ > kMaxClusterSpanMs ||
        size_ - cluster_data_pos_ > kMaxClusterBytes) {
      if (auto r = CloseCluster(); !r)
        return r;
      if (auto r = OpenCluster(ms, key); !r)
        return r;
    }

    const std::string& data = frame.data();
    const auto relative = static_cast<int16_t>(ms - cluster_ms_);
    Ebml block;
    block.Id(kSimpleBlock);
    block.Size(4 + data.size());
    block.Raw(std::string_view("\x81", 1));  // track 1
    block.Raw(std::string{static_cast<char>(relative >> 8),
                          static_cast<char>(relative & 0xff),
                          static_cast<char>(key ? 0x80 : 0x00)});
    if (auto r = Append(block.bytes()); !r)
      return r;
    if (auto r = Append(data); !r)
      return r;
    last_ms_ = ms;
    ++frames_;
    return {};
  }

  // Writes the cues and fills in sizes, duration and the SeekHead; syncs
  // and renames to the final name.
  Result<void> Close() {
    if (auto r = CloseCluster(); !r)
      return r;
    const uint64_t cues_pos = size_;
    Ebml cues;
    for (const auto& [ms, cluster_pos] : cues_) {
      Ebml positions;
      positions.UInt(kCueTrack, kTrack);
      positions.UInt(kCueClusterPosition, cluster_pos);
      Ebml point;
      point.UInt(kCueTime, static_cast<uint64_t>(ms));
      point.Master(kCueTrackPositions, positions);
      cues.Master(kCuePoint, point);
    }
    Ebml cues_element;
    cues_element.Master(kCues, cues);
    if (auto r = Append(cues_element.bytes()); !r)
      return r;

    // The last frame lasts as long as the frames did on average.
    const double frame_ms = frames_ > 1 ? static_cast<double>(last_ms_) /
                                              static_cast<double>(frames_ - 1)
                                        : 1000.0 / 30;
    const double duration = static_cast<double>(last_ms_) + frame_ms;
    Ebml duration_bytes;
    duration_bytes.Raw64(std::bit_cast<uint64_t>(duration));

    Ebml seek_head;
    const std::pair<uint32_t, uint64_t> targets[] = {
        {kInfo, info_pos_ - segment_data_pos_},
        {kTracks, tracks_pos_ - segment_data_pos_},
        {kCues, cues_pos - segment_data_pos_}};
    Ebml seeks;
    for (const auto& [id, pos] : targets) {
      Ebml id_bytes;
      id_bytes.Id(id);
      Ebml seek;
      seek.String(kSeekId, id_bytes.bytes());
      seek.UIntFixed(kSeekPosition, pos, 8);
      seeks.Master(kSeek, seek);
    }
    seek_head.Master(kSeekHead, seeks);
    const size_t rest = kSeekHeadSpace - seek_head.size();
    seek_head.Id(kVoid);
    seek_head.Size(rest - 2);
    seek_head.Raw(std::string(rest - 2, '\0'));

    if (auto r = Patch(duration_pos_, duration_bytes.bytes()); !r)
      return r;
    if (auto r = Patch(segment_data_pos_, seek_head.bytes()); !r)
      return r;
    if (auto r =
            Patch(segment_size_pos_, EightByteSize(size_ - segment_data_pos_));
        !r) {
      return r;
    }
    // On disk before the name says "whole recording".
    if (fdatasync(fd_) != 0)
      return DiskError("sync");
    close(fd_);
    fd_ = -1;
    if (const int error = RenameNoReplace(part_, final_); error != 0) {
      return MakeError("the recording stays " + part_.string() + ": " +
                       (error == EEXIST ? std::string("the name is taken")
                                        : std::strerror(error)));
    }
    return {};
  }

  // A file no key frame ever reached: not a recording.
  void Discard() {
    close(fd_);
    fd_ = -1;
    unlink(part_.c_str());
  }

 private:
  static uint64_t TrackUid() {
    std::random_device random;
    const uint64_t uid = (uint64_t{random()} << 32) | random();
    return uid == 0 ? 1 : uid;
  }

  Result<void> OpenCluster(int64_t ms, bool key) {
    cluster_ms_ = ms;
    if (key) {
      cues_.emplace_back(ms, size_ - segment_data_pos_);
    }
    Ebml head;
    head.Id(kCluster);
    cluster_size_pos_ = size_ + head.size();
    head.SizeFixed(kUnknownSize, 8);
    cluster_data_pos_ = size_ + head.size();
    head.UInt(kTimecode, static_cast<uint64_t>(ms));
    cluster_open_ = true;
    return Append(head.bytes());
  }

  Result<void> CloseCluster() {
    if (!cluster_open_)
      return {};
    cluster_open_ = false;
    return Patch(cluster_size_pos_, EightByteSize(size_ - cluster_data_pos_));
  }

  Result<void> Append(std::string_view bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = write(fd_, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return DiskError("write");
      done += static_cast<size_t>(n);
    }
    size_ += bytes.size();
    return {};
  }

  Result<void> Patch(uint64_t at, std::string_view bytes) {
    if (pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(at)) !=
        static_cast<ssize_t>(bytes.size())) {
      return DiskError("write");
    }
    return {};
  }

  Unexpected<Error> DiskError(const char* what) const {
    const int error = errno;
    // No path in the log: the session may name recordings by its code.
    log::Warn("recording: cannot {} the file: {}", what, std::strerror(error));
    return MakeError("cannot " + std::string(what) + " the recording " +
                     part_.string() + ": " + std::strerror(error));
  }

  int fd_;
  std::filesystem::path part_;
  std::filesystem::path final_;
  bool started_ = false;
  proto::Codec codec_ = proto::CODEC_UNSPECIFIED;
  uint32_t width_ = 0, height_ = 0;
  int64_t first_capture_us_ = 0;
  int64_t last_ms_ = 0;
  uint64_t frames_ = 0;
  uint64_t size_ = 0;  // bytes written (the file offset)
  uint64_t segment_size_pos_ = 0, segment_data_pos_ = 0;
  uint64_t info_pos_ = 0, tracks_pos_ = 0, duration_pos_ = 0;
  bool cluster_open_ = false;
  int64_t cluster_ms_ = 0;
  uint64_t cluster_size_pos_ = 0, cluster_data_pos_ = 0;
  std::vector<std::pair<int64_t, uint64_t>> cues_;  // time, cluster position
};

struct WebmRecorder::Impl {
  std::filesystem::path base;
  int file_number = 1;
  std::unique_ptr<WebmFile> file;  // null after Finish
  std::vector<std::filesystem::path> done;
  uint64_t frames_written = 0;
  uint64_t frames_skipped = 0;
  bool failed = false;
  bool finished = false;

  std::filesystem::path FinalPath(int number) const {
    std::string name = base.filename().string();
    if (number > 1)
      name += "-" + std::to_string(number);
    return base.parent_path() / (name + ".webm");
  }

  Result<std::unique_ptr<WebmFile>> Open(int number) const {
    const std::filesystem::path final_path = FinalPath(number);
    std::filesystem::path part = final_path;
    part += ".part";
    if (Exists(final_path))
      return MakeError("the recording " + final_path.string() + " exists");
    const int fd =
        open(part.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
             0600);
    if (fd < 0) {
      return MakeError("cannot create the recording " + part.string() + ": " +
                       std::strerror(errno));
    }
    return std::make_unique<WebmFile>(fd, part, final_path);
  }

  Result<void> CloseFile() {
    auto file_to_close = std::move(file);
    if (!file_to_close->started()) {
      file_to_close->Discard();
      return {};
    }
    if (auto r = file_to_close->Close(); !r)
      return r;
    done.push_back(file_to_close->final_path());
    return {};
  }
};

Result<std::unique_ptr<WebmRecorder>> WebmRecorder::Create(
    const std::filesystem::path& path_without_extension) {
  if (path_without_extension.filename().empty())
    return MakeError("the recording needs a file name");
  auto impl = std::make_unique<Impl>();
  impl->base = path_without_extension;
  TETHER_TRY(file, impl->Open(1));
  impl->file = *std::move(file);
  return std::unique_ptr<WebmRecorder>(new WebmRecorder(std::move(impl)));
}

WebmRecorder::WebmRecorder(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

WebmRecorder::~WebmRecorder() {
  if (impl_->finished)
    return;
  if (auto r = Finish(); !r && impl_->frames_written > 0)
    log::Warn("recording: {}", r.error().message);
}

Result<void> WebmRecorder::Add(const proto::VideoFrame& frame) {
  Impl& s = *impl_;
  if (s.finished)
    return MakeError("the recording is finished");
  if (s.failed)
    return MakeError("the recording stopped after a disk error");
  if (frame.codec() != proto::CODEC_VP8 && frame.codec() != proto::CODEC_VP9)
    return MakeError("the frame's codec cannot be recorded");
  if (frame.width() == 0 || frame.height() == 0 ||
      frame.width() > kMaxDimension || frame.height() > kMaxDimension) {
    return MakeError("the frame's size is out of range");
  }
  if (frame.data().empty() || frame.data().size() > kMaxFrameBytes)
    return MakeError("the frame's data is empty or too large");

  if (s.file->started() && !s.file->Matches(frame)) {
    // A WebM track has one size and codec: the rest goes to a new file.
    if (auto r = s.CloseFile(); !r) {
      s.failed = true;
      return r;
    }
    auto next = s.Open(++s.file_number);
    if (!next) {
      s.failed = true;
      return Unexpected(std::move(next).error());
    }
    s.file = *std::move(next);
  }
  Result<void> written;
  if (!s.file->started()) {
    // A decoder needs a key frame to start from.
    if (!frame.key_frame()) {
      ++s.frames_skipped;
      return {};
    }
    written = s.file->Start(frame);
  }
  if (written)
    written = s.file->AddFrame(frame);
  if (!written) {
    s.failed = true;
    return written;
  }
  ++s.frames_written;
  return {};
}

Result<void> WebmRecorder::Finish() {
  Impl& s = *impl_;
  if (s.finished)
    return {};
  s.finished = true;
  if (s.failed) {
    s.file.reset();  // the .part stays, as far as it got
    return MakeError("the recording stopped after a disk error");
  }
  if (auto r = s.CloseFile(); !r)
    return r;
  if (s.done.empty())
    return MakeError("nothing was recorded: no key frame arrived");
  log::Info("recording: {} frames in {} file(s), {} skipped", s.frames_written,
            s.done.size(), s.frames_skipped);
  return {};
}

uint64_t WebmRecorder::frames_written() const {
  return impl_->frames_written;
}

uint64_t WebmRecorder::frames_skipped() const {
  return impl_->frames_skipped;
}

std::vector<std::filesystem::path> WebmRecorder::files() const {
  std::vector<std::filesystem::path> files = impl_->done;
  if (impl_->file && impl_->file->started())
    files.push_back(impl_->file->part());
  return files;
}

}  // namespace tether::supporter
