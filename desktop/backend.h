#pragma once

// Which desktop the customer's session runs on, and so which backend the
// factories (ScreenCapturer, InputInjector, WindowList, GlobalHotkey)
// create: one file per backend (x11_*.cc, portal/*), picked at run time.

#include <string>

namespace tether::desktop {

enum class Backend {
  kX11,     // xcb, MIT-SHM, XDamage, XTest
  kPortal,  // Wayland: xdg-desktop-portal (ScreenCast, RemoteDesktop) and
            // PipeWire
};

// An X display named explicitly (":N") is X11. Otherwise a Wayland session
// (WAYLAND_DISPLAY set; DISPLAY may be set too, for Xwayland, which shows
// only X clients) uses the portal, and anything else X11 ($DISPLAY).
Backend DetectBackend(const std::string& display);

// Whether the desktop's own dialog asks the person before sharing (the
// portal): the apps say so before it opens.
inline bool SystemAsksToo(const std::string& display) {
  return DetectBackend(display) == Backend::kPortal;
}

}  // namespace tether::desktop
