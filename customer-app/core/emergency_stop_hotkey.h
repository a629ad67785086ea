#pragma once

// STOP's global hotkey: which chord it is and what a press does. Grabbing
// the chord for the whole desktop, whatever window has the focus and
// whatever locks are on, is desktop/hotkey's job (GlobalHotkey).

#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "desktop/hotkey/global_hotkey.h"

namespace tether::customer {

// Ctrl+Alt+Shift+S: the panel's label and the customer's docs name it.
inline constexpr desktop::KeyChord kEmergencyStopChord{
    .letter = 'S',
    .modifiers = desktop::KeyChord::kControl | desktop::KeyChord::kAlt |
                 desktop::KeyChord::kShift};

// Grabs kEmergencyStopChord on `display` (empty: $DISPLAY). `stop` runs on
// the hotkey's thread once per press, key repeat included, so it must be
// idempotent (as CustomerSession::EmergencyStop() is). Fails when there is
// no display or another program holds the chord already.
Result<std::unique_ptr<desktop::GlobalHotkey>> GrabEmergencyStopHotkey(
    const std::string& display,
    std::function<void()> stop);

}  // namespace tether::customer
