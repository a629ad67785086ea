#include "customer-app/core/emergency_stop_hotkey.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <xcb/xcb.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "base/log.h"

namespace tether::customer {
namespace {

constexpr xcb_keysym_t kKeysymLowerS = 0x0073;
constexpr xcb_keysym_t kKeysymUpperS = 0x0053;
constexpr xcb_keysym_t kKeysymAltL = 0xffe9;
constexpr xcb_keysym_t kKeysymAltR = 0xffea;
constexpr xcb_keysym_t kKeysymMetaL = 0xffe7;

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
template <typename T>
using Reply = std::unique_ptr<T, FreeDeleter>;

struct Keymap {
  xcb_keycode_t min = 8;
  int per = 0;
  std::vector<xcb_keysym_t> syms;

  std::vector<xcb_keycode_t> KeycodesFor(xcb_keysym_t keysym) const {
    std::vector<xcb_keycode_t> out;
    if (per <= 0)
      return out;
    for (size_t i = 0; i < syms.size(); ++i) {
      const auto keycode = static_cast<xcb_keycode_t>(min + i / per);
      if (syms[i] == keysym && (out.empty() || out.back() != keycode)) {
        out.push_back(keycode);
      }
    }
    return out;
  }
};

Result<Keymap> LoadKeymap(xcb_connection_t* c) {
  const xcb_setup_t* setup = xcb_get_setup(c);
  Reply<xcb_get_keyboard_mapping_reply_t> reply(xcb_get_keyboard_mapping_reply(
      c,
      xcb_get_keyboard_mapping(
          c, setup->min_keycode,
          static_cast<uint8_t>(setup->max_keycode - setup->min_keycode + 1)),
      nullptr));
  if (!reply)
    return MakeError("cannot read the keyboard mapping");
  Keymap map;
  map.min = setup->min_keycode;
  map.per = reply->keysyms_per_keycode;
  const xcb_keysym_t* syms = xcb_get_keyboard_mapping_keysyms(reply.get());
  map.syms.assign(syms,
                  syms + xcb_get_keyboard_mapping_keysyms_length(reply.get()));
  return map;
}

// The modifier bit (Mod1..Mod5) that holds any of `keycodes`; 0 if none.
uint16_t ModifierOf(xcb_connection_t* c,
                    const std::vector<xcb_keycode_t>& keycodes) {
  Reply<xcb_get_modifier_mapping_reply_t> reply(
      xcb_get_modifier_mapping_reply(c, xcb_get_modifier_mapping(c), nullptr));
  if (!reply)
    return 0;
  const xcb_keycode_t* codes = xcb_get_modifier_mapping_keycodes(reply.get());
  const int per = reply->keycodes_per_modifier;
  for (int mod = 3; mod < 8; ++mod) {  // Mod1..Mod5
    for (int k = 0; k < per; ++k) {
      const xcb_keycode_t code = codes[mod * per + k];
      for (xcb_keycode_t wanted : keycodes) {
        if (code != 0 && code == wanted)
          return static_cast<uint16_t>(1u << mod);
      }
    }
  }
  return 0;
}

class XcbHotkey final : public EmergencyStopHotkey {
 public:
  XcbHotkey(xcb_connection_t* c, xcb_window_t root, Callback callback)
      : c_(c), root_(root), callback_(std::move(callback)) {}

  ~XcbHotkey() override {
    if (thread_.joinable()) {
      const uint64_t one = 1;
      (void)!write(wake_fd_, &one, sizeof(one));
      thread_.join();
    }
    for (const Grab& g : grabs_)
      xcb_ungrab_key(c_, g.keycode, root_, g.modifiers);
    xcb_flush(c_);
    xcb_disconnect(c_);
    if (wake_fd_ >= 0)
      close(wake_fd_);
  }

