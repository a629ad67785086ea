// Unit tests of the relay's control plane (relay/broker): guessing limits,
// code expiry, backpressure, heartbeats, what each role may send in each
// stage, and what is recorded when a connection ends. Links are in memory
// (tests/fakes/fake_client_link.h), time is a ManualClock moved by the test
// and Tick() is called by hand; the store is a real SQLite file.

#include "relay/broker/broker.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/random.h"
#include "protocol/messages.h"
#include "protocol/relay.pb.h"
#include "relay/store/sqlite_store.h"
#include "relay/store/store_writer.h"
#include "tests/fakes/fake_account_service.h"
#include "tests/fakes/fake_client_link.h"
#include "tests/fakes/manual_clock.h"
#include "tests/relay/store_test_util.h"
#include "tests/support/relay_process.h"

namespace tether::relay {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using ::tether::test::FakeClientLink;
using Body = proto::RelayMessage::BodyCase;

using tether::test::kPassword;

proto::ClientMessage HelloMessage(proto::Role role) {
  proto::ClientMessage m;
  m.mutable_hello()->set_protocol_version(proto::PROTOCOL_VERSION_CURRENT);
  m.mutable_hello()->set_role(role);
  m.mutable_hello()->set_app_version("broker-test");
  return m;
}

proto::ClientMessage LoginMessage(const std::string& user,
                                  const std::string& password) {
  proto::ClientMessage m;
  m.mutable_login()->set_user(user);
  m.mutable_login()->set_password(password);
  return m;
}

proto::ClientMessage CreateMessage() {
  proto::ClientMessage m;
  m.mutable_create_session();
  return m;
}

proto::ClientMessage CancelMessage(const std::string& code) {
  proto::ClientMessage m;
  m.mutable_cancel_session()->set_code(code);
  return m;
}

proto::ClientMessage JoinMessage(const std::string& code) {
  proto::ClientMessage m;
  m.mutable_join()->set_code(code);
  m.mutable_join()->set_host_name("pc-042");
  m.mutable_join()->set_user_name("maria");
  return m;
}

proto::ClientMessage DecisionMessage(const std::string& code, bool accept) {
  proto::ClientMessage m;
  m.mutable_join_decision()->set_code(code);
  m.mutable_join_decision()->set_accept(accept);
  return m;
}

proto::ClientMessage RelayedMessage(std::string data) {
  proto::ClientMessage m;
  m.mutable_relayed()->set_data(std::move(data));
  return m;
}

proto::ClientMessage EndMessage(proto::EndReason reason) {
  proto::ClientMessage m;
  m.mutable_end()->set_reason(reason);
  return m;
}

// A code nobody was given: `code` with its last digit changed.
std::string OtherCode(const std::string& code) {
  std::string other = code;
  other.back() =
      other.back() == '9' ? '0' : static_cast<char>(other.back() + 1);
  return other;
}

// The first ErrorReply `link` was sent, if any.
std::optional<proto::ErrorReply> FirstError(const FakeClientLink& link) {
  for (const auto& m : link.sent()) {
    if (m.has_error())
      return m.error();
  }
  return std::nullopt;
}

// The reason of the last End `link` was sent; UNSPECIFIED if none.
proto::EndReason EndReason(const FakeClientLink& link) {
  for (auto it = link.sent().rbegin(); it != link.sent().rend(); ++it) {
    if (it->has_end())
      return it->end().reason();
  }
  return proto::END_REASON_UNSPECIFIED;
}

class BrokerTest : public ::testing::Test {
 protected:
  BrokerTest() {
    auto store = SqliteStore::Open(dir_.path() / "relay.db", clock_);
    EXPECT_TRUE(store.has_value()) << store.error().message;
    store_ = std::move(*store);
    writer_ = std::make_unique<StoreWriter>(*store_);
    accounts_.AddUser("alice", kPassword);
    accounts_.AddUser("bob", kPassword);
    accounts_.AddUser("audrey", kPassword, AccountRole::kAuditor);
  }

  // Made on first use, so a test can change config_ before.
  Broker& broker() {
    if (!broker_) {
      broker_ = std::make_unique<Broker>(config_, clock_, accounts_, *writer_,
                                         rows_budget_, metrics_,
                                         crypto::RandomGenerator::Default());
    }
    return *broker_;
  }

  // A new connection that finished its TLS handshake.
  FakeClientLink& Connect(const std::string& address) {
    links_.push_back(std::make_unique<FakeClientLink>(address));
    broker().OnConnected(*links_.back());
    return *links_.back();
  }

  void Deliver(FakeClientLink& link, const proto::ClientMessage& message) {
    DeliverRaw(link, message.SerializeAsString());
  }
  void DeliverRaw(FakeClientLink& link, const std::string& payload) {
    link.CountReceived(payload.size() + FakeClientLink::kFrameHeader);
    broker().OnFrame(link, AsBytes(payload));
    accounts_.RunPending();
  }

  // What the server does once a link has closed.
  void Disconnect(FakeClientLink& link) {
    if (link.disconnected)
      return;
    link.disconnected = true;
    broker().OnDisconnected(link, link.closed() ? link.close_reason()
                                                : "peer closed the connection");
  }
  void DisconnectClosed() {
    for (auto& link : links_) {
      if (link->closed())
        Disconnect(*link);
    }
  }

  FakeClientLink& Customer(const std::string& address) {
    FakeClientLink& link = Connect(address);
    Deliver(link, HelloMessage(proto::ROLE_CUSTOMER));
    EXPECT_EQ(link.Count(Body::kHelloAck), 1u);
    link.Take();
    return link;
  }

  FakeClientLink& Technician(const std::string& user = "alice",
                             const std::string& address = "10.9.0.1:40000") {
    FakeClientLink& link = Connect(address);
    Deliver(link, HelloMessage(proto::ROLE_SUPPORTER));
    Deliver(link, LoginMessage(user, kPassword));
    EXPECT_EQ(link.Count(Body::kLoginResult), 1u);
    EXPECT_EQ(link.sent().back().login_result().status(),
              proto::LoginResult::STATUS_OK);
    link.Take();
    return link;
  }

