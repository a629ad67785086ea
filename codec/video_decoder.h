#pragma once

#include <cstdint>
#include <span>

#include "base/result.h"
#include "codec/desktop_frame.h"

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
  virtual Result<Size> Decode(std::span<const uint8_t> packet) = 0;

  // Writes the last decoded frame as BGRA into the caller's buffer of
  // `size` (must equal the decoded size) with rows `stride` bytes apart.
  virtual Result<void> ConvertToBgra(std::span<uint8_t> buffer,
                                     int stride,
                                     Size size) const = 0;
  // Same, into a frame of the decoded size.
  Result<void> ConvertToBgra(DesktopFrame& frame) const {
    return ConvertToBgra({frame.data(), frame.data_size()}, frame.stride(),
                         frame.size());
  }

 protected:
  VideoDecoder() = default;
};

}  // namespace tether::codec
