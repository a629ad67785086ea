// The viewer's half of the exact layer: what it refuses before decoding
// anything, and how the receiver treats a frame that breaks the rules.

#include "streaming/exact_layer.h"

#include <gtest/gtest.h>

#include <climits>

#include "codec/lossless_image.h"
#include "streaming/video_receiver.h"
#include "tests/codec/synthetic_screen.h"
#include "tests/streaming/receiver_link.h"

namespace tether::streaming {
namespace {

using desktop::DesktopFrame;
using desktop::DesktopRect;
using desktop::DesktopSize;

constexpr DesktopSize kMax{8192, 8192};

proto::VideoFrame Frame(int width, int height) {
  proto::VideoFrame frame;
  frame.set_width(static_cast<uint32_t>(width));
  frame.set_height(static_cast<uint32_t>(height));
  return frame;
}

void SetRect(proto::Rect* out, int x, int y, int w, int h) {
  out->set_x(x);
  out->set_y(y);
  out->set_width(w);
  out->set_height(h);
}

proto::VideoFrame WithMove(int x, int y, int w, int h, int dy, int dx = 0) {
  proto::VideoFrame frame = Frame(200, 100);
  proto::PictureMove* move = frame.add_moves();
  SetRect(move->mutable_source(), x, y, w, h);
  move->set_dx(dx);
  move->set_dy(dy);
  return frame;
}

proto::VideoFrame WithPatch(int x, int y, int w, int h) {
  proto::VideoFrame frame = Frame(200, 100);
  SetRect(frame.add_patches()->mutable_rect(), x, y, w, h);
  return frame;
}

TEST(ExactLayerTest, ChecksMovesAgainstThePicture) {
  EXPECT_TRUE(ExactLayer::Check(WithMove(0, 10, 200, 50, -10), kMax));
  EXPECT_TRUE(ExactLayer::Check(WithMove(0, 0, 200, 50, 50), kMax));
  EXPECT_FALSE(ExactLayer::Check(WithMove(0, 0, 200, 50, -1), kMax));
  EXPECT_FALSE(ExactLayer::Check(WithMove(0, 0, 200, 50, 51), kMax));
  EXPECT_FALSE(ExactLayer::Check(WithMove(1, 0, 200, 50, 10), kMax));
  EXPECT_FALSE(ExactLayer::Check(WithMove(0, 0, 0, 50, 10), kMax));
  // Numbers that overflow 32 bits.
  EXPECT_FALSE(ExactLayer::Check(WithMove(INT_MAX, 0, 10, 10, 0), kMax));
  EXPECT_FALSE(ExactLayer::Check(WithMove(0, 10, 10, 10, INT_MAX), kMax));
  EXPECT_FALSE(ExactLayer::Check(WithMove(0, 10, 10, 10, INT_MIN), kMax));
  EXPECT_FALSE(ExactLayer::Check(WithMove(0, -5, 10, INT_MAX, 0), kMax));
  EXPECT_TRUE(ExactLayer::Check(WithMove(10, 10, 50, 50, 5, -10), kMax));
  EXPECT_FALSE(ExactLayer::Check(WithMove(10, 10, 50, 50, 5, -11), kMax));
  EXPECT_FALSE(ExactLayer::Check(WithMove(10, 10, 50, 50, 0, 141), kMax));
  EXPECT_FALSE(ExactLayer::Check(WithMove(0, 0, 10, 10, 0, INT_MAX), kMax));
}

TEST(ExactLayerTest, ChecksThatPatchesAreInsideThePicture) {
  EXPECT_TRUE(ExactLayer::Check(WithPatch(0, 0, 64, 32), kMax));
  EXPECT_TRUE(ExactLayer::Check(WithPatch(192, 96, 8, 4), kMax));
  EXPECT_TRUE(ExactLayer::Check(WithPatch(16, 3, 7, 13), kMax));
  EXPECT_FALSE(ExactLayer::Check(WithPatch(192, 96, 16, 4), kMax));
  EXPECT_FALSE(ExactLayer::Check(WithPatch(-1, 0, 8, 8), kMax));
  EXPECT_FALSE(ExactLayer::Check(WithPatch(INT_MAX - 31, 0, 32, 32), kMax));
}

// Part of a tile may be patched only where the viewer has the tile exactly
// already: anything else would show a tile half exact, half stale.
TEST(ExactLayerTest, APatchOfPartOfATileNeedsTheTileExact) {
  codec::test::Screen screen({100, 64});
  ExactLayer layer;
  layer.Reset({100, 64});
  const auto patch = [&](DesktopRect rect) {
    proto::VideoFrame frame = Frame(100, 64);
    proto::PicturePatch* p = frame.add_patches();
    SetRect(p->mutable_rect(), rect.x, rect.y, rect.width, rect.height);
    auto webp = codec::EncodeLossless(screen.frame, rect);
    EXPECT_TRUE(webp.has_value());
    p->set_webp(webp->data(), webp->size());
    return frame;
  };
  const auto refused = layer.ApplyPatches(patch({5, 3, 7, 13}));
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("does not have exactly"),
            std::string::npos);
  EXPECT_EQ(layer.exact_tiles(), 0);
  ASSERT_TRUE(layer.ApplyPatches(patch({0, 0, 64, 32})));
  EXPECT_EQ(layer.exact_tiles(), 2);
  EXPECT_TRUE(layer.ApplyPatches(patch({5, 3, 40, 13})));
  EXPECT_EQ(layer.exact_tiles(), 2);
  EXPECT_FALSE(layer.ApplyPatches(patch({60, 3, 7, 13})));  // into tile 2
}

TEST(ExactLayerTest, ChecksCountsAndTheSize) {
  proto::VideoFrame many = Frame(200, 100);
  for (int i = 0; i <= kMaxPatchesPerFrame; ++i)
    SetRect(many.add_patches()->mutable_rect(), 0, 0, 32, 32);
  EXPECT_FALSE(ExactLayer::Check(many, kMax));
  proto::VideoFrame moves = Frame(200, 100);
  for (int i = 0; i <= kMaxMovesPerFrame; ++i)
    SetRect(moves.add_moves()->mutable_source(), 0, 0, 8, 8);
  EXPECT_FALSE(ExactLayer::Check(moves, kMax));
  proto::VideoFrame huge = WithPatch(0, 0, 32, 32);
  huge.set_width(9000);
  EXPECT_FALSE(ExactLayer::Check(huge, kMax));
  proto::VideoFrame empty = WithPatch(0, 0, 32, 32);
  empty.set_height(0);
  EXPECT_FALSE(ExactLayer::Check(empty, kMax));
  EXPECT_TRUE(ExactLayer::Check(Frame(0, 0), kMax));  // video only
}

TEST(ExactLayerTest, RectsFromTheNetworkAreClippedWithoutOverflow) {
  proto::Rect r;
  SetRect(&r, INT_MIN + 5, INT_MIN + 5, INT_MIN + 5, INT_MIN + 5);
  EXPECT_TRUE(ClipFromWire(r, {200, 100}).is_empty());
  SetRect(&r, INT_MAX - 5, 0, INT_MAX, 10);
  EXPECT_TRUE(ClipFromWire(r, {200, 100}).is_empty());
  SetRect(&r, -10, 90, INT_MAX, INT_MAX);
  EXPECT_EQ(ClipFromWire(r, {200, 100}), (DesktopRect{0, 90, 200, 10}));
}

TEST(ExactLayerTest, PaintsExactTilesUntilTheVideoTakesThemBack) {
  codec::test::Screen screen({100, 64});
  ExactLayer layer;
  layer.Reset({100, 64});
  proto::VideoFrame frame = Frame(100, 64);
  proto::PicturePatch* patch = frame.add_patches();
  SetRect(patch->mutable_rect(), 32, 0, 68, 32);
  auto webp = codec::EncodeLossless(screen.frame, {32, 0, 68, 32});
  ASSERT_TRUE(webp.has_value());
  patch->set_webp(webp->data(), webp->size());
  ASSERT_TRUE(ExactLayer::Check(frame, kMax));
  ASSERT_TRUE(layer.ApplyPatches(frame));
  EXPECT_EQ(layer.exact_tiles(), 3);

  DesktopFrame picture({100, 64});  // the "video": all black
  layer.Paint(picture);
  EXPECT_EQ(picture.RgbAt(40, 10), screen.frame.RgbAt(40, 10));
  EXPECT_EQ(picture.RgbAt(99, 31), screen.frame.RgbAt(99, 31));
  EXPECT_EQ(picture.RgbAt(10, 10), 0u);
  EXPECT_EQ(picture.RgbAt(40, 40), 0u);

  layer.HandToVideo({60, 5, 2, 2});  // tile 1 back to the video
  EXPECT_EQ(layer.exact_tiles(), 2);
  DesktopFrame again({100, 64});
  layer.Paint(again);
  EXPECT_EQ(again.RgbAt(40, 10), 0u);
  EXPECT_EQ(again.RgbAt(70, 10), screen.frame.RgbAt(70, 10));
}

TEST(ExactLayerTest, MovesAreasLikeTheSenderDoes) {
  codec::test::Screen screen({64, 64});
  DesktopFrame moved = screen.frame.Clone();
  MoveArea(moved, {0, 10, 64, 40}, 0, -10);  // up
  for (int y = 0; y < 40; ++y)
    EXPECT_EQ(moved.RgbAt(5, y), screen.frame.RgbAt(5, y + 10)) << y;
  DesktopFrame down = screen.frame.Clone();
  MoveArea(down, {0, 0, 64, 40}, 0, 10);
  for (int y = 10; y < 50; ++y)
    EXPECT_EQ(down.RgbAt(5, y), screen.frame.RgbAt(5, y - 10)) << y;
  // Right and down at once, overlapping itself.
  DesktopFrame diagonal = screen.frame.Clone();
  MoveArea(diagonal, {4, 4, 40, 40}, 7, 3);
  for (int y = 7; y < 47; ++y) {
    for (int x = 11; x < 51; ++x)
      ASSERT_EQ(diagonal.RgbAt(x, y), screen.frame.RgbAt(x - 7, y - 3));
  }
  DesktopFrame unchanged = screen.frame.Clone();
  MoveArea(unchanged, {0, 30, 64, 40}, 0, 0);  // outside: ignored
  MoveArea(unchanged, {0, 0, 64, 10}, 1, 0);   // would leave the frame
  EXPECT_EQ(unchanged.RgbAt(5, 40), screen.frame.RgbAt(5, 40));
  EXPECT_EQ(unchanged.RgbAt(1, 5), screen.frame.RgbAt(1, 5));
}

// The receiver: a frame that breaks the rules is a decode error, answered
// with a key frame request; nothing of it is shown.
class ReceiverRulesTest : public ::testing::Test {
 protected:
  void ReceiveAndWait(proto::VideoFrame frame) {
    const size_t before = link_.acks().size();
    receiver_.Receive(std::move(frame));
    ASSERT_TRUE(link_.WaitForAcks(before + 1));
  }
  // A refused frame is acknowledged, then a key frame is asked for.
  bool WaitForKeyRequest() { return link_.WaitForKeyFrameRequest(); }

