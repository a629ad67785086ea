// The peer session engine against a hostile relay (tests/support/
// mitm_relay.h) that swaps the end-to-end keys or drops, reorders, replays
// or forges records, and against certificates it must refuse before it
// says anything.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "protocol/peer_session.h"
#include "tests/support/mitm_relay.h"
#include "tests/support/session_recorder.h"
#include "tests/support/text_files.h"

namespace tether::protocol {
namespace {

using std::chrono::seconds;
using test::MitmRelay;

using tether::test::Contains;

class PeerSessionMitmTest : public ::testing::Test {
 protected:
  void SetUp() override { StartRelay(MitmRelay::Attack::kSwapKeys); }

  void StartRelay(MitmRelay::Attack attack) {
    relay_.reset();
    auto relay = MitmRelay::Start(attack);
    ASSERT_TRUE(relay.has_value()) << relay.error().message;
    relay_ = std::move(*relay);
  }

  // Technician and customer paired through the relay; the supporter side
  // is left to the relay's attack.
  void Pair() {
    supporter_ = Start(Options(proto::ROLE_SUPPORTER), &supporter_seen_);
    supporter_->Login("tina", "any password will do here", "");
    supporter_->CreateSession();
    ASSERT_TRUE(Wait([&] { return !supporter_seen_.created.empty(); }));
    customer_ = Start(Options(proto::ROLE_CUSTOMER), &customer_seen_);
    ASSERT_TRUE(Wait([&] { return !supporter_seen_.join_requests.empty(); }));
    supporter_->DecideJoin(true);
  }

  // The customer's engine ends the session on the attack, as a protocol
  // error, with `words` in its message.
  void ExpectCustomerEndsWith(const std::string& words) {
    Pair();
    ASSERT_TRUE(Wait([&] { return customer_seen_.ended_count > 0; }));
    EXPECT_EQ(customer_seen_.ended->reason, proto::END_REASON_PROTOCOL_ERROR);
    EXPECT_TRUE(Contains(customer_seen_.ended->message, words))
        << customer_seen_.ended->message;
    EXPECT_TRUE(customer_seen_.messages.empty());
  }

  void TearDown() override {
    supporter_.reset();
    customer_.reset();
    queue_.RunPending();
    for (const auto* seen : {&supporter_seen_, &customer_seen_}) {
      EXPECT_LE(seen->ended_count, 1);
      EXPECT_FALSE(seen->called_after_end);
    }
  }

  PeerSession::Options Options(proto::Role role) {
    PeerSession::Options options;
    options.relay.host = "127.0.0.1";
    options.relay.port = relay_->port();
    options.relay.fingerprint = relay_->fingerprint();
    options.role = role;
    options.app_version = "tether-test 0.1.0";
    options.code = MitmRelay::kCode;
    options.deliver = queue_.deliver();
    options.connect_timeout = seconds(5);
    options.peer_timeout = seconds(10);  // the hostile relay never heartbeats
    return options;
  }

  std::unique_ptr<PeerSession> Start(PeerSession::Options options,
                                     test::SessionRecorder* recorder) {
    auto session = PeerSession::Start(std::move(options), recorder);
    EXPECT_TRUE(session.has_value()) << session.error().message;
    return session ? std::move(*session) : nullptr;
  }

  bool Wait(const std::function<bool()>& done) {
    return queue_.RunUntil(done, seconds(10));
  }

