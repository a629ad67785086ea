#include "desktop/x11/x11_keymap.h"

#include "desktop/x11/x11_connection.h"

namespace tether::desktop::x11 {

xcb_keysym_t Keymap::At(uint8_t keycode, int column) const {
  if (keycode < min_keycode || keycode > max_keycode || column < 0 ||
      column >= per_keycode) {
    return kNoSymbol;
  }
  const size_t index =
      static_cast<size_t>(keycode - min_keycode) * per_keycode + column;
  return index < syms.size() ? syms[index] : kNoSymbol;
}

bool Keymap::Empty(uint8_t keycode) const {
  for (int column = 0; column < per_keycode; ++column) {
    if (At(keycode, column) != kNoSymbol)
      return false;
  }
  return true;
}

std::vector<xcb_keycode_t> Keymap::KeycodesFor(xcb_keysym_t keysym) const {
  std::vector<xcb_keycode_t> out;
  if (per_keycode <= 0)
    return out;
  for (size_t i = 0; i < syms.size(); ++i) {
    const auto keycode =
        static_cast<xcb_keycode_t>(min_keycode + i / per_keycode);
    if (syms[i] == keysym && (out.empty() || out.back() != keycode))
      out.push_back(keycode);
  }
  return out;
}

Result<Keymap> ReadKeymap(xcb_connection_t* c) {
  const xcb_setup_t* setup = xcb_get_setup(c);
  XcbReply<xcb_get_keyboard_mapping_reply_t> reply(
      xcb_get_keyboard_mapping_reply(
          c,
          xcb_get_keyboard_mapping(
              c, setup->min_keycode,
              static_cast<uint8_t>(setup->max_keycode - setup->min_keycode +
                                   1)),
          nullptr));
  if (!reply)
    return MakeTemporaryError("cannot read the keyboard mapping");
  Keymap map;
  map.min_keycode = setup->min_keycode;
  map.max_keycode = setup->max_keycode;
  map.per_keycode = reply->keysyms_per_keycode;
  const xcb_keysym_t* syms = xcb_get_keyboard_mapping_keysyms(reply.get());
  map.syms.assign(syms,
                  syms + xcb_get_keyboard_mapping_keysyms_length(reply.get()));
  return map;
}

}  // namespace tether::desktop::x11
