#include "relay/limits/login_throttle.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>

namespace tether::relay {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

TEST(LoginThrottleTest, NoDelayBeforeFiveFailures) {
  const LoginThrottleConfig config;
  for (uint32_t n = 0; n < 5; ++n) {
    EXPECT_EQ(DelayAfterFailures(n, config), seconds(0)) << n;
  }
}

TEST(LoginThrottleTest, DelayDoublesFrom15SecondsTo15Minutes) {
  const LoginThrottleConfig config;
  EXPECT_EQ(DelayAfterFailures(5, config), seconds(15));
  EXPECT_EQ(DelayAfterFailures(6, config), seconds(30));
  EXPECT_EQ(DelayAfterFailures(7, config), minutes(1));
  EXPECT_EQ(DelayAfterFailures(8, config), minutes(2));
  EXPECT_EQ(DelayAfterFailures(9, config), minutes(4));
  EXPECT_EQ(DelayAfterFailures(10, config), minutes(8));
  EXPECT_EQ(DelayAfterFailures(11, config), minutes(15));
  EXPECT_EQ(DelayAfterFailures(19, config), minutes(15));
}

TEST(LoginThrottleTest, DelayNeverExceedsMaxThrottle) {
  const LoginThrottleConfig config;
  EXPECT_EQ(DelayAfterFailures(std::numeric_limits<uint32_t>::max(), config),
            minutes(15));
  EXPECT_EQ(DelayAfterFailures(100, config), minutes(15));
}

TEST(LoginThrottleTest, LocksAtTwentyFailuresInARow) {
  const LoginThrottleConfig config;
  EXPECT_FALSE(ShouldLock(0, config));
  EXPECT_FALSE(ShouldLock(19, config));
  EXPECT_TRUE(ShouldLock(20, config));
  EXPECT_TRUE(ShouldLock(21, config));
}

TEST(LoginThrottleTest, FollowsConfiguredThresholds) {
  LoginThrottleConfig config;
  config.throttle_after_failures = 2;
  config.max_throttle = seconds(20);
  config.lock_after_failures = 3;
  EXPECT_EQ(DelayAfterFailures(1, config), seconds(0));
  EXPECT_EQ(DelayAfterFailures(2, config), seconds(15));
  EXPECT_EQ(DelayAfterFailures(3, config), seconds(20));
  EXPECT_FALSE(ShouldLock(2, config));
  EXPECT_TRUE(ShouldLock(3, config));
}

TEST(LoginThrottleTest, MaxThrottleBelowFirstStepCapsIt) {
  LoginThrottleConfig config;
  config.max_throttle = seconds(5);
  EXPECT_EQ(DelayAfterFailures(5, config), seconds(5));
}

using Verdict = LoginClaim::Verdict;

TEST(LoginClaimTest, EachClaimCountsAFailureUntilTheFifthStartsTheWait) {
  const LoginThrottleConfig config;
  const Clock::WallTime now{std::chrono::hours(1000)};
  LoginFailures failures;
  // Claims that run at once: none has finished, yet each is counted.
  for (uint32_t n = 1; n <= 4; ++n) {
    const LoginClaim claim = ClaimLoginAttempt(failures, now, config);
    EXPECT_EQ(claim.verdict, Verdict::kCheck);
    EXPECT_EQ(claim.wait, seconds(0));
    EXPECT_EQ(failures.consecutive, n);
  }
  const LoginClaim fifth = ClaimLoginAttempt(failures, now, config);
  EXPECT_EQ(fifth.verdict, Verdict::kCheck);
  EXPECT_EQ(fifth.wait, seconds(15));  // what its failure costs
  const LoginClaim sixth = ClaimLoginAttempt(failures, now, config);
  EXPECT_EQ(sixth.verdict, Verdict::kThrottled);
  EXPECT_EQ(sixth.wait, seconds(16));  // rounded up: never early
  EXPECT_EQ(failures.consecutive, 5u);
  EXPECT_EQ(ClaimLoginAttempt(failures, now + seconds(15), config).verdict,
            Verdict::kCheck);
}

TEST(LoginClaimTest, TheClaimThatReachesTheLimitLocks) {
  LoginThrottleConfig config;
  config.throttle_after_failures = 100;
  config.lock_after_failures = 3;
  const Clock::WallTime now{};
  LoginFailures failures;
  EXPECT_FALSE(ClaimLoginAttempt(failures, now, config).locks);
  EXPECT_FALSE(ClaimLoginAttempt(failures, now, config).locks);
  EXPECT_TRUE(ClaimLoginAttempt(failures, now, config).locks);
  EXPECT_TRUE(failures.locked);
  EXPECT_EQ(ClaimLoginAttempt(failures, now, config).verdict, Verdict::kLocked);
}

TEST(LoginClaimTest, ReleaseTakesBackTheCountAndWhatItBrought) {
  LoginThrottleConfig config;
  config.lock_after_failures = 5;
  const Clock::WallTime now{};
  LoginFailures failures;
  for (int i = 0; i < 5; ++i)
    ClaimLoginAttempt(failures, now, config);
  ASSERT_TRUE(failures.locked);
  ReleaseLoginAttempt(failures, config);
  EXPECT_EQ(failures.consecutive, 4u);
  EXPECT_FALSE(failures.locked);
  EXPECT_FALSE(failures.wait_until.has_value());
  LoginFailures none;
  ReleaseLoginAttempt(none, config);
  EXPECT_EQ(none.consecutive, 0u);
}

TEST(UnknownNameFailuresTest, NamesAreThrottledAsAccountsAreCaseInsensitively) {
  const LoginThrottleConfig config;
  const Clock::WallTime now{};
  UnknownNameFailures names;
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(names.Claim(i % 2 ? "Ghost" : "ghost", now, config).verdict,
              Verdict::kCheck);
  EXPECT_EQ(names.Claim("GHOST", now, config).verdict, Verdict::kThrottled);
  EXPECT_EQ(names.Claim("other", now, config).verdict, Verdict::kCheck);
  EXPECT_EQ(names.size(), 2u);
}

TEST(UnknownNameFailuresTest, StaysBoundedKeepingNamesThatStillWait) {
  LoginThrottleConfig config;
  config.throttle_after_failures = 1;
  const Clock::WallTime now{};
  UnknownNameFailures names;
  names.Claim("waiting", now, config);  // its one failure starts a wait
  for (size_t i = 0; i < UnknownNameFailures::kMaxNames + 10; ++i)
    names.Claim("n" + std::to_string(i), now + minutes(20), config);
  EXPECT_LE(names.size(), UnknownNameFailures::kMaxNames);
}

}  // namespace
}  // namespace tether::relay
