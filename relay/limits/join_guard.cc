#include "relay/limits/join_guard.h"

#include <algorithm>
#include <cstring>

#include "base/log.h"

namespace tether::relay {

namespace {

// How many of the stalest sources to look at for an expired one before
// evicting a live one.
constexpr int kEvictionScan = 64;
// Expired sources dropped from the stale end on each call, so memory is
// reclaimed even without Prune().
constexpr int kPrunePerCall = 2;

std::chrono::seconds CeilSeconds(Clock::SteadyTime::duration d) {
  return std::chrono::ceil<std::chrono::seconds>(d);
}

}  // namespace

JoinGuard::JoinGuard(JoinGuardConfig config,
                     const Clock& clock,
                     size_t max_tracked_sources)
    : config_(config),
      clock_(clock),
      max_sources_(std::max<size_t>(max_tracked_sources, 1)) {}

JoinDecision JoinGuard::Check(std::string_view source_key) {
  const TimePoint now = clock_.SteadyNow();
  UpdateSlowLane(now);
  auto it = sources_.find(std::string(source_key));
  if (it != sources_.end() && now < it->second.locked_until) {
    Touch(source_key, now);
    return {JoinDecision::Action::kRefuse,
            CeilSeconds(it->second.locked_until - now)};
  }
  if (!slow_lane_)
    return {};

  Source& source = Touch(source_key, now);
  if (now < source.slow_lane_next) {
    return {JoinDecision::Action::kRefuse,
            CeilSeconds(source.slow_lane_next - now)};
  }
  // Taken now, not when the answer comes: during the delay the same source
  // could otherwise start any number of attempts.
  source.slow_lane_next = now + config_.slow_lane_interval;
  return {JoinDecision::Action::kDelay, config_.slow_lane_delay};
}

void JoinGuard::RecordFailure(std::string_view source_key) {
  const TimePoint now = clock_.SteadyNow();
  const int64_t minute = MinuteOf(now);
  Bucket& bucket = buckets_[static_cast<size_t>(((minute % 60) + 60) % 60)];
  if (bucket.minute != minute)
    bucket = {minute, 0};
  ++bucket.failures;

  Source& source = Touch(source_key, now);
  DropOldFailures(source, now);
  source.failures.push_back(now);
  if (source.failures.size() >= config_.failures_per_source) {
    const std::chrono::seconds lockout = Lockout(source.lockouts);
    source.locked_until = now + lockout;
    source.last_lockout = now;
    ++source.lockouts;
    // The lockout pays for these failures; the next lockout needs a fresh
    // set.
    source.failures.clear();
    log::Info("join guard: {} locked out for {} s after {} wrong codes",
              source_key, lockout.count(), config_.failures_per_source);
  }
  UpdateSlowLane(now);
}

void JoinGuard::RecordSuccess(std::string_view source_key) {
  // Deliberately forgives nothing (see the header).
  static_cast<void>(source_key);
}

void JoinGuard::Prune() {
  const TimePoint now = clock_.SteadyNow();
  for (auto it = sources_.begin(); it != sources_.end();) {
    auto next = std::next(it);
    if (Expired(it->second, now))
      Forget(it);
    it = next;
  }
  UpdateSlowLane(now);
}

bool JoinGuard::slow_lane() const {
  return FailuresLastHour(clock_.SteadyNow()) >=
         config_.global_failures_per_hour;
}

uint32_t JoinGuard::failures_last_hour() const {
  return FailuresLastHour(clock_.SteadyNow());
}

JoinGuard::Source& JoinGuard::Touch(std::string_view source_key,
                                    TimePoint now) {
  // Reclaim a little from the stale end on every call.
  for (int i = 0; i < kPrunePerCall && !lru_.empty(); ++i) {
    auto stalest = sources_.find(*lru_.back());
    if (*lru_.back() == source_key || !Expired(stalest->second, now))
      break;
    Forget(stalest);
  }

  auto it = sources_.find(std::string(source_key));
  if (it != sources_.end()) {
    if (Expired(it->second, now)) {
      auto lru = it->second.lru;
      it->second = Source{};
      it->second.lru = lru;
    }
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second;
  }
  if (sources_.size() >= max_sources_)
    EvictOne(now);
  it = sources_.emplace(std::string(source_key), Source{}).first;
  lru_.push_front(&it->first);
  it->second.lru = lru_.begin();
  return it->second;
}

bool JoinGuard::Expired(const Source& source, TimePoint now) const {
  const bool failures_gone =
      source.failures.empty() ||
      source.failures.back() + config_.failure_window <= now;
  const bool escalation_gone =
      source.lockouts == 0 || source.locked_until + kEscalationMemory <= now;
  return failures_gone && escalation_gone && source.locked_until <= now &&
         source.slow_lane_next <= now;
}

void JoinGuard::Forget(SourceMap::iterator it) {
  lru_.erase(it->second.lru);
  sources_.erase(it);
}

void JoinGuard::EvictOne(TimePoint now) {
  auto candidate = lru_.end();
  int scanned = 0;
  for (auto it = lru_.rbegin(); it != lru_.rend() && scanned < kEvictionScan;
       ++it, ++scanned) {
    if (Expired(sources_.find(**it)->second, now)) {
      candidate = std::prev(it.base());
      break;
    }
  }
  if (candidate == lru_.end()) {
    // Every candidate still limits someone. Memory must stay bounded, so
    // the stalest goes anyway; only an attacker with more sources than the
    // table holds gets here, which is worth knowing.
    candidate = std::prev(lru_.end());
    if (last_eviction_warning_ == TimePoint{} ||
        now - last_eviction_warning_ >= std::chrono::minutes(1)) {
      last_eviction_warning_ = now;
      log::Warn(
          "join guard: {} sources tracked, the table is full; forgetting "
          "the stalest one although it is still limited",
          sources_.size());
    }
  }
  Forget(sources_.find(**candidate));
}

void JoinGuard::DropOldFailures(Source& source, TimePoint now) const {
  auto fresh = std::find_if(
      source.failures.begin(), source.failures.end(),
      [&](TimePoint t) { return t + config_.failure_window > now; });
  source.failures.erase(source.failures.begin(), fresh);
  if (source.lockouts > 0 && source.locked_until + kEscalationMemory <= now) {
    source.lockouts = 0;
  }
}

std::chrono::seconds JoinGuard::Lockout(uint32_t lockouts) const {
  // 2^30 times any sensible lockout is far past the cap; a larger shift
  // would overflow.
  const auto doubled = config_.lockout_initial *
                       (int64_t{1} << std::min<uint32_t>(lockouts, 30));
  return std::min<std::chrono::seconds>(doubled, config_.lockout_max);
}

int64_t JoinGuard::MinuteOf(TimePoint t) const {
  return std::chrono::floor<std::chrono::minutes>(t.time_since_epoch()).count();
}

uint32_t JoinGuard::FailuresLastHour(TimePoint now) const {
  const int64_t current = MinuteOf(now);
  uint32_t total = 0;
  for (const Bucket& bucket : buckets_) {
    if (bucket.minute > current - 60 && bucket.minute <= current) {
      total += bucket.failures;
    }
  }
  return total;
}

void JoinGuard::UpdateSlowLane(TimePoint now) {
  const uint32_t failures = FailuresLastHour(now);
  const bool slow = failures >= config_.global_failures_per_hour;
  if (slow == slow_lane_)
    return;
  slow_lane_ = slow;
  if (slow) {
    log::Warn(
        "join guard: {} wrong session codes within the last hour; slow lane "
        "on ({} s delay per join, one attempt per source per {} s)",
        failures, config_.slow_lane_delay.count(),
        config_.slow_lane_interval.count());
  } else {
    log::Warn(
        "join guard: fewer than {} wrong session codes within the last "
        "hour; slow lane off",
        config_.global_failures_per_hour);
  }
}

}  // namespace tether::relay
