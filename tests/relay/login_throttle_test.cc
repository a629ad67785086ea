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

}  // namespace
}  // namespace tether::relay
