// The peer session engine against a real tether-relay process on 127.0.0.1
// with real TLS: a technician signs in and issues a code, a customer joins
// with it, both run the key exchange through the relay and talk end to end;
// and every way a session can end says so clearly, exactly once.

#include "protocol/peer_session.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <memory>
#include <string>

#include "crypto/e2e_channel.h"
#include "tests/protocol/peer_session_fixture.h"
#include "tests/support/text_files.h"

namespace tether::protocol {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using tether::test::Contains;

proto::PeerMessage Chat(const std::string& text) {
  proto::PeerMessage message;
  message.mutable_chat()->set_text(text);
  return message;
}

proto::PeerMessage Video(uint64_t id, size_t size) {
  proto::PeerMessage message;
  auto* frame = message.mutable_video_frame();
  frame->set_frame_id(id);
  frame->set_codec(proto::CODEC_VP8);
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i)
    data[i] = static_cast<char>(i * 31 + id);
  frame->set_data(data);
  return message;
}

using PeerSessionTest = RelayPeerSessionTest;

TEST_F(PeerSessionTest, PairedSidesReachSecuredWithTheSameSas) {
  Secure();
  EXPECT_EQ(*supporter_seen_.sas, *customer_seen_.sas);
  EXPECT_EQ(supporter_seen_.sas->size(), 6u);
  EXPECT_EQ(supporter_seen_.states,
            (std::vector<SessionState>{
                SessionState::kConnecting, SessionState::kSignedIn,
                SessionState::kWaitingForPeer, SessionState::kKeyExchange,
                SessionState::kSecured}));
  EXPECT_EQ(customer_seen_.states,
            (std::vector<SessionState>{
                SessionState::kConnecting, SessionState::kWaitingForPeer,
                SessionState::kKeyExchange, SessionState::kSecured}));
  ASSERT_TRUE(customer_seen_.hello.has_value());
  EXPECT_EQ(customer_seen_.hello->organisation(), "Test IT");
  EXPECT_EQ(customer_seen_.hello->support_terms(), "Test terms.");
  ASSERT_TRUE(customer_seen_.joined.has_value());
  EXPECT_EQ(customer_seen_.joined->technician_name(), "tina (IT)");
  const proto::JoinRequest& request = supporter_seen_.join_requests.front();
  EXPECT_EQ(request.host_name(), "pc-042");
  EXPECT_EQ(request.user_name(), "maria");
  EXPECT_EQ(supporter_seen_.ended_count + customer_seen_.ended_count, 0);
}

TEST_F(PeerSessionTest, FiveHundredMixedMessagesArriveInOrderBothWays) {
  Secure();
  std::vector<proto::PeerMessage> to_customer, to_supporter;
  for (uint64_t i = 0; i < 500; ++i) {
    const bool from_supporter = i % 2 == 0;
    proto::PeerMessage message = i % 3 == 0
                                     ? Video(i, (i * 997) % 60000)
                                     : Chat("message " + std::to_string(i));
    PeerSession& sender = from_supporter ? *supporter_ : *customer_;
    // Over the bound the caller waits (video would drop instead).
    while (!sender.Send(message)) {
      ASSERT_EQ(supporter_seen_.ended_count + customer_seen_.ended_count, 0)
          << EndText(supporter_seen_) << " / " << EndText(customer_seen_);
      ASSERT_TRUE(Wait([&] { return sender.pending_bytes() == 0; }));
      queue_.RunPending();
    }
    (from_supporter ? to_customer : to_supporter).push_back(message);
  }
  ASSERT_TRUE(Wait(
      [&] {
        return customer_seen_.messages.size() == to_customer.size() &&
               supporter_seen_.messages.size() == to_supporter.size();
      },
      seconds(20)));
  for (size_t i = 0; i < to_customer.size(); ++i) {
    ASSERT_EQ(customer_seen_.messages[i].SerializeAsString(),
              to_customer[i].SerializeAsString())
        << i;
  }
  for (size_t i = 0; i < to_supporter.size(); ++i) {
    ASSERT_EQ(supporter_seen_.messages[i].SerializeAsString(),
              to_supporter[i].SerializeAsString())
        << i;
  }
  EXPECT_TRUE(Wait([&] {
    return supporter_->pending_bytes() == 0 && customer_->pending_bytes() == 0;
  }));
}

