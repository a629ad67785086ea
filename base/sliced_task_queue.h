#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

#include "base/clock.h"

namespace tether {

// Tasks posted from any thread and run on one thread (an app's UI thread)
// in slices of bounded time. One drain is scheduled at a time, and a drain
// that used up its slice schedules the next one instead of going on, so the
// thread's own work — a click on STOP among it — gets its turn between
// slices however many tasks the other side made arrive. (Posting each task
// as its own event would put all of them in front of the click: Qt runs
// every queued call before it looks at input again.)
class SlicedTaskQueue {
 public:
  // Runs a task on the running thread soon (a UI's queued call); the queue
  // hands it one drain at a time, from Post()'s thread or from Drain().
  using PostToThread = std::function<void(std::function<void()>)>;
  SlicedTaskQueue(PostToThread post_to_thread,
                  std::chrono::microseconds slice,
                  const Clock& clock = Clock::System());
  SlicedTaskQueue(const SlicedTaskQueue&) = delete;
  SlicedTaskQueue& operator=(const SlicedTaskQueue&) = delete;

  // Any thread.
  void Post(std::function<void()> task);
  // On the running thread: runs tasks in order until none are left or the
  // slice is used (the first task always runs), then schedules the rest.
  void Drain();
  size_t pending() const;

 private:
  void ScheduleDrain();

  const PostToThread post_to_thread_;
  const std::chrono::microseconds slice_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::deque<std::function<void()>> tasks_;  // guarded by mutex_
  bool scheduled_ = false;                   // guarded by mutex_
};

}  // namespace tether
