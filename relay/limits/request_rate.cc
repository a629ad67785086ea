#include "relay/limits/request_rate.h"

#include <algorithm>
#include <chrono>

namespace tether::relay {

RequestRate::RequestRate(uint32_t per_second,
                         uint32_t burst,
                         size_t max_sources,
                         const Clock& clock)
    : per_second_(per_second),
      burst_(std::max<uint32_t>(burst, 1)),
      max_sources_(max_sources),
      clock_(clock) {
  newcomers_.tokens = burst_;
  newcomers_.updated = clock_.SteadyNow();
}

void RequestRate::Refill(Bucket& bucket, Clock::SteadyTime now) const {
  const double elapsed =
      std::chrono::duration<double>(now - bucket.updated).count();
  if (elapsed > 0) {
    bucket.tokens = std::min(burst_, bucket.tokens + elapsed * per_second_);
    bucket.updated = now;
  }
}

void RequestRate::Prune(Clock::SteadyTime now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    Refill(it->second, now);
    it = it->second.tokens >= burst_ ? buckets_.erase(it) : std::next(it);
  }
}

bool RequestRate::Allow(const std::string& source) {
  const auto now = clock_.SteadyNow();
  auto it = buckets_.find(source);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_sources_)
      Prune(now);
    if (buckets_.size() >= max_sources_) {
      Refill(newcomers_, now);
      if (newcomers_.tokens < 1)
        return false;
      newcomers_.tokens -= 1;
      return true;
    }
    it = buckets_.emplace(source, Bucket{burst_, now}).first;
  }
  Bucket& bucket = it->second;
  Refill(bucket, now);
  if (bucket.tokens < 1)
    return false;
  bucket.tokens -= 1;
  return true;
}

}  // namespace tether::relay
