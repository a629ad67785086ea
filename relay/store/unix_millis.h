#pragma once

// How the store keeps times: whole milliseconds since the Unix epoch, as a
// 64-bit integer (SQL-friendly, and what the audit hash covers).

#include <chrono>
#include <cstdint>

#include "base/clock.h"

namespace tether::relay {

// Floors, so a time just before the epoch does not round up into it.
inline int64_t ToUnixMillis(Clock::WallTime time) {
  return std::chrono::floor<std::chrono::milliseconds>(time.time_since_epoch())
      .count();
}

inline Clock::WallTime FromUnixMillis(int64_t millis) {
  return Clock::WallTime(std::chrono::duration_cast<Clock::WallTime::duration>(
      std::chrono::milliseconds(millis)));
}

}  // namespace tether::relay
