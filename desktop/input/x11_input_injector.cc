#include <xcb/xcb.h>
#include <xcb/xtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "base/log.h"
#include "base/utf8.h"
#include "desktop/input/input_injector.h"
#include "desktop/x11/x11_backend.h"
#include "desktop/x11/x11_connection.h"
#include "desktop/x11/x11_keymap.h"

namespace tether::desktop {
namespace {

using x11::XcbReply;

constexpr xcb_keysym_t kShiftL = 0xffe1;
constexpr xcb_keysym_t kShiftR = 0xffe2;

using x11::Keymap;
using x11::kNoSymbol;

struct KeyPosition {
  uint8_t keycode = 0;
  int level = 0;  // 0: unshifted, 1: shifted, -1: either (a remapped key)
};

class X11InputInjector final : public InputInjector {
 public:
  explicit X11InputInjector(x11::X11Display display)
      : display_(std::move(display)) {}

  ~X11InputInjector() override {
    xcb_connection_t* c = display_.get();
    ReleaseAll();  // leave nothing pressed behind
    // Restoring the layout injects no input.
    std::vector<xcb_keysym_t> empty(static_cast<size_t>(keymap_.per_keycode),
                                    kNoSymbol);
    for (const auto& [keycode, keysym] : remapped_) {
      xcb_change_keyboard_mapping(c, 1, keycode,
                                  static_cast<uint8_t>(keymap_.per_keycode),
                                  empty.data());
    }
    x11::Sync(c);
  }

  Result<void> Init() {
    xcb_connection_t* c = display_.get();
    const xcb_query_extension_reply_t* ext =
        xcb_get_extension_data(c, &xcb_test_id);
    if (ext == nullptr || !ext->present) {
      return MakeError("X display has no XTEST extension");
    }
    XcbReply<xcb_test_get_version_reply_t> version(
        xcb_test_get_version_reply(c, xcb_test_get_version(c, 2, 2), nullptr));
    if (!version)
      return MakeError("XTEST version query failed");
    if (auto result = LoadKeymap(); !result)
      return result;
    for (int kc = keymap_.min_keycode; kc <= keymap_.max_keycode; ++kc) {
      if (keymap_.Empty(static_cast<uint8_t>(kc))) {
        spare_keycodes_.push_back(static_cast<uint8_t>(kc));
      }
    }
    return {};
  }

  Result<void> MoveMouse(DesktopPoint p) override {
    if (auto r = BeginCall(); !r)
      return r;
    const auto x = static_cast<int16_t>(std::clamp(p.x, 0, 32767));
    const auto y = static_cast<int16_t>(std::clamp(p.y, 0, 32767));
    if (auto r = Send(XCB_MOTION_NOTIFY, 0, x, y); !r)
      return r;
    return Finish();
  }

  Result<void> PressButton(int button, bool pressed) override {
    if (button < 1 || button > kMaxButton) {
      return MakeError("mouse button out of range");
    }
    if (auto r = BeginCall(); !r)
      return r;
    const auto b = static_cast<uint8_t>(button);
    if (auto r = Send(pressed ? XCB_BUTTON_PRESS : XCB_BUTTON_RELEASE, b); !r) {
      return r;
    }
    return Finish();
  }

  Result<void> Scroll(int dx, int dy) override {
    if (auto r = BeginCall(); !r)
      return r;
    auto clicks = [&](uint8_t button, int count) -> Result<void> {
      for (int i = 0; i < count; ++i) {
        if (IsInterrupted())
          return Interrupted();
        if (auto r = Send(XCB_BUTTON_PRESS, button); !r)
          return r;
        if (auto r = Send(XCB_BUTTON_RELEASE, button); !r)
          return r;
      }
      return {};
    };
    constexpr int kMaxClicks = 100;  // per call; more is a broken peer
    dx = std::clamp(dx, -kMaxClicks, kMaxClicks);
    dy = std::clamp(dy, -kMaxClicks, kMaxClicks);
    if (auto r = clicks(dy < 0 ? 4 : 5, std::abs(dy)); !r)
      return r;
    if (auto r = clicks(dx < 0 ? 6 : 7, std::abs(dx)); !r)
      return r;
    return Finish();
  }

  Result<void> Key(uint32_t keysym, bool pressed) override {
    if (keysym == kNoSymbol)
      return MakeError("no keysym");
    if (auto r = BeginCall(); !r)
      return r;
    if (pressed) {
      auto position = Resolve(keysym);
      if (!position)
        return Unexpected(position.error());
      if (auto r = PressAt(*position); !r)
        return r;
      held_keys_[keysym] = position->keycode;
    } else {
      uint8_t keycode = 0;
      if (auto it = held_keys_.find(keysym); it != held_keys_.end()) {
        keycode = it->second;
        held_keys_.erase(it);
      } else if (auto position = Find(keysym)) {
        keycode = position->keycode;
      } else {
        return {};  // never pressed, nothing to release
      }
      if (auto r = Send(XCB_KEY_RELEASE, keycode); !r)
        return r;
    }
    return Finish();
  }

