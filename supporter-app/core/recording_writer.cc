#include "supporter-app/core/recording_writer.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "base/log.h"
#include "supporter-app/core/webm_recorder.h"

namespace tether::supporter {

RecordingWriter::RecordingWriter(
    std::filesystem::path path_without_extension,
    std::function<void(const std::string& error)> failed,
    size_t max_queued_bytes)
    : base_(std::move(path_without_extension)),
      failed_(std::move(failed)),
      max_queued_bytes_(max_queued_bytes),
      thread_([this] { Run(); }) {}

RecordingWriter::~RecordingWriter() {
  Stop();
}

std::filesystem::path RecordingWriter::path() const {
  std::filesystem::path webm = base_;
  webm += ".webm";
  return webm;
}

void RecordingWriter::Add(const proto::VideoFrame& frame) {
  // The recording keeps the video: the exact layer's patches and moves
  // are not in it (a recorded session sends every change as video; only
  // the lossless top-off comes without any, streaming/picture_planner.h).
  if (frame.data().empty())
    return;
  {
    std::lock_guard lock(mutex_);
    if (stop_ || broken_)
      return;
    if (queued_bytes_ + frame.data().size() > max_queued_bytes_) {
      // Dropping a frame would break the stream; stop here instead, and
      // the thread says why.
      broken_ = true;
      overflowed_ = true;
      queue_.clear();
      queued_bytes_ = 0;
      summary_.error = "the disk did not keep up with the video";
    } else {
      queued_bytes_ += frame.data().size();
      queue_.push_back(frame);
      queue_.back().clear_patches();
      queue_.back().clear_moves();
    }
  }
  wake_.notify_all();
}

RecordingWriter::Summary RecordingWriter::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
  return summary_;
}

void RecordingWriter::Fail(const std::string& error) {
  {
    std::lock_guard lock(mutex_);
    broken_ = true;
    queue_.clear();
    queued_bytes_ = 0;
    if (summary_.error.empty())
      summary_.error = error;
  }
  log::Warn("recording stopped: {}", error);
  if (failed_)
    failed_(error);
}

void RecordingWriter::Run() {
  auto created = WebmRecorder::Create(base_);
  std::unique_ptr<WebmRecorder> recorder;
  if (created) {
    recorder = std::move(*created);
  } else {
    Fail(created.error().message);
  }
  std::optional<int64_t> first_us, last_us;
  while (true) {
    proto::VideoFrame frame;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock,
                 [this] { return stop_ || overflowed_ || !queue_.empty(); });
      if (overflowed_) {
        // Add() found the queue full: report it from this thread.
        overflowed_ = false;
        const std::string error = summary_.error;
        lock.unlock();
        log::Warn("recording stopped: {}", error);
        if (failed_)
          failed_(error);
        continue;
      }
      if (queue_.empty())
        break;  // stop_, and everything written
      frame = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= std::min(queued_bytes_, frame.data().size());
    }
    if (!recorder)
      continue;
    if (auto added = recorder->Add(frame); !added) {
      Fail(added.error().message);
      continue;
    }
    if (!first_us)
      first_us = frame.capture_time_us();
    last_us = frame.capture_time_us();
  }
  if (!recorder)
    return;
  if (auto finished = recorder->Finish(); !finished) {
    std::lock_guard lock(mutex_);
    if (summary_.error.empty())
      summary_.error = finished.error().message;
    log::Warn("recording not finished: {}", finished.error().message);
  }
  std::lock_guard lock(mutex_);
  summary_.files = recorder->files();
  summary_.frames = recorder->frames_written();
  if (first_us && last_us && *last_us > *first_us) {
    summary_.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::microseconds(*last_us - *first_us));
  }
}

}  // namespace tether::supporter
