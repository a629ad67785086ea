#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "desktop/desktop_frame.h"

namespace tether::desktop {

struct WindowInfo {
  uint32_t id = 0;    // pass to CaptureSource::Window()
  std::string title;  // UTF-8, for the consent prompt
  DesktopRect rect;   // screen coordinates, unclipped
};

// Top-level application windows: the window manager's _NET_CLIENT_LIST when
// there is one, otherwise the root's mapped children that have a title.
// All calls on one thread.
class WindowList {
 public:
  static Result<std::unique_ptr<WindowList>> Create(
      const std::string& display);  // empty: $DISPLAY

  virtual ~WindowList() = default;
  WindowList(const WindowList&) = delete;
  WindowList& operator=(const WindowList&) = delete;

  // Windows without a title are left out; the order is the window
  // manager's (or stacking order, bottom first).
  virtual Result<std::vector<WindowInfo>> List() = 0;

 protected:
  WindowList() = default;
};

}  // namespace tether::desktop