  std::string CreateCode(FakeClientLink& technician) {
    technician.Take();
    Deliver(technician, CreateMessage());
    auto sent = technician.Take();
    EXPECT_EQ(sent.size(), 1u);
    if (sent.empty() || !sent.back().has_session_created())
      return "";
    return sent.back().session_created().code();
  }

  // Technician and customer paired through a fresh code; returns the code.
  std::string Pair(FakeClientLink& technician, FakeClientLink& customer) {
    const std::string code = CreateCode(technician);
    Deliver(customer, JoinMessage(code));
    EXPECT_EQ(technician.Count(Body::kJoinRequest), 1u);
    Deliver(technician, DecisionMessage(code, true));
    EXPECT_EQ(technician.Count(Body::kPeerJoined), 1u);
    EXPECT_EQ(customer.Count(Body::kJoined), 1u);
    technician.Take();
    customer.Take();
    return code;
  }

  // One wrong code from a fresh connection at `address`; returns the reply.
  proto::ErrorReply WrongJoin(const std::string& address) {
    FakeClientLink& link = Customer(address);
    Deliver(link, JoinMessage("00000000"));
    const auto error = FirstError(link);
    EXPECT_TRUE(error.has_value());
    proto::ErrorReply copy = error.value_or(proto::ErrorReply());
    Disconnect(link);
    return copy;
  }

  std::string ExportEvents() {
    writer_->Flush();
    std::ostringstream out;
    auto exported = store_->ExportEvents({}, ExportFormat::kCsv, out);
    EXPECT_TRUE(exported.has_value());
    return out.str();
  }
  std::string ExportAudit() {
    writer_->Flush();
    std::ostringstream out;
    auto exported = store_->ExportAudit({}, ExportFormat::kJsonLines, out);
    EXPECT_TRUE(exported.has_value());
    return out.str();
  }

  test::ScratchDir dir_;
  ::tether::test::ManualClock clock_;
  RelayConfig config_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<StoreWriter> writer_;
  ::tether::test::FakeAccountService accounts_;
  RelayMetrics metrics_;
  SourceRowBudget rows_budget_{20, std::chrono::seconds(600), clock_};
  std::vector<std::unique_ptr<FakeClientLink>> links_;
  std::unique_ptr<Broker> broker_;  // last: goes first
};

// ---------------------------------------------------------------- guessing

TEST_F(BrokerTest, SixthWrongCodeFromOneSourceIsRateLimitedWithRetryAfter) {
  // A connection may try three codes; the budget is the source's.
  FakeClientLink& first = Customer("198.51.100.7:50001");
  for (int i = 0; i < 3; ++i)
    Deliver(first, JoinMessage("00000000"));
  EXPECT_EQ(first.Count(Body::kError), 3u);
  EXPECT_FALSE(first.closed());
  Disconnect(first);
  FakeClientLink& second = Customer("198.51.100.7:50002");
  for (int i = 0; i < 2; ++i)
    Deliver(second, JoinMessage("00000000"));
  for (const auto& m : second.sent()) {
    EXPECT_EQ(m.error().code(), proto::ErrorReply::CODE_INVALID_CODE);
  }
  Disconnect(second);

  FakeClientLink& third = Customer("198.51.100.7:50003");
  Deliver(third, JoinMessage("00000000"));
  const auto error = FirstError(third);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code(), proto::ErrorReply::CODE_RATE_LIMITED);
  EXPECT_EQ(error->retry_after_seconds(), 60u);  // the first lockout: 1 min
  EXPECT_TRUE(third.closed());
  EXPECT_EQ(metrics_.joins_refused, 1u);
  EXPECT_EQ(metrics_.joins_failed, 5u);
}

TEST_F(BrokerTest, LockedOutSourceDoesNotLimitAnotherSource) {
  for (int i = 0; i < 5; ++i)
    WrongJoin("198.51.100.7:5000" + std::to_string(i));
  EXPECT_EQ(WrongJoin("198.51.100.7:50009").code(),
            proto::ErrorReply::CODE_RATE_LIMITED);

  FakeClientLink& technician = Technician();
  const std::string code = CreateCode(technician);
  EXPECT_EQ(WrongJoin("198.51.100.8:50000").code(),
            proto::ErrorReply::CODE_INVALID_CODE);
  FakeClientLink& other = Customer("198.51.100.8:50001");
  Deliver(other, JoinMessage(code));
  EXPECT_FALSE(FirstError(other).has_value());
  EXPECT_EQ(technician.Count(Body::kJoinRequest), 1u);
}

TEST_F(BrokerTest, IPv6SourcesInOneSlash64ShareTheGuessingBudget) {
  // Five addresses of one /64, each guessing once.
  for (int i = 1; i <= 5; ++i) {
    EXPECT_EQ(WrongJoin("[2001:db8:1:2::" + std::to_string(i) + "]:443").code(),
              proto::ErrorReply::CODE_INVALID_CODE);
  }
  EXPECT_EQ(WrongJoin("[2001:db8:1:2:ffff:ffff:ffff:ffff]:443").code(),
            proto::ErrorReply::CODE_RATE_LIMITED);
  // The neighbouring /64 is someone else.
  EXPECT_EQ(WrongJoin("[2001:db8:1:3::1]:443").code(),
            proto::ErrorReply::CODE_INVALID_CODE);
}

TEST_F(BrokerTest, LockoutEndsAfterItsRetryAfter) {
  for (int i = 0; i < 5; ++i)
    WrongJoin("198.51.100.7:5000" + std::to_string(i));
  const proto::ErrorReply refused = WrongJoin("198.51.100.7:50010");
  ASSERT_EQ(refused.code(), proto::ErrorReply::CODE_RATE_LIMITED);
  clock_.Advance(seconds(refused.retry_after_seconds()));
  EXPECT_EQ(WrongJoin("198.51.100.7:50011").code(),
            proto::ErrorReply::CODE_INVALID_CODE);
}

