#pragma once

// Helpers for the desktop tests: a private Xvfb, an xcb connection to it,
// drawing, test windows, bounded waits for X events and the keymap.

#include <gtest/gtest.h>
#include <poll.h>
#include <xcb/xcb.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "desktop/desktop_frame.h"
#include "desktop/x11/x11_connection.h"
#include "tests/fakes/xvfb_display.h"

namespace tether::desktop::test {

using x11::XcbReply;
using XcbEvent = std::unique_ptr<xcb_generic_event_t, x11::FreeDeleter>;

constexpr auto kEventTimeout = std::chrono::seconds(5);

// A private Xvfb plus one client connection for the test's own drawing.
struct TestDisplay {
  std::unique_ptr<tether::test::XvfbDisplay> xvfb;
  x11::X11Display x;

  xcb_connection_t* c() const { return x.get(); }
  xcb_window_t root() const { return x.root(); }
  const std::string& name() const { return xvfb->name(); }
};

// Fails (with a message) or skips when Xvfb is not installed.
inline std::unique_ptr<TestDisplay> StartDisplay(
    const tether::test::XvfbOptions& options,
    std::string* skip_reason) {
  if (!tether::test::XvfbDisplay::Available()) {
    *skip_reason = "Xvfb is not installed";
    return nullptr;
  }
  auto xvfb = tether::test::XvfbDisplay::Start(options);
  if (!xvfb) {
    ADD_FAILURE() << xvfb.error().message;
    return nullptr;
  }
  auto x = x11::ConnectToDisplay((*xvfb)->name());
  if (!x) {
    ADD_FAILURE() << x.error().message;
    return nullptr;
  }
  auto display = std::make_unique<TestDisplay>();
  display->xvfb = std::move(*xvfb);
  display->x = std::move(*x);
  return display;
}

#define TETHER_START_DISPLAY_OR_SKIP(var, options)                        \
  std::string var##_skip;                                                 \
  auto var = ::tether::desktop::test::StartDisplay(options, &var##_skip); \
  if (!var##_skip.empty())                                                \
    GTEST_SKIP() << var##_skip;                                           \
  ASSERT_NE(var, nullptr)

inline void FillRect(xcb_connection_t* c,
                     xcb_drawable_t drawable,
                     const DesktopRect& r,
                     uint32_t rgb) {
  const xcb_gcontext_t gc = xcb_generate_id(c);
  const uint32_t values[] = {rgb, 0};
  xcb_create_gc(c, gc, drawable, XCB_GC_FOREGROUND | XCB_GC_SUBWINDOW_MODE,
                values);
  const xcb_rectangle_t rect{
      static_cast<int16_t>(r.x), static_cast<int16_t>(r.y),
      static_cast<uint16_t>(r.width), static_cast<uint16_t>(r.height)};
  xcb_poly_fill_rectangle(c, drawable, gc, 1, &rect);
  xcb_free_gc(c, gc);
  x11::Sync(c);
}

// Waits (bounded) for the first event on `c` that `match` accepts; events
// it rejects are passed to `skipped` when given, then dropped.
inline XcbEvent WaitForEvent(
    xcb_connection_t* c,
    const std::function<bool(const xcb_generic_event_t*)>& match,
    const std::function<void(const xcb_generic_event_t*)>& skipped = {}) {
  const auto deadline = std::chrono::steady_clock::now() + kEventTimeout;
  while (true) {
    xcb_flush(c);
    while (XcbEvent event{xcb_poll_for_event(c)}) {
      if (match(event.get()))
        return event;
      if (skipped)
        skipped(event.get());
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || xcb_connection_has_error(c))
      return nullptr;
    pollfd p{xcb_get_file_descriptor(c), POLLIN, 0};
    poll(&p, 1, static_cast<int>(left.count()));
  }
}

// The keysym a KeyPress event stands for, read the way a core X client does.
class KeyDecoder {
 public:
  explicit KeyDecoder(xcb_connection_t* c) {
    const xcb_setup_t* setup = xcb_get_setup(c);
    min_ = setup->min_keycode;
    XcbReply<xcb_get_keyboard_mapping_reply_t> reply(
        xcb_get_keyboard_mapping_reply(
            c,
            xcb_get_keyboard_mapping(
                c, min_, static_cast<uint8_t>(setup->max_keycode - min_ + 1)),
            nullptr));
    per_ = reply->keysyms_per_keycode;
    const xcb_keysym_t* syms = xcb_get_keyboard_mapping_keysyms(reply.get());
    syms_.assign(syms,
                 syms + xcb_get_keyboard_mapping_keysyms_length(reply.get()));
  }
  uint32_t Keysym(uint8_t keycode, uint16_t state) const {
    auto at = [&](int col) {
      return syms_[static_cast<size_t>(keycode - min_) * per_ + col];
    };
    if ((state & XCB_MOD_MASK_SHIFT) && at(1) != 0)
      return at(1);
    return at(0);
  }
  uint8_t Keycode(uint32_t keysym) const {
    for (size_t i = 0; i < syms_.size(); ++i) {
      if (syms_[i] == keysym)
        return static_cast<uint8_t>(min_ + i / per_);
    }
    return 0;
  }

 private:
  uint8_t min_ = 8;
  int per_ = 1;
  std::vector<xcb_keysym_t> syms_;
};

inline uint8_t EventType(const xcb_generic_event_t* e) {
  return e->response_type & 0x7f;
}

// A mapped top-level window with a background colour and a title; returns
// once the server has mapped it.
inline xcb_window_t CreateWindow(xcb_connection_t* c,
                                 xcb_screen_t* screen,
                                 const DesktopRect& r,
                                 uint32_t rgb,
                                 const std::string& title,
                                 uint32_t event_mask = 0) {
  const xcb_window_t w = xcb_generate_id(c);
  const uint32_t values[] = {
      rgb, 1,
      event_mask | XCB_EVENT_MASK_STRUCTURE_NOTIFY | XCB_EVENT_MASK_EXPOSURE};
  xcb_create_window(
      c, XCB_COPY_FROM_PARENT, w, screen->root, static_cast<int16_t>(r.x),
      static_cast<int16_t>(r.y), static_cast<uint16_t>(r.width),
      static_cast<uint16_t>(r.height), 0, XCB_WINDOW_CLASS_INPUT_OUTPUT,
      screen->root_visual,
      XCB_CW_BACK_PIXEL | XCB_CW_OVERRIDE_REDIRECT | XCB_CW_EVENT_MASK, values);
  xcb_change_property(c, XCB_PROP_MODE_REPLACE, w, XCB_ATOM_WM_NAME,
                      XCB_ATOM_STRING, 8, static_cast<uint32_t>(title.size()),
                      title.data());
  xcb_map_window(c, w);
  auto mapped = WaitForEvent(c, [w](const xcb_generic_event_t* e) {
    return EventType(e) == XCB_MAP_NOTIFY &&
           reinterpret_cast<const xcb_map_notify_event_t*>(e)->window == w;
  });
  EXPECT_NE(mapped, nullptr) << "window was not mapped";
  x11::Sync(c);
  return w;
}

// Where the X server's pointer is on `root`; {-1, -1} when it cannot say.
inline DesktopPoint PointerPosition(xcb_connection_t* c, xcb_window_t root) {
  XcbReply<xcb_query_pointer_reply_t> reply(
      xcb_query_pointer_reply(c, xcb_query_pointer(c, root), nullptr));
  return reply ? DesktopPoint{reply->root_x, reply->root_y}
               : DesktopPoint{-1, -1};
}

}  // namespace tether::desktop::test
