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
    gate = std::make_unique<InputGate>(std::move(injector),
                                       InputGate::FailedFunction{}, max_queued);
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

using desktop::test::PointerPosition;

TEST(InputGateXTest, ThePointerMovesOnlyWithControlAndNeverAfterStop) {
  TETHER_START_DISPLAY_OR_SKIP(display, tether::test::XvfbOptions{});
  auto injector = desktop::InputInjector::Create(display->name());
  ASSERT_TRUE(injector.has_value()) << injector.error().message;
  InputGate gate(std::move(*injector));
  const desktop::DesktopPoint start =
      PointerPosition(display->c(), display->root());

  EXPECT_FALSE(gate.Submit(Move(10, 20)));
  ASSERT_TRUE(gate.WaitIdle(5s));
  EXPECT_EQ(PointerPosition(display->c(), display->root()), start);

  gate.SetControl(true);
  ASSERT_TRUE(gate.Submit(Move(200, 150)));
  ASSERT_TRUE(gate.WaitIdle(5s));
  EXPECT_EQ(PointerPosition(display->c(), display->root()),
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
  const desktop::DesktopPoint at_stop =
      PointerPosition(display->c(), display->root());
  const uint64_t injected_at_stop = gate.injected();
  const uint64_t submitted_at_stop = submitted;
  const auto until = std::chrono::steady_clock::now() + 300ms;
  while (std::chrono::steady_clock::now() < until) {
    EXPECT_EQ(PointerPosition(display->c(), display->root()), at_stop);
    std::this_thread::sleep_for(10ms);
  }
  flooding = false;
  flood.join();
  EXPECT_GT(submitted.load(), submitted_at_stop) << "the flood went on";
  EXPECT_EQ(gate.injected(), injected_at_stop);
  EXPECT_EQ(PointerPosition(display->c(), display->root()), at_stop);
}

// ---- What the technician's input leaves behind, on a real Xvfb --------

proto::InputEvent TextEvent(const std::string& text) {
  proto::InputEvent e;
  e.mutable_text()->set_text(text);
  return e;
}

class InputGateStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string skip;
    display_ = desktop::test::StartDisplay({640, 480, {}}, &skip);
    if (!skip.empty())
      GTEST_SKIP() << skip;
    ASSERT_NE(display_, nullptr);
    xcb_connection_t* c = display_->c();
    window_ = desktop::test::CreateWindow(
        c, display_->x.screen, {0, 0, 640, 480}, 0xffffff, "keys",
        XCB_EVENT_MASK_KEY_PRESS | XCB_EVENT_MASK_BUTTON_PRESS);
    xcb_set_input_focus(c, XCB_INPUT_FOCUS_POINTER_ROOT, window_,
                        XCB_CURRENT_TIME);
    desktop::x11::Sync(c);
    auto injector = desktop::InputInjector::Create(display_->name());
    ASSERT_TRUE(injector.has_value()) << injector.error().message;
    gate_ = std::make_unique<InputGate>(std::move(*injector));
  }

  // Key presses (and button presses) that reached the window so far.
  void CountEvents() {
    xcb_flush(display_->c());
    while (desktop::test::XcbEvent e{xcb_poll_for_event(display_->c())}) {
      const uint8_t type = desktop::test::EventType(e.get());
      keys_ += type == XCB_KEY_PRESS;
      buttons_ += type == XCB_BUTTON_PRESS;
    }
  }
  void WaitForKeys(int n) {
    for (auto until = std::chrono::steady_clock::now() + 5s;
         keys_ < n && std::chrono::steady_clock::now() < until;) {
      CountEvents();
      std::this_thread::yield();
    }
    ASSERT_GE(keys_, n);
  }
  // Everything sent before this reached the window (a round trip), then
  // nothing more arrives for a while.
  int EventsFromNowOn() {
    desktop::x11::Sync(display_->c());
    CountEvents();
    const int before = keys_ + buttons_;
    std::this_thread::sleep_for(300ms);  // a window for late events
    desktop::x11::Sync(display_->c());
    CountEvents();
    return keys_ + buttons_ - before;
  }
  // The pointer's button and modifier mask, and whether any key is down.
  uint16_t PointerMask() {
    xcb_connection_t* c = display_->c();
    desktop::test::XcbReply<xcb_query_pointer_reply_t> reply(
        xcb_query_pointer_reply(c, xcb_query_pointer(c, display_->root()),
                                nullptr));
    return reply ? reply->mask : 0xffff;
  }
  int KeysDown() {
    xcb_connection_t* c = display_->c();
    desktop::test::XcbReply<xcb_query_keymap_reply_t> reply(
        xcb_query_keymap_reply(c, xcb_query_keymap(c), nullptr));
    if (!reply)
      return -1;
    int down = 0;
    for (uint8_t byte : reply->keys)
      down += __builtin_popcount(byte);
    return down;
  }

  std::unique_ptr<desktop::test::TestDisplay> display_;
  xcb_window_t window_ = 0;
  std::unique_ptr<InputGate> gate_;
  int keys_ = 0;
  int buttons_ = 0;
};

