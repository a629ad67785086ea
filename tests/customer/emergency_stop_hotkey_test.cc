// What STOP's hotkey is; grabbing it and counting presses is tested with
// desktop/hotkey (tests/desktop/global_hotkey_test.cc).

#include "customer-app/core/emergency_stop_hotkey.h"

#include <gtest/gtest.h>

namespace tether::customer {
namespace {

// The panel, the customer's docs and the screenshots name this chord.
TEST(EmergencyStopHotkeyTest, IsCtrlAltShiftS) {
  EXPECT_EQ(kEmergencyStopChord.Label(), "Ctrl+Alt+Shift+S");
}

TEST(EmergencyStopHotkeyTest, NoDisplayIsAnError) {
  auto hotkey = GrabEmergencyStopHotkey(":987", [] {});
  EXPECT_FALSE(hotkey.has_value());
}

}  // namespace
}  // namespace tether::customer
