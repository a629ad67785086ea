#include "desktop/desktop_frame.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace tether::desktop {
namespace {

TEST(DesktopFrameTest, OwnedFrameIsZeroedTightlyPackedAndWritable) {
  DesktopFrame frame(DesktopSize{5, 3});
  EXPECT_EQ(frame.stride(), 5 * 4);
  EXPECT_EQ(frame.data_size(), 5u * 4 * 3);
  EXPECT_TRUE(frame.is_writable());
  EXPECT_TRUE(frame.dirty_rects().empty());
  EXPECT_EQ(frame.RgbAt(4, 2), 0u);
  uint8_t* p = frame.MutablePixelAt(4, 2);
  p[0] = 0x33;  // B
  p[1] = 0x22;  // G
  p[2] = 0x11;  // R
  EXPECT_EQ(frame.RgbAt(4, 2), 0x112233u);
  frame.MarkAllDirty();
  EXPECT_EQ(frame.dirty_rects(),
            (std::vector<DesktopRect>{DesktopRect{0, 0, 5, 3}}));
}

TEST(DesktopFrameTest, SharedFrameReadsProducerPixelsWithoutCopying) {
  // Two pixels per row, stride of three pixels: the third is padding.
  auto pixels = std::make_shared<std::vector<uint8_t>>(3 * 4 * 2);
  (*pixels)[1 * 12 + 1 * 4 + 2] = 0xAB;  // R of (1, 1)
  const DesktopFrame frame(DesktopSize{2, 2}, 12, pixels, DesktopPoint{7, 9},
                           {DesktopRect{1, 1, 1, 1}});
  EXPECT_EQ(frame.data(), pixels->data());
  EXPECT_FALSE(frame.is_writable());
  EXPECT_EQ(frame.RgbAt(1, 1), 0xAB0000u);
  EXPECT_EQ(frame.top_left(), (DesktopPoint{7, 9}));
  // The producer writes its next capture: the shared frame sees it.
  (*pixels)[0] = 0x01;
  EXPECT_EQ(frame.RgbAt(0, 0), 0x000001u);
}

TEST(DesktopFrameTest, CloneIsAnOwnedTightlyPackedDeepCopy) {
  auto pixels = std::make_shared<std::vector<uint8_t>>(3 * 4 * 2, 0x10);
  const DesktopFrame shared(DesktopSize{2, 2}, 12, pixels, DesktopPoint{7, 9},
                            {DesktopRect{0, 0, 2, 1}});
  DesktopFrame copy = shared.Clone();
  EXPECT_TRUE(copy.is_writable());
  EXPECT_EQ(copy.stride(), 2 * 4);
  EXPECT_EQ(copy.size(), shared.size());
  EXPECT_EQ(copy.top_left(), shared.top_left());
  EXPECT_EQ(copy.dirty_rects(), shared.dirty_rects());
  (*pixels)[0] = 0xFF;
  EXPECT_EQ(copy.RgbAt(0, 0), 0x101010u) << "a copy, not a view";
}

TEST(DesktopFrameDeathTest, WritingIntoSharedPixelsAborts) {
  auto pixels = std::make_shared<std::vector<uint8_t>>(16);
  DesktopFrame frame(DesktopSize{2, 2}, 8, pixels, {}, {});
  EXPECT_DEATH(frame.mutable_data(), "");
}

TEST(DesktopRectTest, GrowClipAndIntersect) {
  const DesktopRect r{2, 3, 4, 5};
  EXPECT_EQ(r.Grown(3), (DesktopRect{-1, 0, 10, 11}));
  EXPECT_EQ(r.Grown(3).ClippedTo(DesktopSize{8, 8}), (DesktopRect{0, 0, 8, 8}));
  EXPECT_TRUE((DesktopRect{10, 10, 2, 2}).ClippedTo({8, 8}).is_empty());
  EXPECT_EQ(DesktopRect::FromSize({4, 6}), (DesktopRect{0, 0, 4, 6}));
  EXPECT_EQ(r.Intersect(DesktopRect{4, 0, 10, 4}), (DesktopRect{4, 3, 2, 1}));
}

}  // namespace
}  // namespace tether::desktop
