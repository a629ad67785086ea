#pragma once

#include <chrono>

namespace tether {

// The time source. Deadlines and rate limits use the steady clock (immune to
// the wall clock being set); what people read (logs, audit rows, expiry
// shown to a technician) uses the wall clock. Tests inject a ManualClock
// (tests/fakes/manual_clock.h) instead of sleeping.
class Clock {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;
  using WallTime = std::chrono::system_clock::time_point;

  virtual ~Clock() = default;
  virtual SteadyTime SteadyNow() const = 0;
  virtual WallTime WallNow() const = 0;

  // The real clocks. Thread-safe.
  static const Clock& System();
};

class SystemClock final : public Clock {
 public:
  SteadyTime SteadyNow() const override {
    return std::chrono::steady_clock::now();
  }
  WallTime WallNow() const override { return std::chrono::system_clock::now(); }
};

inline const Clock& Clock::System() {
  static const SystemClock clock;
  return clock;
}

}  // namespace tether
