#include "crypto/e2e_channel.h"

#include <gtest/gtest.h>

#include <limits>
#include <memory>
#include <string>

#include "base/bytes.h"

namespace tether::crypto {
namespace {

E2eKeys Keys(uint8_t send, uint8_t receive) {
  return {SecretBytes(Bytes(32, send)), SecretBytes(Bytes(32, receive))};
}

std::unique_ptr<E2eChannel> MakeChannel(
    uint8_t send,
    uint8_t receive,
    uint64_t rekey_interval = E2eChannel::kDefaultRekeyInterval) {
  auto channel = E2eChannel::Create(Keys(send, receive), rekey_interval);
  EXPECT_TRUE(channel.has_value()) << channel.error().message;
  return channel.has_value() ? std::move(*channel) : nullptr;
}

// Two ends of one session: `a` sends with 0x11, `b` with 0x22.
struct ChannelPair {
  explicit ChannelPair(uint64_t a_interval = E2eChannel::kDefaultRekeyInterval,
                       uint64_t b_interval = E2eChannel::kDefaultRekeyInterval)
      : a(MakeChannel(0x11, 0x22, a_interval)),
        b(MakeChannel(0x22, 0x11, b_interval)) {}
  std::unique_ptr<E2eChannel> a;
  std::unique_ptr<E2eChannel> b;
};

Bytes BytesOf(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

bool Contains(const Error& error, const std::string& text) {
  return error.message.find(text) != std::string::npos;
}

TEST(E2eChannelTest, RecordsRoundTripInBothDirections) {
  ChannelPair pair;
  for (int i = 0; i < 3; ++i) {
    auto to_b = pair.a->Seal(BytesOf("hello b " + std::to_string(i)));
    ASSERT_TRUE(to_b.has_value());
    auto at_b = pair.b->Open(*to_b);
    ASSERT_TRUE(at_b.has_value()) << at_b.error().message;
    EXPECT_EQ(*at_b, BytesOf("hello b " + std::to_string(i)));

    auto to_a = pair.b->Seal(BytesOf("hello a"));
    ASSERT_TRUE(to_a.has_value());
    auto at_a = pair.a->Open(*to_a);
    ASSERT_TRUE(at_a.has_value()) << at_a.error().message;
    EXPECT_EQ(*at_a, BytesOf("hello a"));
  }
}

TEST(E2eChannelTest, RecordIsCounterCiphertextAndTag) {
  ChannelPair pair;
  auto first = pair.a->Seal(BytesOf("abc"));
  auto second = pair.a->Seal(BytesOf("abc"));
  ASSERT_TRUE(first.has_value() && second.has_value());
  ASSERT_EQ(first->size(), 3 + E2eChannel::kRecordOverhead);
  EXPECT_EQ(ToHex(ByteSpan(*first).first(8)), "0000000000000000");
  EXPECT_EQ(ToHex(ByteSpan(*second).first(8)), "0000000000000001");
  // A fresh nonce per record: the same plaintext encrypts differently.
  EXPECT_NE(Bytes(first->begin() + 8, first->end()),
            Bytes(second->begin() + 8, second->end()));
}

// Expected records computed independently (Python `cryptography`, RFC 5869
// HKDF by hand) from the format in e2e_channel.h: record 0 under the
// initial key, record 2 under HKDF-Expand(key, "tether-e2e rekey", 32).
TEST(E2eChannelTest, RecordsMatchIndependentlyComputedVectors) {
  auto channel = MakeChannel(0x11, 0x22, /*rekey_interval=*/2);
  ASSERT_NE(channel, nullptr);
  auto r0 = channel->Seal(BytesOf("a"));
  auto r1 = channel->Seal(BytesOf("b"));
  auto r2 = channel->Seal(BytesOf("c"));
  ASSERT_TRUE(r0.has_value() && r1.has_value() && r2.has_value());
  EXPECT_EQ(ToHex(*r0), "0000000000000000a5564f3c1f1a7d0f627f02244a739c67ff");
  EXPECT_EQ(ToHex(*r2), "0000000000000002a9838ee4f76a7c9be1c057ecb15f580805");
}

TEST(E2eChannelTest, EmptyPlaintextRoundTrips) {
  ChannelPair pair;
  auto record = pair.a->Seal({});
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->size(), E2eChannel::kRecordOverhead);
  auto opened = pair.b->Open(*record);
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  EXPECT_TRUE(opened->empty());
}

TEST(E2eChannelTest, TamperingWithAnyByteIsRejectedAndFailsTheChannel) {
  ChannelPair probe;
  auto sample = probe.a->Seal(BytesOf("hi"));
  ASSERT_TRUE(sample.has_value());
  for (size_t position = 0; position < sample->size(); ++position) {
    SCOPED_TRACE("byte " + std::to_string(position));
    ChannelPair pair;
    auto record = pair.a->Seal(BytesOf("hi"));
    ASSERT_TRUE(record.has_value());
    Bytes tampered = *record;
    tampered[position] ^= 0x01;
    EXPECT_FALSE(pair.b->Open(tampered).has_value());
    EXPECT_TRUE(pair.b->failed());
    // The genuine record no longer gets through, and nothing can be sent.
    auto genuine = pair.b->Open(*record);
    ASSERT_FALSE(genuine.has_value());
    EXPECT_TRUE(Contains(genuine.error(), "channel closed after an earlier"));
    EXPECT_FALSE(pair.b->Seal(BytesOf("reply")).has_value());
  }
}

TEST(E2eChannelTest, TamperedCiphertextReportsAuthenticationFailure) {
  ChannelPair pair;
  auto record = pair.a->Seal(BytesOf("hi"));
  ASSERT_TRUE(record.has_value());
  (*record)[E2eChannel::kCounterSize] ^= 0x80;
  auto opened = pair.b->Open(*record);
  ASSERT_FALSE(opened.has_value());
  EXPECT_TRUE(Contains(opened.error(), "record authentication failed"));
}

TEST(E2eChannelTest, ReplayedRecordIsRejected) {
  ChannelPair pair;
  auto record = pair.a->Seal(BytesOf("once"));
  ASSERT_TRUE(record.has_value());
  ASSERT_TRUE(pair.b->Open(*record).has_value());
  auto replayed = pair.b->Open(*record);
  ASSERT_FALSE(replayed.has_value());
  EXPECT_TRUE(Contains(replayed.error(), "replayed record"));
  EXPECT_TRUE(pair.b->failed());
}

TEST(E2eChannelTest, ReorderedRecordIsRejected) {
  ChannelPair pair;
  auto first = pair.a->Seal(BytesOf("1"));
  auto second = pair.a->Seal(BytesOf("2"));
  ASSERT_TRUE(first.has_value() && second.has_value());
  auto opened = pair.b->Open(*second);
  ASSERT_FALSE(opened.has_value());
  EXPECT_TRUE(Contains(opened.error(), "records missing or reordered"));
  EXPECT_TRUE(pair.b->failed());
  EXPECT_FALSE(pair.b->Open(*first).has_value());
}

TEST(E2eChannelTest, TruncatedRecordIsRejected) {
  ChannelPair pair;
  auto record = pair.a->Seal(BytesOf("truncate me"));
  ASSERT_TRUE(record.has_value());
  record->pop_back();
  EXPECT_FALSE(pair.b->Open(*record).has_value());
  EXPECT_TRUE(pair.b->failed());
}

TEST(E2eChannelTest, RecordShorterThanOverheadIsRejected) {
  ChannelPair pair;
  auto opened = pair.b->Open(Bytes(E2eChannel::kRecordOverhead - 1, 0));
  ASSERT_FALSE(opened.has_value());
  EXPECT_TRUE(Contains(opened.error(), "too short"));
  EXPECT_TRUE(pair.b->failed());
}

TEST(E2eChannelTest, RecordLongerThanMaximumIsRejected) {
  ChannelPair pair;
  auto opened = pair.b->Open(Bytes(E2eChannel::kMaxRecordSize + 1, 0));
  ASSERT_FALSE(opened.has_value());
  EXPECT_TRUE(Contains(opened.error(), "too long"));
  EXPECT_TRUE(pair.b->failed());
}

TEST(E2eChannelTest, MaximumPlaintextRoundTripsAndOneMoreByteIsRefused) {
  ChannelPair pair;
  EXPECT_FALSE(
      pair.a->Seal(Bytes(E2eChannel::kMaxPlaintextSize + 1, 7)).has_value());
  // Refusing to seal sent nothing, so the channel is still usable.
  EXPECT_FALSE(pair.a->failed());
  Bytes largest(E2eChannel::kMaxPlaintextSize, 7);
  auto record = pair.a->Seal(largest);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->size(), E2eChannel::kMaxRecordSize);
  auto opened = pair.b->Open(*record);
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  EXPECT_EQ(*opened, largest);
}

TEST(E2eChannelTest, ReflectedRecordIsRejected) {
  ChannelPair pair;
  auto record = pair.a->Seal(BytesOf("mine"));
  ASSERT_TRUE(record.has_value());
  EXPECT_FALSE(pair.a->Open(*record).has_value());
}

TEST(E2eChannelTest, RekeyKeepsBothDirectionsWorkingAcrossBoundaries) {
  ChannelPair pair(/*a_interval=*/4, /*b_interval=*/4);
  for (int i = 0; i < 20; ++i) {
    SCOPED_TRACE("record " + std::to_string(i));
    Bytes message = BytesOf("record " + std::to_string(i));
    auto to_b = pair.a->Seal(message);
    ASSERT_TRUE(to_b.has_value());
    auto at_b = pair.b->Open(*to_b);
    ASSERT_TRUE(at_b.has_value()) << at_b.error().message;
    EXPECT_EQ(*at_b, message);
    auto to_a = pair.b->Seal(message);
    ASSERT_TRUE(to_a.has_value());
    auto at_a = pair.a->Open(*to_a);
    ASSERT_TRUE(at_a.has_value()) << at_a.error().message;
    EXPECT_EQ(*at_a, message);
  }
}

TEST(E2eChannelTest, ReceiverWithDifferentRekeyIntervalFailsAtFirstRekey) {
  ChannelPair pair(/*a_interval=*/4, /*b_interval=*/8);
  for (int i = 0; i < 4; ++i) {
    auto record = pair.a->Seal(BytesOf("x"));
    ASSERT_TRUE(record.has_value());
    ASSERT_TRUE(pair.b->Open(*record).has_value()) << "record " << i;
  }
  // Record 4 is sealed under the rekeyed key; b still holds the old one.
  auto record = pair.a->Seal(BytesOf("x"));
  ASSERT_TRUE(record.has_value());
  auto opened = pair.b->Open(*record);
  ASSERT_FALSE(opened.has_value());
  EXPECT_TRUE(Contains(opened.error(), "record authentication failed"));
}

TEST(E2eChannelTest, SendCounterStopsBeforeWrapping) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  ChannelPair pair;
  pair.a->SetCountersForTesting(kMax - 1, 0);
  pair.b->SetCountersForTesting(0, kMax - 1);
  auto last = pair.a->Seal(BytesOf("last"));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(ToHex(ByteSpan(*last).first(8)), "fffffffffffffffe");
  auto opened = pair.b->Open(*last);
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  auto beyond = pair.a->Seal(BytesOf("one more"));
  ASSERT_FALSE(beyond.has_value());
  EXPECT_TRUE(Contains(beyond.error(), "counter exhausted"));
  EXPECT_TRUE(pair.a->failed());
}

TEST(E2eChannelTest, ReceiverAtCounterLimitRejectsRecords) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  ChannelPair pair;
  pair.b->SetCountersForTesting(0, kMax);
  Bytes forged(E2eChannel::kRecordOverhead, 0xff);
  EXPECT_FALSE(pair.b->Open(forged).has_value());
  EXPECT_TRUE(pair.b->failed());
}

TEST(E2eChannelTest, CreateRejectsBadKeysAndInterval) {
  EXPECT_FALSE(
      E2eChannel::Create({SecretBytes(Bytes(16, 1)), SecretBytes(Bytes(32, 2))})
          .has_value());
  EXPECT_FALSE(
      E2eChannel::Create({SecretBytes(Bytes(32, 1)), SecretBytes(Bytes(31, 2))})
          .has_value());
  EXPECT_FALSE(E2eChannel::Create(Keys(0x33, 0x33)).has_value());
  EXPECT_FALSE(E2eChannel::Create(Keys(0x11, 0x22), 0).has_value());
}

}  // namespace
}  // namespace tether::crypto
