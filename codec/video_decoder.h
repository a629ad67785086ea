#pragma once

#include <cstdint>
#include <span>

#include "base/result.h"
#include "desktop/desktop_frame.h"

namespace tether::codec {

// Turns packets from a VideoEncoder back into pixels. Not thread-safe: every
// call happens on the decode thread. Packets come from the network: a
// corrupt one gives an error, never a crash.
class VideoDecoder {
 public:
  virtual ~VideoDecoder() = default;
  VideoDecoder(const VideoDecoder&) = delete;
  VideoDecoder& operator=(const VideoDecoder&) = delete;

  // Decodes one packet; returns the size of the frame it produced. Errors:
  // a corrupt packet, a frame above the size limit, a packet that shows no
  // frame (temporary).
  virtual Result<desktop::DesktopSize> Decode(
      std::span<const uint8_t> packet) = 0;

  // Writes the last decoded frame as BGRA into the caller's buffer of
  // `size` (must equal the decoded size) with rows `stride` bytes apart.
  virtual Result<void> ConvertToBgra(std::span<uint8_t> buffer,
                                     int stride,
                                     desktop::DesktopSize size) const = 0;
  // Same, into an owned (writable) frame of the decoded size; the fourth
  // byte of each pixel becomes 0xFF. Dirty rects and top_left are left as
  // they are.
  Result<void> ConvertToBgra(desktop::DesktopFrame& frame) const {
    if (!frame.is_writable())
      return MakeError("frame shares a capturer's pixels; not writable");
    return ConvertToBgra({frame.mutable_data(), frame.data_size()},
                         frame.stride(), frame.size());
  }

 protected:
  VideoDecoder() = default;
};

}  // namespace tether::codec
