#pragma once

#include <chrono>
#include <cstdint>

namespace tether::relay {

// How an account answers repeated wrong logins ([accounts] in relay.toml).
// The count of consecutive failures lives in the store (it must survive a
// restart, or a restart would be a free reset); this is only the policy.
struct LoginThrottleConfig {
  // Failures in a row that are free; the next one starts the delays.
  uint32_t throttle_after_failures = 5;
  // The longest delay between two password checks of one account.
  std::chrono::seconds max_throttle{std::chrono::minutes(15)};
  // Failures in a row that lock the account until an admin unlocks it.
  uint32_t lock_after_failures = 20;

  bool operator==(const LoginThrottleConfig&) const = default;
};

// The first delay. Doubling from 15 s reaches the 15 min default cap after
// six steps, so a typo-prone user waits seconds, a guesser waits minutes.
inline constexpr std::chrono::seconds kFirstLoginThrottle{15};

// How long after its latest failure an account accepts the next password
// check, given `consecutive` failures in a row (a success resets the count).
// With the defaults (throttle after 5, cap 15 min, lock at 20):
//
//   failures in a row   0-4   5    6    7    8     9     10    11-19
//   delay               0     15s  30s  1m   2m    4m    8m    15m
//
// and the 20th failure locks the account (ShouldLock). Reaching the lock
// takes at least 15+30+60+120+240+480+9*900 s, about 2.5 hours, so a
// guesser gets 20 tries per account before an admin must step in, and a
// lock is never reached by accident in a few minutes of mistyping.
std::chrono::seconds DelayAfterFailures(uint32_t consecutive,
                                        const LoginThrottleConfig& config);

// Whether `consecutive` failures in a row lock the account.
bool ShouldLock(uint32_t consecutive, const LoginThrottleConfig& config);

}  // namespace tether::relay
