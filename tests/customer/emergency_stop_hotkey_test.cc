// The global STOP hotkey on a private Xvfb, pressed through XTest as a
// keyboard would: with and without CapsLock and NumLock, and not by other
// combinations.

#include "customer-app/core/emergency_stop_hotkey.h"

#include <gtest/gtest.h>
#include <xcb/xcb.h>
#include <xcb/xtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "tests/desktop/x11_test_util.h"
#include "tests/support/call_counter.h"

namespace tether::customer {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t kControlL = 0xffe3;
constexpr uint32_t kAltL = 0xffe9;
constexpr uint32_t kShiftL = 0xffe1;
constexpr uint32_t kCapsLock = 0xffe5;
constexpr uint32_t kNumLock = 0xff7f;
constexpr uint32_t kS = 0x0073;
constexpr uint32_t kD = 0x0064;
constexpr uint32_t kSuperL = 0xffeb;
constexpr uint32_t kLevel3Shift = 0xfe03;  // AltGr

class Keyboard {
 public:
  explicit Keyboard(xcb_connection_t* c) : c_(c) {
    const xcb_setup_t* setup = xcb_get_setup(c);
    min_ = setup->min_keycode;
    desktop::test::XcbReply<xcb_get_keyboard_mapping_reply_t> reply(
        xcb_get_keyboard_mapping_reply(
            c,
            xcb_get_keyboard_mapping(
                c, min_, static_cast<uint8_t>(setup->max_keycode - min_ + 1)),
            nullptr));
    per_ = reply->keysyms_per_keycode;
    const xcb_keysym_t* syms = xcb_get_keyboard_mapping_keysyms(reply.get());
    syms_.assign(syms,
                 syms + xcb_get_keyboard_mapping_keysyms_length(reply.get()));
  }

  uint8_t Keycode(uint32_t keysym) const {
    for (size_t i = 0; i < syms_.size(); ++i) {
      if (syms_[i] == keysym)
        return static_cast<uint8_t>(min_ + i / per_);
    }
    return 0;
  }

  void Send(uint32_t keysym, bool press) {
    const uint8_t code = Keycode(keysym);
    ASSERT_NE(code, 0) << "no keycode for keysym " << keysym;
    xcb_test_fake_input(c_, press ? XCB_KEY_PRESS : XCB_KEY_RELEASE, code,
                        XCB_CURRENT_TIME, XCB_NONE, 0, 0, 0);
    desktop::x11::Sync(c_);
  }
  void Tap(uint32_t keysym) {
    Send(keysym, true);
    Send(keysym, false);
  }
  void Chord(const std::vector<uint32_t>& keys) {
    for (uint32_t k : keys)
      Send(k, true);
    for (auto it = keys.rbegin(); it != keys.rend(); ++it)
      Send(*it, false);
  }

 private:
  xcb_connection_t* c_;
  uint8_t min_ = 8;
  int per_ = 1;
  std::vector<xcb_keysym_t> syms_;
};

using Presses = test::CallCounter;

TEST(EmergencyStopHotkeyTest, CtrlAltShiftSCallsBackWhateverTheLocks) {
  TETHER_START_DISPLAY_OR_SKIP(display, tether::test::XvfbOptions{});
  Presses presses;
  auto hotkey =
      EmergencyStopHotkey::Create(display->name(), [&] { presses.Add(); });
  ASSERT_TRUE(hotkey.has_value()) << hotkey.error().message;
  Keyboard keyboard(display->c());

  keyboard.Chord({kControlL, kAltL, kShiftL, kS});
  ASSERT_TRUE(presses.WaitFor(1));

  keyboard.Tap(kCapsLock);  // CapsLock on
  keyboard.Chord({kControlL, kAltL, kShiftL, kS});
  ASSERT_TRUE(presses.WaitFor(2));

  if (keyboard.Keycode(kNumLock) != 0) {
    keyboard.Tap(kNumLock);  // both on
    keyboard.Chord({kControlL, kAltL, kShiftL, kS});
    ASSERT_TRUE(presses.WaitFor(3));
    keyboard.Tap(kCapsLock);  // NumLock only
    keyboard.Chord({kControlL, kAltL, kShiftL, kS});
    ASSERT_TRUE(presses.WaitFor(4));
  }
}

// Finding 4 of the outside test: while the technician held Super (Mod4) or
// ISO_Level3_Shift (Mod5), the customer's Ctrl+Alt+Shift+S did nothing.
TEST(EmergencyStopHotkeyTest, CtrlAltShiftSCallsBackWhateverElseIsHeld) {
  TETHER_START_DISPLAY_OR_SKIP(display, tether::test::XvfbOptions{});
  Presses presses;
  auto hotkey =
      EmergencyStopHotkey::Create(display->name(), [&] { presses.Add(); });
  ASSERT_TRUE(hotkey.has_value()) << hotkey.error().message;
  Keyboard keyboard(display->c());
  int expected = 0;
  for (uint32_t held : {kSuperL, kLevel3Shift}) {
    if (keyboard.Keycode(held) == 0)
      continue;  // not on this layout
    SCOPED_TRACE("holding keysym " + std::to_string(held));
    keyboard.Send(held, true);  // the technician holds it down
    keyboard.Chord({kControlL, kAltL, kShiftL, kS});
    EXPECT_TRUE(presses.WaitFor(++expected));
    keyboard.Send(held, false);
  }
  EXPECT_GT(expected, 0) << "the layout has neither Super nor AltGr";
}

TEST(EmergencyStopHotkeyTest, OtherCombinationsDoNothing) {
  TETHER_START_DISPLAY_OR_SKIP(display, tether::test::XvfbOptions{});
  Presses presses;
  auto hotkey =
      EmergencyStopHotkey::Create(display->name(), [&] { presses.Add(); });
  ASSERT_TRUE(hotkey.has_value()) << hotkey.error().message;
  Keyboard keyboard(display->c());
  keyboard.Chord({kControlL, kShiftL, kS});
  keyboard.Chord({kControlL, kAltL, kS});
  keyboard.Chord({kAltL, kShiftL, kS});
  keyboard.Chord({kControlL, kAltL, kShiftL, kD});
  keyboard.Tap(kS);
  // Then the real one: exactly one call means none of the above counted
  // (the server handles one client's requests in order).
  keyboard.Chord({kControlL, kAltL, kShiftL, kS});
  ASSERT_TRUE(presses.WaitFor(1));
  EXPECT_EQ(presses.count(), 1);
}

TEST(EmergencyStopHotkeyTest, ASecondGrabOfTheSameKeyFailsClearly) {
  TETHER_START_DISPLAY_OR_SKIP(display, tether::test::XvfbOptions{});
  auto first = EmergencyStopHotkey::Create(display->name(), [] {});
  ASSERT_TRUE(first.has_value()) << first.error().message;
  auto second = EmergencyStopHotkey::Create(display->name(), [] {});
  ASSERT_FALSE(second.has_value());
  EXPECT_NE(second.error().message.find("Ctrl+Alt+Shift+S"), std::string::npos);
}

TEST(EmergencyStopHotkeyTest, NoDisplayIsAnError) {
  auto hotkey = EmergencyStopHotkey::Create(":987", [] {});
  EXPECT_FALSE(hotkey.has_value());
}

}  // namespace
}  // namespace tether::customer
