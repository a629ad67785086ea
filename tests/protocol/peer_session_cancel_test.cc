// PeerSession::CancelSession against a real relay: a technician withdraws a
// code it read out by mistake (or to the wrong person), and the code stops
// working at once, for a customer about to type it and for one already
// waiting on it.

#include <gtest/gtest.h>

#include <string>

#include "protocol/peer_session.h"
#include "tests/protocol/peer_session_fixture.h"

namespace tether::protocol {
namespace {

using PeerSessionCancelTest = RelayPeerSessionTest;

TEST_F(PeerSessionCancelTest, CancelledCodeReturnsToSignedInAndNoLongerJoins) {
  const std::string code = SupporterWithCode();
  ASSERT_EQ(code.size(), 8u);
  ASSERT_TRUE(Wait(
      [&] { return supporter_seen_.state == SessionState::kWaitingForPeer; }));
  supporter_->CancelSession(code);
  ASSERT_TRUE(
      Wait([&] { return supporter_seen_.state == SessionState::kSignedIn; }));

  StartCustomer(code);
  ASSERT_TRUE(customer_);
  ASSERT_TRUE(Wait([&] { return customer_seen_.ended_count > 0; }));
  EXPECT_EQ(customer_seen_.ended->reason, proto::END_REASON_CODE_EXPIRED);
  // The technician's connection is untouched: no end, no refusal.
  EXPECT_EQ(supporter_seen_.ended_count, 0);
  EXPECT_TRUE(supporter_seen_.join_requests.empty());
  EXPECT_TRUE(supporter_seen_.errors.empty());
}

TEST_F(PeerSessionCancelTest, CancellingEndsACustomerWaitingOnTheCode) {
  const std::string code = SupporterWithCode();
  ASSERT_EQ(code.size(), 8u);
  StartCustomer(code);
  ASSERT_TRUE(Wait([&] { return !supporter_seen_.join_requests.empty(); }));
  supporter_->CancelSession(code);
  ASSERT_TRUE(Wait([&] { return customer_seen_.ended_count > 0; }));
  EXPECT_EQ(customer_seen_.ended->reason, proto::END_REASON_CODE_EXPIRED);
  EXPECT_FALSE(customer_seen_.sas.has_value());
  ASSERT_TRUE(
      Wait([&] { return supporter_seen_.state == SessionState::kSignedIn; }));
  // The withdrawn join needs no answer: a later DecideJoin finds nobody.
  supporter_->DecideJoin(true);
  // The console may issue the next code on the same connection.
  supporter_->CreateSession();
  ASSERT_TRUE(Wait([&] { return supporter_seen_.created.size() == 2; }));
  EXPECT_NE(supporter_seen_.created.back().code(), code);
  EXPECT_EQ(supporter_seen_.ended_count, 0);
}

TEST_F(PeerSessionCancelTest, UnknownCodeIsRefusedByTheRelayWithoutEnding) {
  const std::string code = SupporterWithCode();
  ASSERT_EQ(code.size(), 8u);
  supporter_->CancelSession(code == "11111111" ? "22222222" : "11111111");
  ASSERT_TRUE(Wait([&] { return !supporter_seen_.errors.empty(); }));
  EXPECT_EQ(supporter_seen_.errors[0].code(),
            proto::ErrorReply::CODE_INVALID_CODE);
  EXPECT_EQ(supporter_seen_.ended_count, 0);
}

}  // namespace
}  // namespace tether::protocol