TEST_F(PeerSessionTest, AppThatFallsBehindStopsTheReadingAndLosesNothing) {
  // The customer's app thread does not run while the technician sends
  // 6 MiB. The customer engine stops reading once 1 MiB waits for its app,
  // so the rest stays in the relay and the sockets (and the relay stops
  // reading the technician once its queue is full); without that, all of
  // it would pile up in the app. Then the app catches up and gets it all.
  constexpr size_t kBehindLimit = 1 << 20;
  constexpr size_t kFrameSize = 64 << 10;
  constexpr int kFrames = 96;
  // The limit's worth of frames, plus the rest of the one read (64 KiB of
  // TLS) that crossed it.
  constexpr size_t kMostBehind = kBehindLimit / kFrameSize + 2;
  const std::string code = SupporterWithCode();
  PeerSession::Options options = Options(proto::ROLE_CUSTOMER);
  options.deliver = second_queue_.deliver();
  options.max_undelivered_bytes = kBehindLimit;
  StartCustomer(code, std::move(options));
  ASSERT_TRUE(Wait([&] { return !supporter_seen_.join_requests.empty(); }));
  supporter_->DecideJoin(true);
  ASSERT_TRUE(Wait([&] { return supporter_seen_.sas.has_value(); }));
  ASSERT_TRUE(
      second_queue_.RunUntil([&] { return customer_seen_.sas.has_value(); }));
  for (int i = 0; i < kFrames; ++i) {
    ASSERT_TRUE(supporter_->Send(Video(static_cast<uint64_t>(i), kFrameSize)));
  }
  // However long the app stays away, it is never further behind than that
  // (sampled while the bytes move).
  size_t most_behind = 0;
  Wait(
      [&] {
        most_behind = std::max(most_behind, second_queue_.size());
        return most_behind > kMostBehind;
      },
      milliseconds(300));
  EXPECT_LE(most_behind, kMostBehind);
  ASSERT_TRUE(second_queue_.RunUntil(
      [&] { return customer_seen_.messages.size() == kFrames; }, seconds(20)));
  for (int i = 0; i < kFrames; ++i) {
    ASSERT_EQ(customer_seen_.messages[i].video_frame().frame_id(),
              static_cast<uint64_t>(i));
  }
  EXPECT_EQ(customer_seen_.ended_count, 0);
}

TEST_F(PeerSessionTest, OversizeMessageIsRefusedAndTheSessionGoesOn) {
  Secure();
  proto::PeerMessage big;
  big.mutable_file_chunk()->set_data(
      std::string(crypto::E2eChannel::kMaxPlaintextSize + 1, 'x'));
  EXPECT_FALSE(supporter_->Send(big));
  EXPECT_TRUE(supporter_->Send(Chat("still here")));
  ASSERT_TRUE(Wait([&] { return !customer_seen_.messages.empty(); }));
  EXPECT_EQ(customer_seen_.messages[0].chat().text(), "still here");
}

TEST_F(PeerSessionTest, SendBeforeSecuredIsRefused) {
  SupporterWithCode();
  EXPECT_FALSE(supporter_->Send(Chat("too early")));
}

TEST_F(PeerSessionTest, TechnicianEndingTellsTheCustomerPeerEnded) {
  Secure();
  ASSERT_TRUE(supporter_->Send(Chat("bye")));
  supporter_->End(proto::END_REASON_USER_ENDED, "");
  ASSERT_TRUE(BothEnded());
  EXPECT_EQ(supporter_seen_.ended->reason, proto::END_REASON_USER_ENDED);
  EXPECT_TRUE(supporter_seen_.ended->local);
  EXPECT_EQ(customer_seen_.ended->reason, proto::END_REASON_PEER_ENDED);
  EXPECT_EQ(customer_seen_.ended->message, "The technician ended the session.");
  EXPECT_FALSE(customer_seen_.ended->local);
  // What was sent before End() arrived first.
  ASSERT_EQ(customer_seen_.messages.size(), 1u);
  EXPECT_EQ(customer_seen_.messages[0].chat().text(), "bye");
  EXPECT_EQ(customer_seen_.state, SessionState::kEnded);
  EXPECT_FALSE(customer_->Send(Chat("after the end")));
}

