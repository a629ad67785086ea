#include "relay/limits/join_guard.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>

#include "tests/fakes/manual_clock.h"

namespace tether::relay {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using Action = JoinDecision::Action;

const JoinDecision kAllow{Action::kAllow, seconds(0)};

JoinDecision Refuse(seconds wait) {
  return {Action::kRefuse, wait};
}

// "10.0.<i / 256>.<i % 256>/32": a distinct source per i.
std::string Ipv4Source(int i) {
  return *SourceKey("10." + std::to_string((i >> 16) & 255) + "." +
                    std::to_string((i >> 8) & 255) + "." +
                    std::to_string(i & 255));
}

class JoinGuardTest : public ::testing::Test {
 protected:
  // Records `n` failures for `source`, each checked first as the broker
  // does.
  void Fail(JoinGuard& guard, const std::string& source, int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_NE(guard.Check(source).action, Action::kRefuse) << i;
      guard.RecordFailure(source);
    }
  }

  tether::test::ManualClock clock_;
  JoinGuardConfig config_;
};

TEST(SourceKeyTest, Ipv4IsItsOwnSlash32) {
  EXPECT_EQ(*SourceKey("192.0.2.7"), "192.0.2.7/32");
}

TEST(SourceKeyTest, Ipv6IsItsSlash64) {
  EXPECT_EQ(*SourceKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"),
            "2001:db8:1:2::/64");
  EXPECT_EQ(*SourceKey("::1"), "::/64");
}

TEST(SourceKeyTest, MappedIpv4IsTreatedAsIpv4) {
  EXPECT_EQ(*SourceKey("::ffff:192.0.2.7"), "192.0.2.7/32");
}

TEST(SourceKeyTest, RefusesWhatIsNotAnAddress) {
  EXPECT_FALSE(SourceKey("").has_value());
  EXPECT_FALSE(SourceKey("example.com").has_value());
  EXPECT_FALSE(SourceKey("192.0.2.7:8443").has_value());
  EXPECT_FALSE(SourceKey("[::1]").has_value());
  EXPECT_FALSE(SourceKey("fe80::1%eth0").has_value());
  EXPECT_FALSE(SourceKey(std::string("192.0.2.7\0junk", 14)).has_value());
  EXPECT_FALSE(SourceKey(std::string(1000, '1')).has_value());
}

TEST_F(JoinGuardTest, FourFailuresStillAllowed) {
  JoinGuard guard(config_, clock_);
  Fail(guard, "192.0.2.1/32", 4);
  EXPECT_EQ(guard.Check("192.0.2.1/32"), kAllow);
}

TEST_F(JoinGuardTest, FiveFailuresLockOutForOneMinute) {
  JoinGuard guard(config_, clock_);
  Fail(guard, "192.0.2.1/32", 5);
  EXPECT_EQ(guard.Check("192.0.2.1/32"), Refuse(seconds(60)));
  clock_.Advance(seconds(59));
  EXPECT_EQ(guard.Check("192.0.2.1/32"), Refuse(seconds(1)));
  clock_.Advance(seconds(1));
  EXPECT_EQ(guard.Check("192.0.2.1/32"), kAllow);
}

