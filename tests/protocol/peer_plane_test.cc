#include "protocol/peer_plane.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/e2e_channel.h"
#include "crypto/random.h"
#include "protocol/messages.h"
#include "tests/support/text_files.h"

namespace tether::protocol {
namespace {

using crypto::E2eRole;

const crypto::E2eContext kContext{1, "12345678"};

std::unique_ptr<PeerPlane> Plane(E2eRole role,
                                 crypto::E2eContext context = kContext) {
  auto plane = PeerPlane::Create(role, std::move(context),
                                 crypto::RandomGenerator::Default());
  EXPECT_TRUE(plane.has_value()) << plane.error().message;
  return plane ? std::move(*plane) : nullptr;
}

proto::PeerMessage Chat(const std::string& text) {
  proto::PeerMessage message;
  message.mutable_chat()->set_text(text);
  return message;
}

using tether::test::Contains;

class PeerPlaneTest : public ::testing::Test {
 protected:
  // Runs the three key-exchange steps between supporter_ and customer_.
  void Secure() {
    auto commitment = supporter_->Begin();
    ASSERT_TRUE(commitment.has_value());
    auto at_customer = customer_->Receive(*commitment);
    ASSERT_TRUE(at_customer.has_value()) << at_customer.error().message;
    ASSERT_TRUE(at_customer->reply.has_value());
    EXPECT_FALSE(at_customer->secured);
    auto at_supporter = supporter_->Receive(*at_customer->reply);
    ASSERT_TRUE(at_supporter.has_value()) << at_supporter.error().message;
    ASSERT_TRUE(at_supporter->reply.has_value());
    EXPECT_TRUE(at_supporter->secured);
    reveal_ = *at_supporter->reply;
    auto done = customer_->Receive(reveal_);
    ASSERT_TRUE(done.has_value()) << done.error().message;
    EXPECT_TRUE(done->secured);
    EXPECT_FALSE(done->reply.has_value());
  }

