#pragma once

// A key chord grabbed for the whole desktop, so it works whichever window
// has the focus, with CapsLock, NumLock or any other modifier held or
// locked besides the chord's own. The X11 backend runs on its own thread
// with its own X connection, so it works while the app's UI thread is busy
// or a prompt is open. desktop/ knows only the chord; what a press means is
// the app's business (customer-app/core/emergency_stop_hotkey.h).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"

namespace tether::desktop {

// A letter key held with modifiers, e.g. Ctrl+Alt+Shift+S.
struct KeyChord {
  enum Modifier : uint8_t { kControl = 1, kAlt = 2, kShift = 4 };

  char letter = 'A';      // 'A'..'Z', whatever case Shift or CapsLock give
  uint8_t modifiers = 0;  // Modifier bits, all of them held

  // "Ctrl+Alt+Shift+S", for labels and error messages.
  std::string Label() const {
    std::string label;
    if (modifiers & kControl)
      label += "Ctrl+";
    if (modifiers & kAlt)
      label += "Alt+";
    if (modifiers & kShift)
      label += "Shift+";
    return label + letter;
  }
};

class GlobalHotkey {
 public:
  // Called on the hotkey's thread, once per press (key repeat included:
  // the callback must be idempotent). Never called after the destructor.
  using Callback = std::function<void()>;

  // Connects to `display` (empty: $DISPLAY) and grabs `chord`. Fails when
  // there is no display, the keyboard has no such key, or another client
  // holds the grab already (the message names the chord).
  static Result<std::unique_ptr<GlobalHotkey>>
  Create(const std::string& display, const KeyChord& chord, Callback callback);

  virtual ~GlobalHotkey() = default;  // ungrabs; joins the thread
  GlobalHotkey(const GlobalHotkey&) = delete;
  GlobalHotkey& operator=(const GlobalHotkey&) = delete;

  // Returns once every press the display delivered before this call has
  // been called back, so a test can tell that no further call is coming.
  // False after `timeout`, or when the hotkey's connection is gone.
  virtual bool FlushForTesting(std::chrono::milliseconds timeout) = 0;

 protected:
  GlobalHotkey() = default;
};

}  // namespace tether::desktop
