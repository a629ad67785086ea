#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "base/clock.h"

namespace tether::relay {

// How fast each source (relay/limits/source_key.h) may send web requests: a
// token bucket per source, `per_second` on average with bursts of `burst`.
// The table holds at most `max_sources`; when it is full, sources whose
// bucket is full again are forgotten, and if none is, a new source shares
// one bucket with every other newcomer: many addresses together get no
// more than one busy address does. Loop thread only.
class RequestRate {
 public:
  RequestRate(uint32_t per_second,
              uint32_t burst,
              size_t max_sources,
              const Clock& clock);

  // Takes one request's token; false when the source must slow down.
  bool Allow(const std::string& source);
  size_t sources() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens = 0;
    Clock::SteadyTime updated{};
  };
  void Refill(Bucket& bucket, Clock::SteadyTime now) const;
  void Prune(Clock::SteadyTime now);

  const double per_second_;
  const double burst_;
  const size_t max_sources_;
  const Clock& clock_;
  std::unordered_map<std::string, Bucket> buckets_;
  Bucket newcomers_;
};

}  // namespace tether::relay
