// The video receiver with real VP8 packets: decoding happens on its own
// thread, every frame is acknowledged, a UI that does not keep up sees the
// newest picture and never a queue of old ones, and broken streams recover
// through a key frame.

#include "streaming/video_receiver.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "codec/vpx_encoder.h"
#include "tests/streaming/receiver_link.h"

namespace tether::streaming {
namespace {

using namespace std::chrono_literals;

constexpr desktop::DesktopSize kReceiverSize{160, 96};

class VideoReceiverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto encoder = codec::VpxEncoder::Create(codec::Codec::kVp8);
    ASSERT_TRUE(encoder.has_value()) << encoder.error().message;
    encoder_ = std::move(*encoder);
  }

  std::unique_ptr<VideoReceiver> MakeReceiver(
      VideoReceiverOptions options = {}) {
    return std::make_unique<VideoReceiver>(options, link_.SendFunction(),
                                           link_.ReadyFunction());
  }

  // The next frame of a moving bar, encoded; `id` counts from 1.
  proto::VideoFrame Frame(uint64_t id, bool key = false) {
    desktop::DesktopFrame picture(kReceiverSize);
    for (int y = 0; y < kReceiverSize.height; ++y) {
      for (int x = 0; x < kReceiverSize.width; ++x) {
        uint8_t* p = picture.MutablePixelAt(x, y);
        const bool bar = (x / 8) == static_cast<int>(id % 20);
        p[0] = bar ? 0 : 200;
        p[1] = bar ? 0 : 100;
        p[2] = bar ? 255 : 50;
      }
    }
    codec::EncodeParams params;
    params.key_frame = key || id == 1;
    auto encoded = encoder_->Encode(picture, params);
    EXPECT_TRUE(encoded.has_value());
    proto::VideoFrame frame;
    frame.set_frame_id(id);
    frame.set_codec(proto::CODEC_VP8);
    frame.set_width(kReceiverSize.width);
    frame.set_height(kReceiverSize.height);
    frame.set_key_frame(encoded->key_frame);
    frame.set_data(encoded->data.data(), encoded->data.size());
    frame.mutable_screen_origin()->set_x(1920);
    return frame;
  }

  std::unique_ptr<codec::VideoEncoder> encoder_;
  test::ReceiverLink link_;
};

TEST_F(VideoReceiverTest, SlowUiGetsTheNewestPictureAndDropsTheRest) {
  auto receiver = MakeReceiver();
  // The UI is busy: nobody takes pictures while six frames arrive.
  for (uint64_t id = 1; id <= 6; ++id)
    receiver->Receive(Frame(id));
  ASSERT_TRUE(link_.WaitForAcks(6));
  EXPECT_EQ(receiver->frames_decoded(), 6u);
  EXPECT_EQ(link_.ready(), 1);  // announced once, not six times
  EXPECT_EQ(receiver->frames_dropped(), 5u);
  auto picture = receiver->TakePicture();
  ASSERT_TRUE(picture.has_value());
  EXPECT_EQ(picture->frame_id, 6u);
  EXPECT_EQ(picture->frame->size(), kReceiverSize);
  EXPECT_EQ(picture->screen_origin.x, 1920);
  EXPECT_EQ(picture->frame->top_left().x, 1920);
  EXPECT_FALSE(receiver->TakePicture().has_value());

  // Once taken, the next picture is announced again.
  receiver->Receive(Frame(7));
  ASSERT_TRUE(link_.WaitForAcks(7));
  EXPECT_EQ(link_.ready(), 2);
  VideoStats stats = receiver->TakeStats();
  EXPECT_GT(stats.frames_per_second, 0);
  EXPECT_GT(stats.kilobits_per_second, 0);
  EXPECT_EQ(stats.frames_dropped, 5u);
  EXPECT_EQ(stats.decode_errors, 0u);
}

TEST_F(VideoReceiverTest, EveryFrameIsAcknowledgedWithItsDecodeTime) {
  auto receiver = MakeReceiver();
  for (uint64_t id = 1; id <= 3; ++id)
    receiver->Receive(Frame(id));
  ASSERT_TRUE(link_.WaitForAcks(3));
  const auto acks = link_.acks();
  for (size_t i = 0; i < 3; ++i)
    EXPECT_EQ(acks[i].frame_id(), i + 1);
  EXPECT_GT(acks[0].decode_time_us(), 0u);
}

