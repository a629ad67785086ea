// GlobalHotkey on X11: a passive key grab on the root window for every
// combination of the modifiers the chord does not use, read on a thread of
// its own with its own X connection.

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <xcb/xcb.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "base/log.h"
#include "desktop/hotkey/global_hotkey.h"
#include "desktop/x11/x11_backend.h"
#include "desktop/x11/x11_connection.h"
#include "desktop/x11/x11_keymap.h"

namespace tether::desktop {
namespace {

constexpr xcb_keysym_t kKeysymAltL = 0xffe9;
constexpr xcb_keysym_t kKeysymAltR = 0xffea;
constexpr xcb_keysym_t kKeysymMetaL = 0xffe7;

// The modifier bit (Mod1..Mod5) that holds any of `keycodes`; 0 if none.
uint16_t ModifierOf(xcb_connection_t* c,
                    const std::vector<xcb_keycode_t>& keycodes) {
  x11::XcbReply<xcb_get_modifier_mapping_reply_t> reply(
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

class X11GlobalHotkey final : public GlobalHotkey {
 public:
  X11GlobalHotkey(x11::X11Display display, KeyChord chord, Callback callback)
      : display_(std::move(display)),
        c_(display_.get()),
        root_(display_.root()),
        chord_(chord),
        callback_(std::move(callback)) {}

  ~X11GlobalHotkey() override {
    if (thread_.joinable()) {
      const uint64_t one = 1;
      (void)!write(stop_fd_, &one, sizeof(one));
      thread_.join();
    }
    for (const Grab& g : grabs_)
      xcb_ungrab_key(c_, g.keycode, root_, g.modifiers);
    xcb_flush(c_);  // the connection closes after this
    for (int fd : {stop_fd_, flush_fd_}) {
      if (fd >= 0)
        close(fd);
    }
  }

  Result<void> Init() {
    stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    flush_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop_fd_ < 0 || flush_fd_ < 0)
      return MakeError("eventfd failed");
    TETHER_TRY(keymap, x11::ReadKeymap(c_));
    // Latin letters' keysyms are their ASCII codes; the key is grabbed
    // whichever case its keycode produces.
    const auto upper = static_cast<xcb_keysym_t>(
        std::toupper(static_cast<unsigned char>(chord_.letter)));
    const auto lower = static_cast<xcb_keysym_t>(
        std::tolower(static_cast<unsigned char>(chord_.letter)));
    std::vector<xcb_keycode_t> keys = keymap->KeycodesFor(lower);
    for (xcb_keycode_t k : keymap->KeycodesFor(upper)) {
      if (std::find(keys.begin(), keys.end(), k) == keys.end())
        keys.push_back(k);
    }
    if (keys.empty()) {
      return MakeError(std::string("the keyboard has no ") + chord_.letter +
                       " key");
    }
    uint16_t base = 0;
    if (chord_.modifiers & KeyChord::kControl)
      base |= XCB_MOD_MASK_CONTROL;
    if (chord_.modifiers & KeyChord::kShift)
      base |= XCB_MOD_MASK_SHIFT;
    if (chord_.modifiers & KeyChord::kAlt) {
      std::vector<xcb_keycode_t> alt_keys = keymap->KeycodesFor(kKeysymAltL);
      for (xcb_keysym_t sym : {kKeysymAltR, kKeysymMetaL}) {
        for (xcb_keycode_t k : keymap->KeycodesFor(sym))
          alt_keys.push_back(k);
      }
      const uint16_t alt = ModifierOf(c_, alt_keys);
      base |= alt != 0 ? alt : static_cast<uint16_t>(XCB_MOD_MASK_1);
    }
    // Whatever else is held or locked (CapsLock, NumLock, Super, AltGr, ...,
    // by the customer or by a technician in control) must not disable the
    // hotkey: grab it with every combination of the other modifiers.
    std::vector<uint16_t> others;
    for (uint16_t bit : {XCB_MOD_MASK_LOCK, XCB_MOD_MASK_1, XCB_MOD_MASK_2,
                         XCB_MOD_MASK_3, XCB_MOD_MASK_4, XCB_MOD_MASK_5}) {
      if ((bit & base) == 0)
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
      x11::XcbReply<xcb_generic_error_t> error(xcb_request_check(c_, cookie));
      if (error) {
        taken = true;
      } else {
        grabs_.push_back(grab);
      }
    }
    if (taken || grabs_.empty()) {
      return MakeError(chord_.Label() + " is already used by another program");
    }
    thread_ = std::thread([this] { Run(); });
    return {};
  }

  bool FlushForTesting(std::chrono::milliseconds timeout) override {
    // A round trip on the hotkey's own connection: the server sends its
    // reply after every event it sent before, so once the reply is here
    // those events are in xcb's queue or handled already.
    x11::XcbReply<xcb_get_input_focus_reply_t> focus(
        xcb_get_input_focus_reply(c_, xcb_get_input_focus(c_), nullptr));
    if (!focus)
      return false;
    uint64_t ticket = 0;
    {
      std::lock_guard lock(mutex_);
      ticket = ++flushes_asked_;
    }
    const uint64_t one = 1;
    (void)!write(flush_fd_, &one, sizeof(one));
    std::unique_lock lock(mutex_);
    flushed_.wait_for(lock, timeout,
                      [&] { return flushes_done_ >= ticket || stopped_; });
    return flushes_done_ >= ticket;
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
    Loop();
    std::lock_guard lock(mutex_);
    stopped_ = true;
    flushed_.notify_all();
  }

  void Loop() {
    pollfd fds[3] = {{xcb_get_file_descriptor(c_), POLLIN, 0},
                     {stop_fd_, POLLIN, 0},
                     {flush_fd_, POLLIN, 0}};
    while (true) {
      // Asked before the events are drained: a flush asked after its
      // round trip finds its events in this drain.
      uint64_t flushes_asked = 0;
      {
        std::lock_guard lock(mutex_);
        flushes_asked = flushes_asked_;
      }
      while (x11::XcbReply<xcb_generic_event_t> event{xcb_poll_for_event(c_)}) {
        if ((event->response_type & 0x7f) == XCB_KEY_PRESS) {
          const auto* press =
              reinterpret_cast<const xcb_key_press_event_t*>(event.get());
          if (IsOurs(press->detail))
            callback_();
        }
      }
      {
        std::lock_guard lock(mutex_);
        if (flushes_asked > flushes_done_) {
          flushes_done_ = flushes_asked;
          flushed_.notify_all();
        }
      }
      if (xcb_connection_has_error(c_)) {
        log::Warn("global hotkey {}: the X connection broke", chord_.Label());
        return;
      }
      if (poll(fds, 3, -1) < 0 && errno != EINTR)
        return;
      if (fds[1].revents & POLLIN)
        return;
      if (fds[2].revents & POLLIN) {
        uint64_t count = 0;
        (void)!read(flush_fd_, &count, sizeof(count));
      }
    }
  }

  x11::X11Display display_;
  xcb_connection_t* const c_;
  const xcb_window_t root_;
  const KeyChord chord_;
  Callback callback_;
  int stop_fd_ = -1;
  int flush_fd_ = -1;
  std::vector<Grab> grabs_;

  std::mutex mutex_;
  std::condition_variable flushed_;
  uint64_t flushes_asked_ = 0;
  uint64_t flushes_done_ = 0;
  bool stopped_ = false;  // the thread has returned

  std::thread thread_;
};

}  // namespace

Result<std::unique_ptr<GlobalHotkey>> internal::CreateX11GlobalHotkey(
    const std::string& display_name,
    const KeyChord& chord,
    GlobalHotkey::Callback callback) {
  auto display = x11::ConnectToDisplay(display_name);
  if (!display) {
    return MakeError("cannot grab " + chord.Label() + ": " +
                     display.error().message);
  }
  auto hotkey = std::make_unique<X11GlobalHotkey>(std::move(*display), chord,
                                                  std::move(callback));
  TETHER_RETURN_IF_ERROR(hotkey->Init());
  return std::unique_ptr<GlobalHotkey>(std::move(hotkey));
}

}  // namespace tether::desktop