class BrokerSlowLaneTest : public BrokerTest {
 protected:
  // 200 wrong codes within the hour, from 200 sources (none locked out).
  void StartSlowLane() {
    for (int i = 0; i < 200; ++i) {
      WrongJoin("203.0." + std::to_string(i / 250) + "." +
                std::to_string(i % 250 + 1) + ":40000");
    }
    broker().Tick();
    ASSERT_EQ(metrics_.join_slow_lane, 1u);
  }
};

TEST_F(BrokerSlowLaneTest,
       JoinWaitsForTheSlowLaneDelayBeforeItsCodeIsLookedAt) {
  FakeClientLink& technician = Technician();
  const std::string code = CreateCode(technician);
  StartSlowLane();

  FakeClientLink& customer = Customer("192.0.2.10:50000");
  Deliver(customer, JoinMessage(code));
  EXPECT_TRUE(customer.sent().empty());
  EXPECT_EQ(technician.Count(Body::kJoinRequest), 0u);

  clock_.Advance(config_.join_guard.slow_lane_delay - seconds(1));
  broker().Tick();
  EXPECT_TRUE(customer.sent().empty());
  EXPECT_EQ(technician.Count(Body::kJoinRequest), 0u);

  clock_.Advance(seconds(1));
  broker().Tick();
  EXPECT_EQ(technician.Count(Body::kJoinRequest), 1u);
  EXPECT_FALSE(customer.closed());
}

TEST_F(BrokerSlowLaneTest, WrongCodeInTheSlowLaneIsAnsweredOnlyAfterTheDelay) {
  StartSlowLane();
  FakeClientLink& customer = Customer("192.0.2.10:50000");
  Deliver(customer, JoinMessage("00000000"));
  EXPECT_FALSE(FirstError(customer).has_value());
  clock_.Advance(config_.join_guard.slow_lane_delay);
  broker().Tick();
  const auto error = FirstError(customer);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code(), proto::ErrorReply::CODE_INVALID_CODE);
}

TEST_F(BrokerSlowLaneTest, EachSourceMayTryOncePerFiveMinutes) {
  StartSlowLane();
  FakeClientLink& first = Customer("192.0.2.10:50000");
  Deliver(first, JoinMessage("00000000"));
  clock_.Advance(config_.join_guard.slow_lane_delay);
  broker().Tick();
  ASSERT_TRUE(FirstError(first).has_value());
  Disconnect(first);

  // A second attempt from the same source, on a new connection, too soon.
  FakeClientLink& again = Customer("192.0.2.10:50001");
  Deliver(again, JoinMessage("00000000"));
  const auto error = FirstError(again);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code(), proto::ErrorReply::CODE_RATE_LIMITED);
  EXPECT_GT(error->retry_after_seconds(), 0u);
  EXPECT_LE(error->retry_after_seconds(), 300u);
  EXPECT_TRUE(again.closed());

  // Another source is still served (after the delay).
  FakeClientLink& other = Customer("192.0.2.11:50000");
  Deliver(other, JoinMessage("00000000"));
  clock_.Advance(config_.join_guard.slow_lane_delay);
  broker().Tick();
  ASSERT_TRUE(FirstError(other).has_value());
  EXPECT_EQ(FirstError(other)->code(), proto::ErrorReply::CODE_INVALID_CODE);

  // Five minutes after its first attempt the source may try again.
  clock_.Advance(minutes(5) - 2 * config_.join_guard.slow_lane_delay);
  FakeClientLink& later = Customer("192.0.2.10:50002");
  Deliver(later, JoinMessage("00000000"));
  EXPECT_FALSE(FirstError(later).has_value());  // delayed, not refused
  EXPECT_FALSE(later.closed());
}

// ------------------------------------------------- handed over (cluster)

// A customer another relay of the cluster handed over arrives greeted: its
// Join comes first, the guard is that relay's (which also counts its wrong
// codes), and it pairs like any customer.
TEST_F(BrokerTest, ACustomerHandedOverByAnotherRelayJoinsWithoutItsOwnGuard) {
  config_.join_guard.failures_per_source = 1;
  FakeClientLink& technician = Technician();
  const std::string code = CreateCode(technician);
  // Wrong codes through the other relay: answered, never locked out here.
  for (int i = 0; i < 3; ++i) {
    links_.push_back(std::make_unique<FakeClientLink>("198.51.100.7:5000" +
                                                      std::to_string(i)));
    FakeClientLink& wrong = *links_.back();
    broker().OnConnected(wrong, "relay2");
    Deliver(wrong, JoinMessage("00000000"));
    const auto error = FirstError(wrong);
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->code(), proto::ErrorReply::CODE_INVALID_CODE);
  }
  links_.push_back(std::make_unique<FakeClientLink>("198.51.100.7:50009"));
  FakeClientLink& customer = *links_.back();
  broker().OnConnected(customer, "relay2");
  Deliver(customer, JoinMessage(code));
  ASSERT_EQ(technician.Count(Body::kJoinRequest), 1u);
  // The technician sees the customer's own address, not the relay's.
  EXPECT_EQ(technician.sent().back().join_request().source_address(),
            "198.51.100.7:50009");
  Deliver(technician, DecisionMessage(code, true));
  EXPECT_EQ(customer.Count(Body::kJoined), 1u);
  // One Join per hand-over: more would be guesses no guard counts.
  links_.push_back(std::make_unique<FakeClientLink>("198.51.100.9:50000"));
  FakeClientLink& twice = *links_.back();
  broker().OnConnected(twice, "relay2");
  Deliver(twice, JoinMessage("00000000"));
  EXPECT_FALSE(twice.closed());
  Deliver(twice, JoinMessage("00000001"));
  EXPECT_TRUE(twice.closed());
  // It never said Hello here, and may not.
  links_.push_back(std::make_unique<FakeClientLink>("198.51.100.8:50000"));
  FakeClientLink& hello = *links_.back();
  broker().OnConnected(hello, "relay2");
  Deliver(hello, HelloMessage(proto::ROLE_SUPPORTER));
  EXPECT_TRUE(hello.closed());
}

