#pragma once

// The global STOP hotkey, Ctrl+Alt+Shift+S: grabbed on the root window so
// it works whichever window has the focus, with NumLock and CapsLock on or
// off. It runs on its own thread with its own X connection, so it works
// while the UI thread is busy or a prompt is open.

#include <functional>
#include <memory>
#include <string>

#include "base/result.h"

namespace tether::customer {

class EmergencyStopHotkey {
 public:
  // Called on the hotkey's thread, once per press (key repeat included:
  // the callback must be idempotent, as EmergencyStop() is).
  using Callback = std::function<void()>;

  // Connects to `display` (empty: $DISPLAY) and grabs the key. Fails when
  // there is no display or another client holds the grab already.
  static Result<std::unique_ptr<EmergencyStopHotkey>> Create(
      const std::string& display,
      Callback callback);

  virtual ~EmergencyStopHotkey() = default;  // ungrabs; joins the thread
  EmergencyStopHotkey(const EmergencyStopHotkey&) = delete;
  EmergencyStopHotkey& operator=(const EmergencyStopHotkey&) = delete;

  // "Ctrl+Alt+Shift+S", for the panel's label.
  static const char* Label() { return "Ctrl+Alt+Shift+S"; }

 protected:
  EmergencyStopHotkey() = default;
};

}  // namespace tether::customer