TEST_F(PeerSessionTest, CustomerStopTellsTheTechnicianItWasAnEmergencyStop) {
  Secure();
  proto::PeerMessage stop;
  stop.mutable_emergency_stop();
  ASSERT_TRUE(customer_->Send(stop));
  customer_->End(proto::END_REASON_EMERGENCY_STOP, "");
  ASSERT_TRUE(BothEnded());
  EXPECT_EQ(customer_seen_.ended->reason, proto::END_REASON_EMERGENCY_STOP);
  EXPECT_EQ(customer_seen_.ended->message, "You ended the session.");
  EXPECT_EQ(supporter_seen_.ended->reason, proto::END_REASON_EMERGENCY_STOP);
  EXPECT_TRUE(Contains(supporter_seen_.ended->message, "pressed STOP"));
  ASSERT_EQ(supporter_seen_.messages.size(), 1u);
  EXPECT_TRUE(supporter_seen_.messages[0].has_emergency_stop());
}

TEST_F(PeerSessionTest, DestroyingAnEngineMidSessionEndsItForThePeer) {
  Secure();
  supporter_.reset();
  ASSERT_TRUE(Wait([&] { return customer_seen_.ended_count > 0; }));
  EXPECT_EQ(customer_seen_.ended->reason, proto::END_REASON_PEER_ENDED);
  queue_.RunPending();
  EXPECT_EQ(supporter_seen_.ended_count, 0);
}

TEST_F(PeerSessionTest, WrongCodeEndsWithAClearMessage) {
  StartCustomer("0000 0000");
  ASSERT_TRUE(Wait([&] { return customer_seen_.ended_count > 0; }));
  EXPECT_EQ(customer_seen_.ended->reason, proto::END_REASON_CODE_EXPIRED);
  EXPECT_EQ(customer_seen_.ended->message,
            "This code is wrong or has expired. Check the 8 digits with your "
            "technician.");
}

TEST_F(PeerSessionTest, MalformedCodeIsRefusedBeforeConnecting) {
  PeerSession::Options options = Options(proto::ROLE_CUSTOMER);
  options.code = "12ab";
  auto session = PeerSession::Start(std::move(options), &customer_seen_);
  ASSERT_FALSE(session.has_value());
  EXPECT_FALSE(session.error().message.empty());
}

TEST_F(PeerSessionTest, RejectedJoinEndsWithAClearMessage) {
  const std::string code = SupporterWithCode();
  StartCustomer(code);
  ASSERT_TRUE(Wait([&] { return !supporter_seen_.join_requests.empty(); }));
  supporter_->DecideJoin(false);
  ASSERT_TRUE(Wait([&] { return customer_seen_.ended_count > 0; }));
  EXPECT_EQ(customer_seen_.ended->reason, proto::END_REASON_JOIN_REJECTED);
  EXPECT_EQ(customer_seen_.ended->message,
            "The technician did not accept this connection.");
  // The technician is still signed in and may issue another code.
  EXPECT_TRUE(
      Wait([&] { return supporter_seen_.state == SessionState::kSignedIn; }));
  EXPECT_EQ(supporter_seen_.ended_count, 0);
}

TEST_F(PeerSessionTest, WrongPinnedFingerprintEndsWithACertificateMessage) {
  PeerSession::Options options = Options(proto::ROLE_CUSTOMER);
  options.relay.fingerprint = "sha256:" + std::string(64, '0');
  StartCustomer("12345678", std::move(options));
  ASSERT_TRUE(Wait([&] { return customer_seen_.ended_count > 0; }));
  EXPECT_EQ(customer_seen_.ended->reason, proto::END_REASON_PROTOCOL_ERROR);
  EXPECT_TRUE(Contains(customer_seen_.ended->message,
                       "The relay's certificate does not match the one this "
                       "app was set up for."))
      << customer_seen_.ended->message;
  EXPECT_FALSE(customer_seen_.hello.has_value());
}

TEST_F(PeerSessionTest, RelayThatIsNotThereEndsWithAClearMessage) {
  PeerSession::Options options = Options(proto::ROLE_CUSTOMER);
  options.relay.port = 1;  // nothing listens on tcpmux
  StartCustomer("12345678", std::move(options));
  ASSERT_TRUE(Wait([&] { return customer_seen_.ended_count > 0; }));
  EXPECT_EQ(customer_seen_.ended->reason, proto::END_REASON_PEER_LOST);
  EXPECT_EQ(customer_seen_.ended->message,
            "Could not connect to the relay at 127.0.0.1:1.");
}

