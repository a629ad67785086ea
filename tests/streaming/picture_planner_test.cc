// The sender's half of the exact layer, on synthetic screens: where each
// kind of change goes, the top-off, scrolls as moves; and, through the real
// encoders and the real receiver, that the technician's picture ends up
// exactly the screen.

#include "streaming/picture_planner.h"

#include <gtest/gtest.h>

#include <chrono>

#include "codec/vpx_encoder.h"
#include "streaming/screen_sender.h"
#include "streaming/video_receiver.h"
#include "tests/codec/synthetic_screen.h"
#include "tests/streaming/receiver_link.h"

namespace tether::streaming {
namespace {

using namespace std::chrono_literals;
using codec::test::Screen;
using desktop::DesktopFrame;
using desktop::DesktopRect;
using desktop::DesktopSize;

constexpr DesktopSize kPlannerSize{640, 360};

int64_t Area(const std::vector<DesktopRect>& rects) {
  int64_t area = 0;
  for (const DesktopRect& r : rects)
    area += r.area();
  return area;
}

bool Covers(const std::vector<DesktopRect>& rects, const DesktopRect& area) {
  for (int y = area.y; y < area.bottom(); ++y) {
    for (int x = area.x; x < area.right(); ++x) {
      bool in = false;
      for (const DesktopRect& r : rects)
        in = in || r.Contains({x, y, 1, 1});
      if (!in)
        return false;
    }
  }
  return true;
}

bool TileAligned(const DesktopRect& r) {
  return r.x % kExactTile == 0 && r.y % kExactTile == 0 &&
         (r.width % kExactTile == 0 || r.right() == kPlannerSize.width) &&
         (r.height % kExactTile == 0 || r.bottom() == kPlannerSize.height);
}

class PicturePlannerTest : public ::testing::Test {
 protected:
  PicturePlan Plan(bool key_frame = false) {
    return planner_.Plan(screen_.frame, now_, key_frame);
  }
  // The key frame, then still until everything is topped off.
  void Settle() {
    for (int i = 0; i < 100 && planner_.video_tiles() > 0; ++i) {
      now_ += 100ms;
      screen_.frame.mutable_dirty_rects().clear();
      Plan();
    }
    ASSERT_EQ(planner_.video_tiles(), 0);
  }

