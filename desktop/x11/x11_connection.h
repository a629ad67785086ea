#pragma once

// xcb handles owned once, and the connection probe shared by the X11
// backends. Internal to desktop/: public headers never include xcb.

#include <xcb/xcb.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "base/result.h"

namespace tether::desktop::x11 {

struct XcbConnectionDeleter {
  void operator()(xcb_connection_t* c) const { xcb_disconnect(c); }
};
using ScopedXcbConnection =
    std::unique_ptr<xcb_connection_t, XcbConnectionDeleter>;

// xcb replies and errors are malloc'ed.
struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
template <typename T>
using XcbReply = std::unique_ptr<T, FreeDeleter>;
using XcbError = std::unique_ptr<xcb_generic_error_t, FreeDeleter>;

// An open connection and its default screen.
struct X11Display {
  ScopedXcbConnection connection;
  xcb_screen_t* screen = nullptr;  // owned by the connection's setup

  xcb_connection_t* get() const { return connection.get(); }
  xcb_window_t root() const { return screen->root; }
};

// Connects to `display_name`, or to $DISPLAY when it is empty. No display
// configured or a malformed name are permanent errors; a server that does not
// answer (not running yet, restarting) is temporary.
Result<X11Display> ConnectToDisplay(const std::string& display_name);

// A round trip: when it returns, the server has processed every request sent
// before it on `c`. False if the connection broke.
bool Sync(xcb_connection_t* c);

// Interns `name` (creating the atom); XCB_ATOM_NONE on failure.
xcb_atom_t InternAtom(xcb_connection_t* c, const char* name);

// The name of an atom, empty on failure.
std::string AtomName(xcb_connection_t* c, xcb_atom_t atom);

}  // namespace tether::desktop::x11
