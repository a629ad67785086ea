#pragma once

// One xdg-desktop-portal session (org.freedesktop.portal.ScreenCast, or
// RemoteDesktop with screen-cast sources selected on it), over D-Bus with
// GDBus. Open() asks the desktop, which shows its own dialog (the person
// picks a screen or window and, for remote desktop, allows interaction);
// it returns once the dialog was answered. Close() ends the session in the
// portal: its PipeWire stream and input devices are gone at once.
//
// Why GDBus and not libportal: Debian 12's libportal 0.6 has no restore
// tokens (ScreenCast persist_mode) and no GlobalShortcuts, and its calls
// run on the caller's GLib main loop; GDBus on a private connection and a
// private main context gives every option, bounded waits and no main loop
// shared with Qt.
//
// Threads: Open() blocks its caller; everything else any thread. Each
// session has its own D-Bus connection, so closing it (or the process
// dying) also makes the portal end the session.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "desktop/desktop_frame.h"

namespace tether::desktop::portal {

// One stream the person shared (Start's "streams").
struct PortalStream {
  uint32_t node = 0;  // PipeWire node id
  // Where a monitor is in the desktop's logical layout; (0, 0) for windows.
  DesktopPoint position;
  DesktopSize size;  // may be empty (the portal need not say)
  bool window = false;
};

struct PortalOptions {
  // RemoteDesktop with keyboard + pointer (one monitor, for absolute
  // pointer coordinates); ScreenCast of a monitor or a window otherwise.
  bool remote_desktop = false;
  // Bounded waits for the portal's answers; the dialog itself waits for
  // the person (up to `dialog_timeout`).
  std::chrono::milliseconds call_timeout{10'000};
  std::chrono::milliseconds dialog_timeout{10 * 60'000};
  // Polled while waiting for the dialog: true abandons it (STOP).
  std::function<bool()> abandon;
};

class PortalSession {
 public:
  // Fails with a plain sentence: no portal on this desktop (or no remote
  // desktop service: wlroots), the person cancelled the dialog (an error
  // of kind kDeclined), the portal failed or did not answer.
  static Result<std::unique_ptr<PortalSession>> Open(
      const PortalOptions& options);
  // How many window (not monitor) streams are being viewed in this
  // process: a window's picture has no place on the screen that the
  // portal tells, so control, which places the pointer in monitor
  // coordinates, cannot follow the technician's clicks on it.
  static int WindowsViewed();

  ~PortalSession();  // Close()
  PortalSession(const PortalSession&) = delete;
  PortalSession& operator=(const PortalSession&) = delete;

  const PortalStream& stream() const { return stream_; }
  // A fresh fd for pw_context_connect_fd (the caller owns it).
  Result<int> OpenPipeWireRemote();

  // Input (RemoteDesktop only). Absolute motion is in the stream's
  // coordinates; buttons are evdev codes (BTN_LEFT...); keys are X11
  // keysyms; axis 0 vertical, 1 horizontal. Fail once closed.
  Result<void> PointerMotionAbsolute(double x, double y);
  Result<void> PointerButton(int evdev_button, bool pressed);
  Result<void> PointerAxisDiscrete(int axis, int steps);
  Result<void> KeyboardKeysym(uint32_t keysym, bool pressed);

  // Ends the session (idempotent, any thread). Waits at most the call
  // timeout for the portal; the connection is closed either way.
  void Close();
  // The portal or the desktop closed it (the person stopped sharing in
  // the system's own indicator, the compositor went away).
  bool closed();

 private:
  struct Bus;
  PortalSession();

  std::unique_ptr<Bus> bus_;
  std::string handle_;  // the session's object path
  PortalStream stream_;
  std::atomic<bool> closed_{false};
  friend class WindowViewed;
};

// Counts a viewed window stream for WindowsViewed() while it lives.
class WindowViewed {
 public:
  explicit WindowViewed(bool window);
  ~WindowViewed();
  WindowViewed(const WindowViewed&) = delete;
  WindowViewed& operator=(const WindowViewed&) = delete;

 private:
  bool window_;
};

}  // namespace tether::desktop::portal
