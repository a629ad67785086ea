#pragma once

// How the stores keep times: whole milliseconds since the Unix epoch, as a
// 64-bit integer (SQL-friendly, and what the audit hash covers); and
// counters, as SQL's signed 64-bit integers.

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>

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

// Unset stays unset (a column that may be NULL).
inline std::optional<int64_t> ToUnixMillis(
    const std::optional<Clock::WallTime>& time) {
  if (!time)
    return std::nullopt;
  return ToUnixMillis(*time);
}

inline std::optional<Clock::WallTime> FromUnixMillis(
    std::optional<int64_t> millis) {
  if (!millis)
    return std::nullopt;
  return FromUnixMillis(*millis);
}

// Byte counters are uint64 in the protocol and int64 in SQL; 8 EiB through
// one connection can't happen, so clamp rather than wrap negative.
inline int64_t ClampToInt64(uint64_t value) {
  constexpr auto kMax =
      static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  return static_cast<int64_t>(value > kMax ? kMax : value);
}

}  // namespace tether::relay
