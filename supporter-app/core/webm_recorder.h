#pragma once

// Records the received video stream to WebM: the VP8/VP9 packets exactly as
// received (no re-encode), timestamps from the customer's capture clock,
// cues for seeking. The file is written as <name>.webm.part and renamed on
// Finish(), so an interrupted recording is never mistaken for a whole one.
// A resolution (or codec) change mid-stream starts a new file
// (<name>-2.webm, -3, ...), since a WebM track has one size.
//
// The muxer is our own small EBML writer (webm_recorder.cc), not libwebm's
// mkvmuxer: Debian's libwebm-dev installs only the parser headers, and the
// muxer classes in libwebm.so have no installed declarations to build
// against. The subset written (one video track, SimpleBlocks, cues) is what
// mkvmuxer writes for the same input; the tests check it with ffprobe.
//
// Threads: one owner thread (the supporter session's recording thread).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "protocol/peer.pb.h"

namespace tether::supporter {

class WebmRecorder {
 public:
  // Creates <path_without_extension>.webm.part (0600, never replacing a
  // file) at once, so a folder that cannot be written fails here.
  static Result<std::unique_ptr<WebmRecorder>> Create(
      const std::filesystem::path& path_without_extension);
  ~WebmRecorder();  // finishes if Finish() was not called
  WebmRecorder(const WebmRecorder&) = delete;
  WebmRecorder& operator=(const WebmRecorder&) = delete;

  // Adds one received frame. The first frame written must be a key frame;
  // frames before it are skipped (counted). Timestamps are capture_time_us
  // relative to the file's first frame, in milliseconds; one that does not
  // increase is moved to 1 ms after the previous frame. A frame with a bad
  // codec, size or empty data is an error and not written; a disk error
  // is an error for this and every later call (the .part stays).
  Result<void> Add(const proto::VideoFrame& frame);
  // Finalises (cues, duration) and renames to .webm. A recording without a
  // single key frame leaves no file and returns an error. Idempotent.
  Result<void> Finish();

  uint64_t frames_written() const;
  uint64_t frames_skipped() const;
  // The files written so far (more than one after a size change), as they
  // are named on disk now: finished ones as .webm, the one being written
  // as .webm.part.
  std::vector<std::filesystem::path> files() const;

 private:
  struct Impl;
  explicit WebmRecorder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tether::supporter
