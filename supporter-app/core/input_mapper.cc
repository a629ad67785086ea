#include "supporter-app/core/input_mapper.h"

// Keysym values only (macros); nothing of Xlib is linked.
#include <X11/XF86keysym.h>
#include <X11/keysym.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/utf8.h"
#include "desktop/input/input_injector.h"

namespace tether::supporter {

namespace {

using desktop::DesktopPoint;
using desktop::DesktopRect;

proto::InputEvent KeyEvent(uint32_t keysym, bool pressed) {
  proto::InputEvent event;
  event.mutable_key()->set_keysym(keysym);
  event.mutable_key()->set_pressed(pressed);
  return event;
}

proto::InputEvent ButtonEvent(uint32_t button, bool pressed) {
  proto::InputEvent event;
  event.mutable_mouse_button()->set_button(button);
  event.mutable_mouse_button()->set_pressed(pressed);
  return event;
}

// Presses the keys in order, then releases them in reverse order.
std::vector<proto::InputEvent> Chord(std::initializer_list<uint32_t> keys) {
  std::vector<proto::InputEvent> events;
  for (uint32_t keysym : keys)
    events.push_back(KeyEvent(keysym, true));
  for (auto it = std::rbegin(keys); it != std::rend(keys); ++it)
    events.push_back(KeyEvent(*it, false));
  return events;
}

// True for text a user typed (no control characters, valid UTF-8): what
// InputInjector::Text() accepts on the other side.
bool IsPrintableText(const std::string& text) {
  if (text.empty())
    return false;
  auto code_points = DecodeUtf8(text);
  if (!code_points)
    return false;
  for (char32_t cp : *code_points) {
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
      return false;
  }
  return true;
}

// Latin-1 upper-case letters have their lower case 0x20 above (À..Þ
// without ×). X reports the lower-case keysym for an unshifted letter.
bool IsLatin1UpperLetter(int c) {
  return (c >= 'A' && c <= 'Z') || (c >= 0xc0 && c <= 0xde && c != 0xd7);
}

// A table, kept one entry per line.
// clang-format off
uint32_t KeypadKeysym(int qt_key) {
  switch (qt_key) {
    case Qt::Key_0: return XK_KP_0;
    case Qt::Key_1: return XK_KP_1;
    case Qt::Key_2: return XK_KP_2;
    case Qt::Key_3: return XK_KP_3;
    case Qt::Key_4: return XK_KP_4;
    case Qt::Key_5: return XK_KP_5;
    case Qt::Key_6: return XK_KP_6;
    case Qt::Key_7: return XK_KP_7;
    case Qt::Key_8: return XK_KP_8;
    case Qt::Key_9: return XK_KP_9;
    case Qt::Key_Asterisk: return XK_KP_Multiply;
    case Qt::Key_Plus: return XK_KP_Add;
    case Qt::Key_Minus: return XK_KP_Subtract;
    case Qt::Key_Period: return XK_KP_Decimal;
    case Qt::Key_Comma: return XK_KP_Separator;  // e.g. the German keypad
    case Qt::Key_Slash: return XK_KP_Divide;
    case Qt::Key_Equal: return XK_KP_Equal;
    case Qt::Key_Enter: return XK_KP_Enter;
    case Qt::Key_Space: return XK_KP_Space;
    case Qt::Key_Tab: return XK_KP_Tab;
    // NumLock off: the keypad's navigation keys.
    case Qt::Key_Home: return XK_KP_Home;
    case Qt::Key_End: return XK_KP_End;
    case Qt::Key_Left: return XK_KP_Left;
    case Qt::Key_Up: return XK_KP_Up;
    case Qt::Key_Right: return XK_KP_Right;
    case Qt::Key_Down: return XK_KP_Down;
    case Qt::Key_PageUp: return XK_KP_Page_Up;
    case Qt::Key_PageDown: return XK_KP_Page_Down;
    case Qt::Key_Insert: return XK_KP_Insert;
    case Qt::Key_Delete: return XK_KP_Delete;
    case Qt::Key_Clear: return XK_KP_Begin;  // the 5 without NumLock
    default: return 0;
  }
}
// clang-format on

// clang-format off
uint32_t SpecialKeysym(int qt_key) {
  switch (qt_key) {
    case Qt::Key_Escape: return XK_Escape;
    case Qt::Key_Tab: return XK_Tab;
    // Shift+Tab: the keysym X reports for Tab with Shift held, so the
    // customer's injector keeps Shift down around it.
    case Qt::Key_Backtab: return XK_ISO_Left_Tab;
    case Qt::Key_Backspace: return XK_BackSpace;
    case Qt::Key_Return: return XK_Return;
    case Qt::Key_Enter: return XK_KP_Enter;
    case Qt::Key_Insert: return XK_Insert;
    case Qt::Key_Delete: return XK_Delete;
    case Qt::Key_Pause: return XK_Pause;
    case Qt::Key_Print: return XK_Print;
    case Qt::Key_SysReq: return XK_Sys_Req;
    case Qt::Key_Clear: return XK_Clear;
    case Qt::Key_Home: return XK_Home;
    case Qt::Key_End: return XK_End;
    case Qt::Key_Left: return XK_Left;
    case Qt::Key_Up: return XK_Up;
    case Qt::Key_Right: return XK_Right;
    case Qt::Key_Down: return XK_Down;
    case Qt::Key_PageUp: return XK_Page_Up;
    case Qt::Key_PageDown: return XK_Page_Down;
    case Qt::Key_Shift: return XK_Shift_L;
    case Qt::Key_Control: return XK_Control_L;
    // Qt reports the Windows/Super key as Key_Meta or Key_Super_L,
    // depending on the platform plugin; both are Super on the customer's X.
    case Qt::Key_Meta: return XK_Super_L;
    case Qt::Key_Super_L: return XK_Super_L;
    case Qt::Key_Super_R: return XK_Super_R;
    case Qt::Key_Hyper_L: return XK_Hyper_L;
    case Qt::Key_Hyper_R: return XK_Hyper_R;
    case Qt::Key_Alt: return XK_Alt_L;
    case Qt::Key_AltGr: return XK_ISO_Level3_Shift;
    case Qt::Key_CapsLock: return XK_Caps_Lock;
    case Qt::Key_NumLock: return XK_Num_Lock;
    case Qt::Key_ScrollLock: return XK_Scroll_Lock;
    case Qt::Key_Menu: return XK_Menu;
    case Qt::Key_Help: return XK_Help;
    case Qt::Key_Cancel: return XK_Cancel;
    case Qt::Key_Execute: return XK_Execute;
    case Qt::Key_Select: return XK_Select;
    case Qt::Key_Undo: return XK_Undo;
    case Qt::Key_Redo: return XK_Redo;
    case Qt::Key_Find: return XK_Find;
    case Qt::Key_Mode_switch: return XK_Mode_switch;
    // Media and browser keys, where X has XF86 keysyms. Power, sleep and
    // suspend keys are left out on purpose: a stray press on the
    // technician's keyboard must not switch off the customer's machine.
    case Qt::Key_VolumeDown: return XF86XK_AudioLowerVolume;
    case Qt::Key_VolumeUp: return XF86XK_AudioRaiseVolume;
    case Qt::Key_VolumeMute: return XF86XK_AudioMute;
    case Qt::Key_MicMute: return XF86XK_AudioMicMute;
    case Qt::Key_MediaPlay: return XF86XK_AudioPlay;
    // X has no toggle keysym; desktops treat AudioPlay as play/pause.
    case Qt::Key_MediaTogglePlayPause: return XF86XK_AudioPlay;
    case Qt::Key_MediaPause: return XF86XK_AudioPause;
    case Qt::Key_MediaStop: return XF86XK_AudioStop;
    case Qt::Key_MediaPrevious: return XF86XK_AudioPrev;
    case Qt::Key_MediaNext: return XF86XK_AudioNext;
    case Qt::Key_MediaRecord: return XF86XK_AudioRecord;
    case Qt::Key_Back: return XF86XK_Back;
    case Qt::Key_Forward: return XF86XK_Forward;
    case Qt::Key_Stop: return XF86XK_Stop;
    case Qt::Key_Refresh: return XF86XK_Refresh;
    case Qt::Key_HomePage: return XF86XK_HomePage;
    case Qt::Key_Favorites: return XF86XK_Favorites;
    case Qt::Key_Search: return XF86XK_Search;
    case Qt::Key_LaunchMail: return XF86XK_Mail;
    case Qt::Key_LaunchMedia: return XF86XK_AudioMedia;
    case Qt::Key_Calculator: return XF86XK_Calculator;
    case Qt::Key_Explorer: return XF86XK_Explorer;
    case Qt::Key_Eject: return XF86XK_Eject;
    case Qt::Key_MonBrightnessUp: return XF86XK_MonBrightnessUp;
    case Qt::Key_MonBrightnessDown: return XF86XK_MonBrightnessDown;
    default: break;
  }
  // clang-format on
  if (qt_key >= Qt::Key_F1 && qt_key <= Qt::Key_F35) {
    // Both ranges are contiguous: F1..F35.
    return XK_F1 + static_cast<uint32_t>(qt_key - Qt::Key_F1);
  }
  // Dead keys stay local: the technician's input method composes the
  // character, which arrives as its own key or text; forwarding the dead
  // key as well would compose twice on the customer's side.
  return 0;
}

}  // namespace

uint32_t KeysymForQtKey(int qt_key, Qt::KeyboardModifiers modifiers) {
  if (modifiers.testFlag(Qt::KeypadModifier)) {
    if (const uint32_t keysym = KeypadKeysym(qt_key))
      return keysym;
  }
  // Printable Latin-1: Qt's key code is the character (upper case for
  // letters), and Latin-1 keysyms equal their code points.
  if ((qt_key >= 0x20 && qt_key <= 0x7e) ||
      (qt_key >= 0xa0 && qt_key <= 0xff)) {
    if (IsLatin1UpperLetter(qt_key) && !modifiers.testFlag(Qt::ShiftModifier)) {
      return static_cast<uint32_t>(qt_key + 0x20);
    }
    return static_cast<uint32_t>(qt_key);
  }
  if (qt_key >= Qt::Key_Escape && qt_key != Qt::Key_unknown)
    return SpecialKeysym(qt_key);
  // Any other Unicode character (Cyrillic, €, ...) has no direct keysym
  // here: it goes as text.
  return 0;
}

std::vector<proto::InputEvent> InputMapper::Key(int qt_key,
                                                Qt::KeyboardModifiers modifiers,
                                                const std::string& text,
                                                bool pressed,
                                                bool auto_repeat,
                                                uint32_t native_scan_code) {
  // The held key this event is about: the same physical key if Qt told us
  // which, else the same Qt key (its keysym may differ now that Shift
  // changed), else the same keysym.
  const uint32_t keysym = KeysymForQtKey(qt_key, modifiers);
  auto held = keys_down_.end();
  if (native_scan_code != 0) {
    held = std::find_if(
        keys_down_.begin(), keys_down_.end(),
        [&](const HeldKey& k) { return k.scan_code == native_scan_code; });
  }
  // Two known, different scan codes are two physical keys (left and right
  // Shift are both Key_Shift).
  const auto maybe_same_key = [&](const HeldKey& k) {
    return native_scan_code == 0 || k.scan_code == 0;
  };
  if (held == keys_down_.end() && qt_key != 0 && qt_key != Qt::Key_unknown) {
    held = std::find_if(keys_down_.begin(), keys_down_.end(),
                        [&](const HeldKey& k) {
                          return k.qt_key == qt_key && maybe_same_key(k);
                        });
  }
  if (held == keys_down_.end() && keysym != 0) {
    held = std::find_if(keys_down_.begin(), keys_down_.end(),
                        [&](const HeldKey& k) {
                          return k.keysym == keysym && maybe_same_key(k);
                        });
  }

  if (!pressed) {
    // Qt's auto-repeat comes as release+press pairs; the customer's side
    // sees only the presses, as from a real keyboard.
    if (auto_repeat || held == keys_down_.end())
      return {};
    const uint32_t sent = held->keysym;
    keys_down_.erase(held);
    // Both Shift keys send Shift_L: it goes up with the last of them.
    const bool still_held =
        std::any_of(keys_down_.begin(), keys_down_.end(),
                    [&](const HeldKey& k) { return k.keysym == sent; });
    if (still_held)
      return {};
    return {KeyEvent(sent, false)};
  }

  if (held != keys_down_.end())
    return {KeyEvent(held->keysym, true)};  // a repeat: press again
  if (keysym == 0) {
    if (IsPrintableText(text)) {
      proto::InputEvent event;
      event.mutable_text()->set_text(text);
      return {event};
    }
    return {};
  }
  keys_down_.push_back({native_scan_code, qt_key, keysym});
  return {KeyEvent(keysym, true)};
}

std::vector<proto::InputEvent> InputMapper::Button(Qt::MouseButton button,
                                                   bool pressed) {
  uint32_t number = 0;
  switch (button) {
    case Qt::LeftButton:
      number = 1;
      break;
    case Qt::MiddleButton:
      number = 2;
      break;
    case Qt::RightButton:
      number = 3;
      break;
    case Qt::BackButton:
      number = 8;
      break;
    case Qt::ForwardButton:
      number = 9;
      break;
    default:
      return {};
  }
  const auto held =
      std::find(buttons_down_.begin(), buttons_down_.end(), number);
  if (pressed) {
    if (held != buttons_down_.end())
      return {};
    buttons_down_.push_back(number);
  } else {
    if (held == buttons_down_.end())
      return {};
    buttons_down_.erase(held);
  }
  return {ButtonEvent(number, pressed)};
}

std::vector<proto::InputEvent> InputMapper::Wheel(int angle_x, int angle_y) {
  constexpr int64_t kNotch = 120;
  // Bounds the remainders whatever a broken device reports.
  constexpr int64_t kMaxAngle = int64_t{1} << 24;
  wheel_rest_x_ += std::clamp<int64_t>(angle_x, -kMaxAngle, kMaxAngle);
  wheel_rest_y_ += std::clamp<int64_t>(angle_y, -kMaxAngle, kMaxAngle);
  // Whole notches go out, the rest (toward zero) waits: a high-resolution
  // wheel's small steps add up to a notch instead of being lost.
  const int64_t notches_x = wheel_rest_x_ / kNotch;
  const int64_t notches_y = wheel_rest_y_ / kNotch;
  wheel_rest_x_ -= notches_x * kNotch;
  wheel_rest_y_ -= notches_y * kNotch;
  if (notches_x == 0 && notches_y == 0)
    return {};
  proto::InputEvent event;
  // Qt: positive = away from the user (up) / left; ours: down / right.
  event.mutable_mouse_wheel()->set_delta_x(static_cast<int32_t>(-notches_x));
  event.mutable_mouse_wheel()->set_delta_y(static_cast<int32_t>(-notches_y));
  return {event};
}

std::vector<proto::InputEvent> InputMapper::Move(DesktopPoint remote) {
  if (last_move_ == remote)
    return {};
  last_move_ = remote;
  proto::InputEvent event;
  event.mutable_mouse_move()->set_x(remote.x);
  event.mutable_mouse_move()->set_y(remote.y);
  return {event};
}

std::vector<proto::InputEvent> InputMapper::MoveInView(const ViewGeometry& view,
                                                       double widget_x,
                                                       double widget_y) {
  const std::optional<DesktopPoint> remote =
      buttons_down_.empty() ? MapToRemote(view, widget_x, widget_y)
                            : MapToRemoteClamped(view, widget_x, widget_y);
  if (!remote)
    return {};
  return Move(*remote);
}

std::vector<proto::InputEvent> InputMapper::ReleaseAll() {
  std::vector<proto::InputEvent> events;
  for (auto it = buttons_down_.rbegin(); it != buttons_down_.rend(); ++it)
    events.push_back(ButtonEvent(*it, false));
  for (auto it = keys_down_.rbegin(); it != keys_down_.rend(); ++it) {
    // Two Qt keys may have pressed the same keysym; release it once.
    const bool released_already =
        std::any_of(keys_down_.rbegin(), it,
                    [&](const HeldKey& k) { return k.keysym == it->keysym; });
    if (!released_already)
      events.push_back(KeyEvent(it->keysym, false));
  }
  buttons_down_.clear();
  keys_down_.clear();
  wheel_rest_x_ = wheel_rest_y_ = 0;
  return events;
}

std::vector<proto::InputEvent> InputMapper::CtrlAltDelete() {
  return Chord({XK_Control_L, XK_Alt_L, XK_Delete});
}

std::vector<proto::InputEvent> InputMapper::AltTab() {
  return Chord({XK_Alt_L, XK_Tab});
}

std::vector<proto::InputEvent> InputMapper::SuperKey() {
  return Chord({XK_Super_L});
}

}  // namespace tether::supporter
