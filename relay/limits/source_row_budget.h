#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"

namespace tether::relay {

// How many lasting rows one source may add to the store per window:
// connection events, and audit rows for failed logins of names that have no
// account. The first `per_source` in a window are written as usual; the
// rest are only counted, and each source over its budget gets one summary
// audit row when the window ends. So a source that connects or guesses in
// a loop adds at most per_source + 1 rows per window instead of hundreds a
// second (docs/security.md). Past kMaxSources sources in one window, new
// ones share one summary ("other sources"). Thread-safe.
class SourceRowBudget {
 public:
  static constexpr size_t kMaxSources = 65536;
  static constexpr char kOtherSources[] = "other sources";

  SourceRowBudget(uint32_t per_source,
                  std::chrono::seconds window,
                  const Clock& clock);

  // True: write the row. False: it was counted instead.
  bool Take(const std::string& source);

  struct Summary {
    std::string source;
    uint64_t suppressed = 0;
  };
  // Once the window is over: the sources that went over it, and a new
  // window. Empty before then.
  std::vector<Summary> EndWindowIfDue();

 private:
  struct Count {
    uint32_t written = 0;
    uint64_t suppressed = 0;
  };

  const uint32_t per_source_;
  const std::chrono::seconds window_;
  const Clock& clock_;
  std::mutex mutex_;
  Clock::SteadyTime window_start_;                 // guarded by mutex_
  std::unordered_map<std::string, Count> counts_;  // guarded by mutex_
};

}  // namespace tether::relay
