#include <xcb/xcb.h>
#include <xcb/xfixes.h>

#include <cstring>
#include <utility>

#include "desktop/capture/cursor_monitor.h"
#include "desktop/x11/x11_connection.h"

namespace tether::desktop {
namespace {

using x11::XcbReply;

class X11CursorMonitor final : public CursorMonitor {
 public:
  explicit X11CursorMonitor(x11::X11Display display)
      : display_(std::move(display)) {}

  Result<CursorSample> Capture() override {
    xcb_connection_t* c = display_.get();
    XcbReply<xcb_xfixes_get_cursor_image_reply_t> reply(
        xcb_xfixes_get_cursor_image_reply(c, xcb_xfixes_get_cursor_image(c),
                                          nullptr));
    if (!reply) {
      return xcb_connection_has_error(c)
                 ? Result<CursorSample>(MakeError("X connection lost"))
                 : Result<CursorSample>(
                       MakeTemporaryError("XFixes GetCursorImage failed"));
    }
    CursorSample sample;
    sample.position = {reply->x, reply->y};
    if (!have_serial_ || reply->cursor_serial != serial_) {
      have_serial_ = true;
      serial_ = reply->cursor_serial;
      auto shape = std::make_unique<CursorShape>();
      shape->size = {reply->width, reply->height};
      shape->hotspot = {reply->xhot, reply->yhot};
      const size_t n = static_cast<size_t>(
          xcb_xfixes_get_cursor_image_cursor_image_length(reply.get()));
      shape->pixels.resize(n * 4);
      // ARGB32 words; little-endian memory order is B, G, R, A.
      const uint32_t* words =
          xcb_xfixes_get_cursor_image_cursor_image(reply.get());
      for (size_t i = 0; i < n; ++i) {
        const uint32_t w = words[i];
        shape->pixels[i * 4 + 0] = static_cast<uint8_t>(w);
        shape->pixels[i * 4 + 1] = static_cast<uint8_t>(w >> 8);
        shape->pixels[i * 4 + 2] = static_cast<uint8_t>(w >> 16);
        shape->pixels[i * 4 + 3] = static_cast<uint8_t>(w >> 24);
      }
      sample.shape = std::move(shape);
    }
    return sample;
  }

 private:
  x11::X11Display display_;
  bool have_serial_ = false;
  uint32_t serial_ = 0;
};

}  // namespace

Result<std::unique_ptr<CursorMonitor>> CursorMonitor::Create(
    const std::string& display_name) {
  auto display = x11::ConnectToDisplay(display_name);
  if (!display)
    return Unexpected(display.error());
  xcb_connection_t* c = display->get();
  const xcb_query_extension_reply_t* ext =
      xcb_get_extension_data(c, &xcb_xfixes_id);
  if (ext == nullptr || !ext->present) {
    return MakeError("X display has no XFIXES extension");
  }
  XcbReply<xcb_xfixes_query_version_reply_t> version(
      xcb_xfixes_query_version_reply(c, xcb_xfixes_query_version(c, 2, 0),
                                     nullptr));
  if (!version)
    return MakeError("XFixes version query failed");
  return std::unique_ptr<CursorMonitor>(
      std::make_unique<X11CursorMonitor>(std::move(*display)));
}

}  // namespace tether::desktop
