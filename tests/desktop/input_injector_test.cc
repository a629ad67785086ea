#include "desktop/input/input_injector.h"

#include <X11/keysym.h>
#include <gtest/gtest.h>
#include <xcb/xtest.h>

#include <string>
#include <thread>
#include <vector>

#include "tests/desktop/x11_test_util.h"

namespace tether::desktop {
namespace {

using test::EventType;
using test::TestDisplay;
using test::XcbEvent;

TEST(TextKeysymsTest, MapsCodepointsToKeysyms) {
  EXPECT_EQ(CodepointToKeysym(U'A'), 0x41u);
  EXPECT_EQ(CodepointToKeysym(U'ö'), 0xf6u);  // Latin-1 directly
  EXPECT_EQ(CodepointToKeysym(U'€'), 0x010020acu);
  EXPECT_EQ(CodepointToKeysym(U'\n'), 0xff0du);
  EXPECT_EQ(CodepointToKeysym(U'\x01'), 0u);
}

std::string KeysymToUtf8(uint32_t keysym) {
  uint32_t cp = keysym >= 0x01000000 ? keysym - 0x01000000 : keysym;
  std::string out;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
  return out;
}

bool IsModifier(uint32_t keysym) {
  return keysym >= 0xffe1 && keysym <= 0xffee;
}

class InputInjectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string skip;
    display_ = test::StartDisplay({640, 480, {}}, &skip);
    if (!skip.empty())
      GTEST_SKIP() << skip;
    ASSERT_NE(display_, nullptr);
    auto injector = InputInjector::Create(display_->name());
    ASSERT_TRUE(injector.has_value()) << injector.error().message;
    injector_ = std::move(*injector);
    xcb_connection_t* c = display_->c();
    window_ = test::CreateWindow(
        c, display_->x.screen, {100, 100, 200, 150}, 0xffffff, "input",
        XCB_EVENT_MASK_KEY_PRESS | XCB_EVENT_MASK_KEY_RELEASE |
            XCB_EVENT_MASK_BUTTON_PRESS | XCB_EVENT_MASK_BUTTON_RELEASE);
    xcb_set_input_focus(c, XCB_INPUT_FOCUS_POINTER_ROOT, window_,
                        XCB_CURRENT_TIME);
    x11::Sync(c);
  }

  DesktopPoint Pointer() {
    xcb_connection_t* c = display_->c();
    test::XcbReply<xcb_query_pointer_reply_t> reply(xcb_query_pointer_reply(
        c, xcb_query_pointer(c, display_->root()), nullptr));
    return reply ? DesktopPoint{reply->root_x, reply->root_y}
                 : DesktopPoint{-1, -1};
  }

  // Polls (bounded) until the pointer is at `p`.
  bool WaitForPointer(DesktopPoint p) {
    const auto deadline =
        std::chrono::steady_clock::now() + test::kEventTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (Pointer() == p)
        return true;
      std::this_thread::yield();
    }
    return false;
  }

  // Reads KeyPress events until `count` non-modifier characters arrived.
  std::string ReadTypedText(size_t count) {
    std::vector<std::pair<uint8_t, uint16_t>> presses;
    std::string text;
    size_t chars = 0;
    while (chars < count) {
      XcbEvent e =
          test::WaitForEvent(display_->c(), [](const xcb_generic_event_t* ev) {
            return EventType(ev) == XCB_KEY_PRESS;
          });
      if (!e)
        break;
      auto* key = reinterpret_cast<xcb_key_press_event_t*>(e.get());
      // Decode with the mapping as it is now (remapped keys stay mapped).
      test::KeyDecoder decoder(display_->c());
      const uint32_t keysym = decoder.Keysym(key->detail, key->state);
      if (IsModifier(keysym))
        continue;
      text += KeysymToUtf8(keysym);
      ++chars;
    }
    return text;
  }

  std::unique_ptr<TestDisplay> display_;
  std::unique_ptr<InputInjector> injector_;
  xcb_window_t window_ = 0;
};

TEST_F(InputInjectorTest, MovesThePointerToAbsolutePositions) {
  ASSERT_TRUE(injector_->MoveMouse({123, 45}));
  EXPECT_TRUE(WaitForPointer({123, 45}));
  ASSERT_TRUE(injector_->MoveMouse({639, 479}));
  EXPECT_TRUE(WaitForPointer({639, 479}));
}

TEST_F(InputInjectorTest, ClicksAndScrollsArriveAsButtonEvents) {
  ASSERT_TRUE(injector_->MoveMouse({150, 150}));
  ASSERT_TRUE(WaitForPointer({150, 150}));
  ASSERT_TRUE(injector_->PressButton(1, true));
  ASSERT_TRUE(injector_->PressButton(1, false));
  ASSERT_TRUE(injector_->Scroll(0, 1));   // down: 5
  ASSERT_TRUE(injector_->Scroll(-1, 0));  // left: 6
  ASSERT_TRUE(injector_->PressButton(9, true));
  ASSERT_TRUE(injector_->PressButton(9, false));
  std::vector<int> seen;  // +button on press, -button on release
  while (seen.size() < 8) {
    XcbEvent e =
        test::WaitForEvent(display_->c(), [](const xcb_generic_event_t* ev) {
          return EventType(ev) == XCB_BUTTON_PRESS ||
                 EventType(ev) == XCB_BUTTON_RELEASE;
        });
    ASSERT_NE(e, nullptr) << "only " << seen.size() << " button events";
    auto* b = reinterpret_cast<xcb_button_press_event_t*>(e.get());
    EXPECT_EQ(b->event, window_);
    EXPECT_EQ(b->event_x, 50);
    seen.push_back(EventType(e.get()) == XCB_BUTTON_PRESS ? b->detail
                                                          : -b->detail);
  }
  EXPECT_EQ(seen, (std::vector<int>{1, -1, 5, -5, 6, -6, 9, -9}));
  EXPECT_FALSE(injector_->PressButton(10, true));
  EXPECT_FALSE(injector_->PressButton(0, true));
}

