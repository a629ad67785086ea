#include "base/sliced_task_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/fakes/manual_clock.h"

namespace tether {
namespace {

using namespace std::chrono_literals;

// A one-thread "event loop": scheduled drains and the thread's own events
// (a click) in the order they were queued, as Qt runs them.
struct Loop {
  std::vector<std::function<void()>> events;
  void RunOne() {
    auto event = std::move(events.front());
    events.erase(events.begin());
    event();
  }
};

TEST(SlicedTaskQueueTest, TasksRunInOrderAndOneDrainIsScheduledAtATime) {
  Loop loop;
  test::ManualClock clock;
  SlicedTaskQueue queue(
      [&](std::function<void()> drain) { loop.events.push_back(drain); }, 10ms,
      clock);
  std::vector<int> ran;
  for (int i = 0; i < 5; ++i)
    queue.Post([&ran, i] { ran.push_back(i); });
  ASSERT_EQ(loop.events.size(), 1u);  // not one event per task
  loop.RunOne();
  EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(loop.events.empty());
  queue.Post([&] { ran.push_back(5); });
  EXPECT_EQ(loop.events.size(), 1u);
}

// The outside test's finding: 400 chats queued in front of STOP kept it
// waiting 21 s. Here every task costs 1 ms and a click comes in behind
// 10,000 of them: it runs after one slice, not after the flood.
TEST(SlicedTaskQueueTest, TheThreadsOwnEventGetsInAfterOneSliceOfAFlood) {
  Loop loop;
  test::ManualClock clock;
  SlicedTaskQueue queue(
      [&](std::function<void()> drain) { loop.events.push_back(drain); }, 10ms,
      clock);
  int ran = 0;
  for (int i = 0; i < 10000; ++i) {
    queue.Post([&] {
      clock.Advance(1ms);
      ++ran;
    });
  }
  bool clicked = false;
  int ran_before_click = -1;
  loop.events.push_back([&] {
    clicked = true;
    ran_before_click = ran;
  });
  while (!loop.events.empty())
    loop.RunOne();
  EXPECT_TRUE(clicked);
  EXPECT_EQ(ran_before_click, 10);  // one slice
  EXPECT_EQ(ran, 10000);            // and nothing was lost
  EXPECT_EQ(queue.pending(), 0u);
}

TEST(SlicedTaskQueueTest, PostsFromOtherThreadsAllRun) {
  std::mutex mutex;
  std::vector<std::function<void()>> drains;
  SlicedTaskQueue queue(
      [&](std::function<void()> drain) {
        std::lock_guard lock(mutex);
        drains.push_back(std::move(drain));
      },
      1ms);
  std::atomic<int> ran{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i)
        queue.Post([&] { ++ran; });
    });
  }
  for (auto& thread : threads)
    thread.join();
  while (true) {
    std::function<void()> drain;
    {
      std::lock_guard lock(mutex);
      if (drains.empty())
        break;
      drain = std::move(drains.front());
      drains.erase(drains.begin());
    }
    drain();
  }
  EXPECT_EQ(ran.load(), 4000);
}

}  // namespace
}  // namespace tether
