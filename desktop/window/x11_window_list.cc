#include <xcb/xcb.h>

#include <utility>

#include "desktop/window/window_list.h"
#include "desktop/x11/x11_backend.h"
#include "desktop/x11/x11_connection.h"

namespace tether::desktop {
namespace {

using x11::XcbReply;

class X11WindowList final : public WindowList {
 public:
  explicit X11WindowList(x11::X11Display display)
      : display_(std::move(display)) {
    xcb_connection_t* c = display_.get();
    net_client_list_ = x11::InternAtom(c, "_NET_CLIENT_LIST");
    net_wm_name_ = x11::InternAtom(c, "_NET_WM_NAME");
    utf8_string_ = x11::InternAtom(c, "UTF8_STRING");
  }

  Result<std::vector<WindowInfo>> List() override {
    xcb_connection_t* c = display_.get();
    std::vector<xcb_window_t> candidates = ClientList();
    const bool from_wm = !candidates.empty();
    if (!from_wm) {
      XcbReply<xcb_query_tree_reply_t> tree(
          xcb_query_tree_reply(c, xcb_query_tree(c, display_.root()), nullptr));
      if (!tree) {
        return xcb_connection_has_error(c)
                   ? Result<std::vector<WindowInfo>>(
                         MakeError("X connection lost"))
                   : Result<std::vector<WindowInfo>>(
                         MakeTemporaryError("QueryTree failed"));
      }
      const xcb_window_t* children = xcb_query_tree_children(tree.get());
      candidates.assign(children,
                        children + xcb_query_tree_children_length(tree.get()));
    }
    std::vector<WindowInfo> windows;
    for (xcb_window_t w : candidates) {
      if (!from_wm) {
        XcbReply<xcb_get_window_attributes_reply_t> attrs(
            xcb_get_window_attributes_reply(c, xcb_get_window_attributes(c, w),
                                            nullptr));
        if (!attrs || attrs->map_state != XCB_MAP_STATE_VIEWABLE ||
            attrs->_class != XCB_WINDOW_CLASS_INPUT_OUTPUT) {
          continue;
        }
      }
      WindowInfo info;
      info.id = w;
      info.title = Title(w);
      if (info.title.empty())
        continue;
      auto geometry_cookie = xcb_get_geometry(c, w);
      auto position_cookie =
          xcb_translate_coordinates(c, w, display_.root(), 0, 0);
      XcbReply<xcb_get_geometry_reply_t> geometry(
          xcb_get_geometry_reply(c, geometry_cookie, nullptr));
      XcbReply<xcb_translate_coordinates_reply_t> position(
          xcb_translate_coordinates_reply(c, position_cookie, nullptr));
      if (!geometry || !position)
        continue;  // closed meanwhile
      info.rect = {position->dst_x, position->dst_y, geometry->width,
                   geometry->height};
      windows.push_back(std::move(info));
    }
    return windows;
  }

 private:
  std::vector<xcb_window_t> ClientList() {
    xcb_connection_t* c = display_.get();
    XcbReply<xcb_get_property_reply_t> reply(xcb_get_property_reply(
        c,
        xcb_get_property(c, 0, display_.root(), net_client_list_,
                         XCB_ATOM_WINDOW, 0, 4096),
        nullptr));
    if (!reply || reply->format != 32)
      return {};
    const auto* ids =
        static_cast<const xcb_window_t*>(xcb_get_property_value(reply.get()));
    const int n = xcb_get_property_value_length(reply.get()) / 4;
    return std::vector<xcb_window_t>(ids, ids + n);
  }

  std::string StringProperty(xcb_window_t w,
                             xcb_atom_t property,
                             xcb_atom_t type) {
    xcb_connection_t* c = display_.get();
    XcbReply<xcb_get_property_reply_t> reply(xcb_get_property_reply(
        c, xcb_get_property(c, 0, w, property, type, 0, 1024), nullptr));
    if (!reply || reply->format != 8)
      return {};
    return std::string(
        static_cast<const char*>(xcb_get_property_value(reply.get())),
        static_cast<size_t>(xcb_get_property_value_length(reply.get())));
  }

  std::string Title(xcb_window_t w) {
    std::string title = StringProperty(w, net_wm_name_, utf8_string_);
    if (title.empty()) {
      // WM_NAME is Latin-1 (STRING); convert to UTF-8.
      const std::string latin1 =
          StringProperty(w, XCB_ATOM_WM_NAME, XCB_ATOM_STRING);
      for (unsigned char ch : latin1) {
        if (ch < 0x80) {
          title.push_back(static_cast<char>(ch));
        } else {
          title.push_back(static_cast<char>(0xc0 | (ch >> 6)));
          title.push_back(static_cast<char>(0x80 | (ch & 0x3f)));
        }
      }
    }
    return title;
  }

  x11::X11Display display_;
  xcb_atom_t net_client_list_ = XCB_ATOM_NONE;
  xcb_atom_t net_wm_name_ = XCB_ATOM_NONE;
  xcb_atom_t utf8_string_ = XCB_ATOM_NONE;
};

}  // namespace

Result<std::unique_ptr<WindowList>> internal::CreateX11WindowList(
    const std::string& display_name) {
  auto display = x11::ConnectToDisplay(display_name);
  if (!display)
    return Unexpected(display.error());
  return std::unique_ptr<WindowList>(
      std::make_unique<X11WindowList>(std::move(*display)));
}

}  // namespace tether::desktop
