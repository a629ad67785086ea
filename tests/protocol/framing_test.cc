#include "protocol/framing.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tether::protocol {
namespace {

Bytes Payload(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

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
  while (auto payload = decoder.Next())
    out.push_back(std::move(*payload));
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
        ASSERT_TRUE(decoder.Feed(ByteSpan(stream).subspan(from, to - from))
                        .has_value());
        for (Bytes& p : DrainAll(decoder))
          got.push_back(std::move(p));
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
    for (Bytes& p : DrainAll(decoder))
      got.push_back(std::move(p));
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

TEST(FramingTest, BufferGivesItsMemoryBackAfterALargeFrame) {
  // One 8 MiB frame must not pin 8 MiB for the rest of the connection.
  FrameDecoder decoder(8 << 20);
  Bytes frame;
  ASSERT_TRUE(AppendFrame(Bytes(8 << 20, 7), 8 << 20, frame).has_value());
  ASSERT_TRUE(decoder.Feed(frame).has_value());
  EXPECT_GE(decoder.buffer_capacity(), size_t{8 << 20});
  ASSERT_TRUE(decoder.Next().has_value());
  EXPECT_LE(decoder.buffer_capacity(), kKeptBufferCapacity);

  // Also when a small frame's start came in with it.
  Bytes small;
  ASSERT_TRUE(AppendFrame(Bytes(100, 1), 8 << 20, small).has_value());
  frame.insert(frame.end(), small.begin(), small.begin() + 50);
  ASSERT_TRUE(decoder.Feed(frame).has_value());
  ASSERT_TRUE(decoder.Next().has_value());
  EXPECT_LE(decoder.buffer_capacity(), kKeptBufferCapacity);
  ASSERT_TRUE(decoder.Feed(ByteSpan(small).subspan(50)).has_value());
  auto rest = decoder.Next();
  ASSERT_TRUE(rest.has_value());
  EXPECT_EQ(*rest, Bytes(100, 1));
}

TEST(FramingTest, LargeFramesReserveFromTheSharedBudgetUntilTaken) {
  FrameMemoryBudget budget(3 << 20);
  Bytes big;
  ASSERT_TRUE(AppendFrame(Bytes(2 << 20, 1), 4 << 20, big).has_value());
  Bytes small;
  ASSERT_TRUE(AppendFrame(Bytes(1000, 2), 4 << 20, small).has_value());
  {
    FrameDecoder first(4 << 20, &budget);
    FrameDecoder second(4 << 20, &budget);
    // Small frames need no reservation.
    ASSERT_TRUE(first.Feed(small).has_value());
    EXPECT_EQ(budget.available(), size_t{3 << 20});
    // A large frame reserves its size as soon as its header is in.
    ASSERT_TRUE(first.Feed(ByteSpan(big).first(10)).has_value());
    EXPECT_EQ(budget.available(), size_t{1 << 20});
    // The next one does not fit: its decoder fails, saying why.
    auto refused = second.Feed(ByteSpan(big).first(10));
    ASSERT_FALSE(refused.has_value());
    EXPECT_NE(refused.error().message.find("no memory left"),
              std::string::npos);
    EXPECT_EQ(budget.refused(), 1u);
    // Taking the frame returns its share.
    ASSERT_TRUE(first.Feed(ByteSpan(big).subspan(10)).has_value());
    EXPECT_TRUE(first.Next().has_value());  // the small one
    EXPECT_TRUE(first.Next().has_value());  // the large one
    EXPECT_EQ(budget.available(), size_t{3 << 20});
    // A decoder that goes holding a partial one returns it too.
    ASSERT_TRUE(first.Feed(ByteSpan(big).first(10)).has_value());
    EXPECT_EQ(budget.available(), size_t{1 << 20});
  }
  EXPECT_EQ(budget.available(), size_t{3 << 20});
}

}  // namespace
}  // namespace tether::protocol
