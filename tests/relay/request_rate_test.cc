#include "relay/limits/request_rate.h"

#include <gtest/gtest.h>

#include "tests/fakes/manual_clock.h"

namespace tether::relay {
namespace {

using namespace std::chrono_literals;

TEST(RequestRateTest, ASourceGetsItsBurstThenItsRate) {
  tether::test::ManualClock clock;
  RequestRate rate(10, 20, 100, clock);
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(rate.Allow("10.0.0.1")) << i;
  EXPECT_FALSE(rate.Allow("10.0.0.1"));
  EXPECT_TRUE(rate.Allow("10.0.0.2"));  // others are not slowed
  clock.Advance(500ms);                 // 5 more tokens
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(rate.Allow("10.0.0.1")) << i;
  EXPECT_FALSE(rate.Allow("10.0.0.1"));
}

TEST(RequestRateTest, ManySourcesTogetherShareOneBucketOnceTheTableIsFull) {
  tether::test::ManualClock clock;
  RequestRate rate(10, 5, 3, clock);
  for (int s = 0; s < 3; ++s)
    ASSERT_TRUE(rate.Allow("10.0.0." + std::to_string(s)));
  // The table is full and none of its sources is idle: newcomers share.
  int allowed = 0;
  for (int s = 10; s < 100; ++s)
    allowed += rate.Allow("10.0.1." + std::to_string(s)) ? 1 : 0;
  EXPECT_EQ(allowed, 5);
  EXPECT_LE(rate.sources(), 3u);
  // Idle sources are forgotten, and make room.
  clock.Advance(10s);
  EXPECT_TRUE(rate.Allow("10.0.2.1"));
}

}  // namespace
}  // namespace tether::relay