  std::unique_ptr<PeerPlane> supporter_ = Plane(E2eRole::kSupporter);
  std::unique_ptr<PeerPlane> customer_ = Plane(E2eRole::kCustomer);
  Bytes reveal_;
};

TEST_F(PeerPlaneTest, BothSidesSecureWithTheSameSixDigitSas) {
  EXPECT_FALSE(supporter_->secured());
  EXPECT_TRUE(supporter_->sas().empty());
  Secure();
  EXPECT_TRUE(supporter_->secured());
  EXPECT_TRUE(customer_->secured());
  EXPECT_EQ(supporter_->sas(), customer_->sas());
  EXPECT_EQ(supporter_->sas().size(), 6u);
}

TEST_F(PeerPlaneTest, MessagesFlowBothWaysInOrder) {
  Secure();
  for (int i = 0; i < 20; ++i) {
    auto sealed = supporter_->Seal(Chat("to customer " + std::to_string(i)));
    ASSERT_TRUE(sealed.has_value());
    auto opened = customer_->Receive(*sealed);
    ASSERT_TRUE(opened.has_value() && opened->message.has_value());
    EXPECT_EQ(opened->message->chat().text(),
              "to customer " + std::to_string(i));
    sealed = customer_->Seal(Chat("to supporter " + std::to_string(i)));
    ASSERT_TRUE(sealed.has_value());
    opened = supporter_->Receive(*sealed);
    ASSERT_TRUE(opened.has_value() && opened->message.has_value());
    EXPECT_EQ(opened->message->chat().text(),
              "to supporter " + std::to_string(i));
  }
}

TEST_F(PeerPlaneTest, SealedEnvelopeHidesTheText) {
  Secure();
  auto sealed = supporter_->Seal(Chat("the secret words"));
  ASSERT_TRUE(sealed.has_value());
  const std::string wire(sealed->begin(), sealed->end());
  EXPECT_FALSE(Contains(wire, "secret"));
}

TEST_F(PeerPlaneTest, DifferentCodesGiveDifferentKeys) {
  customer_ = Plane(E2eRole::kCustomer, {1, "87654321"});
  Secure();
  EXPECT_NE(supporter_->sas(), customer_->sas());
  auto sealed = supporter_->Seal(Chat("hello"));
  ASSERT_TRUE(sealed.has_value());
  EXPECT_FALSE(customer_->Receive(*sealed).has_value());
}

TEST_F(PeerPlaneTest, TamperedRecordFailsThePlaneForGood) {
  Secure();
  auto sealed = supporter_->Seal(Chat("hello"));
  ASSERT_TRUE(sealed.has_value());
  (*sealed)[sealed->size() - 3] ^= 0x01;
  auto opened = customer_->Receive(*sealed);
  ASSERT_FALSE(opened.has_value());
  EXPECT_TRUE(Contains(opened.error().message, "integrity check"))
      << opened.error().message;
  EXPECT_TRUE(customer_->failed());
  EXPECT_FALSE(customer_->secured());
  auto good = supporter_->Seal(Chat("again"));
  ASSERT_TRUE(good.has_value());
  EXPECT_FALSE(customer_->Receive(*good).has_value());
  EXPECT_FALSE(customer_->Seal(Chat("x")).has_value());
}

TEST_F(PeerPlaneTest, ReplayedRecordIsRefused) {
  Secure();
  auto sealed = supporter_->Seal(Chat("once"));
  ASSERT_TRUE(sealed.has_value());
  ASSERT_TRUE(customer_->Receive(*sealed).has_value());
  EXPECT_FALSE(customer_->Receive(*sealed).has_value());
}

TEST_F(PeerPlaneTest, KeyExchangeStepAfterSecuredEndsThePlane) {
  Secure();
  auto again = customer_->Receive(reveal_);
  ASSERT_FALSE(again.has_value());
  EXPECT_TRUE(Contains(again.error().message, "restart the key exchange"))
      << again.error().message;
  EXPECT_TRUE(customer_->failed());
}

TEST_F(PeerPlaneTest, RevealedKeyThatDoesNotMatchTheCommitmentIsCaught) {
  // The customer saw supporter_'s commitment, then gets another key.
  auto commitment = supporter_->Begin();
  ASSERT_TRUE(commitment.has_value());
  auto response = customer_->Receive(*commitment);
  ASSERT_TRUE(response.has_value() && response->reply.has_value());
  auto other_supporter = Plane(E2eRole::kSupporter);
  ASSERT_TRUE(other_supporter->Begin().has_value());
  auto other_reveal = other_supporter->Receive(*response->reply);
  ASSERT_TRUE(other_reveal.has_value() && other_reveal->reply.has_value());
  auto verified = customer_->Receive(*other_reveal->reply);
  ASSERT_FALSE(verified.has_value());
  EXPECT_TRUE(Contains(verified.error().message, "does not match"))
      << verified.error().message;
  EXPECT_FALSE(customer_->secured());
}

TEST_F(PeerPlaneTest, RecordBeforeTheExchangeIsRefused) {
  proto::PeerEnvelope envelope;
  envelope.set_record(std::string(40, 'r'));
  auto received = customer_->Receive(SerializeMessage(envelope));
  ASSERT_FALSE(received.has_value());
  EXPECT_TRUE(Contains(received.error().message, "before the connection"));
}

TEST_F(PeerPlaneTest, GarbageAndEmptyEnvelopesAreRefused) {
  const Bytes garbage = {0xff, 0xff, 0xff, 0x01};
  EXPECT_FALSE(customer_->Receive(garbage).has_value());
  auto fresh = Plane(E2eRole::kCustomer);
  EXPECT_FALSE(fresh->Receive(Bytes{}).has_value());
}

TEST_F(PeerPlaneTest, WrongRoleStepIsRefused) {
  auto commitment = supporter_->Begin();
  ASSERT_TRUE(commitment.has_value());
  // A supporter never receives a commitment.
  auto other = Plane(E2eRole::kSupporter);
  EXPECT_FALSE(other->Receive(*commitment).has_value());
  EXPECT_FALSE(customer_->Begin().has_value());
}

TEST_F(PeerPlaneTest, OversizeMessageIsRefusedAndThePlaneStaysUsable) {
  Secure();
  proto::PeerMessage big;
  big.mutable_file_chunk()->set_data(
      std::string(crypto::E2eChannel::kMaxPlaintextSize, 'x'));
  auto refused = supporter_->Seal(big);
  ASSERT_FALSE(refused.has_value());
  EXPECT_TRUE(refused.error().temporary());
  EXPECT_TRUE(supporter_->secured());
  auto sealed = supporter_->Seal(Chat("still fine"));
  ASSERT_TRUE(sealed.has_value());
  auto opened = customer_->Receive(*sealed);
  ASSERT_TRUE(opened.has_value() && opened->message.has_value());
  EXPECT_EQ(opened->message->chat().text(), "still fine");
}

}  // namespace
}  // namespace tether::protocol