TEST_F(BrokerTest, InvalidExpiredUsedAndMalformedCodesGetByteIdenticalAnswers) {
  std::map<std::string, std::string> answers;  // case → serialized reply
  int port = 50000;
  auto answer = [&](const std::string& what, const std::string& code) {
    FakeClientLink& customer =
        Customer("192.0.2." + std::to_string(answers.size() + 1) + ":" +
                 std::to_string(port++));
    Deliver(customer, JoinMessage(code));
    ASSERT_EQ(customer.sent_wire().size(), 1u) << what;
    ASSERT_TRUE(customer.sent().front().has_error()) << what;
    answers[what] = customer.sent_wire().front();
  };

  FakeClientLink& alice = Technician("alice");
  FakeClientLink& first_customer = Customer("198.51.100.1:40000");
  const std::string used = Pair(alice, first_customer);
  answer("used", used);
  answer("never issued", OtherCode(used));
  answer("malformed", "12ab");

  FakeClientLink& bob = Technician("bob", "10.9.0.2:40000");
  const std::string claimed = CreateCode(bob);
  FakeClientLink& waiting = Customer("198.51.100.2:40000");
  Deliver(waiting, JoinMessage(claimed));
  answer("claimed by another customer", claimed);

  const std::string expiring = CreateCode(bob);
  clock_.Advance(config_.timeouts.code_expiry);
  answer("expired, not yet swept", expiring);
  broker().Tick();
  answer("expired and swept", expiring);

  ASSERT_EQ(answers.size(), 6u);
  for (const auto& [what, wire] : answers) {
    EXPECT_EQ(wire, answers.at("never issued")) << what;
  }
}

// ------------------------------------------------------------- code expiry

TEST_F(BrokerTest, UnclaimedCodeIsGoneAfterItsExpiry) {
  FakeClientLink& technician = Technician();
  const std::string code = CreateCode(technician);
  clock_.Advance(config_.timeouts.code_expiry - seconds(1));
  broker().Tick();
  EXPECT_EQ(broker().waiting_sessions(), 1u);
  clock_.Advance(seconds(1));
  broker().Tick();
  EXPECT_EQ(broker().waiting_sessions(), 0u);
  EXPECT_EQ(metrics_.sessions_waiting, 0u);

  // Still gone once the clock is back within what its life would have been.
  FakeClientLink& customer = Customer("192.0.2.1:50000");
  Deliver(customer, JoinMessage(code));
  ASSERT_TRUE(FirstError(customer).has_value());
  EXPECT_EQ(FirstError(customer)->code(), proto::ErrorReply::CODE_INVALID_CODE);
  EXPECT_NE(ExportAudit().find("session.expire"), std::string::npos);
}

TEST_F(BrokerTest, CustomerWaitingOnAnExpiringCodeIsEndedWithCodeExpired) {
  FakeClientLink& technician = Technician();
  const std::string code = CreateCode(technician);
  FakeClientLink& customer = Customer("192.0.2.1:50000");
  Deliver(customer, JoinMessage(code));
  ASSERT_EQ(technician.Count(Body::kJoinRequest), 1u);

  clock_.Advance(config_.timeouts.code_expiry);
  broker().Tick();
  EXPECT_EQ(EndReason(customer), proto::END_REASON_CODE_EXPIRED);
  EXPECT_TRUE(customer.closed());
  EXPECT_FALSE(technician.closed());

  // Accepting now is too late.
  technician.Take();
  Deliver(technician, DecisionMessage(code, true));
  ASSERT_TRUE(FirstError(technician).has_value());
  EXPECT_EQ(technician.Count(Body::kPeerJoined), 0u);
}

// ------------------------------------------------------------ backpressure

class BrokerBackpressureTest : public BrokerTest {
 protected:
  void SetUp() override {
    technician_ = &Technician();
    customer_ = &Customer("192.0.2.1:50000");
    Pair(*technician_, *customer_);
  }

  // The customer sends 64 KiB frames until its link is paused; returns how
  // many it took (0 if it never was within `limit` frames).
  int FloodUntilPaused(int limit = 64) {
    const std::string chunk(64 << 10, 'x');
    for (int i = 1; i <= limit; ++i) {
      Deliver(*customer_, RelayedMessage(chunk));
      if (customer_->paused())
        return i;
    }
    return 0;
  }

  FakeClientLink* technician_ = nullptr;
  FakeClientLink* customer_ = nullptr;
};

TEST_F(BrokerBackpressureTest, PeerQueueOverTheLimitPausesTheSender) {
  technician_->set_stalled(true);
  const int frames = FloodUntilPaused();
  ASSERT_GT(frames, 0);
  EXPECT_GT(technician_->pending_output(), config_.limits.outbound_queue);
  // Paused at the first frame past the limit, not later.
  EXPECT_LE(technician_->pending_output(),
            config_.limits.outbound_queue + (64 << 10) + 64);
  EXPECT_EQ(metrics_.backpressure_pauses, 1u);
  EXPECT_FALSE(technician_->paused());
}

TEST_F(BrokerBackpressureTest, DrainedPeerResumesThePausedSender) {
  technician_->set_stalled(true);
  ASSERT_GT(FloodUntilPaused(), 0);
  technician_->Drain();
  broker().OnDrained(*technician_);
  EXPECT_FALSE(customer_->paused());
  // And it pauses again the next time the peer falls behind.
  ASSERT_GT(FloodUntilPaused(), 0);
  EXPECT_EQ(customer_->pauses(), 2);
}

TEST_F(BrokerBackpressureTest,
       PeerStuckPastTheDeadlineIsDroppedAndItsPartnerTold) {
  technician_->set_stalled(true);
  ASSERT_GT(FloodUntilPaused(), 0);

  clock_.Advance(config_.timeouts.stuck_peer);
  broker().Tick();
  EXPECT_FALSE(technician_->closed());

  clock_.Advance(seconds(1));
  broker().Tick();
  EXPECT_TRUE(technician_->closed());
  EXPECT_EQ(EndReason(*technician_), proto::END_REASON_TIMEOUT);
  EXPECT_TRUE(customer_->closed());
  EXPECT_EQ(EndReason(*customer_), proto::END_REASON_PEER_LOST);
  EXPECT_EQ(metrics_.stuck_peers_dropped, 1u);
}

