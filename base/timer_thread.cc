#include "base/timer_thread.h"

#include <utility>

namespace tether {

void TimerThread::StartOnce(Duration delay, std::function<void()> fn) {
  Start(delay, /*repeat=*/false, std::move(fn));
}

void TimerThread::StartRepeating(Duration interval, std::function<void()> fn) {
  Start(interval, /*repeat=*/true, std::move(fn));
}

void TimerThread::Start(Duration period,
                        bool repeat,
                        std::function<void()> fn) {
  Stop();
  {
    std::lock_guard lock(mutex_);
    stop_ = false;
  }
  thread_ = std::thread([this, period, repeat, fn = std::move(fn)] {
    std::unique_lock lock(mutex_);
    do {
      if (wake_.wait_for(lock, period, [this] { return stop_; }))
        return;
      lock.unlock();
      fn();
      lock.lock();
    } while (repeat);
  });
}

void TimerThread::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

}  // namespace tether
