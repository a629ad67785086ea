#include "desktop/x11/x11_connection.h"

#include <cstring>
#include <utility>

namespace tether::desktop::x11 {

Result<X11Display> ConnectToDisplay(const std::string& display_name) {
  const char* name =
      display_name.empty() ? std::getenv("DISPLAY") : display_name.c_str();
  if (name == nullptr || *name == '\0') {
    return MakeError("no X display: DISPLAY is not set");
  }
  int screen_number = 0;
  ScopedXcbConnection connection(xcb_connect(name, &screen_number));
  switch (xcb_connection_has_error(connection.get())) {
    case 0:
      break;
    case XCB_CONN_CLOSED_PARSE_ERR:
    case XCB_CONN_CLOSED_INVALID_SCREEN:
      return MakeError("X display name '" + std::string(name) + "' is invalid");
    case XCB_CONN_ERROR:
      return MakeTemporaryError("cannot connect to X display '" +
                                std::string(name) + "'");
    default:
      return MakeError("X display '" + std::string(name) +
                       "' refused the connection");
  }
  xcb_screen_iterator_t it =
      xcb_setup_roots_iterator(xcb_get_setup(connection.get()));
  for (int i = 0; i < screen_number && it.rem > 0; ++i) {
    xcb_screen_next(&it);
  }
  if (it.rem == 0 || it.data == nullptr) {
    return MakeError("X display '" + std::string(name) + "' has no screen " +
                     std::to_string(screen_number));
  }
  X11Display display;
  display.screen = it.data;
  display.connection = std::move(connection);
  return display;
}

bool Sync(xcb_connection_t* c) {
  XcbReply<xcb_get_input_focus_reply_t> reply(
      xcb_get_input_focus_reply(c, xcb_get_input_focus(c), nullptr));
  return reply != nullptr;
}

xcb_atom_t InternAtom(xcb_connection_t* c, const char* name) {
  XcbReply<xcb_intern_atom_reply_t> reply(xcb_intern_atom_reply(
      c, xcb_intern_atom(c, 0, static_cast<uint16_t>(std::strlen(name)), name),
      nullptr));
  return reply ? reply->atom : xcb_atom_t{XCB_ATOM_NONE};
}

std::string AtomName(xcb_connection_t* c, xcb_atom_t atom) {
  XcbReply<xcb_get_atom_name_reply_t> reply(
      xcb_get_atom_name_reply(c, xcb_get_atom_name(c, atom), nullptr));
  if (!reply)
    return {};
  return std::string(
      xcb_get_atom_name_name(reply.get()),
      static_cast<size_t>(xcb_get_atom_name_name_length(reply.get())));
}

}  // namespace tether::desktop::x11
