#include "codec/vpx_encoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "codec/vpx_decoder.h"
#include "tests/codec/synthetic_screen.h"

namespace tether::codec {
namespace {

using desktop::DesktopFrame;
using desktop::DesktopRect;
using desktop::DesktopSize;

using test::Screen;

constexpr DesktopSize kSmall{160, 120};
constexpr DesktopSize kMedium{480, 320};

// Encoder and decoder for one codec, with a check that every packet
// decodes.
class RoundTrip {
 public:
  explicit RoundTrip(Codec codec) {
    auto encoder = VpxEncoder::Create(codec);
    auto decoder = VpxDecoder::Create(codec);
    if (!encoder || !decoder)
      std::abort();
    encoder_ = std::move(*encoder);
    decoder_ = std::move(*decoder);
  }

  VpxEncoder& encoder() { return *encoder_; }

  // Encodes and decodes `frame`; the decoded pixels land in decoded().
  EncodedFrame Send(const DesktopFrame& frame, EncodeParams params = {}) {
    auto encoded = encoder_->Encode(frame, params);
    EXPECT_TRUE(encoded.has_value()) << encoded.error().message;
    if (!encoded)
      return {};
    auto size = decoder_->Decode(encoded->data);
    EXPECT_TRUE(size.has_value()) << size.error().message;
    if (!size)
      return *encoded;
    EXPECT_EQ(*size, frame.size());
    if (!decoded_ || decoded_->size() != *size) {
      decoded_ = std::make_unique<DesktopFrame>(*size);
    }
    auto converted = decoder_->ConvertToBgra(*decoded_);
    EXPECT_TRUE(converted.has_value());
    return *std::move(encoded);
  }

  // Encodes the unchanged screen while the encoder asks for a top-off.
  void SettleTopOff(DesktopFrame& frame) {
    frame.mutable_dirty_rects().clear();
    for (int i = 0; i < 40 && encoder_->NeedsTopOff(); ++i)
      Send(frame);
  }

  const DesktopFrame& decoded() const { return *decoded_; }