TEST_F(InputInjectorTest, TypesUtf8TextIncludingSymbolsMissingFromTheLayout) {
  ASSERT_TRUE(injector_->Text("Hello, Wörld!"));
  EXPECT_EQ(ReadTypedText(13), "Hello, Wörld!");
  // A second, different missing symbol while the first is still mapped.
  ASSERT_TRUE(injector_->Text("€ö"));
  EXPECT_EQ(ReadTypedText(2), "€ö");
}

TEST_F(InputInjectorTest, KeysymsGetTheShiftStateTheyNeed) {
  // Shift held by the technician, then a lower-case letter: the injector
  // lifts Shift for that press and puts it back.
  ASSERT_TRUE(injector_->Key(XK_Shift_L, true));
  ASSERT_TRUE(injector_->Key('a', true));
  ASSERT_TRUE(injector_->Key('a', false));
  ASSERT_TRUE(injector_->Key('B', true));
  ASSERT_TRUE(injector_->Key('B', false));
  ASSERT_TRUE(injector_->Key(XK_Shift_L, false));
  ASSERT_TRUE(injector_->Key('C', true));  // Shift added around the press
  ASSERT_TRUE(injector_->Key('C', false));
  EXPECT_EQ(ReadTypedText(3), "aBC");
  // And nothing is left pressed.
  xcb_connection_t* c = display_->c();
  test::XcbReply<xcb_query_keymap_reply_t> keys(
      xcb_query_keymap_reply(c, xcb_query_keymap(c), nullptr));
  ASSERT_NE(keys, nullptr);
  for (uint8_t byte : keys->keys)
    EXPECT_EQ(byte, 0);
}

TEST_F(InputInjectorTest, InvalidTextIsRejectedBeforeAnythingIsTyped) {
  EXPECT_FALSE(injector_->Text("ab\xff"));
  EXPECT_FALSE(injector_->Text("a\x01"));
  ASSERT_TRUE(injector_->Text("z"));
  EXPECT_EQ(ReadTypedText(1), "z");  // the first event is the marker
}

// After Block() (here from another thread, like the emergency stop) no
// event reaches the display. Proof: the injector's calls return only after
// the server processed their events, and the input queue is FIFO, so any
// injected event would arrive before the test's own marker key press.
TEST_F(InputInjectorTest, NothingIsInjectedAfterBlock) {
  ASSERT_TRUE(injector_->MoveMouse({110, 110}));
  ASSERT_TRUE(WaitForPointer({110, 110}));
  std::thread stop([&] { injector_->Block(); });
  stop.join();
  EXPECT_TRUE(injector_->IsBlocked());

  EXPECT_FALSE(injector_->MoveMouse({200, 200}));
  EXPECT_FALSE(injector_->PressButton(1, true));
  EXPECT_FALSE(injector_->Scroll(0, 3));
  EXPECT_FALSE(injector_->Key('x', true));
  EXPECT_FALSE(injector_->Text("oops ö"));
  auto blocked = injector_->Text("y");
  EXPECT_FALSE(blocked);
  if (!blocked) {
    EXPECT_FALSE(blocked.error().temporary());
  }

  xcb_connection_t* c = display_->c();
  const uint8_t marker = test::KeyDecoder(c).Keycode('m');
  ASSERT_NE(marker, 0);
  xcb_test_fake_input(c, XCB_KEY_PRESS, marker, XCB_CURRENT_TIME, XCB_NONE, 0,
                      0, 0);
  xcb_test_fake_input(c, XCB_KEY_RELEASE, marker, XCB_CURRENT_TIME, XCB_NONE, 0,
                      0, 0);
  x11::Sync(c);
  std::vector<int> others;
  XcbEvent got = test::WaitForEvent(
      c,
      [](const xcb_generic_event_t* e) {
        return EventType(e) == XCB_KEY_PRESS;
      },
      [&](const xcb_generic_event_t* e) {
        if (EventType(e) == XCB_BUTTON_PRESS ||
            EventType(e) == XCB_KEY_RELEASE) {
          others.push_back(EventType(e));
        }
      });
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(reinterpret_cast<xcb_key_press_event_t*>(got.get())->detail, marker)
      << "a key event was injected after Block()";
  EXPECT_TRUE(others.empty());
  EXPECT_EQ(Pointer(), (DesktopPoint{110, 110}));
}

}  // namespace
}  // namespace tether::desktop
