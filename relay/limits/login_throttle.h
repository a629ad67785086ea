#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/clock.h"

namespace tether::relay {

// How an account answers repeated wrong logins ([accounts] in relay.toml).
// An account's count of consecutive failures lives in the store (it must
// survive a restart, or a restart would be a free reset); names without an
// account keep theirs in UnknownNameFailures, so both answer alike.
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

// A name's run of failed logins: an account's failed_logins, locked_until
// and locked columns, or an unknown name's entry in memory.
struct LoginFailures {
  uint32_t consecutive = 0;
  std::optional<Clock::WallTime> wait_until;  // no check before this
  bool locked = false;                        // until an admin unlocks
};

// What a login attempt may do, decided before its password is checked.
struct LoginClaim {
  enum class Verdict { kCheck, kThrottled, kLocked };
  Verdict verdict = Verdict::kCheck;
  // kThrottled: how long until the next check. kCheck: the wait a failure
  // of this attempt imposes (0 while failures are still free).
  std::chrono::seconds wait{0};
  bool locks = false;  // kCheck: a failure of this attempt locks the name
};

// Claims a password check for a name: refused while the name waits or is
// locked; otherwise counted as a failure *now*, with its wait or lock, and
// undone only when the password proves right (the caller then resets the
// run). Logins that run at once are therefore each counted, and the
// policy's allowance of checks holds however many arrive together; a check
// that runs slow cannot let others through (docs/security.md).
LoginClaim ClaimLoginAttempt(LoginFailures& failures,
                             Clock::WallTime now,
                             const LoginThrottleConfig& config);

// Takes back a claim whose attempt was neither right nor wrong (the right
// password, with the second factor still to come): one failure less, and
// the lock or wait it brought, if the count no longer calls for them.
void ReleaseLoginAttempt(LoginFailures& failures,
                         const LoginThrottleConfig& config);

// The runs of failures of names that have no account, in memory, so an
// unknown name is throttled and locked exactly as an account would be
// (nobody learns which names exist from the answer or its timing). Names
// compare ASCII case-insensitively, as account names do. Bounded: past
// kMaxNames, names whose wait is over are forgotten, then the oldest.
// Forgotten on restart (documented). Thread-safe.
class UnknownNameFailures {
 public:
  static constexpr size_t kMaxNames = 65536;

  LoginClaim Claim(std::string_view name,
                   Clock::WallTime now,
                   const LoginThrottleConfig& config);
  void Release(std::string_view name, const LoginThrottleConfig& config);
  size_t size() const;

 private:
  struct Entry {
    LoginFailures failures;
    Clock::WallTime last_claim;
  };
  void MakeRoom(Clock::WallTime now);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> names_;  // guarded by mutex_
};

}  // namespace tether::relay
