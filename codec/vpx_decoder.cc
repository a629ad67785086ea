#include "codec/vpx_decoder.h"

#include <libyuv/convert_argb.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#include <string>
#include <utility>

#include "codec/scoped_vpx.h"

namespace tether::codec {

using desktop::DesktopFrame;
using desktop::DesktopSize;

namespace {

// No screen packet comes near this; libvpx takes the size as unsigned int.
constexpr size_t kMaxPacketBytes = 64u << 20;

vpx_codec_iface_t* DecoderInterface(Codec codec) {
  return codec == Codec::kVp8 ? vpx_codec_vp8_dx() : vpx_codec_vp9_dx();
}

std::string SizeText(unsigned width, unsigned height) {
  return std::to_string(width) + "x" + std::to_string(height);
}

}  // namespace

class VpxDecoder::Impl {
 public:
  Impl(const VpxDecoderConfig& config, ScopedVpxCodec codec)
      : config_(config), codec_(std::move(codec)) {}

  Result<DesktopSize> Decode(std::span<const uint8_t> packet) {
    last_ = nullptr;  // libvpx reuses the previous image's memory
    if (packet.empty())
      return MakeError("empty video packet");
    if (packet.size() > kMaxPacketBytes) {
      return MakeError("video packet too large");
    }
    const auto bytes = static_cast<unsigned>(packet.size());

    // A keyframe announces its size: refuse huge ones before libvpx
    // allocates buffers for them.
    vpx_codec_stream_info_t info{};
    info.sz = sizeof(info);
    if (vpx_codec_peek_stream_info(DecoderInterface(config_.codec),
                                   packet.data(), bytes,
                                   &info) == VPX_CODEC_OK &&
        TooLarge(info.w, info.h)) {
      return MakeError("video frame " + SizeText(info.w, info.h) +
                       " exceeds the size limit");
    }

    if (vpx_codec_decode(codec_.get(), packet.data(), bytes, nullptr, 0) !=
        VPX_CODEC_OK) {
      std::string message =
          std::string("corrupt video packet: ") + vpx_codec_error(codec_.get());
      if (const char* detail = vpx_codec_error_detail(codec_.get())) {
        message += std::string(" (") + detail + ")";
      }
      return MakeError(std::move(message));
    }
    int corrupted = 0;
    if (vpx_codec_control(codec_.get(), VP8D_GET_FRAME_CORRUPTED, &corrupted) ==
            VPX_CODEC_OK &&
        corrupted != 0) {
      return MakeError("corrupt video frame (missing reference?)");
    }

    vpx_image_t* image = nullptr;
    vpx_codec_iter_t iter = nullptr;
    while (vpx_image_t* next = vpx_codec_get_frame(codec_.get(), &iter)) {
      image = next;
    }
    if (image == nullptr) {
      return MakeTemporaryError("video packet showed no frame");
    }
    if (TooLarge(image->d_w, image->d_h)) {
      return MakeError("video frame " + SizeText(image->d_w, image->d_h) +
                       " exceeds the size limit");
    }
    if (image->fmt != VPX_IMG_FMT_I420 && image->fmt != VPX_IMG_FMT_I444) {
      return MakeError("unsupported decoded pixel format");
    }
    last_ = image;
    return DesktopSize{static_cast<int32_t>(image->d_w),
                       static_cast<int32_t>(image->d_h)};
  }

  Result<void> ConvertToBgra(std::span<uint8_t> buffer,
                             int stride,
                             DesktopSize size) const {
    if (last_ == nullptr)
      return MakeError("no decoded frame to convert");
    const DesktopSize decoded{static_cast<int>(last_->d_w),
                              static_cast<int>(last_->d_h)};
    if (size != decoded)
      return MakeError("buffer size differs from frame");
    const size_t row_bytes =
        static_cast<size_t>(size.width) * DesktopFrame::kBytesPerPixel;
    if (stride < static_cast<int>(row_bytes) ||
        buffer.size() <
            static_cast<size_t>(stride) * (size.height - 1) + row_bytes) {
      return MakeError("buffer too small for the frame");
    }
    const auto convert = last_->fmt == VPX_IMG_FMT_I444 ? libyuv::I444ToARGB
                                                        : libyuv::I420ToARGB;
    if (convert(last_->planes[VPX_PLANE_Y], last_->stride[VPX_PLANE_Y],
                last_->planes[VPX_PLANE_U], last_->stride[VPX_PLANE_U],
                last_->planes[VPX_PLANE_V], last_->stride[VPX_PLANE_V],
                buffer.data(), stride, size.width, size.height) != 0) {
      return MakeError("colour conversion failed");
    }
    return {};
  }

 private:
  bool TooLarge(unsigned width, unsigned height) const {
    return width > static_cast<unsigned>(config_.max_size.width) ||
           height > static_cast<unsigned>(config_.max_size.height);
  }

  VpxDecoderConfig config_;
  ScopedVpxCodec codec_;
  vpx_image_t* last_ = nullptr;  // owned by codec_, valid until next Decode
};

Result<std::unique_ptr<VpxDecoder>> VpxDecoder::Create(Codec codec) {
  VpxDecoderConfig config;
  config.codec = codec;
  return Create(config);
}

Result<std::unique_ptr<VpxDecoder>> VpxDecoder::Create(
    const VpxDecoderConfig& config) {
  if (config.codec != Codec::kVp8 && config.codec != Codec::kVp9) {
    return MakeError("unknown codec");
  }
  if (config.max_size.is_empty())
    return MakeError("invalid decoder size limit");
  vpx_codec_dec_cfg_t cfg{};
  cfg.threads = 1;
  ScopedVpxCodec codec(new vpx_codec_ctx_t{});
  if (vpx_codec_dec_init(codec.get(), DecoderInterface(config.codec), &cfg,
                         0) != VPX_CODEC_OK) {
    return MakeError(std::string("vpx_codec_dec_init: ") +
                     vpx_codec_error(codec.get()));
  }
  return std::unique_ptr<VpxDecoder>(
      new VpxDecoder(std::make_unique<Impl>(config, std::move(codec))));
}

VpxDecoder::VpxDecoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VpxDecoder::~VpxDecoder() = default;

Result<DesktopSize> VpxDecoder::Decode(std::span<const uint8_t> packet) {
  return impl_->Decode(packet);
}

Result<void> VpxDecoder::ConvertToBgra(std::span<uint8_t> buffer,
                                       int stride,
                                       DesktopSize size) const {
  return impl_->ConvertToBgra(buffer, stride, size);
}

}  // namespace tether::codec