TEST_F(BrokerBackpressureTest, StuckPeerIsCountedOnceWhileItsLinkIsClosing) {
  technician_->set_stalled(true);
  ASSERT_GT(FloodUntilPaused(), 0);
  clock_.Advance(config_.timeouts.stuck_peer + seconds(1));
  broker().Tick();
  ASSERT_TRUE(technician_->closed());
  // The real link takes up to its close grace period to go; ticks go on.
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(seconds(1));
    broker().Tick();
  }
  EXPECT_EQ(metrics_.stuck_peers_dropped, 1u);
}

TEST_F(BrokerBackpressureTest, PeerThatDrainsInTimeIsNotDropped) {
  technician_->set_stalled(true);
  ASSERT_GT(FloodUntilPaused(), 0);
  clock_.Advance(config_.timeouts.stuck_peer - seconds(1));
  technician_->Drain();
  broker().OnDrained(*technician_);
  clock_.Advance(seconds(5));
  broker().Tick();
  EXPECT_FALSE(technician_->closed());
  EXPECT_FALSE(customer_->closed());
}

TEST_F(BrokerTest, ClientThatNeverReadsItsRepliesIsNoLongerRead) {
  // Requests that are answered without closing: a console that sends them
  // and reads nothing must not grow its queue on the relay without bound.
  FakeClientLink& technician = Technician();
  technician.set_stalled(true);
  technician.set_keep_messages(false);
  int sent = 0;
  while (!technician.paused() && sent < 100'000) {
    Deliver(technician, CancelMessage("00000000"));
    ++sent;
  }
  ASSERT_TRUE(technician.paused()) << "still read after " << sent;
  EXPECT_LE(technician.pending_output(), config_.limits.outbound_queue + 256);

  technician.Drain();
  broker().OnDrained(technician);
  EXPECT_FALSE(technician.paused());
  EXPECT_FALSE(technician.closed());
}

// -------------------------------------------------------------- heartbeats

TEST_F(BrokerTest, HeartbeatsGoOnlyToSignedInWaitingAndPairedClients) {
  FakeClientLink& before_hello = Connect("192.0.2.1:50000");
  FakeClientLink& greeted_supporter = Connect("192.0.2.2:50000");
  Deliver(greeted_supporter, HelloMessage(proto::ROLE_SUPPORTER));
  FakeClientLink& greeted_customer = Customer("192.0.2.3:50000");
  FakeClientLink& must_change = Connect("192.0.2.4:50000");
  accounts_.AddUser("newbie", kPassword, AccountRole::kTechnician, true);
  Deliver(must_change, HelloMessage(proto::ROLE_SUPPORTER));
  Deliver(must_change, LoginMessage("newbie", kPassword));

  FakeClientLink& signed_in = Technician("bob", "10.9.0.2:40000");
  FakeClientLink& auditor = Technician("audrey", "10.9.0.3:40000");
  FakeClientLink& waiting = Customer("192.0.2.5:50000");
  Deliver(waiting, JoinMessage(CreateCode(signed_in)));
  FakeClientLink& paired_technician = Technician("alice");
  FakeClientLink& paired_customer = Customer("192.0.2.6:50000");
  Pair(paired_technician, paired_customer);
  for (auto& link : links_)
    link->Take();

  clock_.Advance(config_.timeouts.heartbeat_interval - seconds(1));
  broker().Tick();
  for (auto& link : links_)
    EXPECT_EQ(link->Count(Body::kHeartbeat), 0u);

  clock_.Advance(seconds(1));
  broker().Tick();
  EXPECT_EQ(before_hello.Count(Body::kHeartbeat), 0u);
  EXPECT_EQ(greeted_supporter.Count(Body::kHeartbeat), 0u);
  EXPECT_EQ(greeted_customer.Count(Body::kHeartbeat), 0u);
  EXPECT_EQ(must_change.Count(Body::kHeartbeat), 0u);
  EXPECT_EQ(signed_in.Count(Body::kHeartbeat), 1u);
  EXPECT_EQ(auditor.Count(Body::kHeartbeat), 1u);
  EXPECT_EQ(waiting.Count(Body::kHeartbeat), 1u);
  EXPECT_EQ(paired_technician.Count(Body::kHeartbeat), 1u);
  EXPECT_EQ(paired_customer.Count(Body::kHeartbeat), 1u);

  // One per interval, not one per Tick.
  clock_.Advance(seconds(1));
  broker().Tick();
  EXPECT_EQ(signed_in.Count(Body::kHeartbeat), 1u);
}

// -------------------------------------------------------------- role table

enum class Stage {
  kBeforeHello,
  kGreetedSupporter,
  kCustomer,
  kTechnician,
  kTechnicianAtCodeLimit,
  kAuditor,
  kPairedTechnician,
  kPairedCustomer,
};

enum class Sent {
  kHello,
  kLogin,
  kChangePassword,
  kCreateSession,
  kCancelSession,
  kJoin,
  kJoinDecision,
  kRelayed,
  kHeartbeat,
  kEnd,
  kEmpty,    // a ClientMessage with no body
  kGarbage,  // not a ClientMessage at all
};

const char* Name(Stage s) {
  static const char* const kNames[] = {
      "before Hello",      "greeted supporter",       "customer",
      "technician",        "technician with 3 codes", "auditor",
      "paired technician", "paired customer"};
  return kNames[static_cast<int>(s)];
}

const char* Name(Sent s) {
  static const char* const kNames[] = {
      "Hello",         "Login", "ChangePassword", "CreateSession",
      "CancelSession", "Join",  "JoinDecision",   "Relayed",
      "Heartbeat",     "End",   "empty body",     "garbage"};
  return kNames[static_cast<int>(s)];
}

struct Expectation {
  bool closed = true;
  // CODE_UNSPECIFIED: no ErrorReply at all.
  proto::ErrorReply::Code error = proto::ErrorReply::CODE_NOT_ALLOWED;
};