  std::unique_ptr<MitmRelay> relay_;
  test::DeliveryQueue queue_;
  test::SessionRecorder supporter_seen_;
  test::SessionRecorder customer_seen_;
  std::unique_ptr<PeerSession> supporter_;
  std::unique_ptr<PeerSession> customer_;
};

TEST_F(PeerSessionMitmTest, KeySwappingRelayLeavesTheTwoSidesWithDifferentSas) {
  Pair();
  ASSERT_TRUE(Wait([&] {
    return supporter_seen_.sas.has_value() && customer_seen_.sas.has_value() &&
           !relay_->sas_with_supporter().empty() &&
           !relay_->sas_with_customer().empty();
  }));
  // Both believe they are secured: only the SAS tells them apart, which is
  // why the customer must confirm it before anything else happens.
  EXPECT_EQ(supporter_seen_.state, SessionState::kSecured);
  EXPECT_EQ(customer_seen_.state, SessionState::kSecured);
  EXPECT_NE(*supporter_seen_.sas, *customer_seen_.sas);
  EXPECT_EQ(*supporter_seen_.sas, relay_->sas_with_supporter());
  EXPECT_EQ(*customer_seen_.sas, relay_->sas_with_customer());
}

TEST_F(PeerSessionMitmTest, RevealedKeyThatBreaksTheCommitmentEndsTheSession) {
  StartRelay(MitmRelay::Attack::kBreakCommitment);
  ExpectCustomerEndsWith("does not match the one it announced");
  EXPECT_FALSE(customer_seen_.sas.has_value());
}

TEST_F(PeerSessionMitmTest, TamperedRecordEndsTheSession) {
  StartRelay(MitmRelay::Attack::kTamperRecord);
  ExpectCustomerEndsWith("failed its integrity check");
}

TEST_F(PeerSessionMitmTest, KeyExchangeAfterSecuredEndsTheSession) {
  StartRelay(MitmRelay::Attack::kRestartKeyExchange);
  ExpectCustomerEndsWith("restart the key exchange");
}

// Record attacks: the supporter sends four chats once secured; the relay
// bends the second record. The customer shows what arrived intact and in
// order before the attack, nothing after it, and ends the session.
class PeerSessionRecordAttackTest
    : public PeerSessionMitmTest,
      public ::testing::WithParamInterface<MitmRelay::Attack> {};

TEST_P(PeerSessionRecordAttackTest, EndsTheSessionAndShowsNothingAfterIt) {
  StartRelay(GetParam());
  Pair();
  ASSERT_TRUE(Wait([&] {
    return supporter_seen_.sas.has_value() && customer_seen_.sas.has_value();
  }));
  EXPECT_EQ(*supporter_seen_.sas, *customer_seen_.sas);  // keys untouched
  const std::vector<std::string> sent = {"one", "two", "three", "four"};
  for (const auto& text : sent) {
    proto::PeerMessage chat;
    chat.mutable_chat()->set_text(text);
    ASSERT_TRUE(supporter_->Send(std::move(chat)));
  }
  ASSERT_TRUE(Wait([&] { return customer_seen_.ended_count > 0; }));
  EXPECT_EQ(customer_seen_.ended->reason, proto::END_REASON_PROTOCOL_ERROR);
  EXPECT_TRUE(
      Contains(customer_seen_.ended->message, "failed its integrity check"))
      << customer_seen_.ended->message;
  // Whatever reached the app is the sent chats' beginning, in order: the
  // bent record and everything after it never did. (A replay bends the
  // copy; the second record itself arrived intact before it.)
  const size_t intact = GetParam() == MitmRelay::Attack::kReplayRecord ? 2 : 1;
  std::vector<std::string> shown;
  for (const auto& message : customer_seen_.messages) {
    ASSERT_TRUE(message.has_chat()) << message.ShortDebugString();
    shown.push_back(message.chat().text());
  }
  ASSERT_LE(shown.size(), intact);
  for (size_t i = 0; i < shown.size(); ++i)
    EXPECT_EQ(shown[i], sent[i]);
}

INSTANTIATE_TEST_SUITE_P(
    Attacks,
    PeerSessionRecordAttackTest,
    ::testing::Values(MitmRelay::Attack::kDropRecord,
                      MitmRelay::Attack::kReorderRecords,
                      MitmRelay::Attack::kReplayRecord,
                      MitmRelay::Attack::kInjectRecord),
    [](const ::testing::TestParamInfo<MitmRelay::Attack>& param) {
      switch (param.param) {
        case MitmRelay::Attack::kDropRecord:
          return std::string("Drop");
        case MitmRelay::Attack::kReorderRecords:
          return std::string("Reorder");
        case MitmRelay::Attack::kReplayRecord:
          return std::string("Replay");
        default:
          return std::string("Inject");
      }
    });

TEST_F(PeerSessionMitmTest, WrongPinEndsBeforeHelloWithACertificateMessage) {
  PeerSession::Options options = Options(proto::ROLE_CUSTOMER);
  options.relay.fingerprint = "sha256:" + std::string(64, 'a');
  customer_ = Start(std::move(options), &customer_seen_);
  ASSERT_TRUE(Wait([&] { return customer_seen_.ended_count > 0; }));
  EXPECT_EQ(customer_seen_.ended->reason, proto::END_REASON_PROTOCOL_ERROR);
  EXPECT_TRUE(Contains(customer_seen_.ended->message,
                       "The relay's certificate does not match the one this "
                       "app was set up for."))
      << customer_seen_.ended->message;
  EXPECT_TRUE(customer_seen_.ended->server_untrusted);
  EXPECT_EQ(relay_->hellos_received(), 0);
  EXPECT_EQ(relay_->frames_received(), 0);
  EXPECT_FALSE(customer_seen_.hello.has_value());
}

TEST_F(PeerSessionMitmTest, CaFileModeAcceptsTheRelayItNames) {
  PeerSession::Options options = Options(proto::ROLE_CUSTOMER);
  options.relay.host = "localhost";
  options.relay.fingerprint.clear();
  options.relay.ca_file = relay_->certificate_path().string();
  customer_ = Start(std::move(options), &customer_seen_);
  ASSERT_TRUE(Wait([&] { return customer_seen_.hello.has_value(); }))
      << (customer_seen_.ended ? customer_seen_.ended->message : "");
  EXPECT_EQ(customer_seen_.hello->organisation(), "Not Your IT");
}

TEST_F(PeerSessionMitmTest, CaFileModeRefusesACertificateForAnotherName) {
  PeerSession::Options options = Options(proto::ROLE_CUSTOMER);
  options.relay.host = "127.0.0.1";  // the certificate names "localhost"
  options.relay.fingerprint.clear();
  options.relay.ca_file = relay_->certificate_path().string();
  customer_ = Start(std::move(options), &customer_seen_);
  ASSERT_TRUE(Wait([&] { return customer_seen_.ended_count > 0; }));
  EXPECT_EQ(customer_seen_.ended->reason, proto::END_REASON_PROTOCOL_ERROR);
  EXPECT_TRUE(Contains(customer_seen_.ended->message,
                       "certificate could not be verified"))
      << customer_seen_.ended->message;
  EXPECT_TRUE(customer_seen_.ended->server_untrusted);
  EXPECT_EQ(relay_->hellos_received(), 0);
}

TEST_F(PeerSessionMitmTest, UnreadableCaFileIsRefusedAtStart) {
  PeerSession::Options options = Options(proto::ROLE_CUSTOMER);
  options.relay.fingerprint.clear();
  options.relay.ca_file = "/nonexistent/ca.pem";
  auto session = PeerSession::Start(std::move(options), &customer_seen_);
  ASSERT_FALSE(session.has_value());
  EXPECT_TRUE(Contains(session.error().message, "CA file"))
      << session.error().message;
}

}  // namespace
}  // namespace tether::protocol
