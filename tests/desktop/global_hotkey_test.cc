// A global hotkey (Ctrl+Alt+Shift+S, the customer's STOP) on a private
// Xvfb, pressed through XTest as a keyboard would: with and without
// CapsLock and NumLock, and not by other combinations. Each press is
// counted exactly once.

#include "desktop/hotkey/global_hotkey.h"

#include <X11/keysym.h>
#include <gtest/gtest.h>
#include <xcb/xcb.h>
#include <xcb/xtest.h>

#include <chrono>
#include <vector>

#include "tests/desktop/x11_test_util.h"
#include "tests/support/call_counter.h"

namespace tether::desktop {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t kControlL = 0xffe3;
constexpr uint32_t kAltL = 0xffe9;
constexpr uint32_t kCapsLock = 0xffe5;
constexpr uint32_t kNumLock = 0xff7f;
constexpr uint32_t kS = 0x0073;
constexpr uint32_t kD = 0x0064;
constexpr uint32_t kSuperL = 0xffeb;
constexpr uint32_t kLevel3Shift = 0xfe03;  // AltGr

class Keyboard {
 public:
  explicit Keyboard(xcb_connection_t* c) : c_(c), keymap_(c) {}

  uint8_t Keycode(uint32_t keysym) const { return keymap_.Keycode(keysym); }

