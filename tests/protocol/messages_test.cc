#include "protocol/messages.h"

#include <gtest/gtest.h>

#include "protocol/framing.h"
#include "protocol/peer.pb.h"
#include "protocol/relay.pb.h"

namespace tether::protocol {
namespace {

TEST(MessagesTest, ClientMessageSurvivesAFrameRoundTrip) {
  proto::ClientMessage sent;
  sent.mutable_hello()->set_protocol_version(proto::PROTOCOL_VERSION_CURRENT);
  sent.mutable_hello()->set_role(proto::ROLE_CUSTOMER);
  sent.mutable_hello()->set_app_version("tether-customer test");

  Bytes stream;
  ASSERT_TRUE(
      AppendMessageFrame(sent, kDefaultControlFrameLimit, stream).has_value());
  FrameDecoder decoder(kDefaultControlFrameLimit);
  ASSERT_TRUE(decoder.Feed(stream).has_value());
  auto payload = decoder.Next();
  ASSERT_TRUE(payload.has_value());

  proto::ClientMessage received;
  ASSERT_TRUE(ParsePayload(*payload, received).has_value());
  ASSERT_TRUE(received.has_hello());
  EXPECT_EQ(received.hello().role(), proto::ROLE_CUSTOMER);
  EXPECT_EQ(received.hello().app_version(), "tether-customer test");
}

TEST(MessagesTest, GarbagePayloadIsAnErrorNamingTheType) {
  proto::RelayMessage message;
  const Bytes garbage = {0xff, 0xff, 0xff, 0xff, 0xff};
  auto result = ParsePayload(garbage, message);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message, "malformed tether.proto.RelayMessage");
}

TEST(MessagesTest, MessageOverTheLimitIsNotFramed) {
  proto::ClientMessage message;
  message.mutable_relayed()->set_data(std::string(2000, 'x'));
  Bytes out;
  auto result = AppendMessageFrame(message, 1000, out);
  ASSERT_FALSE(result.has_value());
  EXPECT_TRUE(out.empty());
}

TEST(MessagesTest, PeerEnvelopeCarriesARecordOrAKeyExchangeStep) {
  proto::PeerEnvelope envelope;
  envelope.mutable_key_exchange()->set_commitment(std::string(32, '\1'));
  proto::PeerEnvelope parsed;
  ASSERT_TRUE(ParsePayload(SerializeMessage(envelope), parsed).has_value());
  ASSERT_TRUE(parsed.has_key_exchange());
  EXPECT_EQ(parsed.key_exchange().commitment().size(), 32u);

  envelope.set_record("sealed");
  ASSERT_TRUE(ParsePayload(SerializeMessage(envelope), parsed).has_value());
  EXPECT_EQ(parsed.body_case(), proto::PeerEnvelope::kRecord);
}

}  // namespace
}  // namespace tether::protocol
