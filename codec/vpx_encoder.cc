#include "codec/vpx_encoder.h"

#include <libyuv/convert.h>
#include <libyuv/convert_from_argb.h>
#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <thread>
#include <utility>

#include "codec/scoped_vpx.h"

namespace tether::codec {

using desktop::DesktopFrame;
using desktop::DesktopRect;
using desktop::DesktopSize;

const char* CodecName(Codec codec) {
  return codec == Codec::kVp8 ? "VP8" : "VP9";
}

namespace {

constexpr int kMacroBlockSize = 16;
// Dirty rectangles grow by this much before they become macroblocks, so the
// encoder's filters see the pixels around a change (Chromium's values).
constexpr int kVp8ActiveMapPadding = 3;
constexpr int kVp9ActiveMapPadding = 8;
constexpr int kMinQuantizer = 10;
constexpr int kMaxQuantizer = 50;
// Areas encoded above this quantizer are re-encoded while static (top-off).
constexpr int kTopOffTargetQuantizer = 30;
// Give up sharpening after this many top-off frames in a row (a bitrate too
// low for the target must not keep the encoder busy forever).
constexpr int kMaxTopOffFrames = 30;
constexpr int kDefaultKbpsPerMegapixel = 2500;
constexpr int kMinDefaultKbps = 500;
constexpr int kMaxDimension = 16384;
// Keyframes come only at the start, on request and on a size change.
constexpr unsigned kHugeKeyFrameDistance = 1u << 30;

std::string VpxError(vpx_codec_ctx_t* codec, const char* what) {
  std::string message = std::string(what) + ": " + vpx_codec_error(codec);
  if (const char* detail = vpx_codec_error_detail(codec)) {
    message += std::string(" (") + detail + ")";
  }
  return message;
}

bool HasDirtyPixels(const std::vector<DesktopRect>& rects, DesktopSize size) {
  for (const DesktopRect& rect : rects) {
    if (!rect.ClippedTo(size).is_empty())
      return true;
  }
  return false;
}

int DefaultThreads() {
  const unsigned cores = std::thread::hardware_concurrency();
  // Two VP8 threads were measured 5x slower than one on 2-core machines.
  return cores > 2 ? 2 : 1;
}

}  // namespace

class VpxEncoder::Impl {
 public:
  explicit Impl(const VpxEncoderConfig& config) : config_(config) {}

