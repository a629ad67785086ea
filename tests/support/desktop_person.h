#pragma once

// A person at a headless GNOME desktop (tests/support/wayland_desktop.h),
// for tests and the scripted demo: sees the monitor and uses a mouse and a
// keyboard through Mutter's own org.gnome.Mutter.ScreenCast and
// RemoteDesktop APIs (the compositor's, not the portal's: no dialog asks
// for them), so it can answer the portal's sharing dialog as a person
// would -- by looking for its buttons and clicking them.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "desktop/desktop_frame.h"

namespace tether::test {

class DesktopPerson {
 public:
  // On the session bus of DBUS_SESSION_BUS_ADDRESS; waits (bounded) for
  // the first picture of the monitor.
  static Result<std::unique_ptr<DesktopPerson>> Start();
  ~DesktopPerson();
  DesktopPerson(const DesktopPerson&) = delete;
  DesktopPerson& operator=(const DesktopPerson&) = delete;

  // What the monitor shows now.
  std::unique_ptr<desktop::DesktopFrame> Look();
  Result<void> WritePng(const std::string& path);

  Result<void> MoveTo(int x, int y);
  Result<void> Click(int x, int y);
  // Press and release. The first key of a fresh virtual keyboard can be
  // lost on a headless seat: the very first call taps Shift and waits a
  // moment before it.
  Result<void> PressKey(uint32_t keysym);
  // Types printable ASCII a key at a time, as keysyms (those of printable
  // ASCII are its character codes); the compositor finds each one's key on
  // its keymap. The main job types digits and spaces.
  Result<void> Type(const std::string& text);

  // The portal's dialog: waits (bounded) until it shows, then, when
  // `share`, sets "Allow remote interaction" (where the dialog has it) to
  // `allow_interaction`, sees that it moved, and clicks its Share button;
  // otherwise clicks Cancel. Either is clicked again while the dialog still
  // shows. Fails when no dialog showed, or it did not close, within
  // `timeout`. `before_click`, if given, runs once the dialog is there (and
  // its switch set), right before the answer is clicked: for a picture.
  Result<void> AnswerSharingDialog(
      bool share,
      bool allow_interaction = true,
      std::chrono::milliseconds timeout = std::chrono::seconds(20),
      const std::function<void()>& before_click = {});

 private:
  // Turns the dialog's "Allow remote interaction" switch (below `share`)
  // on or off, and sees that it moved; nothing when the dialog has none.
  Result<void> SetSwitch(const desktop::DesktopRect& share,
                         bool on,
                         std::chrono::steady_clock::time_point deadline);
  // Clicks (x, y) until the dialog whose Share button is `share` is gone.
  Result<void> ClickUntilClosed(int x,
                                int y,
                                const desktop::DesktopRect& share,
                                std::chrono::steady_clock::time_point deadline);

  struct Impl;
  explicit DesktopPerson(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tether::test