  Screen screen_{kPlannerSize};
  PicturePlanner planner_;
  Clock::SteadyTime now_ = Clock::SteadyTime{} + 1h;
};

TEST_F(PicturePlannerTest, TheFirstCaptureIsAKeyFrameOfTheWholeScreen) {
  const PicturePlan plan = Plan();
  EXPECT_TRUE(plan.key_frame);
  EXPECT_TRUE(plan.lossless.empty());
  EXPECT_TRUE(plan.moves.empty());
  EXPECT_EQ(planner_.video_tiles(), 20 * 12);  // 640x360 in 32x32 tiles
}

TEST_F(PicturePlannerTest, StillAreasTheVideoDrewAreToppedOffLosslessly) {
  Plan();
  screen_.frame.mutable_dirty_rects().clear();
  now_ += 100ms;
  EXPECT_TRUE(Plan().empty());  // not settled yet: nothing to send
  now_ += 200ms;
  const PicturePlan top_off = Plan();
  EXPECT_FALSE(top_off.key_frame);
  EXPECT_TRUE(top_off.video.empty());
  EXPECT_EQ(Area(top_off.lossless),
            Area({DesktopRect::FromSize(kPlannerSize)}));
  EXPECT_TRUE(Covers(top_off.lossless, DesktopRect::FromSize(kPlannerSize)));
  for (const DesktopRect& r : top_off.lossless)
    EXPECT_TRUE(TileAligned(r)) << r.x << "," << r.y;
  EXPECT_EQ(planner_.video_tiles(), 0);
  now_ += 1s;
  EXPECT_TRUE(Plan().empty());  // exact: nothing more, ever
}

TEST_F(PicturePlannerTest, ATopOffIsSpreadOverCapturesByItsBudget) {
  PicturePlanner planner({.max_top_off_tiles = 100});
  planner.Plan(screen_.frame, now_, false);
  screen_.frame.mutable_dirty_rects().clear();
  now_ += 1s;
  EXPECT_EQ(Area(planner.Plan(screen_.frame, now_, false).lossless),
            100 * 32 * 32);
  EXPECT_EQ(planner.video_tiles(), 140);
  planner.Plan(screen_.frame, now_, false);
  planner.Plan(screen_.frame, now_, false);
  EXPECT_EQ(planner.video_tiles(), 0);
}

TEST_F(PicturePlannerTest, TypingGoesAsPatchesOfTheTilesItTouched) {
  Plan();
  Settle();
  screen_.TypeGlyph(3);
  const DesktopRect glyph = screen_.frame.dirty_rects()[0];
  const PicturePlan plan = Plan();
  EXPECT_FALSE(plan.key_frame);
  EXPECT_TRUE(plan.video.empty());
  // The viewer has the tiles exactly: only the pixels that changed go, in
  // one patch inside the glyph's cell (ExactPictureTest checks the result).
  ASSERT_EQ(plan.lossless.size(), 1u);
  EXPECT_TRUE(glyph.Contains(plan.lossless[0]));
  EXPECT_EQ(planner_.video_tiles(), 0);
  // The same capture again: nothing changed since.
  EXPECT_TRUE(Plan().empty());
}

TEST_F(PicturePlannerTest, DirtyRectsWithoutChangedPixelsSendNothing) {
  Plan();
  Settle();
  screen_.frame.mutable_dirty_rects() = {DesktopRect::FromSize(kPlannerSize)};
  EXPECT_TRUE(Plan().empty());
}

TEST_F(PicturePlannerTest, ALargeChangeGoesAsVideoThenIsToppedOff) {
  Plan();
  Settle();
  screen_.PlayVideo(1, {100, 50, 400, 250});  // 13 x 9 tiles and more
  const PicturePlan drag = Plan();
  EXPECT_TRUE(drag.lossless.empty());
  EXPECT_FALSE(drag.video.empty());
  for (const DesktopRect& r : drag.video)
    EXPECT_TRUE(TileAligned(r));
  for (const DesktopRect& dirty : screen_.frame.dirty_rects())
    EXPECT_TRUE(Covers(drag.video, dirty.ClippedTo(kPlannerSize)));
  EXPECT_GT(planner_.video_tiles(), 0);
  screen_.frame.mutable_dirty_rects().clear();
  now_ += 300ms;
  const PicturePlan top_off = Plan();
  EXPECT_EQ(Area(top_off.lossless), Area(drag.video));
  EXPECT_EQ(planner_.video_tiles(), 0);
}

TEST_F(PicturePlannerTest, AScrollIsAMoveAndOnlyTheNewLineIsSent) {
  Plan();
  Settle();
  screen_.Scroll(1);
  const PicturePlan plan = Plan();
  ASSERT_EQ(plan.moves.size(), 1u);
  EXPECT_EQ(plan.moves[0].dy, -10);  // Scroll() moves the text one line up
  EXPECT_GE(plan.moves[0].source.height, 200);
  EXPECT_TRUE(plan.video.empty());
  // The fresh line (10 rows) and the rows the move could not fill, in
  // whole tiles: a small part of the text area.
  EXPECT_LE(Area(plan.lossless), screen_.TextArea().area() / 4);
  EXPECT_EQ(planner_.video_tiles(), 0);
}

TEST_F(PicturePlannerTest, ADraggedWindowIsAMoveAndOnlyWhatItUncoveredIsSent) {
  screen_.DragWindow(0, 12, 5);
  Plan();
  Settle();
  screen_.DragWindow(1, 12, 5);
  const PicturePlan plan = Plan();
  ASSERT_EQ(plan.moves.size(), 1u);
  EXPECT_EQ(plan.moves[0].dx, 12);
  EXPECT_EQ(plan.moves[0].dy, 5);
  EXPECT_GE(plan.moves[0].source.height, 100);
  EXPECT_TRUE(plan.video.empty());
  // The strips it uncovered, in whole tiles: far less than the window.
  EXPECT_LT(Area(plan.lossless), 213 * 120);
}

// A dialog on a plain desktop: most of its row pieces (plain edges) are
// found in many places; its text rows tell where it came from.
TEST_F(PicturePlannerTest, ADialogDraggedOverAPlainDesktopIsAMove) {
  using codec::test::DrawTextLine;
  using codec::test::FillRect;
  const auto draw = [&](int x) {
    FillRect(screen_.frame, DesktopRect::FromSize(kPlannerSize),
             codec::test::kDesktopBlue);
    FillRect(screen_.frame, {x, 77, 300, 20}, codec::test::kTitleBar);
    FillRect(screen_.frame, {x, 97, 300, 150}, codec::test::kWindowWhite);
    DrawTextLine(screen_.frame, x + 10, 130, 42, 40);
    DrawTextLine(screen_.frame, x + 10, 150, 43, 30);
    FillRect(screen_.frame, {x + 10, 180, 280, 14}, {200, 200, 200});
    screen_.frame.mutable_dirty_rects() = {DesktopRect::FromSize(kPlannerSize)};
  };
  draw(40);
  Plan();
  Settle();
  draw(56);
  const PicturePlan plan = Plan();
  ASSERT_EQ(plan.moves.size(), 1u);
  EXPECT_EQ(plan.moves[0].dx, 16);
  EXPECT_EQ(plan.moves[0].dy, 0);
  EXPECT_LE(Area(plan.lossless), 2 * 6 * 32 * 32);  // the uncovered column
}

TEST_F(PicturePlannerTest, NoMoveReadsTilesTheViewerHasOnlyFromTheVideo) {
  Plan();  // every tile is the video's until topped off
  screen_.Scroll(1);
  const PicturePlan plan = Plan();
  EXPECT_TRUE(plan.moves.empty());
  EXPECT_FALSE(plan.video.empty());
}

TEST_F(PicturePlannerTest, ARecordedSessionSendsEveryChangeAsVideo) {
  PicturePlanner planner({.changes_as_video = true});
  planner.Plan(screen_.frame, now_, false);
  screen_.frame.mutable_dirty_rects().clear();
  now_ += 1s;
  EXPECT_FALSE(planner.Plan(screen_.frame, now_, false).lossless.empty());
  screen_.TypeGlyph(1);
  const PicturePlan typed = planner.Plan(screen_.frame, now_, false);
  EXPECT_TRUE(typed.lossless.empty());
  EXPECT_FALSE(typed.video.empty());
  screen_.Scroll(1);
  EXPECT_TRUE(planner.Plan(screen_.frame, now_, false).moves.empty());
}

TEST_F(PicturePlannerTest, AKeyFrameOrANewSizeStartsOver) {
  Plan();
  Settle();
  EXPECT_TRUE(Plan(/*key_frame=*/true).key_frame);
  EXPECT_EQ(planner_.video_tiles(), 240);
  Screen bigger({800, 600});
  EXPECT_TRUE(planner_.Plan(bigger.frame, now_, false).key_frame);
}

// Planner -> EncodeCapture (VP9, WebP) -> VideoReceiver, as the two apps
// run them, with the screen's clock stepped by the test.
class ExactPictureTest : public PicturePlannerTest {
 protected:
  ExactPictureTest() {
    auto encoder = codec::VpxEncoder::Create(
        {.codec = codec::Codec::kVp9, .top_off = false});
    EXPECT_TRUE(encoder.has_value());
    encoder_ = std::move(*encoder);
  }