  Result<EncodedFrame> Encode(const DesktopFrame& frame,
                              const EncodeParams& params) {
    const DesktopSize size = frame.size();
    if (size.is_empty() || size.width > kMaxDimension ||
        size.height > kMaxDimension) {
      return MakeError("frame size " + std::to_string(size.width) + "x" +
                       std::to_string(size.height) + " is not encodable");
    }
    const size_t row_bytes =
        static_cast<size_t>(size.width) * DesktopFrame::kBytesPerPixel;
    if (frame.stride() < static_cast<int>(row_bytes) ||
        frame.data_size() <
            static_cast<size_t>(frame.stride()) * (size.height - 1) +
                row_bytes) {
      return MakeError("frame buffer smaller than its size and stride");
    }

    bool key_frame = params.key_frame || key_frame_requested_;
    if (!codec_ || size != size_) {
      if (auto configured = Configure(size); !configured) {
        return Unexpected(std::move(configured).error());
      }
      key_frame = true;
    }
    // A frame that only sharpens earlier changes (nothing new is dirty) is
    // capped at the top-off quantizer; frames with new content may go
    // coarser to keep latency low.
    const bool pure_top_off = !key_frame && top_off_frames_ > 0 &&
                              !HasDirtyPixels(frame.dirty_rects(), size);
    const unsigned max_quantizer =
        pure_top_off ? static_cast<unsigned>(config_.top_off_max_quantizer)
                     : static_cast<unsigned>(kMaxQuantizer);
    if (bitrate_changed_ || max_quantizer != cfg_.rc_max_quantizer) {
      cfg_.rc_target_bitrate = static_cast<unsigned>(BitrateKbps(size));
      cfg_.rc_max_quantizer = max_quantizer;
      if (vpx_codec_enc_config_set(codec_.get(), &cfg_) != VPX_CODEC_OK) {
        return MakeError(VpxError(codec_.get(), "vpx_codec_enc_config_set"));
      }
    }
    bitrate_changed_ = false;

    if (key_frame) {
      ConvertRect(frame, DesktopRect{0, 0, size.width, size.height});
      std::fill(active_map_.begin(), active_map_.end(), uint8_t{1});
    } else {
      std::fill(active_map_.begin(), active_map_.end(), uint8_t{0});
      const int padding = config_.codec == Codec::kVp8 ? kVp8ActiveMapPadding
                                                       : kVp9ActiveMapPadding;
      for (const DesktopRect& dirty : frame.dirty_rects()) {
        const DesktopRect rect = dirty.ClippedTo(size);
        if (rect.is_empty())
          continue;
        ConvertRect(frame, rect);
        MarkActive(rect.Grown(padding).ClippedTo(size));
      }
      for (size_t i = 0; i < active_map_.size(); ++i) {
        active_map_[i] |= top_off_map_[i];
      }
    }

    vpx_active_map_t map{};
    map.active_map = active_map_.data();
    map.rows = static_cast<unsigned>(mb_rows_);
    map.cols = static_cast<unsigned>(mb_cols_);
    if (vpx_codec_control(codec_.get(), VP8E_SET_ACTIVEMAP, &map) !=
        VPX_CODEC_OK) {
      return MakeError(VpxError(codec_.get(), "VP8E_SET_ACTIVEMAP"));
    }

    const unsigned long duration =
        static_cast<unsigned long>(std::max(params.duration_ms, 1));
    const vpx_enc_frame_flags_t flags = key_frame ? VPX_EFLAG_FORCE_KF : 0;
    if (vpx_codec_encode(codec_.get(), image_.get(), pts_, duration, flags,
                         VPX_DL_REALTIME) != VPX_CODEC_OK) {
      // The I420 copy already holds this frame's changes, which never
      // reached the stream: only a keyframe puts the decoder right again.
      key_frame_requested_ = true;
      return MakeError(VpxError(codec_.get(), "vpx_codec_encode"));
    }
    pts_ += static_cast<vpx_codec_pts_t>(duration);
    key_frame_requested_ = false;

    EncodedFrame out;
    out.size = size;
    vpx_codec_iter_t iter = nullptr;
    while (const vpx_codec_cx_pkt_t* packet =
               vpx_codec_get_cx_data(codec_.get(), &iter)) {
      if (packet->kind != VPX_CODEC_CX_FRAME_PKT)
        continue;
      const auto* bytes = static_cast<const uint8_t*>(packet->data.frame.buf);
      out.data.insert(out.data.end(), bytes, bytes + packet->data.frame.sz);
      out.key_frame |= (packet->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
    }
    if (out.data.empty()) {
      // rc_dropframe_thresh=0 and lag 0: libvpx should always emit a frame.
      key_frame_requested_ = true;
      return MakeTemporaryError("libvpx produced no packet");
    }
    int quantizer = -1;
    if (vpx_codec_control(codec_.get(), VP8E_GET_LAST_QUANTIZER_64,
                          &quantizer) == VPX_CODEC_OK) {
      out.quantizer = quantizer;
    }
    UpdateTopOff(out.quantizer);
    return out;
  }

  void RequestKeyFrame() { key_frame_requested_ = true; }

  void SetBitrateKbps(int kbps) {
    config_.bitrate_kbps = std::max(kbps, 0);
    bitrate_changed_ = true;
  }

  bool NeedsTopOff() const { return top_off_frames_ > 0; }

  int BitrateKbps(DesktopSize size) const {
    if (config_.bitrate_kbps > 0)
      return config_.bitrate_kbps;
    const double megapixels =
        static_cast<double>(size.width) * size.height / 1e6;
    return std::max(kMinDefaultKbps,
                    static_cast<int>(megapixels * kDefaultKbpsPerMegapixel));
  }

 private:
  Result<void> Configure(DesktopSize size) {
    codec_.reset();
    vpx_codec_iface_t* iface =
        config_.codec == Codec::kVp8 ? vpx_codec_vp8_cx() : vpx_codec_vp9_cx();
    if (vpx_codec_enc_config_default(iface, &cfg_, 0) != VPX_CODEC_OK) {
      return MakeError("vpx_codec_enc_config_default failed");
    }
    i444_ = config_.codec == Codec::kVp9 && config_.vp9_i444;
    cfg_.g_profile = i444_ ? 1 : 0;
    cfg_.g_w = static_cast<unsigned>(size.width);
    cfg_.g_h = static_cast<unsigned>(size.height);
    cfg_.g_timebase.num = 1;
    cfg_.g_timebase.den = 1000;  // pts and durations in milliseconds
    cfg_.g_threads = static_cast<unsigned>(
        config_.threads > 0 ? config_.threads : DefaultThreads());
    cfg_.g_pass = VPX_RC_ONE_PASS;
    cfg_.g_lag_in_frames = 0;
    cfg_.g_error_resilient = 0;
    cfg_.rc_end_usage = VPX_CBR;
    cfg_.rc_target_bitrate = static_cast<unsigned>(BitrateKbps(size));
    cfg_.rc_dropframe_thresh = 0;
    cfg_.rc_resize_allowed = 0;
    cfg_.rc_undershoot_pct = 100;
    cfg_.rc_overshoot_pct = 15;
    cfg_.rc_min_quantizer = kMinQuantizer;
    cfg_.rc_max_quantizer = kMaxQuantizer;
    cfg_.rc_buf_initial_sz = 500;
    cfg_.rc_buf_optimal_sz = 600;
    cfg_.rc_buf_sz = 1000;
    cfg_.kf_mode = VPX_KF_DISABLED;
    cfg_.kf_min_dist = 0;
    cfg_.kf_max_dist = kHugeKeyFrameDistance;

    ScopedVpxCodec codec(new vpx_codec_ctx_t{});
    if (vpx_codec_enc_init(codec.get(), iface, &cfg_, 0) != VPX_CODEC_OK) {
      return MakeError(VpxError(codec.get(), "vpx_codec_enc_init"));
    }
    auto control = [&](int id, int value, const char* name) -> Result<void> {
      if (vpx_codec_control_(codec.get(), id, value) != VPX_CODEC_OK) {
        return MakeError(VpxError(codec.get(), name));
      }
      return {};
    };
    Result<void> ok;
    if (config_.codec == Codec::kVp8) {
      // Fastest real-time speed; noise reduction smears text.
      if (ok = control(VP8E_SET_CPUUSED, 16, "cpu-used"); !ok)
        return ok;
      if (ok = control(VP8E_SET_NOISE_SENSITIVITY, 0, "noise"); !ok)
        return ok;
    } else {
      if (ok = control(VP8E_SET_CPUUSED, config_.vp9_speed, "speed"); !ok) {
        return ok;
      }
      if (ok = control(VP9E_SET_TUNE_CONTENT, VP9E_CONTENT_SCREEN, "tune");
          !ok) {
        return ok;
      }
      // Cyclic refresh: sharpens static areas a slice at a time.
      if (ok = control(VP9E_SET_AQ_MODE, 3, "aq-mode"); !ok)
        return ok;
      if (ok = control(VP9E_SET_NOISE_SENSITIVITY, 0, "noise"); !ok) {
        return ok;
      }
    }

    ScopedVpxImage image(
        vpx_img_alloc(nullptr, i444_ ? VPX_IMG_FMT_I444 : VPX_IMG_FMT_I420,
                      cfg_.g_w, cfg_.g_h, kMacroBlockSize));
    if (!image)
      return MakeError("vpx_img_alloc failed");

    codec_ = std::move(codec);
    image_ = std::move(image);
    size_ = size;
    mb_cols_ = (size.width + kMacroBlockSize - 1) / kMacroBlockSize;
    mb_rows_ = (size.height + kMacroBlockSize - 1) / kMacroBlockSize;
    active_map_.assign(static_cast<size_t>(mb_cols_) * mb_rows_, 0);
    top_off_map_.assign(active_map_.size(), 0);
    top_off_frames_ = 0;
    return {};
  }

  // BGRX -> I420 (or I444) for `rect` grown to even coordinates, so every
  // chroma sample it touches is recomputed from all four of its pixels.
  // libyuv's ARGBTo* ignore the fourth byte, undefined in captured frames.
  void ConvertRect(const DesktopFrame& frame, const DesktopRect& rect) {
    const int x0 = rect.x & ~1;
    const int y0 = rect.y & ~1;
    const int x1 = std::min((rect.right() + 1) & ~1, size_.width);
    const int y1 = std::min((rect.bottom() + 1) & ~1, size_.height);
    vpx_image_t* img = image_.get();
    const int y_stride = img->stride[VPX_PLANE_Y];
    const int u_stride = img->stride[VPX_PLANE_U];
    const int v_stride = img->stride[VPX_PLANE_V];
    if (i444_) {
      libyuv::ARGBToI444(
          frame.PixelAt(x0, y0), frame.stride(),
          img->planes[VPX_PLANE_Y] + y0 * y_stride + x0, y_stride,
          img->planes[VPX_PLANE_U] + y0 * u_stride + x0, u_stride,
          img->planes[VPX_PLANE_V] + y0 * v_stride + x0, v_stride, x1 - x0,
          y1 - y0);
      return;
    }
    libyuv::ARGBToI420(frame.PixelAt(x0, y0), frame.stride(),
                       img->planes[VPX_PLANE_Y] + y0 * y_stride + x0, y_stride,
                       img->planes[VPX_PLANE_U] + (y0 / 2) * u_stride + x0 / 2,
                       u_stride,
                       img->planes[VPX_PLANE_V] + (y0 / 2) * v_stride + x0 / 2,
                       v_stride, x1 - x0, y1 - y0);
  }

  void MarkActive(const DesktopRect& rect) {
    if (rect.is_empty())
      return;
    const int left = rect.x / kMacroBlockSize;
    const int right = (rect.right() - 1) / kMacroBlockSize;
    const int top = rect.y / kMacroBlockSize;
    const int bottom = (rect.bottom() - 1) / kMacroBlockSize;
    for (int row = top; row <= bottom; ++row) {
      uint8_t* line = active_map_.data() + static_cast<size_t>(row) * mb_cols_;
      std::fill(line + left, line + right + 1, uint8_t{1});
    }
  }

  // Areas just encoded coarsely stay in the active map of the following
  // frames until a frame containing them comes out at q <= 30.
  void UpdateTopOff(int quantizer) {
    // A frame with no active block encodes nothing: its quantizer says
    // nothing about the picture.
    if (!config_.top_off)
      return;
    const bool any_active =
        std::any_of(active_map_.begin(), active_map_.end(),
                    [](uint8_t active) { return active != 0; });
    if (any_active && quantizer > kTopOffTargetQuantizer &&
        top_off_frames_ < kMaxTopOffFrames) {
      for (size_t i = 0; i < active_map_.size(); ++i) {
        top_off_map_[i] |= active_map_[i];
      }
      ++top_off_frames_;
    } else {
      std::fill(top_off_map_.begin(), top_off_map_.end(), uint8_t{0});
      top_off_frames_ = 0;
    }
  }

  VpxEncoderConfig config_;
  vpx_codec_enc_cfg_t cfg_{};
  ScopedVpxCodec codec_;
  ScopedVpxImage image_;
  DesktopSize size_;
  int mb_cols_ = 0;
  int mb_rows_ = 0;
  std::vector<uint8_t> active_map_;
  std::vector<uint8_t> top_off_map_;
  int top_off_frames_ = 0;
  vpx_codec_pts_t pts_ = 0;
  bool key_frame_requested_ = false;
  bool i444_ = false;
  bool bitrate_changed_ = false;
};

Result<std::unique_ptr<VpxEncoder>> VpxEncoder::Create(Codec codec) {
  VpxEncoderConfig config;
  config.codec = codec;
  return Create(config);
}

Result<std::unique_ptr<VpxEncoder>> VpxEncoder::Create(
    const VpxEncoderConfig& config) {
  if (config.codec != Codec::kVp8 && config.codec != Codec::kVp9) {
    return MakeError("unknown codec");
  }
  if (config.bitrate_kbps < 0 || config.threads < 0 || config.vp9_speed < 6 ||
      config.vp9_speed > 9 || config.top_off_max_quantizer < kMinQuantizer ||
      config.top_off_max_quantizer > kTopOffTargetQuantizer) {
    return MakeError("invalid encoder configuration");
  }
  vpx_codec_iface_t* iface =
      config.codec == Codec::kVp8 ? vpx_codec_vp8_cx() : vpx_codec_vp9_cx();
  vpx_codec_enc_cfg_t probe{};
  if (iface == nullptr ||
      vpx_codec_enc_config_default(iface, &probe, 0) != VPX_CODEC_OK) {
    return MakeError(std::string("libvpx has no ") + CodecName(config.codec) +
                     " encoder");
  }
  return std::unique_ptr<VpxEncoder>(
      new VpxEncoder(std::make_unique<Impl>(config)));
}

VpxEncoder::VpxEncoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VpxEncoder::~VpxEncoder() = default;

Result<EncodedFrame> VpxEncoder::Encode(const DesktopFrame& frame,
                                        const EncodeParams& params) {
  return impl_->Encode(frame, params);
}
void VpxEncoder::RequestKeyFrame() {
  impl_->RequestKeyFrame();
}
void VpxEncoder::SetBitrateKbps(int kbps) {
  impl_->SetBitrateKbps(kbps);
}
bool VpxEncoder::NeedsTopOff() const {
  return impl_->NeedsTopOff();
}
int VpxEncoder::EffectiveBitrateKbps(DesktopSize size) const {
  return impl_->BitrateKbps(size);
}

}  // namespace tether::codec
