#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "desktop/desktop_frame.h"

namespace tether::desktop {

// Injects the remote technician's pointer and keyboard input into the local
// session.
//
// Threads: Block() and IsBlocked() may be called from any thread at any
// time; everything else on one thread (the input thread).
//
// Emergency stop: Block() sets an atomic flag that the backend checks before
// every single event it sends (each motion, button press or release, key
// press or release, and keyboard remapping). Once it is set nothing more is
// injected, including releases of keys or buttons that were held when
// Block() ran; calls fail with a permanent error. It cannot be undone:
// make a new injector for a new session.
//
// When a call returns successfully the display server has received and
// processed its events.
class InputInjector {
 public:
  // Buttons 1-9 (1 left, 2 middle, 3 right, 4-7 wheel, 8-9 back/forward).
  static constexpr int kMaxButton = 9;

  // Empty `display`: this session's desktop (X11, or on Wayland the
  // RemoteDesktop portal); ":N": that X display.
  static Result<std::unique_ptr<InputInjector>> Create(
      const std::string& display);

  virtual ~InputInjector() = default;
  InputInjector(const InputInjector&) = delete;
  InputInjector& operator=(const InputInjector&) = delete;

  void Block() { blocked_.store(true, std::memory_order_seq_cst); }
  bool IsBlocked() const { return blocked_.load(std::memory_order_seq_cst); }

  // Makes the call in progress stop at its next key, click or wheel step,
  // and every later call fail at once, until ClearInterrupt() (control
  // revoked, a consent prompt opened, the session ending: whatever was
  // queued or being typed must not go on). Any thread.
  void Interrupt() { interrupted_.store(true, std::memory_order_seq_cst); }
  void ClearInterrupt() {
    interrupted_.store(false, std::memory_order_seq_cst);
  }
  bool IsInterrupted() const {
    return interrupted_.load(std::memory_order_seq_cst);
  }

  // Control was granted: acquire what injecting needs. X11: nothing.
  // Wayland: a remote desktop session, which the desktop's dialog asks the
  // person for; blocks until answered or until `abandon` returns true
  // (polled), and fails with a declined error when the person said no.
  // Returns whether the person was asked (input that arrived meanwhile is
  // stale). Not concurrently with another call.
  virtual Result<bool> Begin(const std::function<bool()>& abandon) {
    (void)abandon;
    return false;
  }
  // Whether Begin() shows the desktop's own dialog (Wayland).
  virtual bool BeginAsksThePerson() const { return false; }
  // Control ended: after this nothing can be injected until the next
  // Begin() (Wayland: the portal session is closed). ReleaseAll() first.
  virtual void End() {}

  // Releases every key and button this injector pressed and has not
  // released (a Shift it added around a character included), also when
  // blocked: STOP leaves the keyboard and mouse as the customer's own
  // devices say. Not concurrently with another call.
  virtual void ReleaseAll() = 0;

  // Absolute position in screen coordinates.
  virtual Result<void> MoveMouse(DesktopPoint position) = 0;
  virtual Result<void> PressButton(int button, bool pressed) = 0;
  // Wheel steps (clicks): dy > 0 scrolls down, dx > 0 scrolls right.
  virtual Result<void> Scroll(int dx, int dy) = 0;
  // Presses or releases the key that produces `keysym` (X11 keysym). Shift
  // is added or taken away around the press as the keysym needs; a keysym
  // missing from the layout is put on a spare keycode first.
  virtual Result<void> Key(uint32_t keysym, bool pressed) = 0;
  // Types UTF-8 text, one press and release per character. Invalid UTF-8
  // or unsupported control characters fail before anything is sent.
  virtual Result<void> Text(std::string_view utf8) = 0;

 protected:
  InputInjector() = default;

 private:
  std::atomic<bool> blocked_{false};
  std::atomic<bool> interrupted_{false};
};

// The X11 keysym that types `codepoint`: Latin-1 directly, newline/tab/
// backspace as their function keys, everything else as 0x01000000 +
// codepoint. 0 for control characters that cannot be typed.
uint32_t CodepointToKeysym(char32_t codepoint);

}  // namespace tether::desktop
