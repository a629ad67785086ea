#pragma once

// A person at an X display, for the main job's scripted session: finds a
// window by its title, looks at it (the root window's pixels, as shown),
// and clicks buttons the way a person picks them out, by their look
// (tools/button_finder.h: the blue button is the safe choice, the white one
// beside it is "allow", the red one is STOP). Mouse and keyboard go through
// xdotool (XTest), like a real pointer and keyboard. One person per display
// (the technician's and the customer's desks are two X displays). Every
// wait is bounded.

#include <xcb/xcb.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "tools/button_finder.h"

namespace tether::tools {

// What a person sees of one window: its place on the screen and pixels.
struct WindowView {
  xcb_window_t id = 0;
  ScreenRect rect;  // on the screen
  Picture picture;  // rect's size; window coordinates
};

class ScreenPerson {
 public:
  static Result<ScreenPerson> Connect(const std::string& display);
  ScreenPerson(ScreenPerson&&) noexcept;
  ~ScreenPerson();

  // Waits until a visible top-level window whose title contains `title`
  // shows (and has drawn: not a single colour), then looks at it.
  Result<WindowView> WaitForWindow(const std::string& title,
                                   std::chrono::milliseconds timeout);
  bool WindowShown(const std::string& title);
  Result<WindowView> Look(xcb_window_t window);

  // Clicks the safe choice (the filled blue button): "Don't allow", "Close".
  Result<void> ClickBlueButton(const WindowView& view);
  // Clicks the white "allow" button left of the blue one.
  Result<void> ClickAllowButton(const WindowView& view);
  // Clicks the big red STOP.
  Result<void> ClickRedButton(const WindowView& view);
  // Clicks the white text field (the code field).
  Result<void> ClickWhiteField(const WindowView& view);

  Result<void> Type(const std::string& text);
  // A key combination in xdotool's spelling: "ctrl+n", "alt+a".
  Result<void> Key(const std::string& combo);
  Result<void> MoveTo(int x, int y);
  Result<void> ClickAt(int x, int y);
  // Where the pointer is now.
  std::pair<int, int> Pointer();
  // The whole screen, 0x00RRGGBB rows, for screenshots.
  Result<WindowView> LookAtScreen();

 private:
  ScreenPerson(xcb_connection_t* connection,
               xcb_window_t root,
               std::string display);
  std::optional<xcb_window_t> FindWindow(const std::string& title);
  std::string Title(xcb_window_t window);
  Result<WindowView> Capture(const ScreenRect& rect, xcb_window_t id);

  xcb_connection_t* connection_ = nullptr;
  xcb_window_t root_ = 0;
  std::string display_;  // for xdotool
  xcb_atom_t net_wm_name_ = 0;
  xcb_atom_t utf8_string_ = 0;
};

}  // namespace tether::tools
