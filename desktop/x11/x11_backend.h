#pragma once

// The X11 backend's factories; desktop/backend.cc picks them (see
// backend.h). Everything else of X11 stays inside x11_*.cc.

#include <memory>
#include <string>

#include "base/result.h"
#include "desktop/capture/screen_capturer.h"
#include "desktop/hotkey/global_hotkey.h"
#include "desktop/input/input_injector.h"
#include "desktop/window/window_list.h"

namespace tether::desktop::internal {

Result<std::unique_ptr<ScreenCapturer>> CreateX11ScreenCapturer(
    const CaptureOptions& options);
Result<std::unique_ptr<InputInjector>> CreateX11InputInjector(
    const std::string& display);
Result<std::unique_ptr<WindowList>> CreateX11WindowList(
    const std::string& display);
Result<std::unique_ptr<GlobalHotkey>> CreateX11GlobalHotkey(
    const std::string& display,
    const KeyChord& chord,
    GlobalHotkey::Callback callback);

}  // namespace tether::desktop::internal
