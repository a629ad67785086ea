#include "relay/limits/source_row_budget.h"

namespace tether::relay {

SourceRowBudget::SourceRowBudget(uint32_t per_source,
                                 std::chrono::seconds window,
                                 const Clock& clock)
    : per_source_(per_source),
      window_(window),
      clock_(clock),
      window_start_(clock.SteadyNow()) {}

bool SourceRowBudget::Take(const std::string& source) {
  std::lock_guard lock(mutex_);
  auto it = counts_.find(source);
  if (it == counts_.end()) {
    const bool room = counts_.size() < kMaxSources;
    it = counts_.emplace(room ? source : std::string(kOtherSources), Count{})
             .first;
  }
  Count& count = it->second;
  if (count.written < per_source_) {
    ++count.written;
    return true;
  }
  ++count.suppressed;
  return false;
}

std::vector<SourceRowBudget::Summary> SourceRowBudget::EndWindowIfDue() {
  std::lock_guard lock(mutex_);
  std::vector<Summary> over;
  if (clock_.SteadyNow() - window_start_ < window_)
    return over;
  for (const auto& [source, count] : counts_) {
    if (count.suppressed > 0)
      over.push_back({source, count.suppressed});
  }
  counts_.clear();
  window_start_ = clock_.SteadyNow();
  return over;
}

}  // namespace tether::relay
