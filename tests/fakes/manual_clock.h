#pragma once

#include <mutex>

#include "base/clock.h"

namespace tether::test {

// A clock that moves only when the test says so. Starts at an arbitrary,
// fixed wall time so expected timestamps are reproducible. Thread-safe like
// the real one: the code under test reads it on its worker threads (the
// store writer stamps audit rows) while the test advances it.
class ManualClock final : public Clock {
 public:
  ManualClock()
      : steady_(std::chrono::hours(1000)),
        wall_(std::chrono::sys_days(
            std::chrono::year_month_day(std::chrono::year(2026),
                                        std::chrono::month(11),
                                        std::chrono::day(23)))) {}

  SteadyTime SteadyNow() const override {
    std::lock_guard lock(mutex_);
    return steady_;
  }
  WallTime WallNow() const override {
    std::lock_guard lock(mutex_);
    return wall_;
  }

  template <typename Duration>
  void Advance(Duration d) {
    std::lock_guard lock(mutex_);
    steady_ += std::chrono::duration_cast<SteadyTime::duration>(d);
    wall_ += std::chrono::duration_cast<WallTime::duration>(d);
  }

 private:
  mutable std::mutex mutex_;
  SteadyTime steady_;
  WallTime wall_;
};

}  // namespace tether::test
