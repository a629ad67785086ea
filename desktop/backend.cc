#include "desktop/backend.h"

#include <cstdlib>

#include "desktop/capture/screen_capturer.h"
#include "desktop/hotkey/global_hotkey.h"
#include "desktop/input/input_injector.h"
#include "desktop/portal/portal_backend.h"
#include "desktop/window/window_list.h"
#include "desktop/x11/x11_backend.h"

namespace tether::desktop {

Backend DetectBackend(const std::string& display) {
  if (!display.empty())
    return Backend::kX11;
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  if (wayland && *wayland)
    return Backend::kPortal;
  return Backend::kX11;
}

Result<std::unique_ptr<ScreenCapturer>> ScreenCapturer::Create(
    const CaptureOptions& options) {
  if (DetectBackend(options.display) == Backend::kPortal)
    return portal::CreatePortalScreenCapturer(options);
  return internal::CreateX11ScreenCapturer(options);
}

Result<std::unique_ptr<InputInjector>> InputInjector::Create(
    const std::string& display) {
  if (DetectBackend(display) == Backend::kPortal)
    return portal::CreatePortalInputInjector();
  return internal::CreateX11InputInjector(display);
}

Result<std::unique_ptr<WindowList>> WindowList::Create(
    const std::string& display) {
  if (DetectBackend(display) == Backend::kPortal) {
    // Wayland keeps windows private; the person picks one in the desktop's
    // own sharing dialog instead.
    return MakeError("this desktop lets only its own dialog list windows");
  }
  return internal::CreateX11WindowList(display);
}

Result<std::unique_ptr<GlobalHotkey>> GlobalHotkey::Create(
    const std::string& display,
    const KeyChord& chord,
    Callback callback) {
  if (DetectBackend(display) == Backend::kPortal) {
    // Wayland gives keys only to the focused window; a desktop-wide
    // shortcut would need the GlobalShortcuts portal, which Debian 12's
    // GNOME does not offer.
    return MakeError(chord.Label() +
                     " is not available on this desktop: it offers no "
                     "global shortcuts to apps");
  }
  return internal::CreateX11GlobalHotkey(display, chord, std::move(callback));
}

}  // namespace tether::desktop