// Finding 1 of the outside test: a technician queued ~1 s of typing, then
// a move to where the prompt's Allow button would be and a click, then
// asked for a permission. The prompt must get none of it.
TEST_F(InputGateStateTest, APromptOpeningStopsTypingAndDropsWhatIsQueued) {
  gate_->SetControl(true);
  ASSERT_TRUE(gate_->Submit(TextEvent(std::string(4096, 'a'))));
  ASSERT_TRUE(gate_->Submit(Move(320, 240)));
  ASSERT_TRUE(gate_->Submit(Button(1, true)));
  ASSERT_TRUE(gate_->Submit(Button(1, false)));
  WaitForKeys(20);
  gate_->PromptOpened();
  ASSERT_TRUE(gate_->WaitIdle(5s));
  EXPECT_EQ(EventsFromNowOn(), 0);
  EXPECT_LT(keys_, 4096 / 2) << "typing went on after the prompt opened";
  EXPECT_EQ(buttons_, 0) << "the queued click landed";
  EXPECT_TRUE(gate_->control());  // control stays granted
  EXPECT_EQ(KeysDown(), 0);
}

// Finding 3: revoking control stopped the queue but not the text being
// typed (3,611-3,839 of 4,096 keys still arrived).
TEST_F(InputGateStateTest, RevokingControlStopsTypingAtTheNextKey) {
  gate_->SetControl(true);
  ASSERT_TRUE(gate_->Submit(TextEvent(std::string(4096, 'b'))));
  WaitForKeys(20);
  gate_->SetControl(false);
  ASSERT_TRUE(gate_->WaitIdle(5s));
  EXPECT_EQ(EventsFromNowOn(), 0);
  EXPECT_LT(keys_, 4096 / 2) << "typing went on after control was revoked";
  EXPECT_EQ(KeysDown(), 0);
  // Control given again works as before.
  gate_->SetControl(true);
  ASSERT_TRUE(gate_->Submit(TextEvent("c")));
  ASSERT_TRUE(gate_->WaitIdle(5s));
  const int before = keys_;
  WaitForKeys(before + 1);
}

// Finding 2: STOP with Ctrl, Alt and button 1 held left them down on the
// customer's X server after the app had gone (pointer mask 0x10c).
TEST_F(InputGateStateTest, StopReleasesWhatTheTechnicianHeldDown) {
  gate_->SetControl(true);
  ASSERT_TRUE(gate_->Submit(KeyEvent(0xffe3, true)));  // Control_L
  ASSERT_TRUE(gate_->Submit(KeyEvent(0xffe9, true)));  // Alt_L
  ASSERT_TRUE(gate_->Submit(Button(1, true)));
  ASSERT_TRUE(gate_->WaitIdle(5s));
  ASSERT_NE(PointerMask() & (XCB_KEY_BUT_MASK_CONTROL | XCB_KEY_BUT_MASK_MOD_1 |
                             XCB_KEY_BUT_MASK_BUTTON_1),
            0);
  gate_->Stop();
  // When Stop() returns, nothing Tether pressed is down any more.
  EXPECT_EQ(PointerMask() & 0x1fff, 0);
  EXPECT_EQ(KeysDown(), 0);
}

// Finding 2, without any intent: STOP in the middle of typed capitals (the
// injector presses Shift around each one) left Shift down in 2-3 of 15.
TEST_F(InputGateStateTest, StopDuringTypedCapitalsLeavesNoShiftDown) {
  for (int round = 0; round < 10; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    if (round > 0) {
      auto injector = desktop::InputInjector::Create(display_->name());
      ASSERT_TRUE(injector.has_value());
      gate_ = std::make_unique<InputGate>(std::move(*injector));
      keys_ = 0;
    }
    gate_->SetControl(true);
    ASSERT_TRUE(gate_->Submit(TextEvent(std::string(2000, 'Q'))));
    WaitForKeys(10 + 3 * round);
    gate_->Stop();
    EXPECT_EQ(KeysDown(), 0);
    EXPECT_EQ(PointerMask() & 0x1fff, 0);
  }
}

}  // namespace
}  // namespace tether::customer
