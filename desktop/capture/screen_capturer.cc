#include "desktop/capture/screen_capturer.h"

#include "desktop/capture/x11_screen_capturer.h"

namespace tether::desktop {

Result<std::unique_ptr<ScreenCapturer>> ScreenCapturer::Create(
    const CaptureOptions& options) {
  // X11 is the only backend so far; Wayland (portal) would be probed first.
  return internal::CreateX11ScreenCapturer(options);
}

}  // namespace tether::desktop
