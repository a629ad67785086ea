#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "desktop/desktop_frame.h"

namespace tether::desktop {

class CursorMonitor;

// Like WebRTC's capture result: a temporary failure may succeed on the next
// call; after a permanent one the capturer is useless (source gone, display
// closed).
enum class CaptureStatus { kSuccess, kErrorTemporary, kErrorPermanent };

// What to capture. Ids come from ScreenCapturer::ListMonitors() (monitor)
// and WindowList (top-level window).
struct CaptureSource {
  enum class Kind { kWholeScreen, kMonitor, kWindow };
  Kind kind = Kind::kWholeScreen;
  uint32_t id = 0;

  static CaptureSource WholeScreen() { return {}; }
  static CaptureSource Monitor(uint32_t id) { return {Kind::kMonitor, id}; }
  static CaptureSource Window(uint32_t id) { return {Kind::kWindow, id}; }
};

// kAuto: use the feature when the display offers it, work without it
// otherwise. kRequired: Create() fails without it. kOff: never use it.
enum class FeatureMode { kAuto, kRequired, kOff };

struct CaptureOptions {
  // Empty: this session's desktop (desktop/backend.h picks X11 or the
  // portal); ":N": that X display.
  std::string display;
  CaptureSource source;
  FeatureMode shared_memory = FeatureMode::kAuto;  // MIT-SHM
  FeatureMode damage = FeatureMode::kAuto;         // XDamage + XFixes
  // With damage, only the damaged rectangles are read from the server while
  // they cover at most this share of the source; the whole source otherwise.
  double max_partial_capture_share = 0.5;
  // Portal: polled while the desktop's sharing dialog is open; true gives
  // it up (STOP, the view withdrawn) with a declined error.
  std::function<bool()> abandon;
};

// A monitor (RandR 1.5 monitor, or the whole screen without RandR), in
// screen coordinates.
struct MonitorInfo {
  uint32_t id = 0;  // the monitor's name atom
  std::string name;
  DesktopRect rect;
  bool primary = false;
};

// All calls, and the callback, happen on the capture thread.
class ScreenCapturer {
 public:
  using FrameCallback =
      std::function<void(CaptureStatus, std::unique_ptr<DesktopFrame>)>;

  // X11: connects to the display and probes its extensions. Fails with a
  // permanent error when there is no usable display (DISPLAY unset, a pixel
  // format other than 32-bit BGRX, a required extension missing), with a
  // temporary one when the server does not answer.
  // Wayland (xdg-desktop-portal + PipeWire): the desktop's own dialog asks
  // the person which screen or window to share; blocks until answered and
  // fails with a declined error when cancelled. `source` is theirs to pick.
  static Result<std::unique_ptr<ScreenCapturer>> Create(
      const CaptureOptions& options);

  virtual ~ScreenCapturer() = default;
  ScreenCapturer(const ScreenCapturer&) = delete;
  ScreenCapturer& operator=(const ScreenCapturer&) = delete;

  // Never called back after the destructor (callbacks run only inside
  // CaptureFrame()).
  virtual void Start(FrameCallback callback) = 0;
  // Exactly one callback per call. Start() must have been called.
  virtual void CaptureFrame() = 0;

  // Switches the source; the next frame is a full frame of the new source.
  virtual Result<void> SelectSource(const CaptureSource& source) = 0;
  virtual Result<std::vector<MonitorInfo>> ListMonitors() = 0;

  // The pointer of this capture (X11: XFixes on the same display; a portal
  // stream: its cursor metadata), positions in the same coordinates as
  // frames' top_left().
  virtual Result<std::unique_ptr<CursorMonitor>> CreateCursorMonitor() = 0;

  // What the probe found, for logs and tests.
  virtual bool UsesSharedMemory() const = 0;
  virtual bool UsesDamage() const = 0;

 protected:
  ScreenCapturer() = default;
};

}  // namespace tether::desktop