TEST_F(VideoReceiverTest, UndecodableFrameAsksForAKeyFrameAndSkipsUntilIt) {
  auto receiver = MakeReceiver();
  receiver->Receive(Frame(1));
  proto::VideoFrame broken = Frame(2);
  broken.set_codec(proto::CODEC_UNSPECIFIED);
  receiver->Receive(broken);
  receiver->Receive(Frame(3));  // depends on 2: skipped
  ASSERT_TRUE(link_.WaitForAcks(3));
  EXPECT_EQ(receiver->decode_errors(), 1u);
  EXPECT_GE(link_.key_frame_requests(), 1);
  EXPECT_EQ(receiver->frames_decoded(), 1u);

  receiver->Receive(Frame(4, /*key=*/true));
  ASSERT_TRUE(link_.WaitForAcks(4));
  EXPECT_EQ(receiver->frames_decoded(), 2u);
  auto picture = receiver->TakePicture();
  ASSERT_TRUE(picture.has_value());
  EXPECT_EQ(picture->frame_id, 4u);
}

// Key frames that still do not decode after the receiver asked for one:
// the stream is given up once, with the decoder's reason, and nothing
// after it is decoded. One good frame in between starts the count again.
TEST_F(VideoReceiverTest, StreamThatKeepsFailingIsGivenUpOnce) {
  std::mutex mutex;
  std::vector<std::string> reasons;
  VideoReceiver receiver({}, link_.SendFunction(), link_.ReadyFunction(),
                         [&](const std::string& why) {
                           std::lock_guard lock(mutex);
                           reasons.push_back(why);
                         });
  const auto broken = [&](uint64_t id) {
    // A VP8 key frame header that announces 16383x16383: refused.
    proto::VideoFrame frame = Frame(id, /*key=*/true);
    std::string bomb = {'\x90', '\x0c', '\x00', '\x9d', '\x01',
                        '\x2a', '\xff', '\x3f', '\xff', '\x3f'};
    bomb.resize(200, '\0');
    frame.set_data(bomb);
    return frame;
  };
  receiver.Receive(broken(1));
  receiver.Receive(broken(2));
  receiver.Receive(Frame(3, /*key=*/true));  // recovers: the count restarts
  receiver.Receive(broken(4));
  receiver.Receive(broken(5));
  ASSERT_TRUE(link_.WaitForAcks(5));
  {
    std::lock_guard lock(mutex);
    EXPECT_TRUE(reasons.empty());
  }
  receiver.Receive(broken(6));  // the third in a row
  receiver.Receive(Frame(7, /*key=*/true));
  // Frame 7 is acknowledged once the decode thread is past it.
  ASSERT_TRUE(link_.WaitForAcks(7));
  EXPECT_EQ(receiver.decode_errors(), 5u);
  EXPECT_EQ(receiver.frames_decoded(), 1u);
  std::lock_guard lock(mutex);
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_NE(reasons[0].find("exceeds the size limit"), std::string::npos)
      << reasons[0];
}

TEST_F(VideoReceiverTest, BacklogOverTheBoundIsThrownAwayNotQueued) {
  VideoReceiverOptions options;
  options.max_queued_frames = 2;
  auto receiver = MakeReceiver(options);
  // The decoder is stuck inside the ack of frame 1.
  link_.Hold(true);
  receiver->Receive(Frame(1));
  if (!link_.WaitForBlocked(1)) {
    link_.Hold(false);
    FAIL() << "frame 1 was not decoded";
  }
  std::vector<proto::VideoFrame> frames;
  for (uint64_t id = 2; id <= 6; ++id)
    frames.push_back(Frame(id));
  std::thread feeder([&] {
    for (auto& frame : frames)
      receiver->Receive(std::move(frame));
  });
  // The feeder's ack for the first thrown-away frame waits on the hold
  // too: by then the backlog was over the bound.
  const bool blocked = link_.WaitForBlocked(2);
  link_.Hold(false);
  feeder.join();
  ASSERT_TRUE(blocked);
  ASSERT_TRUE(link_.WaitForAcks(6));
  // Every frame was acknowledged once, decoded or not.
  std::vector<uint64_t> ids;
  for (const auto& ack : link_.acks())
    ids.push_back(ack.frame_id());
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_LT(receiver->frames_decoded(), 6u);
  EXPECT_GE(link_.key_frame_requests(), 1);
}

}  // namespace
}  // namespace tether::streaming
