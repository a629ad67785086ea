#include "base/sliced_task_queue.h"

#include <utility>

namespace tether {

SlicedTaskQueue::SlicedTaskQueue(PostToThread post_to_thread,
                                 std::chrono::microseconds slice,
                                 const Clock& clock)
    : post_to_thread_(std::move(post_to_thread)),
      slice_(slice),
      clock_(clock) {}

void SlicedTaskQueue::ScheduleDrain() {
  post_to_thread_([this] { Drain(); });
}

void SlicedTaskQueue::Post(std::function<void()> task) {
  bool schedule = false;
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
    schedule = !scheduled_;
    scheduled_ = true;
  }
  if (schedule)
    ScheduleDrain();
}

void SlicedTaskQueue::Drain() {
  const auto start = clock_.SteadyNow();
  bool first = true;
  for (;;) {
    std::function<void()> task;
    {
      std::lock_guard lock(mutex_);
      if (tasks_.empty()) {
        scheduled_ = false;
        return;
      }
      if (!first && clock_.SteadyNow() - start >= slice_)
        break;  // still scheduled: the next drain takes the rest
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    first = false;
    task();
  }
  ScheduleDrain();
}

size_t SlicedTaskQueue::pending() const {
  std::lock_guard lock(mutex_);
  return tasks_.size();
}

}  // namespace tether