  test::ReceiverLink link_;
  VideoReceiver receiver_{VideoReceiverOptions{}, link_.SendFunction(), [] {}};
};

TEST_F(ReceiverRulesTest, PatchesBeforeAnyPictureAreRefused) {
  proto::VideoFrame frame = WithPatch(0, 0, 32, 32);
  frame.set_frame_id(1);
  codec::test::Screen screen({200, 100});
  auto webp = codec::EncodeLossless(screen.frame, {0, 0, 32, 32});
  frame.mutable_patches(0)->set_webp(webp->data(), webp->size());
  ReceiveAndWait(frame);
  EXPECT_TRUE(WaitForKeyRequest());
  EXPECT_EQ(receiver_.decode_errors(), 1u);
  EXPECT_EQ(receiver_.frames_decoded(), 0u);
  EXPECT_FALSE(receiver_.TakePicture().has_value());
}

TEST_F(ReceiverRulesTest, AFrameWithNothingInItIsRefused) {
  proto::VideoFrame frame = Frame(200, 100);
  frame.set_frame_id(1);
  ReceiveAndWait(frame);
  EXPECT_TRUE(WaitForKeyRequest());
  EXPECT_EQ(receiver_.decode_errors(), 1u);
}

TEST_F(ReceiverRulesTest, APatchOutsideThePictureIsRefusedBeforeDecoding) {
  proto::VideoFrame frame = WithPatch(190, 0, 32, 32);
  frame.set_frame_id(1);
  frame.mutable_patches(0)->set_webp(std::string(100000, 'x'));
  ReceiveAndWait(frame);
  EXPECT_TRUE(WaitForKeyRequest());
  EXPECT_EQ(receiver_.decode_errors(), 1u);
}

}  // namespace
}  // namespace tether::streaming
