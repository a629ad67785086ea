#include "codec/lossless_image.h"

#include <gtest/gtest.h>
#include <webp/encode.h>

#include <cstring>

#include "tests/codec/synthetic_screen.h"

namespace tether::codec {
namespace {

using desktop::DesktopFrame;
using desktop::DesktopRect;
using desktop::DesktopSize;

// Same RGB in `rect` of both frames (the fourth byte is not a colour).
bool SameRgb(const DesktopFrame& a, const DesktopFrame& b, DesktopRect rect) {
  for (int y = rect.y; y < rect.bottom(); ++y) {
    for (int x = rect.x; x < rect.right(); ++x) {
      if (a.RgbAt(x, y) != b.RgbAt(x, y))
        return false;
    }
  }
  return true;
}

TEST(LosslessImageTest, GivesBackExactlyThePixelsOfTheArea) {
  test::Screen screen({320, 200});
  const DesktopRect area{32, 64, 128, 96};
  auto encoded = EncodeLossless(screen.frame, area);
  ASSERT_TRUE(encoded.has_value()) << encoded.error().message;
  // Text and flat colours: far below the raw 4 bytes per pixel.
  EXPECT_LT(encoded->size(), static_cast<size_t>(area.area()));

  DesktopFrame out({320, 200});
  ASSERT_TRUE(DecodeLossless(*encoded, area, out).has_value());
  EXPECT_TRUE(SameRgb(out, screen.frame, area));
  EXPECT_EQ(out.PixelAt(area.x, area.y)[3], 0xFF);
  // Nothing outside the area was written.
  EXPECT_EQ(out.RgbAt(area.x - 1, area.y), 0u);
  EXPECT_EQ(out.RgbAt(area.x, area.bottom()), 0u);
}

TEST(LosslessImageTest, TheFourthByteOfACaptureDoesNotMatter) {
  test::Screen screen({64, 32});
  DesktopFrame noisy = screen.frame.Clone();
  for (int y = 0; y < 32; ++y) {
    for (int x = 0; x < 64; ++x)
      noisy.MutablePixelAt(x, y)[3] = static_cast<uint8_t>(x * 7 + y);
  }
  auto a = EncodeLossless(screen.frame, {0, 0, 64, 32});
  auto b = EncodeLossless(noisy, {0, 0, 64, 32});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
}

TEST(LosslessImageTest, RefusesAreasOutsideThePicture) {
  DesktopFrame frame({64, 64});
  EXPECT_FALSE(EncodeLossless(frame, {32, 32, 64, 32}).has_value());
  EXPECT_FALSE(EncodeLossless(frame, {-1, 0, 8, 8}).has_value());
  EXPECT_FALSE(EncodeLossless(frame, {0, 0, 0, 8}).has_value());
  auto encoded = EncodeLossless(frame, {0, 0, 32, 32});
  ASSERT_TRUE(encoded.has_value());
  EXPECT_FALSE(DecodeLossless(*encoded, {48, 48, 32, 32}, frame).has_value());
}

TEST(LosslessImageTest, RefusesAPictureOfAnotherSize) {
  DesktopFrame frame({64, 64});
  auto encoded = EncodeLossless(frame, {0, 0, 64, 32});
  ASSERT_TRUE(encoded.has_value());
  const auto refused = DecodeLossless(*encoded, {0, 0, 32, 32}, frame);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("does not fit"), std::string::npos);
}

TEST(LosslessImageTest, RefusesLossyWebP) {
  test::Screen screen({64, 64});
  uint8_t* lossy = nullptr;
  const size_t size = WebPEncodeBGRA(screen.frame.data(), 64, 64,
                                     screen.frame.stride(), 80, &lossy);
  ASSERT_GT(size, 0u);
  DesktopFrame out({64, 64});
  const auto refused = DecodeLossless({lossy, size}, {0, 0, 64, 64}, out);
  WebPFree(lossy);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("not a lossless"), std::string::npos);
}

TEST(LosslessImageTest, RefusesGarbageAndTruncatedPictures) {
  test::Screen screen({64, 64});
  auto encoded = EncodeLossless(screen.frame, {0, 0, 64, 64});
  ASSERT_TRUE(encoded.has_value());
  DesktopFrame out({64, 64});
  std::vector<uint8_t> truncated(encoded->begin(),
                                 encoded->begin() + encoded->size() / 2);
  EXPECT_FALSE(DecodeLossless(truncated, {0, 0, 64, 64}, out).has_value());
  std::vector<uint8_t> garbage(300, 0x5A);
  EXPECT_FALSE(DecodeLossless(garbage, {0, 0, 64, 64}, out).has_value());
  EXPECT_FALSE(DecodeLossless({}, {0, 0, 64, 64}, out).has_value());
  // Far more bytes than an area of this size can need: refused unread.
  std::vector<uint8_t> huge(*encoded);
  huge.resize(64 * 64 * 4 + 8192);
  const auto refused = DecodeLossless(huge, {0, 0, 64, 64}, out);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("larger"), std::string::npos);
}

}  // namespace
}  // namespace tether::codec