  // One capture through both sides; the frame as sent.
  proto::VideoFrame Send() {
    const PicturePlan plan = Plan();
    proto::VideoFrame frame;
    if (plan.empty())
      return frame;  // nothing goes out
    frame.set_frame_id(++frame_id_);
    frame.set_codec(proto::CODEC_VP9);
    DesktopFrame capture = screen_.frame.Clone();
    auto encoded = EncodeCapture(capture, &plan, *encoder_, {}, &frame);
    EXPECT_TRUE(encoded.has_value()) << encoded.error().message;
    receiver_.Receive(frame);
    if (!link_.WaitForAcks(frame_id_)) {
      ADD_FAILURE() << "frame " << frame_id_ << " not acknowledged";
      return frame;
    }
    if (auto picture = receiver_.TakePicture())
      shown_ = picture->frame;
    return frame;
  }

  void Still(std::chrono::milliseconds how_long) {
    for (auto waited = 0ms; waited < how_long; waited += 100ms) {
      now_ += 100ms;
      screen_.frame.mutable_dirty_rects().clear();
      Send();
    }
  }

  bool Exact() const {
    if (!shown_ || shown_->size() != kPlannerSize)
      return false;
    for (int y = 0; y < kPlannerSize.height; ++y) {
      for (int x = 0; x < kPlannerSize.width; ++x) {
        if (shown_->RgbAt(x, y) != screen_.frame.RgbAt(x, y))
          return false;
      }
    }
    return true;
  }

