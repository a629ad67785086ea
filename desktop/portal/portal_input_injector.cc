// The portal's InputInjector: a RemoteDesktop session that exists only
// while control is granted (Begin() to End()), so that once control is
// revoked or STOP pressed the desktop itself refuses further input.

#include <linux/input-event-codes.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "base/log.h"
#include "base/utf8.h"
#include "desktop/portal/portal_backend.h"
#include "desktop/portal/portal_session.h"

namespace tether::desktop::portal {
namespace {

constexpr uint32_t kShiftL = 0xffe1;  // XK_Shift_L
constexpr auto kKeyboardWarmUp = std::chrono::milliseconds(250);

// X buttons (1 left, 2 middle, 3 right, 8 back, 9 forward) as evdev codes;
// 0 for the wheel buttons 4-7 (axis steps instead).
int EvdevButton(int button) {
  switch (button) {
    case 1:
      return BTN_LEFT;
    case 2:
      return BTN_MIDDLE;
    case 3:
      return BTN_RIGHT;
    case 8:
      return BTN_SIDE;
    case 9:
      return BTN_EXTRA;
    default:
      return 0;
  }
}

class PortalInputInjector final : public InputInjector {
 public:
  Result<bool> Begin(const std::function<bool()>& abandon) override {
    if (IsBlocked())
      return MakeError("input is blocked (emergency stop)");
    if (PortalSession::WindowsViewed() > 0) {
      return MakeError(
          "on this desktop the technician can control the computer only "
          "while you share a whole screen, not a single window");
    }
    End();
    PortalOptions options;
    options.remote_desktop = true;
    options.abandon = [this, &abandon] {
      return IsBlocked() || (abandon && abandon());
    };
    TETHER_TRY(session, PortalSession::Open(options));
    // STOP may have come while the dialog was open: it set Block() before
    // its End(), so under the lock one of the two sees the other.
    std::lock_guard lock(mutex_);
    if (IsBlocked())
      return MakeError("stopped");
    session_ = std::move(*session);
    // A seat without a keyboard (a headless or tablet desktop) gains one
    // at the first injected key, and apps bind it only a moment later:
    // what comes before is lost. A Shift tap (changes nothing anywhere)
    // and a pause, once per grant, so the technician's first key arrives.
    (void)session_->KeyboardKeysym(kShiftL, true);
    (void)session_->KeyboardKeysym(kShiftL, false);
    std::this_thread::sleep_for(kKeyboardWarmUp);
    return true;
  }

  bool BeginAsksThePerson() const override { return true; }

  void End() override {
    std::lock_guard lock(mutex_);
    if (session_) {
      session_->Close();
      session_.reset();
    }
    keys_.clear();
    buttons_.clear();
  }

  void ReleaseAll() override {
    std::lock_guard lock(mutex_);
    if (!session_)
      return;
    for (uint32_t keysym : keys_)
      (void)session_->KeyboardKeysym(keysym, false);
    for (int button : buttons_)
      (void)session_->PointerButton(button, false);
    keys_.clear();
    buttons_.clear();
  }

  Result<void> MoveMouse(DesktopPoint position) override {
    TETHER_RETURN_IF_ERROR(Ready());
    const PortalStream& s = session_->stream();
    // Screen coordinates into the shared monitor's, kept on it.
    double x = position.x - s.position.x;
    double y = position.y - s.position.y;
    if (!s.size.is_empty()) {
      x = std::clamp(x, 0.0, s.size.width - 1.0);
      y = std::clamp(y, 0.0, s.size.height - 1.0);
    }
    return session_->PointerMotionAbsolute(x, y);
  }

  Result<void> PressButton(int button, bool pressed) override {
    if (button < 1 || button > kMaxButton)
      return MakeError("no such mouse button");
    TETHER_RETURN_IF_ERROR(Ready());
    if (button >= 4 && button <= 7) {
      if (!pressed)
        return {};
      return session_->PointerAxisDiscrete(button <= 5 ? 0 : 1,
                                           button % 2 == 0 ? -1 : 1);
    }
    const int code = EvdevButton(button);
    TETHER_RETURN_IF_ERROR(session_->PointerButton(code, pressed));
    if (pressed)
      buttons_.insert(code);
    else
      buttons_.erase(code);
    return {};
  }

  Result<void> Scroll(int dx, int dy) override {
    for (int axis = 0; axis < 2; ++axis) {
      const int steps = axis == 0 ? dy : dx;
      for (int i = 0; i < std::abs(steps); ++i) {
        TETHER_RETURN_IF_ERROR(Ready());
        TETHER_RETURN_IF_ERROR(
            session_->PointerAxisDiscrete(axis, steps > 0 ? 1 : -1));
      }
    }
    return {};
  }

  Result<void> Key(uint32_t keysym, bool pressed) override {
    TETHER_RETURN_IF_ERROR(Ready());
    TETHER_RETURN_IF_ERROR(session_->KeyboardKeysym(keysym, pressed));
    if (pressed)
      keys_.insert(keysym);
    else
      keys_.erase(keysym);
    return {};
  }

  Result<void> Text(std::string_view utf8) override {
    auto text = DecodeUtf8(utf8);
    if (!text)
      return MakeError("the text is not valid UTF-8");
    std::vector<uint32_t> keysyms;
    for (char32_t cp : *text) {
      const uint32_t keysym = CodepointToKeysym(cp);
      if (keysym == 0)
        return MakeError("the text has a character that cannot be typed");
      keysyms.push_back(keysym);
    }
    for (uint32_t keysym : keysyms) {
      TETHER_RETURN_IF_ERROR(Ready());
      TETHER_RETURN_IF_ERROR(session_->KeyboardKeysym(keysym, true));
      TETHER_RETURN_IF_ERROR(Ready());
      TETHER_RETURN_IF_ERROR(session_->KeyboardKeysym(keysym, false));
    }
    return {};
  }

 private:
  // Checked before every single event (STOP, an interrupt, no session).
  Result<void> Ready() {
    if (IsBlocked())
      return MakeError("input is blocked (emergency stop)");
    if (IsInterrupted())
      return MakeError("input was interrupted");
    if (!session_ || session_->closed())
      return MakeError("remote control is not active on this desktop");
    return {};
  }

  // Guards session_ between Begin() on the gate's thread and STOP's
  // ReleaseAll()/End() on another; the events themselves run on the gate's
  // thread, never during Begin().
  std::mutex mutex_;
  std::unique_ptr<PortalSession> session_;
  std::set<uint32_t> keys_;  // keysyms held down
  std::set<int> buttons_;    // evdev buttons held down
};

}  // namespace

Result<std::unique_ptr<InputInjector>> CreatePortalInputInjector() {
  return std::unique_ptr<InputInjector>(
      std::make_unique<PortalInputInjector>());
}

}  // namespace tether::desktop::portal
