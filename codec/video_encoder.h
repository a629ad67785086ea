#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "base/result.h"
#include "desktop/desktop_frame.h"

namespace tether::codec {

enum class Codec { kVp8, kVp9 };

const char* CodecName(Codec codec);  // "VP8" / "VP9"

// Per-call options for VideoEncoder::Encode.
struct EncodeParams {
  bool key_frame = false;  // force a keyframe now
  // Time since the previous encoded frame; drives the rate control's budget.
  int duration_ms = 33;
};

struct EncodedFrame {
  std::vector<uint8_t> data;  // one packet for the matching VideoDecoder
  bool key_frame = false;
  desktop::DesktopSize size;
  int quantizer = -1;  // 0..63 (libvpx's scale), -1 if unknown
};

// Turns desktop::DesktopFrames (captured frames, read in place) into a
// compressed stream. Not thread-safe: every call happens on the encode thread.
class VideoEncoder {
 public:
  virtual ~VideoEncoder() = default;
  VideoEncoder(const VideoEncoder&) = delete;
  VideoEncoder& operator=(const VideoEncoder&) = delete;

  // Encodes `frame`, looking only at its dirty rectangles unless a keyframe
  // is produced. A frame with no dirty rectangles gives a tiny "nothing
  // changed" frame (a keep-alive). A new size restarts the stream with a
  // keyframe. Errors: bad frame geometry, or libvpx failing.
  virtual Result<EncodedFrame> Encode(const desktop::DesktopFrame& frame,
                                      const EncodeParams& params) = 0;
  // The next Encode produces a keyframe.
  virtual void RequestKeyFrame() = 0;
  // Target bitrate from the next frame on; 0 = the size-based default.
  virtual void SetBitrateKbps(int kbps) = 0;
  // True while recently changed areas are still coarse and the caller
  // should keep encoding (even with no dirty rects) to sharpen them.
  virtual bool NeedsTopOff() const = 0;

 protected:
  VideoEncoder() = default;
};

}  // namespace tether::codec
