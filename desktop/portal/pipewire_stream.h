#pragma once

// The frames of one PipeWire video node (a portal's screen-cast stream),
// read on PipeWire's own thread into a buffer the capturer takes from:
// shared-memory BGRx/BGRA/RGBx/RGBA (without a GPU there is nothing else),
// the damage the compositor reports (SPA_META_VideoDamage) -- or, where it
// reports none (mutter 43), the 32x32 tiles that differ from the previous
// picture -- and the pointer (SPA_META_Cursor). Size changes renegotiate
// and start a full frame. A picture equal to the last is no new frame.
//
// Threads: the methods from any thread; PipeWire calls back on its loop.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "desktop/capture/cursor_monitor.h"
#include "desktop/desktop_frame.h"

namespace tether::desktop::portal {

class PipeWireStream {
 public:
  // Takes `fd` (from OpenPipeWireRemote; -1: the session's own PipeWire,
  // for the compositor's private screen casts) and connects to `node`.
  static Result<std::unique_ptr<PipeWireStream>> Connect(int fd, uint32_t node);
  ~PipeWireStream();  // disconnects; no callback runs afterwards
  PipeWireStream(const PipeWireStream&) = delete;
  PipeWireStream& operator=(const PipeWireStream&) = delete;

  // The newest picture: the complete image, in BGRX, plus every region that
  // changed since the previous Take() (the whole frame after a size change
  // or when the compositor sends no damage). Null before the first frame.
  std::unique_ptr<DesktopFrame> Take(DesktopPoint top_left);

  // The pointer in stream coordinates and, when it changed since the last
  // call, its shape. Nothing before the compositor said where it is.
  std::optional<CursorSample> TakeCursor();

  // Set when the stream cannot go on (PipeWire gone, the node removed, the
  // format refused), with the reason.
  std::optional<std::string> failure() const;

  uint64_t frames_received() const;
  // Time PipeWire's thread spent taking pictures in (copy, compare), for
  // the capture bench.
  std::chrono::nanoseconds busy_time() const;

 private:
  struct Impl;
  explicit PipeWireStream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tether::desktop::portal