  Result<void> Init() {
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0)
      return MakeError("eventfd failed");
    auto keymap = LoadKeymap(c_);
    if (!keymap)
      return Unexpected(std::move(keymap).error());
    std::vector<xcb_keycode_t> keys = keymap->KeycodesFor(kKeysymLowerS);
    for (xcb_keycode_t k : keymap->KeycodesFor(kKeysymUpperS)) {
      if (std::find(keys.begin(), keys.end(), k) == keys.end())
        keys.push_back(k);
    }
    if (keys.empty())
      return MakeError("the keyboard has no S key");
    std::vector<xcb_keycode_t> alt_keys = keymap->KeycodesFor(kKeysymAltL);
    for (xcb_keysym_t sym : {kKeysymAltR, kKeysymMetaL}) {
      for (xcb_keycode_t k : keymap->KeycodesFor(sym))
        alt_keys.push_back(k);
    }
    uint16_t alt = ModifierOf(c_, alt_keys);
    if (alt == 0)
      alt = XCB_MOD_MASK_1;
    const uint16_t base = XCB_MOD_MASK_CONTROL | XCB_MOD_MASK_SHIFT | alt;
    // Whatever else is held or locked (CapsLock, NumLock, Super, AltGr, ...,
    // by the customer or by a technician in control) must not disable the
    // hotkey: grab it with every combination of the other modifiers.
    std::vector<uint16_t> others;
    for (uint16_t bit : {XCB_MOD_MASK_LOCK, XCB_MOD_MASK_1, XCB_MOD_MASK_2,
                         XCB_MOD_MASK_3, XCB_MOD_MASK_4, XCB_MOD_MASK_5}) {
      if (bit != alt)
        others.push_back(bit);
    }
    std::vector<uint16_t> locks;
    for (uint32_t subset = 0; subset < (1u << others.size()); ++subset) {
      uint16_t mask = 0;
      for (size_t i = 0; i < others.size(); ++i) {
        if (subset & (1u << i))
          mask |= others[i];
      }
      locks.push_back(mask);
    }
    std::vector<std::pair<Grab, xcb_void_cookie_t>> cookies;
    for (xcb_keycode_t key : keys) {
      for (uint16_t lock : locks) {
        const Grab g{key, static_cast<uint16_t>(base | lock)};
        cookies.emplace_back(
            g, xcb_grab_key_checked(c_, 1, root_, g.modifiers, g.keycode,
                                    XCB_GRAB_MODE_ASYNC, XCB_GRAB_MODE_ASYNC));
      }
    }
    bool taken = false;
    for (auto& [grab, cookie] : cookies) {
      Reply<xcb_generic_error_t> error(xcb_request_check(c_, cookie));
      if (error) {
        taken = true;
      } else {
        grabs_.push_back(grab);
      }
    }
    if (taken || grabs_.empty()) {
      return MakeError(std::string(Label()) +
                       " is already used by another program");
    }
    thread_ = std::thread([this] { Run(); });
    return {};
  }

 private:
  struct Grab {
    xcb_keycode_t keycode = 0;
    uint16_t modifiers = 0;
  };

  bool IsOurs(xcb_keycode_t keycode) const {
    for (const Grab& g : grabs_) {
      if (g.keycode == keycode)
        return true;
    }
    return false;
  }

  void Run() {
    pollfd fds[2] = {{xcb_get_file_descriptor(c_), POLLIN, 0},
                     {wake_fd_, POLLIN, 0}};
    while (true) {
      while (Reply<xcb_generic_event_t> event{xcb_poll_for_event(c_)}) {
        if ((event->response_type & 0x7f) == XCB_KEY_PRESS) {
          const auto* press =
              reinterpret_cast<const xcb_key_press_event_t*>(event.get());
          if (IsOurs(press->detail)) {
            log::Warn("emergency stop: hotkey pressed");
            callback_();
          }
        }
      }
      if (xcb_connection_has_error(c_)) {
        log::Warn("emergency stop hotkey: the X connection broke");
        return;
      }
      if (poll(fds, 2, -1) < 0 && errno != EINTR)
        return;
      if (fds[1].revents & POLLIN)
        return;
    }
  }

  xcb_connection_t* c_;
  xcb_window_t root_;
  Callback callback_;
  int wake_fd_ = -1;
  std::vector<Grab> grabs_;
  std::thread thread_;
};

}  // namespace

Result<std::unique_ptr<EmergencyStopHotkey>> EmergencyStopHotkey::Create(
    const std::string& display,
    Callback callback) {
  int screen_number = 0;
  xcb_connection_t* c =
      xcb_connect(display.empty() ? nullptr : display.c_str(), &screen_number);
  if (xcb_connection_has_error(c)) {
    xcb_disconnect(c);
    return MakeError("cannot connect to the X display for the STOP hotkey");
  }
  xcb_screen_iterator_t it = xcb_setup_roots_iterator(xcb_get_setup(c));
  for (int i = 0; i < screen_number && it.rem > 0; ++i)
    xcb_screen_next(&it);
  if (it.rem == 0) {
    xcb_disconnect(c);
    return MakeError("the X display has no such screen");
  }
  auto hotkey =
      std::make_unique<XcbHotkey>(c, it.data->root, std::move(callback));
  if (auto ok = hotkey->Init(); !ok)
    return Unexpected(std::move(ok).error());
  return std::unique_ptr<EmergencyStopHotkey>(std::move(hotkey));
}

}  // namespace tether::customer
