#include "protocol/framing.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tether::protocol {
namespace {

Bytes Payload(std::string_view text) { return Bytes(text.begin(), text.end()); }

// Three frames of different sizes, including an empty one.
Bytes SampleStream(std::vector<Bytes>* payloads) {
  *payloads = {Payload("hello"), Bytes{}, Bytes(300, 0xab)};
  Bytes stream;
  for (const Bytes& p : *payloads) {
    EXPECT_TRUE(AppendFrame(p, 1024, stream).has_value());
  }
  return stream;
}

std::vector<Bytes> DrainAll(FrameDecoder& decoder) {
  std::vector<Bytes> out;
  while (auto payload = decoder.Next()) out.push_back(std::move(*payload));
  return out;
}

TEST(FramingTest, HeaderIsFourByteBigEndianLength) {
  Bytes out;
  ASSERT_TRUE(AppendFrame(Payload("abc"), 1024, out).has_value());
  EXPECT_EQ(out, (Bytes{0, 0, 0, 3, 'a', 'b', 'c'}));
}

TEST(FramingTest, AppendRefusesPayloadOverLimit) {
  Bytes out;
  auto result = AppendFrame(Bytes(11, 0), 10, out);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("exceeds the limit of 10"),
            std::string::npos);
  EXPECT_TRUE(out.empty());
}

TEST(FramingTest, EverySplitOfAStreamDecodesIdentically) {
  std::vector<Bytes> payloads;
  const Bytes stream = SampleStream(&payloads);
  // Every single cut point, and every pair of cut points.
  for (size_t a = 0; a <= stream.size(); ++a) {
    for (size_t b = a; b <= stream.size(); b += (a % 7 == 0) ? 1 : 13) {
      FrameDecoder decoder(1024);
      std::vector<Bytes> got;
      for (auto [from, to] : {std::pair{size_t{0}, a}, std::pair{a, b},
                              std::pair{b, stream.size()}}) {
        ASSERT_TRUE(decoder
                        .Feed(ByteSpan(stream).subspan(from, to - from))
                        .has_value());
        for (Bytes& p : DrainAll(decoder)) got.push_back(std::move(p));
      }
      ASSERT_EQ(got, payloads) << "split at " << a << ", " << b;
      EXPECT_TRUE(decoder.Finish().has_value());
    }
  }
}

TEST(FramingTest, ByteByByteFeedingDecodesIdentically) {
  std::vector<Bytes> payloads;
  const Bytes stream = SampleStream(&payloads);
  FrameDecoder decoder(1024);
  std::vector<Bytes> got;
  for (uint8_t byte : stream) {
    ASSERT_TRUE(decoder.Feed(ByteSpan(&byte, 1)).has_value());
    for (Bytes& p : DrainAll(decoder)) got.push_back(std::move(p));
  }
  EXPECT_EQ(got, payloads);
}

TEST(FramingTest, FramesFedTogetherAreAllReturned) {
  std::vector<Bytes> payloads;
  const Bytes stream = SampleStream(&payloads);
  FrameDecoder decoder(1024);
  ASSERT_TRUE(decoder.Feed(stream).has_value());
  EXPECT_EQ(DrainAll(decoder), payloads);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(FramingTest, OversizeHeaderFailsBeforeThePayloadArrives) {
  FrameDecoder decoder(1000);
  auto result = decoder.Feed(Bytes{0, 0, 0x03, 0xe9});  // 1001
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message,
            "frame of 1001 bytes exceeds the limit of 1000 bytes");
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(FramingTest, FrameExactlyAtTheLimitIsAccepted) {
  Bytes stream;
  ASSERT_TRUE(AppendFrame(Bytes(1000, 7), 1000, stream).has_value());
  FrameDecoder decoder(1000);
  ASSERT_TRUE(decoder.Feed(stream).has_value());
  auto payload = decoder.Next();
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ(payload->size(), 1000u);
}

TEST(FramingTest, OversizeFrameBehindAValidOneIsCaughtInTheSameFeed) {
  Bytes stream;
  ASSERT_TRUE(AppendFrame(Payload("ok"), 100, stream).has_value());
  stream.insert(stream.end(), {0xff, 0xff, 0xff, 0xff});
  FrameDecoder decoder(100);
  EXPECT_FALSE(decoder.Feed(stream).has_value());
}

TEST(FramingTest, DecoderStaysFailedAfterAnError) {
  FrameDecoder decoder(10);
  ASSERT_FALSE(decoder.Feed(Bytes{0, 0, 1, 0}).has_value());
  Bytes valid;
  ASSERT_TRUE(AppendFrame(Payload("x"), 10, valid).has_value());
  EXPECT_FALSE(decoder.Feed(valid).has_value());
  EXPECT_FALSE(decoder.Next().has_value());
  EXPECT_FALSE(decoder.Finish().has_value());
}

TEST(FramingTest, StreamEndingInsideAHeaderIsReportedAsTruncated) {
  FrameDecoder decoder(100);
  ASSERT_TRUE(decoder.Feed(Bytes{0, 0}).has_value());
  auto finished = decoder.Finish();
  ASSERT_FALSE(finished.has_value());
  EXPECT_EQ(finished.error().message,
            "stream ended inside a frame header (2 of 4 bytes)");
}

TEST(FramingTest, StreamEndingInsideAPayloadIsReportedAsTruncated) {
  FrameDecoder decoder(100);
  ASSERT_TRUE(decoder.Feed(Bytes{0, 0, 0, 10, 1, 2, 3}).has_value());
  EXPECT_FALSE(decoder.Next().has_value());
  auto finished = decoder.Finish();
  ASSERT_FALSE(finished.has_value());
  EXPECT_EQ(finished.error().message,
            "stream ended inside a frame (3 of 10 bytes)");
}

TEST(FramingTest, LongStreamKeepsBufferSmallWhenDrained) {
  FrameDecoder decoder(64);
  Bytes frame;
  ASSERT_TRUE(AppendFrame(Bytes(60, 1), 64, frame).has_value());
  for (int i = 0; i < 10000; ++i) {
    // Feed a frame and a half, drain, repeat: the tail carries over.
    ASSERT_TRUE(decoder.Feed(frame).has_value());
    while (decoder.Next()) {
    }
    EXPECT_LT(decoder.buffered_bytes(), frame.size());
  }
}

}  // namespace
}  // namespace tether::protocol
