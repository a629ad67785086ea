#pragma once

// Counts calls made on another thread; a test waits, bounded, for a number
// of them instead of sleeping.

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace tether::test {

class CallCounter {
 public:
  void Add() {
    std::lock_guard lock(mutex_);
    ++count_;
    changed_.notify_all();
  }
  // True once at least `n` calls were made; false after `timeout`.
  bool WaitFor(int n,
               std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return count_ >= n; });
  }
  int count() {
    std::lock_guard lock(mutex_);
    return count_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int count_ = 0;
};

}  // namespace tether::test
