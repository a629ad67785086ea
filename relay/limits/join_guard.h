#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "relay/limits/source_key.h"

namespace tether::relay {

// [join_guard] in relay.toml.
struct JoinGuardConfig {
  // Wrong codes one source may send within `failure_window` before it is
  // locked out.
  uint32_t failures_per_source = 5;
  std::chrono::seconds failure_window{std::chrono::minutes(15)};
  // The first lockout; each further one doubles, up to `lockout_max`.
  std::chrono::seconds lockout_initial{std::chrono::minutes(1)};
  std::chrono::seconds lockout_max{std::chrono::minutes(60)};
  // Wrong codes from everyone within the last hour that start the slow
  // lane.
  uint32_t global_failures_per_hour = 200;
  // In the slow lane every join waits this long before its code is looked
  // at, and each source may try once per `slow_lane_interval`.
  std::chrono::seconds slow_lane_delay{3};
  std::chrono::seconds slow_lane_interval{std::chrono::minutes(5)};

  bool operator==(const JoinGuardConfig&) const = default;
};

// What to do with one Join attempt.
struct JoinDecision {
  enum class Action {
    kAllow,   // look the code up now
    kDelay,   // wait `wait`, then look the code up (the slow lane)
    kRefuse,  // answer STATUS_THROTTLED with retry_after = `wait`
  };
  Action action = Action::kAllow;
  std::chrono::seconds wait{0};

  bool operator==(const JoinDecision&) const = default;
};

// Limits how fast wrong session codes can be tried (DESIGN.md promise 5).
//
// Per source (see SourceKey): `failures_per_source` (5) wrong codes within
// `failure_window` (15 min) lock the source out for `lockout_initial`
// (1 min); every further lockout doubles (2, 4, 8, 16, 32 min) up to
// `lockout_max` (60 min). The doubling is remembered for 24 hours after the
// latest lockout, so waiting for it to reset never pays.
//
// Globally: once `global_failures_per_hour` (200) wrong codes arrived within
// the last hour (60 one-minute buckets), the slow lane starts: every join is
// held `slow_lane_delay` (3 s) before its code is looked at, and a source
// may try once per `slow_lane_interval` (5 min), counted at Check() so that
// parallel attempts cannot slip through during the delay. It ends when the
// last hour holds fewer failures than that again. Both transitions are
// logged as warnings (never with a code: the guard never sees one).
//
// Success probability of guessing. A code is 8 random digits, C = 10^8, and
// at most W codes wait at any time; a guess hits with p = W / C, so
// P(hit within G guesses) = 1 - (1 - p)^G ~ 1 - exp(-G W / C), and the
// expected number of guesses to the first hit is C / W (10^5 at W = 1000).
// An attacker who tries whenever the guard lets it gets, per source:
//   - normal mode: 5 wrong codes at 0, 1, 3, 7, 15, 31, 63 min, then 5 per
//     60 min: 20 guesses in 10 min, 3,625 in 30 days (~5 per hour);
//   - slow lane: 1 per 5 min (12 per hour), which never reaches 5 per
//     15 min, so no lockouts: 2 guesses in 10 min, 8,640 in 30 days;
// and globally at most 200 wrong codes per hour outside the slow lane. With
// 17 or more sources the attacker keeps the slow lane on by itself, so
// G ~ 200 + 2 N in 10 min and G ~ 8,640 N in 30 days for N sources.
//
//   W = 1000 live codes     10 min (a code's life)   30 days
//   N = 1 source            G = 20,     P = 2.0e-4   G = 3,625,   P = 3.6%
//   N = 256 (an IPv4 /24)   G = 712,    P = 7.1e-3   G = 2.2e6,   P ~ 1
//   N = 65,536 (an IPv6/48) G = 131,272 P = 73%      G = 5.7e8,   P ~ 1
//
// P scales with W: at W = 10 the 30-day figures are 3.6e-4 (N = 1) and
// 20% (N = 256). A hit is not a session: the technician is shown the
// joining host and user name and must accept it, and the SAS check follows.
// Many-source attackers are limited by the per-source rules only; the
// tracking table holds kMaxTrackedSources, beyond which the stalest sources
// are forgotten.
//
// Not thread-safe: loop thread only. Uses only `clock`'s SteadyNow().
class JoinGuard {
 public:
  // Sources tracked at most (~250 bytes each with the defaults, ~25 MB).
  static constexpr size_t kMaxTrackedSources = 100'000;
  // How long the lockout doubling is remembered after a lockout.
  static constexpr std::chrono::hours kEscalationMemory{24};

  // `clock` must outlive the guard.
  JoinGuard(JoinGuardConfig config,
            const Clock& clock,
            size_t max_tracked_sources = kMaxTrackedSources);
  JoinGuard(const JoinGuard&) = delete;
  JoinGuard& operator=(const JoinGuard&) = delete;

  // Before looking at the code of a Join from `source_key`. In normal mode
  // Check, the code lookup and RecordFailure/RecordSuccess must run in one
  // loop callback, so no second attempt can pass Check in between.
  JoinDecision Check(std::string_view source_key);
  // The code was wrong, expired or used (all alike).
  void RecordFailure(std::string_view source_key);
  // The code was right. Forgives nothing on purpose: anyone with a
  // technician account can make right codes at will, so a success must not
  // buy more guesses.
  void RecordSuccess(std::string_view source_key);
  // Drops state that no longer limits anything and ends the slow lane if
  // its hour has cleared. Also done as a side effect of the calls above;
  // call it from a timer (e.g. each minute) so memory and the slow lane's
  // end do not wait for the next Join.
  void Prune();

  bool slow_lane() const;
  size_t tracked_sources() const { return sources_.size(); }
  // Wrong codes counted within the last hour.
  uint32_t failures_last_hour() const;

 private:
  using TimePoint = Clock::SteadyTime;

  struct Source {
    // Wrong codes within the window, oldest first; cleared by a lockout.
    std::vector<TimePoint> failures;
    TimePoint locked_until{};
    TimePoint last_lockout{};
    uint32_t lockouts = 0;  // lockouts so far, drives the doubling
    TimePoint slow_lane_next{};
    // Where this source sits in lru_.
    std::list<const std::string*>::iterator lru;
  };
  struct Bucket {
    int64_t minute = -1;
    uint32_t failures = 0;
  };
  using SourceMap = std::unordered_map<std::string, Source>;

  Source& Touch(std::string_view source_key, TimePoint now);
  bool Expired(const Source& source, TimePoint now) const;
  void Forget(SourceMap::iterator it);
  void EvictOne(TimePoint now);
  void DropOldFailures(Source& source, TimePoint now) const;
  std::chrono::seconds Lockout(uint32_t lockouts) const;
  int64_t MinuteOf(TimePoint t) const;
  uint32_t FailuresLastHour(TimePoint now) const;
  void UpdateSlowLane(TimePoint now);

  const JoinGuardConfig config_;
  const Clock& clock_;
  const size_t max_sources_;
  SourceMap sources_;
  // Keys of sources_ (node keys never move), most recently touched first.
  std::list<const std::string*> lru_;
  std::array<Bucket, 60> buckets_{};
  bool slow_lane_ = false;
  TimePoint last_eviction_warning_{};
};

}  // namespace tether::relay