  void Send(uint32_t keysym, bool press) {
    const uint8_t code = Keycode(keysym);
    ASSERT_NE(code, 0) << "no keycode for keysym " << keysym;
    xcb_test_fake_input(c_, press ? XCB_KEY_PRESS : XCB_KEY_RELEASE, code,
                        XCB_CURRENT_TIME, XCB_NONE, 0, 0, 0);
    x11::Sync(c_);
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
  test::KeyDecoder keymap_;
};

using Presses = tether::test::CallCounter;

constexpr KeyChord kCtrlAltShiftS{
    .letter = 'S',
    .modifiers = KeyChord::kControl | KeyChord::kAlt | KeyChord::kShift};

Result<std::unique_ptr<GlobalHotkey>> GrabCtrlAltShiftS(
    const std::string& display,
    Presses& presses) {
  return GlobalHotkey::Create(display, kCtrlAltShiftS,
                              [&presses] { presses.Add(); });
}

// Exactly `n` calls so far: waits for the n-th, then for the hotkey to have
// handled everything the display sent it, so that a press counted twice
// shows up here rather than in the next step's count.
::testing::AssertionResult CalledExactly(GlobalHotkey& hotkey,
                                         Presses& presses,
                                         int n) {
  if (!presses.WaitFor(n)) {
    return ::testing::AssertionFailure()
           << presses.count() << " calls, expected " << n;
  }
  if (!hotkey.FlushForTesting(5s))
    return ::testing::AssertionFailure() << "the hotkey did not catch up";
  if (presses.count() != n) {
    return ::testing::AssertionFailure()
           << presses.count() << " calls, expected exactly " << n;
  }
  return ::testing::AssertionSuccess();
}

TEST(GlobalHotkeyTest, CtrlAltShiftSCallsBackOnceWhateverTheLocks) {
  TETHER_START_DISPLAY_OR_SKIP(display, tether::test::XvfbOptions{});
  Presses presses;
  auto hotkey = GrabCtrlAltShiftS(display->name(), presses);
  ASSERT_TRUE(hotkey.has_value()) << hotkey.error().message;
  Keyboard keyboard(display->c());

  keyboard.Chord({kControlL, kAltL, XK_Shift_L, kS});
  ASSERT_TRUE(CalledExactly(**hotkey, presses, 1));

  keyboard.Tap(kCapsLock);  // CapsLock on
  keyboard.Chord({kControlL, kAltL, XK_Shift_L, kS});
  ASSERT_TRUE(CalledExactly(**hotkey, presses, 2));

  if (keyboard.Keycode(kNumLock) != 0) {
    keyboard.Tap(kNumLock);  // both on
    keyboard.Chord({kControlL, kAltL, XK_Shift_L, kS});
    ASSERT_TRUE(CalledExactly(**hotkey, presses, 3));
    keyboard.Tap(kCapsLock);  // NumLock only
    keyboard.Chord({kControlL, kAltL, XK_Shift_L, kS});
    ASSERT_TRUE(CalledExactly(**hotkey, presses, 4));
  }
}

// Finding 4 of the outside test: while the technician held Super (Mod4) or
// ISO_Level3_Shift (Mod5), the customer's Ctrl+Alt+Shift+S did nothing.
TEST(GlobalHotkeyTest, CtrlAltShiftSCallsBackOnceWhateverElseIsHeld) {
  TETHER_START_DISPLAY_OR_SKIP(display, tether::test::XvfbOptions{});
  Presses presses;
  auto hotkey = GrabCtrlAltShiftS(display->name(), presses);
  ASSERT_TRUE(hotkey.has_value()) << hotkey.error().message;
  Keyboard keyboard(display->c());
  int expected = 0;
  for (uint32_t held : {kSuperL, kLevel3Shift}) {
    if (keyboard.Keycode(held) == 0)
      continue;  // not on this layout
    SCOPED_TRACE("holding keysym " + std::to_string(held));
    keyboard.Send(held, true);  // the technician holds it down
    keyboard.Chord({kControlL, kAltL, XK_Shift_L, kS});
    EXPECT_TRUE(CalledExactly(**hotkey, presses, ++expected));
    keyboard.Send(held, false);
  }
  EXPECT_GT(expected, 0) << "the layout has neither Super nor AltGr";
}

TEST(GlobalHotkeyTest, OtherCombinationsDoNothing) {
  TETHER_START_DISPLAY_OR_SKIP(display, tether::test::XvfbOptions{});
  Presses presses;
  auto hotkey = GrabCtrlAltShiftS(display->name(), presses);
  ASSERT_TRUE(hotkey.has_value()) << hotkey.error().message;
  Keyboard keyboard(display->c());
  keyboard.Chord({kControlL, XK_Shift_L, kS});
  keyboard.Chord({kControlL, kAltL, kS});
  keyboard.Chord({kAltL, XK_Shift_L, kS});
  keyboard.Chord({kControlL, kAltL, XK_Shift_L, kD});
  keyboard.Tap(kS);
  ASSERT_TRUE((*hotkey)->FlushForTesting(5s));
  EXPECT_EQ(presses.count(), 0);
  // Then the real one, counted once.
  keyboard.Chord({kControlL, kAltL, XK_Shift_L, kS});
  EXPECT_TRUE(CalledExactly(**hotkey, presses, 1));
}

TEST(GlobalHotkeyTest, ASecondGrabOfTheSameKeyFailsClearly) {
  TETHER_START_DISPLAY_OR_SKIP(display, tether::test::XvfbOptions{});
  auto first = GlobalHotkey::Create(display->name(), kCtrlAltShiftS, [] {});
  ASSERT_TRUE(first.has_value()) << first.error().message;
  auto second = GlobalHotkey::Create(display->name(), kCtrlAltShiftS, [] {});
  ASSERT_FALSE(second.has_value());
  EXPECT_NE(second.error().message.find("Ctrl+Alt+Shift+S"), std::string::npos);
}

TEST(GlobalHotkeyTest, NoDisplayIsAnError) {
  auto hotkey = GlobalHotkey::Create(":987", kCtrlAltShiftS, [] {});
  EXPECT_FALSE(hotkey.has_value());
}

TEST(GlobalHotkeyTest, LabelNamesTheModifiersThenTheKey) {
  EXPECT_EQ(kCtrlAltShiftS.Label(), "Ctrl+Alt+Shift+S");
  EXPECT_EQ((KeyChord{.letter = 'Q', .modifiers = KeyChord::kControl}.Label()),
            "Ctrl+Q");
}

}  // namespace
}  // namespace tether::desktop