TEST_F(JoinGuardTest, RetryAfterRoundsUp) {
  JoinGuard guard(config_, clock_);
  Fail(guard, "192.0.2.1/32", 5);
  clock_.Advance(std::chrono::milliseconds(59'500));
  EXPECT_EQ(guard.Check("192.0.2.1/32"), Refuse(seconds(1)));
}

TEST_F(JoinGuardTest, LockoutsDoubleUpToSixtyMinutes) {
  JoinGuard guard(config_, clock_);
  for (int minutes_locked : {1, 2, 4, 8, 16, 32, 60, 60}) {
    Fail(guard, "192.0.2.1/32", 5);
    EXPECT_EQ(guard.Check("192.0.2.1/32"), Refuse(minutes(minutes_locked)));
    clock_.Advance(minutes(minutes_locked));
  }
}

TEST_F(JoinGuardTest, DoublingIsRememberedForADay) {
  JoinGuard guard(config_, clock_);
  Fail(guard, "192.0.2.1/32", 5);
  clock_.Advance(hours(23));
  guard.Prune();
  Fail(guard, "192.0.2.1/32", 5);
  EXPECT_EQ(guard.Check("192.0.2.1/32"), Refuse(minutes(2)));
  clock_.Advance(minutes(2) + hours(24));
  Fail(guard, "192.0.2.1/32", 5);
  EXPECT_EQ(guard.Check("192.0.2.1/32"), Refuse(minutes(1)));
}

TEST_F(JoinGuardTest, FailuresOutsideTheWindowAreForgotten) {
  JoinGuard guard(config_, clock_);
  Fail(guard, "192.0.2.1/32", 4);
  clock_.Advance(minutes(15));
  Fail(guard, "192.0.2.1/32", 4);
  EXPECT_EQ(guard.Check("192.0.2.1/32"), kAllow);
  guard.RecordFailure("192.0.2.1/32");
  EXPECT_EQ(guard.Check("192.0.2.1/32").action, Action::kRefuse);
}

TEST_F(JoinGuardTest, SuccessForgivesNoFailures) {
  JoinGuard guard(config_, clock_);
  Fail(guard, "192.0.2.1/32", 4);
  guard.RecordSuccess("192.0.2.1/32");
  guard.RecordFailure("192.0.2.1/32");
  EXPECT_EQ(guard.Check("192.0.2.1/32"), Refuse(minutes(1)));
}

TEST_F(JoinGuardTest, OneSourcesLockoutLeavesOthersAlone) {
  JoinGuard guard(config_, clock_);
  Fail(guard, "192.0.2.1/32", 5);
  EXPECT_EQ(guard.Check("192.0.2.2/32"), kAllow);
}

TEST_F(JoinGuardTest, Ipv6AddressesInOneSlash64ShareABudget) {
  JoinGuard guard(config_, clock_);
  for (const char* address :
       {"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3",
        "2001:db8:1:2:1:2:3:4", "2001:db8:1:2:abcd::5"}) {
    Fail(guard, *SourceKey(address), 1);
  }
  EXPECT_EQ(guard.Check(*SourceKey("2001:db8:1:2:9::9")).action,
            Action::kRefuse);
  EXPECT_EQ(guard.Check(*SourceKey("2001:db8:1:3::1")), kAllow);
}

TEST_F(JoinGuardTest, MappedIpv4SharesTheBudgetOfIpv4) {
  JoinGuard guard(config_, clock_);
  Fail(guard, *SourceKey("192.0.2.9"), 3);
  Fail(guard, *SourceKey("::ffff:192.0.2.9"), 2);
  EXPECT_EQ(guard.Check(*SourceKey("192.0.2.9")).action, Action::kRefuse);
}

TEST_F(JoinGuardTest, SlowLaneStartsAt200FailuresWithinAnHour) {
  JoinGuard guard(config_, clock_);
  // 199 failures spread over 50 minutes and many sources, none locked.
  for (int i = 0; i < 199; ++i) {
    Fail(guard, Ipv4Source(i), 1);
    if (i % 4 == 0)
      clock_.Advance(minutes(1));
  }
  EXPECT_FALSE(guard.slow_lane());
  EXPECT_EQ(guard.Check(Ipv4Source(1000)), kAllow);
  Fail(guard, Ipv4Source(199), 1);
  EXPECT_TRUE(guard.slow_lane());
  EXPECT_EQ(guard.failures_last_hour(), 200u);
}

TEST_F(JoinGuardTest, SlowLaneDelaysEveryJoinThreeSeconds) {
  JoinGuard guard(config_, clock_);
  for (int i = 0; i < 200; ++i)
    Fail(guard, Ipv4Source(i), 1);
  EXPECT_EQ(guard.Check(Ipv4Source(5000)),
            (JoinDecision{Action::kDelay, seconds(3)}));
}

TEST_F(JoinGuardTest, SlowLaneAllowsOneAttemptPerSourcePerFiveMinutes) {
  JoinGuard guard(config_, clock_);
  for (int i = 0; i < 200; ++i)
    Fail(guard, Ipv4Source(i), 1);
  const std::string source = Ipv4Source(5000);
  EXPECT_EQ(guard.Check(source).action, Action::kDelay);
  // Counted at Check: a second attempt during the delay is refused too.
  EXPECT_EQ(guard.Check(source), Refuse(minutes(5)));
  clock_.Advance(minutes(4));
  EXPECT_EQ(guard.Check(source), Refuse(minutes(1)));
  clock_.Advance(minutes(1));
  EXPECT_EQ(guard.Check(source).action, Action::kDelay);
  EXPECT_EQ(guard.Check(Ipv4Source(5001)).action, Action::kDelay);
}

TEST_F(JoinGuardTest, LockoutStillAppliesInTheSlowLane) {
  JoinGuard guard(config_, clock_);
  Fail(guard, "192.0.2.1/32", 5);
  for (int i = 0; i < 195; ++i)
    Fail(guard, Ipv4Source(i), 1);
  ASSERT_TRUE(guard.slow_lane());
  EXPECT_EQ(guard.Check("192.0.2.1/32"), Refuse(minutes(1)));
}

TEST_F(JoinGuardTest, SlowLaneEndsWhenTheHourClears) {
  JoinGuard guard(config_, clock_);
  for (int i = 0; i < 200; ++i)
    Fail(guard, Ipv4Source(i), 1);
  ASSERT_TRUE(guard.slow_lane());
  clock_.Advance(minutes(59));
  EXPECT_TRUE(guard.slow_lane());
  clock_.Advance(minutes(1));
  EXPECT_FALSE(guard.slow_lane());
  EXPECT_EQ(guard.Check(Ipv4Source(7000)), kAllow);
}

TEST_F(JoinGuardTest, LogsAWarningWhenTheSlowLaneStartsAndEnds) {
  std::ostringstream logged;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_st>(logged)));
  {
    JoinGuard guard(config_, clock_);
    for (int i = 0; i < 200; ++i)
      Fail(guard, Ipv4Source(i), 1);
    clock_.Advance(hours(1));
    guard.Prune();
  }
  spdlog::set_default_logger(previous);
  const std::string text = logged.str();
  EXPECT_NE(text.find("[warning] join guard: 200 wrong session codes within "
                      "the last hour; slow lane on"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("slow lane off"), std::string::npos) << text;
}

TEST_F(JoinGuardTest, TrackedSourcesStayUnderTheCap) {
  JoinGuard guard(config_, clock_);
  for (int i = 0; i < 200'000; ++i) {
    guard.RecordFailure(Ipv4Source(i));
    ASSERT_LE(guard.tracked_sources(), JoinGuard::kMaxTrackedSources);
  }
  EXPECT_EQ(guard.tracked_sources(), JoinGuard::kMaxTrackedSources);
}

TEST_F(JoinGuardTest, PruneForgetsSourcesThatLimitNothing) {
  JoinGuard guard(config_, clock_);
  for (int i = 0; i < 100; ++i)
    Fail(guard, Ipv4Source(i), 1);
  Fail(guard, "192.0.2.1/32", 5);
  EXPECT_EQ(guard.tracked_sources(), 101u);
  clock_.Advance(minutes(15));
  guard.Prune();
  // The locked-out source keeps its doubling for a day.
  EXPECT_EQ(guard.tracked_sources(), 1u);
  clock_.Advance(hours(24));
  guard.Prune();
  EXPECT_EQ(guard.tracked_sources(), 0u);
}

TEST_F(JoinGuardTest, FullTableEvictsForgettableSourcesBeforeLimitedOnes) {
  JoinGuard guard(config_, clock_, /*max_tracked_sources=*/3);
  Fail(guard, "192.0.2.1/32", 5);  // locked out: the doubling must survive
  Fail(guard, "192.0.2.2/32", 1);
  Fail(guard, "192.0.2.3/32", 1);
  clock_.Advance(minutes(15));
  // .1 is the stalest, but only .2 and .3 no longer limit anything.
  Fail(guard, "192.0.2.4/32", 1);
  Fail(guard, "192.0.2.5/32", 1);
  EXPECT_EQ(guard.tracked_sources(), 3u);
  Fail(guard, "192.0.2.1/32", 5);
  EXPECT_EQ(guard.Check("192.0.2.1/32"), Refuse(minutes(2)));
}

TEST_F(JoinGuardTest, FullTableEvictsTheStalestWhenAllAreLimited) {
  JoinGuard guard(config_, clock_, /*max_tracked_sources=*/2);
  Fail(guard, "192.0.2.1/32", 1);
  Fail(guard, "192.0.2.2/32", 1);
  Fail(guard, "192.0.2.3/32", 1);
  EXPECT_EQ(guard.tracked_sources(), 2u);
  // .1 was forgotten: four more failures do not lock it.
  Fail(guard, "192.0.2.1/32", 4);
  EXPECT_EQ(guard.Check("192.0.2.1/32"), kAllow);
}

TEST_F(JoinGuardTest, FollowsConfiguredLimits) {
  config_.failures_per_source = 2;
  config_.lockout_initial = seconds(10);
  config_.lockout_max = seconds(15);
  config_.global_failures_per_hour = 10;
  config_.slow_lane_delay = seconds(1);
  JoinGuard guard(config_, clock_);
  Fail(guard, "192.0.2.1/32", 2);
  EXPECT_EQ(guard.Check("192.0.2.1/32"), Refuse(seconds(10)));
  clock_.Advance(seconds(10));
  Fail(guard, "192.0.2.1/32", 2);
  EXPECT_EQ(guard.Check("192.0.2.1/32"), Refuse(seconds(15)));
  for (int i = 0; i < 6; ++i)
    Fail(guard, Ipv4Source(i), 1);
  EXPECT_EQ(guard.Check(Ipv4Source(99)),
            (JoinDecision{Action::kDelay, seconds(1)}));
}

}  // namespace
}  // namespace tether::relay
