#include "codec/frame_pacer.h"

#include <gtest/gtest.h>

#include <chrono>

#include "tests/fakes/manual_clock.h"

namespace tether::codec {
namespace {

using std::chrono::milliseconds;

class FramePacerTest : public ::testing::Test {
 protected:
  // Capture (with changes) and start encoding one frame.
  void CaptureAndStartEncode() {
    ASSERT_TRUE(pacer_.CanCapture());
    pacer_.OnCaptureStarted();
    ASSERT_TRUE(pacer_.OnFrameCaptured(/*has_changes=*/true));
  }

  tether::test::ManualClock clock_;
  FramePacer pacer_{clock_};
};

TEST_F(FramePacerTest, FirstCaptureIsAllowedAtOnce) {
  EXPECT_TRUE(pacer_.CanCapture());
}

TEST_F(FramePacerTest, CapturesAreAtLeast33MsApart) {
  CaptureAndStartEncode();
  pacer_.OnFrameEncoded(/*sent=*/true);
  pacer_.OnFrameAcked();
  clock_.Advance(milliseconds(32));
  EXPECT_FALSE(pacer_.CanCapture());
  EXPECT_EQ(pacer_.NextCaptureTime(), clock_.SteadyNow() + milliseconds(1));
  clock_.Advance(milliseconds(1));
  EXPECT_TRUE(pacer_.CanCapture());
}

TEST_F(FramePacerTest, AtMostTwoFramesEncoding) {
  CaptureAndStartEncode();
  clock_.Advance(milliseconds(33));
  CaptureAndStartEncode();
  clock_.Advance(milliseconds(100));
  EXPECT_EQ(pacer_.frames_encoding(), 2);
  EXPECT_FALSE(pacer_.CanCapture());
  pacer_.OnFrameEncoded(/*sent=*/true);
  EXPECT_TRUE(pacer_.CanCapture());
}

TEST_F(FramePacerTest, AtMostFourFramesUnacknowledged) {
  for (int i = 0; i < 4; ++i) {
    CaptureAndStartEncode();
    pacer_.OnFrameEncoded(/*sent=*/true);
    clock_.Advance(milliseconds(33));
  }
  EXPECT_EQ(pacer_.frames_unacked(), 4);
  clock_.Advance(milliseconds(500));
  EXPECT_FALSE(pacer_.CanCapture());
  pacer_.OnFrameAcked();
  EXPECT_TRUE(pacer_.CanCapture());
}

TEST_F(FramePacerTest, DroppedEncodeDoesNotCountAsInFlight) {
  CaptureAndStartEncode();
  pacer_.OnFrameEncoded(/*sent=*/false);
  EXPECT_EQ(pacer_.frames_encoding(), 0);
  EXPECT_EQ(pacer_.frames_unacked(), 0);
}

TEST_F(FramePacerTest, ExtraAcksAreIgnored) {
  pacer_.OnFrameAcked();
  pacer_.OnFrameAcked();
  EXPECT_EQ(pacer_.frames_unacked(), 0);
  for (int i = 0; i < 4; ++i) {
    CaptureAndStartEncode();
    pacer_.OnFrameEncoded(/*sent=*/true);
    clock_.Advance(milliseconds(33));
  }
  EXPECT_FALSE(pacer_.CanCapture()) << "earlier extra acks gave no credit";
}

TEST_F(FramePacerTest, AStaticScreenSendsNothingAfterTheFirstFrame) {
  CaptureAndStartEncode();
  pacer_.OnFrameEncoded(/*sent=*/true);
  pacer_.OnFrameAcked();
  int encoded = 0;
  // Ten seconds of an unchanged screen, captured as often as allowed: no
  // keep-alive (the link's heartbeat does that job).
  for (int tick = 0; tick < 10000 / 33; ++tick) {
    clock_.Advance(milliseconds(33));
    ASSERT_TRUE(pacer_.CanCapture());
    pacer_.OnCaptureStarted();
    if (pacer_.OnFrameCaptured(/*has_changes=*/false)) {
      ++encoded;
      pacer_.OnFrameEncoded(/*sent=*/true);
      pacer_.OnFrameAcked();
    }
  }
  EXPECT_EQ(encoded, 0);
}

TEST_F(FramePacerTest, AFirstFrameThatDidNotGoOutIsEncodedAgain) {
  CaptureAndStartEncode();
  pacer_.OnFrameEncoded(/*sent=*/false);  // the link was full
  clock_.Advance(milliseconds(33));
  pacer_.OnCaptureStarted();
  EXPECT_TRUE(pacer_.OnFrameCaptured(/*has_changes=*/false));
}

TEST_F(FramePacerTest, ChangedFramesAreAlwaysEncoded) {
  CaptureAndStartEncode();
  pacer_.OnFrameEncoded(/*sent=*/true);
  clock_.Advance(milliseconds(33));
  pacer_.OnCaptureStarted();
  EXPECT_TRUE(pacer_.OnFrameCaptured(/*has_changes=*/true));
}

TEST_F(FramePacerTest, CustomLimitsApply) {
  FramePacerLimits limits;
  limits.max_encoding = 1;
  limits.min_capture_interval = milliseconds(100);
  FramePacer pacer(clock_, limits);
  pacer.OnCaptureStarted();
  ASSERT_TRUE(pacer.OnFrameCaptured(true));
  clock_.Advance(milliseconds(100));
  EXPECT_FALSE(pacer.CanCapture());
  pacer.OnFrameEncoded(true);
  EXPECT_TRUE(pacer.CanCapture());
}

}  // namespace
}  // namespace tether::codec
