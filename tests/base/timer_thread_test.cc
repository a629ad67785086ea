#include "base/timer_thread.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/support/call_counter.h"

namespace tether {
namespace {

using namespace std::chrono_literals;

using Calls = test::CallCounter;

TEST(TimerThreadTest, OnceCallsOnceAfterTheDelay) {
  Calls calls;
  TimerThread timer;
  const auto start = std::chrono::steady_clock::now();
  timer.StartOnce(20ms, [&] { calls.Add(); });
  ASSERT_TRUE(calls.WaitFor(1));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 20ms);
  timer.Stop();  // the thread has ended: a second call is impossible
  EXPECT_EQ(calls.count(), 1);
}

TEST(TimerThreadTest, StopBeforeTheDelayMeansNoCallAndNoWait) {
  Calls calls;
  TimerThread timer;
  timer.StartOnce(1h, [&] { calls.Add(); });
  const auto start = std::chrono::steady_clock::now();
  timer.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
  EXPECT_EQ(calls.count(), 0);
}

TEST(TimerThreadTest, RepeatingGoesOnUntilStopped) {
  Calls calls;
  TimerThread timer;
  timer.StartRepeating(1ms, [&] { calls.Add(); });
  ASSERT_TRUE(calls.WaitFor(3));
  timer.Stop();
  timer.Stop();  // idempotent
}

TEST(TimerThreadTest, StopWaitsForACallInProgress) {
  std::atomic<bool> entered{false};
  std::atomic<bool> finished{false};
  TimerThread timer;
  timer.StartOnce(0ms, [&] {
    entered = true;
    std::this_thread::sleep_for(50ms);
    finished = true;
  });
  for (int i = 0; i < 5000 && !entered; ++i)
    std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(entered);
  timer.Stop();
  EXPECT_TRUE(finished) << "Stop() returned while the call was running";
}

TEST(TimerThreadTest, StartingAgainReplacesThePendingCall) {
  Calls first, second;
  TimerThread timer;
  timer.StartOnce(1h, [&] { first.Add(); });
  timer.StartOnce(1ms, [&] { second.Add(); });
  ASSERT_TRUE(second.WaitFor(1));
  timer.Stop();
  EXPECT_EQ(first.count(), 0);
}

}  // namespace
}  // namespace tether
