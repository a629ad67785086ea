#pragma once

// What the technician may ask to see, in the customer's words and as a
// capture source: the whole screen, one monitor (by its index in the
// MonitorList the customer sent), or one top-level window that has a
// title. Asks the display itself (RandR monitors, the window manager's
// client list); reads no pixels. On Wayland the desktop's own dialog picks
// the screen or window: every target is "a screen or window that you pick
// next". One thread (the session's app thread).

#include <memory>
#include <string>

#include "base/result.h"
#include "desktop/capture/screen_capturer.h"
#include "desktop/window/window_list.h"
#include "protocol/peer.pb.h"

namespace tether::customer {

class ViewDescriber {
 public:
  explicit ViewDescriber(std::string display);  // empty: $DISPLAY
  ~ViewDescriber();
  ViewDescriber(const ViewDescriber&) = delete;
  ViewDescriber& operator=(const ViewDescriber&) = delete;

  // "your whole screen", "monitor 2 (HDMI-1)", "the window “a.pdf”".
  Result<std::string> Describe(const proto::ViewTarget& target);
  Result<desktop::CaptureSource> Resolve(const proto::ViewTarget& target);
  Result<proto::MonitorList> Monitors();

 private:
  Result<std::vector<desktop::MonitorInfo>> ListMonitors();
  Result<desktop::WindowInfo> FindWindow(uint64_t id);

  std::string display_;
  const bool system_picks_;  // Wayland: the desktop's dialog picks
  // Only for listing monitors: no shared memory, no damage, no capture.
  std::unique_ptr<desktop::ScreenCapturer> lister_;
  std::unique_ptr<desktop::WindowList> windows_;
};

}  // namespace tether::customer
