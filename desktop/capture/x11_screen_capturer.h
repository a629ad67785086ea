#pragma once

#include <memory>

#include "base/result.h"
#include "desktop/capture/screen_capturer.h"

namespace tether::desktop::internal {

// The X11 backend (xcb, MIT-SHM, XDamage, RandR). See screen_capturer.h.
Result<std::unique_ptr<ScreenCapturer>> CreateX11ScreenCapturer(
    const CaptureOptions& options);

}  // namespace tether::desktop::internal
