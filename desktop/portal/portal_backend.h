#pragma once

// The Wayland backend's factories (xdg-desktop-portal + PipeWire);
// desktop/backend.cc picks them (see backend.h).

#include <memory>

#include "base/result.h"
#include "desktop/capture/screen_capturer.h"
#include "desktop/input/input_injector.h"

namespace tether::desktop::portal {

// Opens a ScreenCast session: the desktop's dialog asks which screen or
// window to share (options.source is ignored: the person picks).
Result<std::unique_ptr<ScreenCapturer>> CreatePortalScreenCapturer(
    const CaptureOptions& options);
// Asks nothing yet: the RemoteDesktop session (and its dialog) comes with
// InputInjector::Begin(), when control is granted.
Result<std::unique_ptr<InputInjector>> CreatePortalInputInjector();

}  // namespace tether::desktop::portal