 private:
  std::unique_ptr<VpxEncoder> encoder_;
  std::unique_ptr<VpxDecoder> decoder_;
  std::unique_ptr<DesktopFrame> decoded_;
};

class VpxEncoderTest : public ::testing::TestWithParam<Codec> {};

TEST_P(VpxEncoderTest, FirstFrameIsKeyFrameAndNonEmpty) {
  auto encoder = VpxEncoder::Create(GetParam());
  ASSERT_TRUE(encoder.has_value()) << encoder.error().message;
  Screen screen(kSmall);
  auto out = (*encoder)->Encode(screen.frame, EncodeParams{});
  ASSERT_TRUE(out.has_value()) << out.error().message;
  EXPECT_TRUE(out->key_frame);
  EXPECT_FALSE(out->data.empty());
  EXPECT_EQ(out->size, kSmall);
}

TEST_P(VpxEncoderTest, LaterFramesAreNotKeyFrames) {
  RoundTrip trip(GetParam());
  Screen screen(kSmall);
  trip.Send(screen.frame);
  for (int i = 0; i < 5; ++i) {
    screen.TypeGlyph(i);
    EXPECT_FALSE(trip.Send(screen.frame).key_frame) << "frame " << i;
  }
}

TEST_P(VpxEncoderTest, KeyFrameParamProducesKeyFrame) {
  RoundTrip trip(GetParam());
  Screen screen(kSmall);
  trip.Send(screen.frame);
  screen.TypeGlyph(0);
  EXPECT_TRUE(
      trip.Send(screen.frame, EncodeParams{.key_frame = true}).key_frame);
  screen.TypeGlyph(1);
  EXPECT_FALSE(trip.Send(screen.frame).key_frame);
}

TEST_P(VpxEncoderTest, RequestKeyFrameMakesNextFrameKey) {
  RoundTrip trip(GetParam());
  Screen screen(kSmall);
  trip.Send(screen.frame);
  trip.encoder().RequestKeyFrame();
  screen.frame.mutable_dirty_rects().clear();
  const EncodedFrame key = trip.Send(screen.frame);
  EXPECT_TRUE(key.key_frame);
  // The whole picture is in a keyframe, even with no dirty rectangles.
  EXPECT_GE(test::LumaPsnr(screen.frame, trip.decoded()), 20.0);
  EXPECT_FALSE(trip.Send(screen.frame).key_frame);
}

TEST_P(VpxEncoderTest, IdleFrameIsTiny) {
  RoundTrip trip(GetParam());
  Screen screen(kMedium);
  trip.Send(screen.frame);
  trip.SettleTopOff(screen.frame);
  screen.frame.mutable_dirty_rects().clear();
  const EncodedFrame idle = trip.Send(screen.frame);
  EXPECT_FALSE(idle.key_frame);
  EXPECT_LT(idle.data.size(), 128u);
}

TEST_P(VpxEncoderTest, OnePixelChangeYieldsTinyFrame) {
  RoundTrip trip(GetParam());
  Screen screen(kMedium);
  trip.Send(screen.frame);
  trip.SettleTopOff(screen.frame);
  uint8_t* px = screen.frame.MutablePixelAt(200, 150);
  for (int c = 0; c < 3; ++c)
    px[c] = static_cast<uint8_t>(255 - px[c]);
  screen.frame.mutable_dirty_rects() = {DesktopRect{200, 150, 1, 1}};
  const EncodedFrame changed = trip.Send(screen.frame);
  EXPECT_FALSE(changed.key_frame);
  EXPECT_LT(changed.data.size(), 1024u);
}

TEST_P(VpxEncoderTest, UnchangedAreasOutsideDirtyRectsAreNotEncoded) {
  // Pixels that change without being reported dirty stay as they were:
  // the encoder looks only at dirty rectangles.
  RoundTrip trip(GetParam());
  Screen screen(kMedium);
  trip.Send(screen.frame);
  trip.SettleTopOff(screen.frame);
  const DesktopFrame before = trip.decoded().Clone();
  test::FillRect(screen.frame, DesktopRect{300, 200, 64, 64},
                 test::Bgra{0, 0, 0});
  screen.frame.mutable_dirty_rects().clear();
  trip.Send(screen.frame);
  EXPECT_GE(test::LumaPsnr(before, trip.decoded()), 45.0);
}

TEST_P(VpxEncoderTest, SizeChangeMidStreamDecodes) {
  RoundTrip trip(GetParam());
  Screen first(kSmall);
  trip.Send(first.frame);
  first.TypeGlyph(0);
  trip.Send(first.frame);

  Screen second(DesktopSize{kSmall.width + 34, kSmall.height + 18});
  const EncodedFrame resized = trip.Send(second.frame);
  EXPECT_TRUE(resized.key_frame);
  EXPECT_EQ(resized.size, second.frame.size());
  ASSERT_EQ(trip.decoded().size(), second.frame.size());
  second.TypeGlyph(1);
  EXPECT_FALSE(trip.Send(second.frame).key_frame);
  trip.SettleTopOff(second.frame);
  EXPECT_GE(test::LumaPsnr(second.frame, trip.decoded()), 35.0);

  // Back down to a smaller size.
  Screen third(kSmall);
  EXPECT_TRUE(trip.Send(third.frame).key_frame);
  EXPECT_EQ(trip.decoded().size(), kSmall);
}

TEST_P(VpxEncoderTest, OddFrameSizeRoundTrips) {
  RoundTrip trip(GetParam());
  Screen screen(DesktopSize{101, 67});
  trip.Send(screen.frame);
  screen.TypeGlyph(3);
  trip.Send(screen.frame);
  trip.SettleTopOff(screen.frame);
  EXPECT_GE(test::LumaPsnr(screen.frame, trip.decoded()), 35.0);
}

TEST_P(VpxEncoderTest, LowerBitrateGivesSmallerFrames) {
  auto average_bytes = [&](int kbps) {
    RoundTrip trip(GetParam());
    trip.encoder().SetBitrateKbps(4000);
    Screen screen(kMedium);
    trip.Send(screen.frame);
    size_t total = 0;
    for (int i = 1; i <= 20; ++i) {
      if (i == 5)
        trip.encoder().SetBitrateKbps(kbps);  // at run time
      screen.PlayVideo(i, DesktopRect{0, 0, 480, 320});
      const size_t bytes = trip.Send(screen.frame).data.size();
      if (i > 10)
        total += bytes;
    }
    return total / 10;
  };
  const size_t high = average_bytes(4000);
  const size_t low = average_bytes(100);
  EXPECT_LT(low * 2, high) << "low " << low << " high " << high;
}

TEST_P(VpxEncoderTest, DefaultBitrateScalesWithSize) {
  auto encoder = VpxEncoder::Create(GetParam());
  ASSERT_TRUE(encoder.has_value());
  EXPECT_EQ((*encoder)->EffectiveBitrateKbps(DesktopSize{160, 120}), 500);
  EXPECT_EQ((*encoder)->EffectiveBitrateKbps(DesktopSize{1920, 1080}), 5184);
  (*encoder)->SetBitrateKbps(1234);
  EXPECT_EQ((*encoder)->EffectiveBitrateKbps(DesktopSize{1920, 1080}), 1234);
}

TEST_P(VpxEncoderTest, TopOffSharpensStaticAreasToTargetQuantizer) {
  RoundTrip trip(GetParam());
  Screen screen(kMedium);
  trip.Send(screen.frame);
  screen.Scroll(1);  // a large change: coarse at first
  const EncodedFrame coarse = trip.Send(screen.frame);
  ASSERT_GT(coarse.quantizer, 30) << "premise: the change starts coarse";
  EXPECT_TRUE(trip.encoder().NeedsTopOff());
  screen.frame.mutable_dirty_rects().clear();
  EncodedFrame last;
  for (int i = 0; i < 40 && trip.encoder().NeedsTopOff(); ++i) {
    last = trip.Send(screen.frame);
  }
  EXPECT_FALSE(trip.encoder().NeedsTopOff());
  EXPECT_LE(last.quantizer, 30);
}

TEST_P(VpxEncoderTest, RejectsFrameWithBadGeometry) {
  auto encoder = VpxEncoder::Create(GetParam());
  ASSERT_TRUE(encoder.has_value());
  EXPECT_FALSE(
      (*encoder)->Encode(DesktopFrame(DesktopSize{0, 10}), {}).has_value());
  EXPECT_FALSE(
      (*encoder)->Encode(DesktopFrame(DesktopSize{-4, 10}), {}).has_value());
  EXPECT_FALSE(
      (*encoder)->Encode(DesktopFrame(DesktopSize{20000, 2}), {}).has_value());
}

TEST_P(VpxEncoderTest, EncodesSharedPixelsWithPaddedStrideInPlace) {
  // A capturer's frame: read-only pixels shared with the capturer, rows
  // wider than the picture, an undefined fourth byte. Encoded as it is.
  Screen screen(kSmall);
  const int32_t stride = kSmall.width * 4 + 64;
  auto pixels = std::make_shared<std::vector<uint8_t>>(
      static_cast<size_t>(stride) * kSmall.height, uint8_t{0x5A});
  for (int32_t y = 0; y < kSmall.height; ++y) {
    std::memcpy(pixels->data() + static_cast<size_t>(y) * stride,
                screen.frame.PixelAt(0, y),
                static_cast<size_t>(kSmall.width) * 4);
    for (int32_t x = 0; x < kSmall.width; ++x)
      (*pixels)[static_cast<size_t>(y) * stride + x * 4 + 3] =
          static_cast<uint8_t>(x * 7 + y);  // X: garbage, not alpha
  }
  const DesktopFrame captured(kSmall, stride, pixels, {100, 50},
                              {DesktopRect::FromSize(kSmall)});
  ASSERT_FALSE(captured.is_writable());
  RoundTrip trip(GetParam());
  trip.Send(captured);
  EXPECT_GE(test::LumaPsnr(screen.frame, trip.decoded()), 30.0);
}

TEST_P(VpxEncoderTest, DirtyRectsOutsideTheFrameAreIgnored) {
  RoundTrip trip(GetParam());
  Screen screen(kSmall);
  trip.Send(screen.frame);
  screen.frame.mutable_dirty_rects() = {
      DesktopRect{-50, -50, 10, 10}, DesktopRect{150, 110, 500, 500},
      DesktopRect{1000, 1000, 5, 5}, DesktopRect{3, 3, 0, 7}};
  EXPECT_FALSE(trip.Send(screen.frame).data.empty());
}

// The one full-HD test: a 1080p desktop with a moving window round-trips.
TEST_P(VpxEncoderTest, FullHdWindowDragRoundTrips) {
  RoundTrip trip(GetParam());
  Screen screen(DesktopSize{1920, 1080});
  EXPECT_TRUE(trip.Send(screen.frame).key_frame);
  for (int i = 1; i <= 3; ++i) {
    screen.DragWindow(i, 24, 9);
    EXPECT_FALSE(trip.Send(screen.frame).key_frame);
  }
  trip.SettleTopOff(screen.frame);
  EXPECT_GE(test::LumaPsnr(screen.frame, trip.decoded()), 35.0);
}

TEST(VpxEncoderI444Test, Vp9Profile1KeepsColouredTextSharperThanI420) {
  auto psnr_of = [](bool i444) {
    VpxEncoderConfig config;
    config.codec = Codec::kVp9;
    config.vp9_i444 = i444;
    config.bitrate_kbps = 4000;
    auto encoder = VpxEncoder::Create(config);
    auto decoder = VpxDecoder::Create(Codec::kVp9);
    if (!encoder || !decoder)
      std::abort();
    Screen screen(DesktopSize{160, 96});
    // Red 1-px glyphs on blue: all the detail is in the colour planes.
    test::FillRect(screen.frame, DesktopRect{0, 0, 160, 96},
                   test::Bgra{200, 0, 0});
    for (int y = 4; y + 8 < 96; y += 10) {
      for (int x = 4; x + 6 < 160; x += 6) {
        test::DrawGlyph(screen.frame, x, y, static_cast<uint32_t>(x * y),
                        test::Bgra{0, 0, 230});
      }
    }
    screen.frame.MarkAllDirty();
    DesktopFrame decoded(screen.frame.size());
    for (int i = 0; i < 10; ++i) {
      auto encoded = (*encoder)->Encode(screen.frame, {});
      if (!encoded || !(*decoder)->Decode(encoded->data) ||
          !(*decoder)->ConvertToBgra(decoded)) {
        ADD_FAILURE() << "round trip failed";
        return 0.0;
      }
      screen.frame.mutable_dirty_rects().clear();
    }
    // PSNR of the red channel, where I420 loses half the resolution.
    double error = 0;
    for (int y = 0; y < 96; ++y) {
      for (int x = 0; x < 160; ++x) {
        const double d =
            screen.frame.PixelAt(x, y)[2] - decoded.PixelAt(x, y)[2];
        error += d * d;
      }
    }
    return 10 * std::log10(255.0 * 255.0 / (error / (160 * 96) + 1e-10));
  };
  const double i420 = psnr_of(false);
  const double i444 = psnr_of(true);
  RecordProperty("i420_red_psnr", std::to_string(i420));
  RecordProperty("i444_red_psnr", std::to_string(i444));
  EXPECT_GT(i444, i420 + 3) << "I420 " << i420 << " dB, I444 " << i444 << " dB";
}

TEST(VpxEncoderCreateTest, RejectsInvalidConfiguration) {
  VpxEncoderConfig config;
  config.vp9_speed = 5;
  EXPECT_FALSE(VpxEncoder::Create(config).has_value());
  config = {};
  config.bitrate_kbps = -1;
  EXPECT_FALSE(VpxEncoder::Create(config).has_value());
  config = {};
  config.top_off_max_quantizer = 40;
  EXPECT_FALSE(VpxEncoder::Create(config).has_value());
}

INSTANTIATE_TEST_SUITE_P(Codecs,
                         VpxEncoderTest,
                         ::testing::Values(Codec::kVp8, Codec::kVp9),
                         [](const auto& param_info) {
                           return std::string(CodecName(param_info.param));
                         });

// Synthetic screen content round-trips at >= 35 dB (luma PSNR) at the
// default bitrate, once the encoder has sharpened it (top-off).
enum class Content { kTyping, kScrolling, kWindowDrag, kVideo };

const char* ContentName(Content c) {
  switch (c) {
    case Content::kTyping:
      return "Typing";
    case Content::kScrolling:
      return "Scrolling";
    case Content::kWindowDrag:
      return "WindowDrag";
    case Content::kVideo:
      return "Video";
  }
  return "?";
}

class ScreenContentTest
    : public ::testing::TestWithParam<std::tuple<Codec, Content>> {};

TEST_P(ScreenContentTest, RoundTripsAbove35Db) {
  const auto [codec, content] = GetParam();
  RoundTrip trip(codec);
  Screen screen(kMedium);
  trip.Send(screen.frame);
  double worst_moving = 99;
  for (int i = 1; i <= 15; ++i) {
    switch (content) {
      case Content::kTyping:
        screen.TypeGlyph(i);
        break;
      case Content::kScrolling:
        screen.Scroll(i);
        break;
      case Content::kWindowDrag:
        screen.DragWindow(i, 7, 3);
        break;
      case Content::kVideo:
        screen.PlayVideo(i, DesktopRect{200, 120, 160, 120});
        break;
    }
    trip.Send(screen.frame);
    worst_moving =
        std::min(worst_moving, test::LumaPsnr(screen.frame, trip.decoded()));
  }
  trip.SettleTopOff(screen.frame);
  const double settled = test::LumaPsnr(screen.frame, trip.decoded());
  RecordProperty("worst_moving_psnr", std::to_string(worst_moving));
  RecordProperty("settled_psnr", std::to_string(settled));
  EXPECT_GE(settled, 35.0);
}

INSTANTIATE_TEST_SUITE_P(
    Codecs,
    ScreenContentTest,
    ::testing::Combine(::testing::Values(Codec::kVp8, Codec::kVp9),
                       ::testing::Values(Content::kTyping,
                                         Content::kScrolling,
                                         Content::kWindowDrag,
                                         Content::kVideo)),
    [](const auto& param_info) {
      return std::string(CodecName(std::get<0>(param_info.param))) +
             ContentName(std::get<1>(param_info.param));
    });

}  // namespace
}  // namespace tether::codec
