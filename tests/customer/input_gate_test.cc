// The input gate: the only way from the technician's InputEvents to the
// desktop. A recording fake for the rules, then real XTest injection on a
// private Xvfb for the emergency stop.

#include "customer-app/core/input_gate.h"

#include <gtest/gtest.h>
#include <xcb/xcb.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/desktop/x11_test_util.h"
#include "tests/fakes/recording_injector.h"

namespace tether::customer {
namespace {

using namespace std::chrono_literals;
using test::RecordingInjector;

proto::InputEvent Move(int x, int y) {
  proto::InputEvent e;
  e.mutable_mouse_move()->set_x(x);
  e.mutable_mouse_move()->set_y(y);
  return e;
}

proto::InputEvent Button(int button, bool pressed) {
  proto::InputEvent e;
  e.mutable_mouse_button()->set_button(static_cast<uint32_t>(button));
  e.mutable_mouse_button()->set_pressed(pressed);
  return e;
}

proto::InputEvent KeyEvent(uint32_t keysym, bool pressed) {
  proto::InputEvent e;
  e.mutable_key()->set_keysym(keysym);
  e.mutable_key()->set_pressed(pressed);
  return e;
}

struct Gate {
  explicit Gate(std::chrono::microseconds delay = {}, size_t max_queued = 256) {
    auto injector = std::make_unique<RecordingInjector>(delay);
    fake = injector.get();
    gate = std::make_unique<InputGate>(std::move(injector), max_queued);
  }
  RecordingInjector* fake;
  std::unique_ptr<InputGate> gate;
};

TEST(InputGateTest, NothingReachesTheInjectorWithoutControl) {
  Gate g;
  for (int i = 0; i < 100; ++i)
    EXPECT_FALSE(g.gate->Submit(Move(i, i)));
  ASSERT_TRUE(g.gate->WaitIdle(5s));
  EXPECT_EQ(g.fake->count(), 0u);
  EXPECT_EQ(g.gate->dropped(), 100u);
}

TEST(InputGateTest, WithControlEventsArriveInOrder) {
  Gate g;
  g.gate->SetControl(true);
  for (int i = 0; i < 50; ++i)
    EXPECT_TRUE(g.gate->Submit(Move(i, 2 * i)));
  ASSERT_TRUE(g.gate->WaitIdle(5s));
  const auto events = g.fake->events();
  ASSERT_EQ(events.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(events[i].kind, RecordingInjector::Event::Kind::kMove);
    EXPECT_EQ(events[i].a, i);
    EXPECT_EQ(events[i].b, 2 * i);
  }
  EXPECT_EQ(g.gate->injected(), 50u);
}

TEST(InputGateTest, TakingControlBackDropsTheQueueAndReleasesWhatIsHeld) {
  Gate g;
  g.gate->SetControl(true);
  ASSERT_TRUE(g.gate->Submit(Button(1, true)));
  ASSERT_TRUE(g.gate->Submit(KeyEvent(0xffe1, true)));
  ASSERT_TRUE(g.gate->WaitIdle(5s));
  g.gate->SetControl(false);
  EXPECT_FALSE(g.gate->Submit(Move(5, 5)));
  ASSERT_TRUE(g.gate->WaitIdle(5s));
  const auto events = g.fake->events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[2].kind, RecordingInjector::Event::Kind::kButton);
  EXPECT_EQ(events[2].b, 0);  // released
  EXPECT_EQ(events[3].kind, RecordingInjector::Event::Kind::kKey);
  EXPECT_EQ(events[3].b, 0);
}

TEST(InputGateTest, ABoundedQueueDropsWhenTheDesktopIsSlower) {
  Gate g(2ms, /*max_queued=*/8);
  g.gate->SetControl(true);
  int accepted = 0;
  for (int i = 0; i < 1000; ++i)
    accepted += g.gate->Submit(Move(i, i)) ? 1 : 0;
  EXPECT_LT(accepted, 100);
  EXPECT_EQ(g.gate->dropped(), static_cast<uint64_t>(1000 - accepted));
  ASSERT_TRUE(g.gate->WaitIdle(10s));
  EXPECT_EQ(g.fake->count(), static_cast<size_t>(accepted));
}

TEST(InputGateTest, NothingIsInjectedAfterStopReturnsEvenUnderAFlood) {
  Gate g(200us);
  g.gate->SetControl(true);
  std::atomic<bool> flooding{true};
  std::thread flood([&] {
    for (int i = 0; flooding; ++i)
      g.gate->Submit(Move(i % 500, i % 300));
  });
  while (g.fake->count() < 20)
    std::this_thread::yield();
  g.gate->Stop();
  const size_t at_stop = g.fake->count();
  // Keep flooding for a while: nothing more may arrive.
  const auto until = std::chrono::steady_clock::now() + 200ms;
  while (std::chrono::steady_clock::now() < until)
    g.gate->Submit(Move(1, 1));
  flooding = false;
  flood.join();
  g.gate->SetControl(true);  // no way back after STOP
  EXPECT_FALSE(g.gate->Submit(Move(2, 2)));
  EXPECT_TRUE(g.gate->stopped());
  EXPECT_EQ(g.fake->count(), at_stop);
}

// ---- Real XTest on a private Xvfb
// ------------------------------------------------

desktop::DesktopPoint Pointer(xcb_connection_t* c, xcb_window_t root) {
  desktop::test::XcbReply<xcb_query_pointer_reply_t> reply(
      xcb_query_pointer_reply(c, xcb_query_pointer(c, root), nullptr));
  EXPECT_NE(reply, nullptr);
  return reply ? desktop::DesktopPoint{reply->root_x, reply->root_y}
               : desktop::DesktopPoint{-1, -1};
}

TEST(InputGateXTest, ThePointerMovesOnlyWithControlAndNeverAfterStop) {
  TETHER_START_DISPLAY_OR_SKIP(display, tether::test::XvfbOptions{});
  auto injector = desktop::InputInjector::Create(display->name());
  ASSERT_TRUE(injector.has_value()) << injector.error().message;
  InputGate gate(std::move(*injector));
  const desktop::DesktopPoint start = Pointer(display->c(), display->root());

  EXPECT_FALSE(gate.Submit(Move(10, 20)));
  ASSERT_TRUE(gate.WaitIdle(5s));
  EXPECT_EQ(Pointer(display->c(), display->root()), start);

  gate.SetControl(true);
  ASSERT_TRUE(gate.Submit(Move(200, 150)));
  ASSERT_TRUE(gate.WaitIdle(5s));
  EXPECT_EQ(Pointer(display->c(), display->root()),
            (desktop::DesktopPoint{200, 150}));

  std::atomic<bool> flooding{true};
  std::atomic<uint64_t> submitted{0};
  std::thread flood([&] {
    for (int i = 0; flooding; ++i) {
      gate.Submit(Move(300 + i % 400, 300 + (i * 7) % 300));
      ++submitted;
    }
  });
  while (gate.injected() < 50)
    std::this_thread::yield();
  gate.Stop();
  const desktop::DesktopPoint at_stop = Pointer(display->c(), display->root());
  const uint64_t injected_at_stop = gate.injected();
  const uint64_t submitted_at_stop = submitted;
  const auto until = std::chrono::steady_clock::now() + 300ms;
  while (std::chrono::steady_clock::now() < until) {
    EXPECT_EQ(Pointer(display->c(), display->root()), at_stop);
    std::this_thread::sleep_for(10ms);
  }
  flooding = false;
  flood.join();
  EXPECT_GT(submitted.load(), submitted_at_stop) << "the flood went on";
  EXPECT_EQ(gate.injected(), injected_at_stop);
  EXPECT_EQ(Pointer(display->c(), display->root()), at_stop);
}

}  // namespace
}  // namespace tether::customer
