#pragma once

// Writes the received video stream to WebM (supporter-app/core/
// webm_recorder.h) on a thread of its own, so that neither the UI nor the
// decoder waits for the disk. Every frame is written (a WebM stream with a
// hole in it does not play past the hole), so the queue is bounded in
// bytes instead: a disk that cannot keep up stops the recording with an
// error rather than filling the memory.
//
// Threads: Add() and Stop() on one owner thread (the session's app
// thread); `failed` runs on the recording thread, at most once, never
// after Stop() returned.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "protocol/peer.pb.h"

namespace tether::supporter {

class RecordingWriter {
 public:
  struct Summary {
    std::vector<std::filesystem::path> files;
    uint64_t frames = 0;
    // From the first to the last frame, on the customer's capture clock.
    std::chrono::milliseconds duration{0};
    std::string error;  // empty when the recording ended normally
  };

  RecordingWriter(std::filesystem::path path_without_extension,
                  std::function<void(const std::string& error)> failed,
                  size_t max_queued_bytes = 64 << 20);
  ~RecordingWriter();  // Stop()
  RecordingWriter(const RecordingWriter&) = delete;
  RecordingWriter& operator=(const RecordingWriter&) = delete;

  // Queues a copy of `frame`. Ignored once the recording failed or stopped.
  void Add(const proto::VideoFrame& frame);
  // Writes what is queued, finishes the file and joins the thread.
  // Idempotent; the summary of the first call is returned again.
  Summary Stop();

  // The file the recording goes to (<path>.webm).
  std::filesystem::path path() const;

 private:
  void Run();
  void Fail(const std::string& error);

  const std::filesystem::path base_;
  const std::function<void(const std::string&)> failed_;
  const size_t max_queued_bytes_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<proto::VideoFrame> queue_;
  size_t queued_bytes_ = 0;
  bool stop_ = false;
  bool broken_ = false;      // no more frames are taken
  bool overflowed_ = false;  // Add() gave up; the thread reports it
  Summary summary_;          // written by the thread, read after the join

  std::thread thread_;  // last: started once everything above exists
};

}  // namespace tether::supporter
