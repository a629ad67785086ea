#include "relay/limits/login_throttle.h"

#include <algorithm>

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

}  // namespace tether::relay
