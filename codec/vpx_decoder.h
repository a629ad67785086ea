#pragma once

#include <memory>

#include "base/result.h"
#include "codec/video_decoder.h"
#include "codec/video_encoder.h"

namespace tether::codec {

struct VpxDecoderConfig {
  Codec codec = Codec::kVp8;
  // Frames larger than this are refused (before libvpx allocates for a
  // keyframe announcing them).
  desktop::DesktopSize max_size{8192, 8192};
};

// VP8/VP9 decoding on libvpx, one thread; I420 (or I444) -> BGRA via libyuv.
class VpxDecoder final : public VideoDecoder {
 public:
  static Result<std::unique_ptr<VpxDecoder>> Create(Codec codec);
  static Result<std::unique_ptr<VpxDecoder>> Create(
      const VpxDecoderConfig& config);
  ~VpxDecoder() override;

  Result<desktop::DesktopSize> Decode(std::span<const uint8_t> packet) override;
  using VideoDecoder::ConvertToBgra;
  Result<void> ConvertToBgra(std::span<uint8_t> buffer,
                             int stride,
                             desktop::DesktopSize size) const override;

 private:
  class Impl;
  explicit VpxDecoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tether::codec
