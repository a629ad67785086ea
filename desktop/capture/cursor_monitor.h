#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "desktop/desktop_frame.h"

namespace tether::desktop {

// A cursor image: premultiplied BGRA (alpha is real here), width * 4 bytes
// per row.
struct CursorShape {
  DesktopSize size;
  DesktopPoint hotspot;
  std::vector<uint8_t> pixels;
};

struct CursorSample {
  DesktopPoint position;  // screen coordinates of the hotspot
  // Set on the first sample and whenever the shape changed; null otherwise.
  std::unique_ptr<CursorShape> shape;
};

// The pointer's position and shape (XFixes), sent apart from frames.
// All calls on one thread (usually the capture thread).
class CursorMonitor {
 public:
  static Result<std::unique_ptr<CursorMonitor>> Create(
      const std::string& display);  // empty: $DISPLAY

  virtual ~CursorMonitor() = default;
  CursorMonitor(const CursorMonitor&) = delete;
  CursorMonitor& operator=(const CursorMonitor&) = delete;

  virtual Result<CursorSample> Capture() = 0;

 protected:
  CursorMonitor() = default;
};

}  // namespace tether::desktop
