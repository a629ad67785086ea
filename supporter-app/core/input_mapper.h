#pragma once

// From the technician's view to the customer's desktop: positions through
// view_geometry.h (fit-to-window, 1:1 with scrolling, HiDPI); Qt key
// events to X11 keysyms (press/release) or text; mouse buttons, wheel
// (angle deltas to notches, with remainders kept), drags (buttons held
// while moving). Pure functions and a small state; no widgets, so it is
// unit-tested directly. Uses QtCore's Qt::Key and modifier enums only.

#include <Qt>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "desktop/desktop_frame.h"
#include "protocol/peer.pb.h"
#include "supporter-app/core/view_geometry.h"

namespace tether::supporter {

// The keysym for a Qt key, or 0 when the key has none (then the text, if
// any, is sent as an InputEvent::Text). Letters follow Shift in `modifiers`
// (Key_A is XK_a without Shift, XK_A with it), as X reports a key; with
// Qt::KeypadModifier digits and operators are the XK_KP_* keysyms.
uint32_t KeysymForQtKey(int qt_key, Qt::KeyboardModifiers modifiers);

// Not thread-safe; the UI thread owns it.
class InputMapper {
 public:
  // A key press/release as Qt reports it. Returns the events to send.
  // An auto-repeated press is sent as another press without a release in
  // between (Qt's auto-repeat releases are dropped). A release always
  // releases the keysym its press sent, even if Shift changed in between:
  // the press is found again by `native_scan_code` (QKeyEvent::
  // nativeScanCode(), 0 if unknown), else by `qt_key`, else by keysym.
  // Printable characters with no Latin-1 keysym go as one Text event on
  // press (nothing on release).
  std::vector<proto::InputEvent> Key(int qt_key,
                                     Qt::KeyboardModifiers modifiers,
                                     const std::string& text,
                                     bool pressed,
                                     bool auto_repeat,
                                     uint32_t native_scan_code = 0);
  // Left 1, middle 2, right 3, back 8, forward 9; other buttons send
  // nothing. A press of a held button or a release of a button that is not
  // held sends nothing, so every press gets exactly one release.
  std::vector<proto::InputEvent> Button(Qt::MouseButton button, bool pressed);
  // Qt angle deltas (1/8 degree; 120 = one notch); fractions accumulate.
  // Qt's positive deltas mean up/left; the event's positive notches mean
  // down/right.
  std::vector<proto::InputEvent> Wheel(int angle_x, int angle_y);
  // A move to the same point as the last one sends nothing.
  std::vector<proto::InputEvent> Move(desktop::DesktopPoint remote);
  // The pointer at (widget_x, widget_y) of a view drawn as `view`: a Move
  // there when it is on the picture; nothing in the letterbox bars, unless
  // a button is held: then a Move to the nearest pixel of the edge, so a
  // drag that leaves the picture goes on along its border.
  std::vector<proto::InputEvent> MoveInView(const ViewGeometry& view,
                                            double widget_x,
                                            double widget_y);
  // Releases every key and button still held (focus lost, control
  // revoked, session ended): no key stays stuck on the customer's side.
  // Keys are released in the reverse order of their presses (so Ctrl of
  // Ctrl+C goes last); each exactly once. Also drops wheel remainders.
  std::vector<proto::InputEvent> ReleaseAll();

  // Combos the local desktop would otherwise eat (toolbar menu). Complete
  // press/release sequences; they do not touch the held-key state.
  static std::vector<proto::InputEvent> CtrlAltDelete();
  static std::vector<proto::InputEvent> AltTab();
  static std::vector<proto::InputEvent> SuperKey();

 private:
  struct HeldKey {
    uint32_t scan_code;  // 0 if unknown
    int qt_key;
    uint32_t keysym;
  };
  std::vector<HeldKey> keys_down_;  // in press order
  std::vector<uint32_t> buttons_down_;
  int64_t wheel_rest_x_ = 0, wheel_rest_y_ = 0;
  std::optional<desktop::DesktopPoint> last_move_;
};

}  // namespace tether::supporter