  void ReleaseAll() override {
    xcb_connection_t* c = display_.get();
    for (uint8_t keycode : down_keys_) {
      xcb_test_fake_input(c, XCB_KEY_RELEASE, keycode, XCB_CURRENT_TIME,
                          XCB_NONE, 0, 0, 0);
    }
    for (uint8_t button : down_buttons_) {
      xcb_test_fake_input(c, XCB_BUTTON_RELEASE, button, XCB_CURRENT_TIME,
                          XCB_NONE, 0, 0, 0);
    }
    down_keys_.clear();
    down_buttons_.clear();
    held_keys_.clear();
    x11::Sync(c);
  }

  Result<void> Text(std::string_view utf8) override {
    const auto codepoints = DecodeUtf8(utf8);
    if (!codepoints)
      return MakeError("text is not valid UTF-8");
    std::vector<xcb_keysym_t> keysyms;
    for (char32_t cp : *codepoints) {
      const uint32_t keysym = CodepointToKeysym(cp);
      if (keysym == kNoSymbol) {
        return MakeError("text has a control character that cannot be typed");
      }
      keysyms.push_back(keysym);
    }
    if (auto r = BeginCall(); !r)
      return r;
    for (xcb_keysym_t keysym : keysyms) {
      if (IsInterrupted())
        return Interrupted();
      auto position = Resolve(keysym);
      if (!position)
        return Unexpected(position.error());
      if (auto r = PressAt(*position); !r)
        return r;
      if (auto r = Send(XCB_KEY_RELEASE, position->keycode); !r)
        return r;
    }
    return Finish();
  }

 private:
  static Unexpected<Error> Blocked() {
    return MakeError("input injection is blocked (emergency stop)");
  }
  static Unexpected<Error> Interrupted() {
    return MakeError("input injection was interrupted");
  }

  // Before a call's events: refuse when blocked, follow layout changes.
  Result<void> BeginCall() {
    if (IsBlocked())
      return Blocked();
    if (IsInterrupted())
      return Interrupted();
    xcb_connection_t* c = display_.get();
    if (xcb_connection_has_error(c))
      return MakeError("X connection lost");
    bool reload = false;
    while (xcb_generic_event_t* event = xcb_poll_for_event(c)) {
      if ((event->response_type & 0x7f) == XCB_MAPPING_NOTIFY &&
          reinterpret_cast<xcb_mapping_notify_event_t*>(event)->request ==
              XCB_MAPPING_KEYBOARD) {
        reload = true;
      }
      std::free(event);
    }
    return reload ? LoadKeymap() : Result<void>();
  }

  Result<void> Finish() {
    if (!x11::Sync(display_.get()))
      return MakeError("X connection lost");
    return {};
  }

  // Every single event goes through here.
  Result<void> Send(uint8_t type,
                    uint8_t detail,
                    int16_t x = 0,
                    int16_t y = 0) {
    if (IsBlocked())
      return Blocked();
    xcb_connection_t* c = display_.get();
    xcb_test_fake_input(c, type, detail, XCB_CURRENT_TIME,
                        type == XCB_MOTION_NOTIFY ? display_.root() : XCB_NONE,
                        x, y, 0);
    // What is down because of us, for ReleaseAll().
    switch (type) {
      case XCB_KEY_PRESS:
        down_keys_.insert(detail);
        break;
      case XCB_KEY_RELEASE:
        down_keys_.erase(detail);
        break;
      case XCB_BUTTON_PRESS:
        down_buttons_.insert(detail);
        break;
      case XCB_BUTTON_RELEASE:
        down_buttons_.erase(detail);
        break;
      default:
        break;
    }
    // Sent now: a later Block() cannot be undercut by a buffered event, and
    // nothing sits unsent in xcb's buffer when it runs.
    if (xcb_flush(c) <= 0)
      return MakeError("X connection lost");
    return {};
  }

  Result<void> LoadKeymap() {
    TETHER_TRY(keymap, x11::ReadKeymap(display_.get()));
    keymap_ = std::move(*keymap);
    return {};
  }

  std::optional<KeyPosition> Find(xcb_keysym_t keysym) const {
    for (const auto& [keycode, mapped] : remapped_) {
      if (mapped == keysym)
        return KeyPosition{keycode, -1};
    }
    for (int level = 0; level < std::min(2, keymap_.per_keycode); ++level) {
      for (int kc = keymap_.min_keycode; kc <= keymap_.max_keycode; ++kc) {
        if (keymap_.At(static_cast<uint8_t>(kc), level) == keysym) {
          return KeyPosition{static_cast<uint8_t>(kc), level};
        }
      }
    }
    return std::nullopt;
  }