  test::ReceiverLink link_;
  VideoReceiver receiver_{VideoReceiverOptions{}, link_.SendFunction(), [] {}};
  std::unique_ptr<codec::VpxEncoder> encoder_;
  uint64_t frame_id_ = 0;
  std::shared_ptr<const DesktopFrame> shown_;
};

TEST_F(ExactPictureTest, ThePictureIsExactOnceTheScreenIsStill) {
  Send();  // the key frame: VP9 blurs the 1-px glyphs a little
  EXPECT_FALSE(Exact());
  Still(400ms);
  EXPECT_TRUE(Exact());

  for (int i = 0; i < 5; ++i) {
    now_ += 40ms;
    screen_.TypeGlyph(i);
    const proto::VideoFrame typed = Send();
    EXPECT_TRUE(typed.data().empty()) << "typing went to the video";
    EXPECT_GT(typed.patches_size(), 0);
    EXPECT_TRUE(Exact()) << "after glyph " << i;
  }

  now_ += 40ms;
  screen_.Scroll(1);
  const proto::VideoFrame scrolled = Send();
  EXPECT_EQ(scrolled.moves_size(), 1);
  EXPECT_TRUE(scrolled.data().empty());
  EXPECT_TRUE(Exact());

  // A window dragged: moves and the strips it uncovers, exact each time.
  screen_.DragWindow(0, 12, 5);
  Send();
  Still(400ms);
  for (int i = 1; i <= 4; ++i) {
    now_ += 40ms;
    screen_.DragWindow(i, 12, 5);
    const proto::VideoFrame dragged = Send();
    EXPECT_EQ(dragged.moves_size(), 1) << "step " << i;
    EXPECT_TRUE(Exact()) << "after drag step " << i;
  }

  for (int i = 1; i <= 6; ++i) {
    now_ += 40ms;
    screen_.PlayVideo(i, {100, 50, 400, 250});
    EXPECT_FALSE(Send().data().empty());  // a large change: the video
  }
  Still(400ms);
  EXPECT_TRUE(Exact());
  EXPECT_EQ(receiver_.decode_errors(), 0u);
  EXPECT_EQ(link_.key_frame_requests(), 0);
}

TEST_F(ExactPictureTest, AScrollCostsAFractionOfItsVideo) {
  Send();
  Still(400ms);
  now_ += 40ms;
  screen_.Scroll(1);
  const size_t moved = Send().ByteSizeLong();

  // The same scroll as video (a recorded session's way).
  Screen other(kPlannerSize);
  PicturePlanner video_only({.changes_as_video = true});
  auto encoder = codec::VpxEncoder::Create(
      {.codec = codec::Codec::kVp9, .top_off = false});
  ASSERT_TRUE(encoder.has_value());
  auto now = now_;
  for (int i = 0; i < 6; ++i, now += 100ms) {
    const PicturePlan plan = video_only.Plan(other.frame, now, false);
    proto::VideoFrame frame;
    DesktopFrame capture = other.frame.Clone();
    ASSERT_TRUE(EncodeCapture(capture, &plan, **encoder, {}, &frame));
    other.frame.mutable_dirty_rects().clear();
  }
  other.Scroll(1);
  const PicturePlan plan = video_only.Plan(other.frame, now, false);
  proto::VideoFrame frame;
  DesktopFrame capture = other.frame.Clone();
  ASSERT_TRUE(EncodeCapture(capture, &plan, **encoder, {}, &frame));
  EXPECT_LT(moved * 2, frame.ByteSizeLong())
      << "move " << moved << " bytes, video " << frame.ByteSizeLong();
}

}  // namespace
}  // namespace tether::streaming
