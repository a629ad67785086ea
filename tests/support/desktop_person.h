#pragma once

// A person at a headless GNOME desktop (tests/support/wayland_desktop.h),
// for tests and the scripted demo: sees the monitor and uses a mouse and a
// keyboard through Mutter's own org.gnome.Mutter.ScreenCast and
// RemoteDesktop APIs (the compositor's, not the portal's: no dialog asks
// for them), so it can answer the portal's sharing dialog as a person
// would -- by looking for its buttons and clicking them.

#include <chrono>
#include <cstdint>
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
  Result<void> PressKey(uint32_t keysym);  // press and release

  // The portal's dialog: waits (bounded) until it shows, then, when
  // `share`, turns on "Allow remote interaction" where the dialog has it
  // and `allow_interaction`, and clicks its Share button; otherwise clicks
  // Cancel. Fails when no dialog showed within `timeout`.
  Result<void> AnswerSharingDialog(
      bool share,
      bool allow_interaction = true,
      std::chrono::milliseconds timeout = std::chrono::seconds(20));

 private:
  struct Impl;
  explicit DesktopPerson(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tether::test
