#pragma once

#include <memory>

#include "base/result.h"
#include "codec/video_encoder.h"

namespace tether::codec {

struct VpxEncoderConfig {
  Codec codec = Codec::kVp8;
  // 0 = default: 2500 kbps per megapixel, at least 500 kbps.
  int bitrate_kbps = 0;
  // 0 = one thread on machines with <= 2 cores, else two.
  int threads = 0;
  // VP9 only: 6 (best) .. 9 (fastest).
  int vp9_speed = 6;
  // VP9 only: profile 1 with full-resolution colour (I444), for crisp
  // coloured text; costs more bits and CPU than the default I420.
  bool vp9_i444 = false;
  // Areas encoded above quantizer 30 are re-encoded once the screen is
  // static ("top-off"), with the quantizer capped at this value. 15 brings
  // 1-px text to >= 35 dB; 30 (Chromium's target) leaves VP8 near 33 dB
  // but costs fewer bytes.
  int top_off_max_quantizer = 15;
  // Off when something else sharpens still areas (the lossless top-off of
  // streaming/picture_planner.h): NeedsTopOff() then stays false.
  bool top_off = true;
};

// VP8/VP9 on libvpx, tuned for screen content the way Chromium's remoting
// host tunes it: real-time one-pass CBR with no lag and no dropped frames,
// keyframes only at the start, on request and on a size change, an active
// map built from the dirty rectangles so unchanged macroblocks are skipped,
// and BGRX->I420 conversion of the dirty rectangles only, read in place
// from the frame (a captured frame shares the capturer's buffer: no copy).
// Not thread-safe.
class VpxEncoder final : public VideoEncoder {
 public:
  static Result<std::unique_ptr<VpxEncoder>> Create(Codec codec);
  static Result<std::unique_ptr<VpxEncoder>> Create(
      const VpxEncoderConfig& config);
  ~VpxEncoder() override;

  Result<EncodedFrame> Encode(const desktop::DesktopFrame& frame,
                              const EncodeParams& params) override;
  void RequestKeyFrame() override;
  void SetBitrateKbps(int kbps) override;
  bool NeedsTopOff() const override;

  // The bitrate in use for `size` with the current setting.
  int EffectiveBitrateKbps(desktop::DesktopSize size) const;

 private:
  class Impl;
  explicit VpxEncoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tether::codec
