#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace tether {

// A function run on a thread of its own, once after a delay or again every
// interval, until Stop(): for the apps' cores, which have no event loop of
// their own (the function usually posts to the app's thread). What it
// decides should read the injected Clock, so a test can move time; only
// the cadence is real time.
class TimerThread {
 public:
  using Duration = std::chrono::steady_clock::duration;

  TimerThread() = default;
  ~TimerThread() { Stop(); }
  TimerThread(const TimerThread&) = delete;
  TimerThread& operator=(const TimerThread&) = delete;

  // Replace whatever was started before. Not from `fn` itself.
  void StartOnce(Duration delay, std::function<void()> fn);
  void StartRepeating(Duration interval, std::function<void()> fn);
  // Waits for a call in progress; none starts after it returns. Idempotent.
  // Not from `fn` itself.
  void Stop();

 private:
  void Start(Duration period, bool repeat, std::function<void()> fn);

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace tether
