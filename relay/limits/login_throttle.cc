#include "relay/limits/login_throttle.h"

#include <algorithm>

#include "base/ascii.h"

namespace tether::relay {

std::chrono::seconds DelayAfterFailures(uint32_t consecutive,
                                        const LoginThrottleConfig& config) {
  if (consecutive < config.throttle_after_failures)
    return {};
  const std::chrono::seconds cap = config.max_throttle;
  // Doublings past the first delay; beyond 30 the cap has long been hit
  // (and a bigger shift would overflow).
  const uint32_t doublings =
      std::min<uint32_t>(consecutive - config.throttle_after_failures, 30);
  const std::chrono::seconds delay =
      kFirstLoginThrottle * (int64_t{1} << doublings);
  return std::min(delay, cap);
}

bool ShouldLock(uint32_t consecutive, const LoginThrottleConfig& config) {
  return consecutive >= config.lock_after_failures;
}

LoginClaim ClaimLoginAttempt(LoginFailures& failures,
                             Clock::WallTime now,
                             const LoginThrottleConfig& config) {
  LoginClaim claim;
  if (failures.locked) {
    claim.verdict = LoginClaim::Verdict::kLocked;
    return claim;
  }
  if (failures.wait_until && *failures.wait_until > now) {
    claim.verdict = LoginClaim::Verdict::kThrottled;
    // Rounded up, so that a client waiting this long is never early.
    claim.wait = std::chrono::duration_cast<std::chrono::seconds>(
                     *failures.wait_until - now) +
                 std::chrono::seconds(1);
    return claim;
  }
  if (failures.consecutive < UINT32_MAX)
    ++failures.consecutive;
  if (ShouldLock(failures.consecutive, config)) {
    failures.locked = true;
    claim.locks = true;
  } else {
    claim.wait = DelayAfterFailures(failures.consecutive, config);
    if (claim.wait.count() > 0)
      failures.wait_until = now + claim.wait;
  }
  return claim;
}

void ReleaseLoginAttempt(LoginFailures& failures,
                         const LoginThrottleConfig& config) {
  if (failures.consecutive == 0)
    return;
  --failures.consecutive;
  failures.locked = failures.locked && ShouldLock(failures.consecutive, config);
  if (DelayAfterFailures(failures.consecutive, config).count() == 0)
    failures.wait_until.reset();
}

namespace {

std::string NameKey(std::string_view name) {
  return AsciiLower(name.substr(0, 256));
}

}  // namespace

LoginClaim UnknownNameFailures::Claim(std::string_view name,
                                      Clock::WallTime now,
                                      const LoginThrottleConfig& config) {
  std::lock_guard lock(mutex_);
  std::string key = NameKey(name);
  auto it = names_.find(key);
  if (it == names_.end()) {
    MakeRoom(now);
    it = names_.emplace(std::move(key), Entry{}).first;
  }
  it->second.last_claim = now;
  return ClaimLoginAttempt(it->second.failures, now, config);
}

void UnknownNameFailures::Release(std::string_view name,
                                  const LoginThrottleConfig& config) {
  std::lock_guard lock(mutex_);
  auto it = names_.find(NameKey(name));
  if (it != names_.end())
    ReleaseLoginAttempt(it->second.failures, config);
}

size_t UnknownNameFailures::size() const {
  std::lock_guard lock(mutex_);
  return names_.size();
}

void UnknownNameFailures::MakeRoom(Clock::WallTime now) {
  if (names_.size() < kMaxNames)
    return;
  // Names whose wait is over cost a guesser nothing to forget: their next
  // check was free anyway, bar the count towards the next wait.
  std::erase_if(names_, [now](const auto& item) {
    const LoginFailures& f = item.second.failures;
    return !f.locked && (!f.wait_until || *f.wait_until <= now);
  });
  if (names_.size() < kMaxNames)
    return;
  auto oldest = std::min_element(
      names_.begin(), names_.end(), [](const auto& a, const auto& b) {
        return a.second.last_claim < b.second.last_claim;
      });
  names_.erase(oldest);
}

}  // namespace tether::relay
