#include "customer-app/core/emergency_stop_hotkey.h"

#include <utility>

#include "base/log.h"

namespace tether::customer {

Result<std::unique_ptr<desktop::GlobalHotkey>> GrabEmergencyStopHotkey(
    const std::string& display,
    std::function<void()> stop) {
  return desktop::GlobalHotkey::Create(
      display, kEmergencyStopChord, [stop = std::move(stop)] {
        log::Warn("emergency stop: hotkey pressed");
        stop();
      });
}

}  // namespace tether::customer