// What each stage allows; everything else is refused with NOT_ALLOWED and
// the connection closed.
Expectation Expected(Stage stage, Sent sent) {
  using E = proto::ErrorReply;
  const Expectation allowed{false, E::CODE_UNSPECIFIED};
  const Expectation refused_open_invalid{false, E::CODE_INVALID_CODE};
  const Expectation refused_open_not_allowed{false, E::CODE_NOT_ALLOWED};
  const Expectation ends{true, E::CODE_UNSPECIFIED};
  if (sent == Sent::kGarbage)
    return {true, E::CODE_MALFORMED};
  if (stage != Stage::kBeforeHello) {
    if (sent == Sent::kHeartbeat)
      return allowed;
    if (sent == Sent::kEnd)
      return ends;
  }
  switch (stage) {
    case Stage::kBeforeHello:
      if (sent == Sent::kHello)
        return allowed;
      break;
    case Stage::kGreetedSupporter:
      if (sent == Sent::kLogin)
        return allowed;
      break;
    case Stage::kCustomer:
      if (sent == Sent::kJoin)
        return refused_open_invalid;  // unknown code
      break;
    case Stage::kTechnician:
    case Stage::kTechnicianAtCodeLimit:
    case Stage::kAuditor:
      if (sent == Sent::kChangePassword)
        return allowed;
      if (sent == Sent::kCancelSession)
        return refused_open_invalid;
      if (sent == Sent::kJoinDecision)
        return refused_open_not_allowed;
      if (sent == Sent::kCreateSession) {
        if (stage == Stage::kAuditor)
          return refused_open_not_allowed;
        if (stage == Stage::kTechnicianAtCodeLimit) {
          return {false, E::CODE_TOO_MANY_SESSIONS};
        }
        return allowed;
      }
      break;
    case Stage::kPairedTechnician:
    case Stage::kPairedCustomer:
      if (sent == Sent::kRelayed)
        return allowed;
      break;
  }
  return {};
}

class BrokerRoleTableTest : public BrokerTest {
 protected:
  // A fresh client in `stage`, from addresses in `net` ("10.7.0.").
  FakeClientLink& Enter(Stage stage, const std::string& net) {
    switch (stage) {
      case Stage::kBeforeHello:
        break;
      case Stage::kGreetedSupporter: {
        FakeClientLink& link = Connect(net + "1:1000");
        Deliver(link, HelloMessage(proto::ROLE_SUPPORTER));
        return link;
      }
      case Stage::kCustomer:
        return Customer(net + "1:1000");
      case Stage::kTechnician:
        return Technician("alice", net + "1:1000");
      case Stage::kTechnicianAtCodeLimit: {
        FakeClientLink& link = Technician("alice", net + "1:1000");
        for (int i = 0; i < 3; ++i)
          CreateCode(link);
        return link;
      }
      case Stage::kAuditor:
        return Technician("audrey", net + "1:1000");
      case Stage::kPairedTechnician:
      case Stage::kPairedCustomer: {
        FakeClientLink& technician = Technician("alice", net + "1:1000");
        FakeClientLink& customer = Customer(net + "2:1000");
        Pair(technician, customer);
        return stage == Stage::kPairedTechnician ? technician : customer;
      }
    }
    return Connect(net + "1:1000");
  }
};

TEST_F(BrokerRoleTableTest,
       EveryMessageInEveryStageIsAllowedOrRefusedAsDocumented) {
  const Stage stages[] = {
      Stage::kBeforeHello,      Stage::kGreetedSupporter,      Stage::kCustomer,
      Stage::kTechnician,       Stage::kTechnicianAtCodeLimit, Stage::kAuditor,
      Stage::kPairedTechnician, Stage::kPairedCustomer};
  const Sent all_sent[] = {
      Sent::kHello,         Sent::kLogin,         Sent::kChangePassword,
      Sent::kCreateSession, Sent::kCancelSession, Sent::kJoin,
      Sent::kJoinDecision,  Sent::kRelayed,       Sent::kHeartbeat,
      Sent::kEnd,           Sent::kEmpty,         Sent::kGarbage};
  int row = 0;
  for (Stage stage : stages) {
    for (Sent sent : all_sent) {
      ++row;
      SCOPED_TRACE(std::string(Name(sent)) + " from " + Name(stage));
      // Fresh clients from addresses of their own for every row.
      const std::string net = "10." + std::to_string(row) + ".0.";
      FakeClientLink& subject = Enter(stage, net);
      ASSERT_FALSE(subject.closed());
      subject.Take();

      switch (sent) {
        case Sent::kHello:
          Deliver(subject, HelloMessage(proto::ROLE_CUSTOMER));
          break;
        case Sent::kLogin:
          Deliver(subject, LoginMessage("alice", kPassword));
          break;
        case Sent::kChangePassword: {
          proto::ClientMessage m;
          m.mutable_change_password()->set_current_password("not it");
          m.mutable_change_password()->set_new_password(
              "a long new passphrase");
          Deliver(subject, m);
          break;
        }
        case Sent::kCreateSession:
          Deliver(subject, CreateMessage());
          break;
        case Sent::kCancelSession:
          Deliver(subject, CancelMessage("00000000"));
          break;
        case Sent::kJoin:
          Deliver(subject, JoinMessage("00000000"));
          break;
        case Sent::kJoinDecision:
          Deliver(subject, DecisionMessage("00000000", true));
          break;
        case Sent::kRelayed:
          Deliver(subject, RelayedMessage("opaque"));
          break;
        case Sent::kHeartbeat: {
          proto::ClientMessage m;
          m.mutable_heartbeat()->set_sent_at_unix_ms(1);
          Deliver(subject, m);
          break;
        }
        case Sent::kEnd:
          Deliver(subject, EndMessage(proto::END_REASON_USER_ENDED));
          break;
        case Sent::kEmpty:
          Deliver(subject, proto::ClientMessage());
          break;
        case Sent::kGarbage:
          DeliverRaw(subject, std::string("\x0a\x05"
                                          "ab",
                                          4));
          break;
      }

      const Expectation expected = Expected(stage, sent);
      const auto error = FirstError(subject);
      if (expected.error == proto::ErrorReply::CODE_UNSPECIFIED) {
        EXPECT_FALSE(error.has_value()) << error->message();
      } else {
        ASSERT_TRUE(error.has_value());
        EXPECT_EQ(error->code(), expected.error) << error->message();
      }
      EXPECT_EQ(subject.closed(), expected.closed);
      if (expected.closed) {
        // Told why before the hang-up.
        EXPECT_EQ(subject.sent().back().body_case(), Body::kEnd);
      }
      for (auto& link : links_)
        Disconnect(*link);
    }
  }
}

