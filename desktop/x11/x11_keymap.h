#pragma once

// The X server's core keyboard mapping, read once per change, for the
// backends that press keys (input injection) and grab them (the global
// hotkey). Internal to desktop/.

#include <xcb/xcb.h>

#include <cstdint>
#include <vector>

#include "base/result.h"

namespace tether::desktop::x11 {

inline constexpr xcb_keysym_t kNoSymbol = 0;

// keysyms_per_keycode columns per keycode. Column 0 is the unshifted
// symbol, column 1 the shifted one.
struct Keymap {
  uint8_t min_keycode = 8;
  uint8_t max_keycode = 255;
  int per_keycode = 0;
  std::vector<xcb_keysym_t> syms;

  // kNoSymbol outside the map.
  xcb_keysym_t At(uint8_t keycode, int column) const;
  // No symbol in any column (a keycode free for remapping).
  bool Empty(uint8_t keycode) const;
  // Every keycode that has `keysym` in some column, in order.
  std::vector<xcb_keycode_t> KeycodesFor(xcb_keysym_t keysym) const;
};

// Reads the mapping (a temporary error when the server does not answer).
Result<Keymap> ReadKeymap(xcb_connection_t* c);

}  // namespace tether::desktop::x11
