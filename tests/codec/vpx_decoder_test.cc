#include "codec/vpx_decoder.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "codec/vpx_encoder.h"
#include "tests/codec/synthetic_screen.h"

namespace tether::codec {
namespace {

using desktop::DesktopFrame;
using desktop::DesktopRect;
using desktop::DesktopSize;

class VpxDecoderTest : public ::testing::TestWithParam<Codec> {
 protected:
  // A keyframe and an inter frame of a small synthetic screen.
  std::vector<EncodedFrame> EncodeTwoFrames(DesktopSize size) {
    auto encoder = VpxEncoder::Create(GetParam());
    if (!encoder)
      std::abort();
    test::Screen screen(size);
    std::vector<EncodedFrame> out;
    out.push_back(*(*encoder)->Encode(screen.frame, {}));
    screen.TypeGlyph(0);
    out.push_back(*(*encoder)->Encode(screen.frame, {}));
    return out;
  }
};

TEST_P(VpxDecoderTest, DecodesEncodedFramesToBgra) {
  const auto frames = EncodeTwoFrames(DesktopSize{64, 48});
  auto decoder = VpxDecoder::Create(GetParam());
  ASSERT_TRUE(decoder.has_value()) << decoder.error().message;
  for (const EncodedFrame& frame : frames) {
    auto size = (*decoder)->Decode(frame.data);
    ASSERT_TRUE(size.has_value()) << size.error().message;
    EXPECT_EQ(*size, (DesktopSize{64, 48}));
  }
  DesktopFrame out(DesktopSize{64, 48});
  EXPECT_TRUE((*decoder)->ConvertToBgra(out).has_value());
}

TEST_P(VpxDecoderTest, GarbagePacketsGiveErrors) {
  auto decoder = VpxDecoder::Create(GetParam());
  ASSERT_TRUE(decoder.has_value());
  test::PixelRandom random(42);
  int errors = 0;
  for (int i = 0; i < 200; ++i) {
    std::vector<uint8_t> garbage(1 + random.Next() % 400);
    for (auto& b : garbage)
      b = static_cast<uint8_t>(random.Next());
    if (!(*decoder)->Decode(garbage).has_value())
      ++errors;
  }
  EXPECT_GT(errors, 190);  // the rest decoded as *something*, and safely
}

TEST_P(VpxDecoderTest, EmptyPacketIsAnError) {
  auto decoder = VpxDecoder::Create(GetParam());
  ASSERT_TRUE(decoder.has_value());
  EXPECT_FALSE((*decoder)->Decode({}).has_value());
}

TEST_P(VpxDecoderTest, TruncatedKeyFrameIsAnError) {
  const auto frames = EncodeTwoFrames(DesktopSize{64, 48});
  auto decoder = VpxDecoder::Create(GetParam());
  ASSERT_TRUE(decoder.has_value());
  const std::vector<uint8_t>& key = frames[0].data;
  for (size_t length : {size_t{1}, size_t{5}, size_t{12}, key.size() / 2}) {
    auto fresh = VpxDecoder::Create(GetParam());
    ASSERT_TRUE(fresh.has_value());
    EXPECT_FALSE((*fresh)->Decode({key.data(), length}).has_value())
        << "length " << length;
  }
}

TEST_P(VpxDecoderTest, InterFrameWithoutKeyFrameIsAnError) {
  const auto frames = EncodeTwoFrames(DesktopSize{64, 48});
  auto decoder = VpxDecoder::Create(GetParam());
  ASSERT_TRUE(decoder.has_value());
  EXPECT_FALSE((*decoder)->Decode(frames[1].data).has_value());
}

TEST_P(VpxDecoderTest, RefusesFramesAboveTheSizeLimit) {
  const auto frames = EncodeTwoFrames(DesktopSize{128, 64});
  VpxDecoderConfig config;
  config.codec = GetParam();
  config.max_size = DesktopSize{100, 100};
  auto decoder = VpxDecoder::Create(config);
  ASSERT_TRUE(decoder.has_value());
  auto result = (*decoder)->Decode(frames[0].data);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("size limit"), std::string::npos)
      << result.error().message;
}

TEST_P(VpxDecoderTest, ConvertRejectsMismatchedOrSmallBuffer) {
  const auto frames = EncodeTwoFrames(DesktopSize{64, 48});
  auto decoder = VpxDecoder::Create(GetParam());
  ASSERT_TRUE(decoder.has_value());
  DesktopFrame before(DesktopSize{64, 48});
  EXPECT_FALSE((*decoder)->ConvertToBgra(before).has_value()) << "no frame";
  ASSERT_TRUE((*decoder)->Decode(frames[0].data).has_value());
  DesktopFrame wrong(DesktopSize{32, 48});
  EXPECT_FALSE((*decoder)->ConvertToBgra(wrong).has_value());
  std::vector<uint8_t> small(64 * 4 * 47);
  EXPECT_FALSE((*decoder)
                   ->ConvertToBgra(small, 64 * 4, DesktopSize{64, 48})
                   .has_value());
  std::vector<uint8_t> exact(64 * 4 * 48);
  EXPECT_TRUE((*decoder)
                  ->ConvertToBgra(exact, 64 * 4, DesktopSize{64, 48})
                  .has_value());
}

TEST_P(VpxDecoderTest, ConvertRefusesAFrameSharingCapturerPixels) {
  const auto frames = EncodeTwoFrames(DesktopSize{64, 48});
  auto decoder = VpxDecoder::Create(GetParam());
  ASSERT_TRUE(decoder.has_value());
  ASSERT_TRUE((*decoder)->Decode(frames[0].data).has_value());
  auto pixels = std::make_shared<const std::vector<uint8_t>>(64 * 4 * 48);
  DesktopFrame captured(DesktopSize{64, 48}, 64 * 4, pixels, {}, {});
  EXPECT_FALSE((*decoder)->ConvertToBgra(captured).has_value());
}

TEST_P(VpxDecoderTest, FailedDecodeLeavesNoFrameToConvert) {
  const auto frames = EncodeTwoFrames(DesktopSize{64, 48});
  auto decoder = VpxDecoder::Create(GetParam());
  ASSERT_TRUE(decoder.has_value());
  ASSERT_TRUE((*decoder)->Decode(frames[0].data).has_value());
  const std::vector<uint8_t> garbage(37, 0xA5);
  (void)(*decoder)->Decode(garbage);
  DesktopFrame out(DesktopSize{64, 48});
  EXPECT_FALSE((*decoder)->ConvertToBgra(out).has_value());
}

INSTANTIATE_TEST_SUITE_P(Codecs,
                         VpxDecoderTest,
                         ::testing::Values(Codec::kVp8, Codec::kVp9),
                         [](const auto& param_info) {
                           return std::string(CodecName(param_info.param));
                         });

}  // namespace
}  // namespace tether::codec