TEST_F(BrokerTest, RelayedFramesReachTheOtherSideUnchanged) {
  FakeClientLink& technician = Technician();
  FakeClientLink& customer = Customer("192.0.2.1:50000");
  Pair(technician, customer);
  std::string binary(1000, '\0');
  for (size_t i = 0; i < binary.size(); ++i)
    binary[i] = static_cast<char>(i);
  Deliver(customer, RelayedMessage(binary));
  Deliver(technician, RelayedMessage("to the customer"));
  ASSERT_EQ(technician.sent().size(), 1u);
  EXPECT_EQ(technician.sent()[0].relayed().data(), binary);
  ASSERT_EQ(customer.sent().size(), 1u);
  EXPECT_EQ(customer.sent()[0].relayed().data(), "to the customer");
  EXPECT_EQ(metrics_.bytes_relayed, binary.size() + 15);
  // Paired links take frames as large as the relayed limit.
  EXPECT_GT(customer.max_frame_size(), config_.limits.relayed_frame_max);
}

TEST_F(BrokerTest, TechnicianCannotAcceptACustomerWhoAlreadyLeft) {
  FakeClientLink& technician = Technician();
  const std::string code = CreateCode(technician);
  FakeClientLink& customer = Customer("192.0.2.1:50000");
  Deliver(customer, JoinMessage(code));
  ASSERT_EQ(technician.Count(Body::kJoinRequest), 1u);
  technician.Take();
  // The customer hangs up; its link is still closing when the answer comes.
  Deliver(customer, EndMessage(proto::END_REASON_USER_ENDED));
  ASSERT_TRUE(customer.closed());
  Deliver(technician, DecisionMessage(code, true));
  EXPECT_EQ(technician.Count(Body::kPeerJoined), 0u);
  ASSERT_TRUE(FirstError(technician).has_value());
  EXPECT_EQ(FirstError(technician)->code(),
            proto::ErrorReply::CODE_NOT_ALLOWED);
  EXPECT_FALSE(technician.closed());
  EXPECT_EQ(metrics_.sessions_paired, 0u);
}

TEST_F(BrokerTest, EmergencyStopIsWhatBothSidesAreTold) {
  FakeClientLink& technician = Technician();
  FakeClientLink& customer = Customer("192.0.2.1:50000");
  Pair(technician, customer);
  Deliver(customer, EndMessage(proto::END_REASON_EMERGENCY_STOP));
  EXPECT_EQ(EndReason(technician), proto::END_REASON_EMERGENCY_STOP);
  EXPECT_EQ(EndReason(customer), proto::END_REASON_EMERGENCY_STOP);
  EXPECT_TRUE(technician.closed());
  EXPECT_TRUE(customer.closed());
}

TEST_F(BrokerTest, EndingTellsThePeerThatTheOtherSideEnded) {
  FakeClientLink& technician = Technician();
  FakeClientLink& customer = Customer("192.0.2.1:50000");
  Pair(technician, customer);
  Deliver(technician, EndMessage(proto::END_REASON_USER_ENDED));
  EXPECT_EQ(EndReason(technician), proto::END_REASON_USER_ENDED);
  EXPECT_EQ(EndReason(customer), proto::END_REASON_PEER_ENDED);
}

TEST_F(BrokerTest, ShutdownTellsBothSidesOfEverySessionTheRelayIsStopping) {
  std::vector<FakeClientLink*> all;
  for (int i = 0; i < 4; ++i) {
    const std::string user = i % 2 ? "alice" : "bob";
    FakeClientLink& technician =
        Technician(user, "10.9.0." + std::to_string(i) + ":40000");
    FakeClientLink& customer =
        Customer("192.0.2." + std::to_string(i) + ":50000");
    Pair(technician, customer);
    all.push_back(&technician);
    all.push_back(&customer);
  }
  broker().Shutdown();
  for (FakeClientLink* link : all) {
    EXPECT_EQ(EndReason(*link), proto::END_REASON_RELAY_SHUTDOWN)
        << link->peer_address();
    EXPECT_TRUE(link->closed());
  }
}

TEST_F(BrokerTest, LongCustomerNamesAreCutAtACharacterBoundary) {
  FakeClientLink& technician = Technician();
  const std::string code = CreateCode(technician);
  FakeClientLink& customer = Customer("192.0.2.1:50000");
  proto::ClientMessage join = JoinMessage(code);
  // 63 ASCII bytes, then a 2-byte character across the 64-byte limit.
  join.mutable_join()->set_user_name(std::string(63, 'a') + "\xc3\xbc");
  join.mutable_join()->set_host_name("\xe6\x9c\xba\xe5\x99\xa8-" +
                                     std::string(100, 'h'));
  Deliver(customer, join);
  ASSERT_EQ(technician.sent_wire().size(), 1u);
  // What the technician's app receives must parse: proto3 strings are
  // checked for UTF-8, so half a character would make it malformed.
  proto::RelayMessage received;
  ASSERT_TRUE(
      protocol::ParsePayload(AsBytes(technician.sent_wire()[0]), received)
          .has_value());
  ASSERT_TRUE(received.has_join_request());
  EXPECT_EQ(received.join_request().user_name(), std::string(63, 'a'));
  EXPECT_EQ(received.join_request().host_name().size(), 64u);
  EXPECT_EQ(received.join_request().host_name().substr(0, 7),
            "\xe6\x9c\xba\xe5\x99\xa8-");
}