TEST_F(PeerSessionTest, KilledRelayEndsBothSidesWithConnectionLost) {
  Secure();
  relay_->Kill();
  ASSERT_TRUE(BothEnded());
  for (const auto* seen : {&supporter_seen_, &customer_seen_}) {
    EXPECT_EQ(seen->ended->reason, proto::END_REASON_PEER_LOST);
    EXPECT_EQ(seen->ended->message, "The connection to the relay was lost.");
  }
}

TEST_F(PeerSessionTest, SilentRelayEndsBothSidesAfterThePeerTimeout) {
  const std::string code = SupporterWithCode();
  PeerSession::Options options = Options(proto::ROLE_CUSTOMER);
  // Shorter than the relay's heartbeat gap (1-2 s): fine, since frames
  // flow all the way from Join to kSecured, and the relay freezes then.
  options.peer_timeout = seconds(1);
  StartCustomer(code, std::move(options));
  ASSERT_TRUE(Wait([&] { return !supporter_seen_.join_requests.empty(); }));
  supporter_->DecideJoin(true);
  ASSERT_TRUE(Wait([&] { return customer_seen_.sas.has_value(); }));
  // Frozen, not dead: the sockets stay open and simply go quiet.
  ASSERT_EQ(kill(relay_->pid(), SIGSTOP), 0);
  const auto frozen_at = std::chrono::steady_clock::now();
  EXPECT_TRUE(Wait([&] { return customer_seen_.ended_count > 0; }));
  const auto waited = std::chrono::steady_clock::now() - frozen_at;
  relay_->Kill();
  EXPECT_EQ(customer_seen_.ended->reason, proto::END_REASON_PEER_LOST);
  EXPECT_EQ(customer_seen_.ended->message,
            "The connection to the relay was lost.");
  EXPECT_LT(waited, seconds(3));
}

TEST_F(PeerSessionTest, FirstLoginChangesThePasswordThenSignsIn) {
  // IT creates the account locally, with a first password to be replaced.
  const std::string kFirstPassword = "the first password IT chose";
  auto added = relay_->RunCommand(
      {"user", "add", "newbie", "--role", "technician"}, kFirstPassword + "\n");
  ASSERT_EQ(added.exit_code, 0) << added.output;
  supporter_ = Start(Options(proto::ROLE_SUPPORTER), &supporter_seen_);
  supporter_->Login("newbie", kFirstPassword, "");
  ASSERT_TRUE(
      Wait([&] { return !supporter_seen_.logins.empty(); }, seconds(20)));
  EXPECT_EQ(supporter_seen_.logins[0].status(),
            proto::LoginResult::STATUS_PASSWORD_CHANGE_REQUIRED);
  EXPECT_EQ(supporter_seen_.state, SessionState::kConnecting);
  supporter_->ChangePassword(kFirstPassword, "a much better phrase of mine");
  // kSignedIn follows the OK LoginResult.
  ASSERT_TRUE(
      Wait([&] { return supporter_seen_.state == SessionState::kSignedIn; },
           seconds(20)));
  EXPECT_TRUE(supporter_seen_.signed_in());
  ASSERT_EQ(supporter_seen_.password_changes.size(), 1u);
  EXPECT_TRUE(supporter_seen_.password_changes[0].ok())
      << supporter_seen_.password_changes[0].message();
}

TEST_F(PeerSessionTest, WrongPasswordIsAnsweredWithoutEndingTheSession) {
  supporter_ = Start(Options(proto::ROLE_SUPPORTER), &supporter_seen_);
  supporter_->Login("tina", "not the password", "");
  ASSERT_TRUE(
      Wait([&] { return !supporter_seen_.logins.empty(); }, seconds(20)));
  EXPECT_EQ(supporter_seen_.logins[0].status(),
            proto::LoginResult::STATUS_BAD_CREDENTIALS);
  EXPECT_EQ(supporter_seen_.ended_count, 0);
  EXPECT_EQ(supporter_seen_.state, SessionState::kConnecting);
}

}  // namespace
}  // namespace tether::protocol