  // Where `keysym` is, putting it on a spare keycode if the layout lacks it.
  // A remapped keycode keeps its symbol until it is needed for another one
  // (least recently used first) or the injector goes away: restoring it
  // right after the release would race clients that read the mapping only
  // when they handle the MappingNotify.
  Result<KeyPosition> Resolve(xcb_keysym_t keysym) {
    if (auto position = Find(keysym)) {
      if (position->level == -1) {
        auto it = std::find_if(remapped_.begin(), remapped_.end(),
                               [&](auto& r) { return r.second == keysym; });
        std::rotate(it, it + 1, remapped_.end());  // most recent last
      }
      return *position;
    }
    std::optional<uint8_t> keycode;
    for (uint8_t kc : spare_keycodes_) {
      if (std::none_of(remapped_.begin(), remapped_.end(),
                       [&](auto& r) { return r.first == kc; })) {
        keycode = kc;
        break;
      }
    }
    if (!keycode) {
      for (auto it = remapped_.begin(); it != remapped_.end(); ++it) {
        const uint8_t kc = it->first;
        if (std::none_of(held_keys_.begin(), held_keys_.end(),
                         [&](auto& h) { return h.second == kc; })) {
          keycode = kc;
          remapped_.erase(it);
          break;
        }
      }
    }
    if (!keycode)
      return MakeTemporaryError("no spare keycode to remap");
    if (IsBlocked())
      return Blocked();
    std::vector<xcb_keysym_t> syms(static_cast<size_t>(keymap_.per_keycode),
                                   kNoSymbol);
    for (size_t i = 0; i < syms.size() && i < 2; ++i)
      syms[i] = keysym;
    xcb_change_keyboard_mapping(display_.get(), 1, *keycode,
                                static_cast<uint8_t>(keymap_.per_keycode),
                                syms.data());
    std::copy(syms.begin(), syms.end(),
              keymap_.syms.begin() +
                  static_cast<ptrdiff_t>(*keycode - keymap_.min_keycode) *
                      keymap_.per_keycode);
    remapped_.emplace_back(*keycode, keysym);
    return KeyPosition{*keycode, -1};
  }

  // Shift keys that are down now (ours or the local user's).
  Result<std::vector<uint8_t>> ShiftKeysDown() {
    xcb_connection_t* c = display_.get();
    XcbReply<xcb_query_keymap_reply_t> reply(
        xcb_query_keymap_reply(c, xcb_query_keymap(c), nullptr));
    if (!reply)
      return MakeError("X connection lost");
    std::vector<uint8_t> down;
    for (int kc = keymap_.min_keycode; kc <= keymap_.max_keycode; ++kc) {
      const bool pressed = (reply->keys[kc / 8] >> (kc % 8)) & 1;
      const xcb_keysym_t sym = keymap_.At(static_cast<uint8_t>(kc), 0);
      if (pressed && (sym == kShiftL || sym == kShiftR)) {
        down.push_back(static_cast<uint8_t>(kc));
      }
    }
    return down;
  }

  // Presses the key at `position` with Shift in the state its level needs,
  // restoring Shift right after the press.
  Result<void> PressAt(const KeyPosition& position) {
    const uint8_t kc = position.keycode;
    const bool level_matters = position.level >= 0 &&
                               keymap_.At(kc, 1) != kNoSymbol &&
                               keymap_.At(kc, 1) != keymap_.At(kc, 0);
    if (!level_matters)
      return Send(XCB_KEY_PRESS, kc);
    auto shifts = ShiftKeysDown();
    if (!shifts)
      return Unexpected(shifts.error());
    const bool shift_down = !shifts->empty();
    if (position.level == 1 && !shift_down) {
      auto shift = Find(kShiftL);
      if (!shift)
        return MakeError("layout has no Shift key");
      if (auto r = Send(XCB_KEY_PRESS, shift->keycode); !r)
        return r;
      if (auto r = Send(XCB_KEY_PRESS, kc); !r)
        return r;
      return Send(XCB_KEY_RELEASE, shift->keycode);
    }
    if (position.level == 0 && shift_down) {
      for (uint8_t s : *shifts) {
        if (auto r = Send(XCB_KEY_RELEASE, s); !r)
          return r;
      }
      if (auto r = Send(XCB_KEY_PRESS, kc); !r)
        return r;
      for (uint8_t s : *shifts) {
        if (auto r = Send(XCB_KEY_PRESS, s); !r)
          return r;
      }
      return {};
    }
    return Send(XCB_KEY_PRESS, kc);
  }

  x11::X11Display display_;
  Keymap keymap_;
  std::vector<uint8_t> spare_keycodes_;
  std::vector<std::pair<uint8_t, xcb_keysym_t>> remapped_;  // LRU: oldest 1st
  std::map<xcb_keysym_t, uint8_t> held_keys_;
  // Every keycode and button pressed through Send() and not yet released.
  std::set<uint8_t> down_keys_;
  std::set<uint8_t> down_buttons_;
};

}  // namespace

Result<std::unique_ptr<InputInjector>> internal::CreateX11InputInjector(
    const std::string& display_name) {
  auto display = x11::ConnectToDisplay(display_name);
  if (!display)
    return Unexpected(display.error());
  auto injector = std::make_unique<X11InputInjector>(std::move(*display));
  if (auto result = injector->Init(); !result) {
    return Unexpected(result.error());
  }
  return std::unique_ptr<InputInjector>(std::move(injector));
}

}  // namespace tether::desktop