// ------------------------------------------------------------- disconnects

TEST_F(BrokerTest, SupporterDisconnectRemovesItsCodesAndEndsAPendingCustomer) {
  FakeClientLink& technician = Technician();
  const std::string claimed = CreateCode(technician);
  const std::string unclaimed = CreateCode(technician);
  FakeClientLink& customer = Customer("192.0.2.1:50000");
  Deliver(customer, JoinMessage(claimed));
  ASSERT_EQ(broker().waiting_sessions(), 2u);

  Disconnect(technician);
  EXPECT_EQ(broker().waiting_sessions(), 0u);
  EXPECT_TRUE(customer.closed());
  EXPECT_EQ(EndReason(customer), proto::END_REASON_PEER_LOST);

  FakeClientLink& late = Customer("192.0.2.2:50000");
  Deliver(late, JoinMessage(unclaimed));
  ASSERT_TRUE(FirstError(late).has_value());
  EXPECT_EQ(FirstError(late)->code(), proto::ErrorReply::CODE_INVALID_CODE);
}

TEST_F(BrokerTest, PairedSupporterDisconnectTellsTheCustomerPeerLost) {
  FakeClientLink& technician = Technician();
  FakeClientLink& customer = Customer("192.0.2.1:50000");
  Pair(technician, customer);
  Disconnect(technician);
  EXPECT_EQ(EndReason(customer), proto::END_REASON_PEER_LOST);
  EXPECT_TRUE(customer.closed());
  EXPECT_EQ(broker().clients(), 1u);
  Disconnect(customer);
  EXPECT_EQ(broker().clients(), 0u);
}

TEST_F(BrokerTest, ConnectionEventsRecordRoleAccountBytesAndCodeTag) {
  FakeClientLink& technician = Technician("alice", "10.9.0.1:40000");
  FakeClientLink& customer = Customer("192.0.2.1:50000");
  const std::string code = Pair(technician, customer);
  Deliver(customer, RelayedMessage(std::string(5000, 'c')));
  Deliver(technician, RelayedMessage(std::string(300, 't')));
  clock_.Advance(seconds(42));
  Deliver(customer, EndMessage(proto::END_REASON_USER_ENDED));
  DisconnectClosed();

  auto csv = test::ParseCsv(ExportEvents());
  ASSERT_TRUE(csv.has_value());
  ASSERT_EQ(csv->size(), 3u);  // header + two connections
  const auto& header = (*csv)[0];
  std::map<std::string, std::map<std::string, std::string>> by_role;
  for (size_t r = 1; r < csv->size(); ++r) {
    std::map<std::string, std::string> row;
    for (size_t c = 0; c < header.size(); ++c)
      row[header[c]] = (*csv)[r][c];
    by_role[row["role"]] = row;
  }
  ASSERT_TRUE(by_role.contains("supporter"));
  ASSERT_TRUE(by_role.contains("customer"));
  const auto& sup = by_role["supporter"];
  const auto& cus = by_role["customer"];
  EXPECT_EQ(sup.at("account"), "alice");
  EXPECT_EQ(cus.at("account"), "");
  EXPECT_EQ(sup.at("source_address"), "10.9.0.1:40000");
  EXPECT_EQ(cus.at("source_address"), "192.0.2.1:50000");
  EXPECT_EQ(sup.at("code_hmac"), broker().CodeTag(code));
  EXPECT_EQ(cus.at("code_hmac"), broker().CodeTag(code));
  EXPECT_EQ(sup.at("bytes_in"), std::to_string(technician.bytes_received()));
  EXPECT_EQ(sup.at("bytes_out"), std::to_string(technician.bytes_sent()));
  EXPECT_EQ(cus.at("bytes_in"), std::to_string(customer.bytes_received()));
  EXPECT_EQ(cus.at("bytes_out"), std::to_string(customer.bytes_sent()));
  EXPECT_GT(std::stoull(cus.at("bytes_in")), 5000u);
  EXPECT_GT(std::stoull(sup.at("bytes_out")), 5000u);
  EXPECT_EQ(cus.at("duration_ms"), "42000");
  EXPECT_EQ(cus.at("end_reason"), "ended by the user");
}

TEST_F(BrokerTest, SessionCodeAppearsNowhereInEventsOrAuditExports) {
  std::vector<std::string> codes;
  // Created, joined, accepted and ended.
  FakeClientLink& alice = Technician("alice");
  FakeClientLink& customer = Customer("192.0.2.1:50000");
  codes.push_back(Pair(alice, customer));
  Deliver(alice, EndMessage(proto::END_REASON_USER_ENDED));
  // Created and cancelled; created and rejected; created and expired.
  FakeClientLink& bob = Technician("bob", "10.9.0.2:40000");
  codes.push_back(CreateCode(bob));
  Deliver(bob, CancelMessage(codes.back()));
  codes.push_back(CreateCode(bob));
  FakeClientLink& rejected = Customer("192.0.2.2:50000");
  Deliver(rejected, JoinMessage(codes.back()));
  Deliver(bob, DecisionMessage(codes.back(), false));
  codes.push_back(CreateCode(bob));
  clock_.Advance(config_.timeouts.code_expiry);
  broker().Tick();
  DisconnectClosed();
  Disconnect(bob);

  const std::string events = ExportEvents();
  const std::string audit = ExportAudit();
  EXPECT_NE(audit.find("session.cancel"), std::string::npos);
  EXPECT_NE(audit.find("session.reject"), std::string::npos);
  EXPECT_NE(audit.find("session.expire"), std::string::npos);
  EXPECT_NE(audit.find("session.join"), std::string::npos);
  for (const std::string& code : codes) {
    ASSERT_EQ(code.size(), 8u);
    EXPECT_EQ(events.find(code), std::string::npos) << code;
    EXPECT_EQ(audit.find(code), std::string::npos) << code;
    EXPECT_NE(audit.find(broker().CodeTag(code)), std::string::npos) << code;
  }
}

}  // namespace
}  // namespace tether::relay
