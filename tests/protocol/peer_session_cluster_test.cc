// The apps' engine (PeerSession) on both sides of a session whose
// technician and customer reach different relays of one cluster
// (tests/support/relay_cluster.h): the customer is handed over to the
// technician's relay, and the end-to-end key exchange, the security code,
// encrypted messages and STOP work as through one relay, each relay seeing
// only ciphertext.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "protocol/peer_session.h"
#include "tests/support/relay_cluster.h"
#include "tests/support/relay_process.h"
#include "tests/support/session_recorder.h"

namespace tether::protocol {
namespace {

using namespace std::chrono_literals;
using test::RelayCluster;

using tether::test::kPassword;

class PeerSessionClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RelayCluster::Available())
      GTEST_SKIP() << "needs postgresql and redis-server (scripts/setup)";
    auto cluster = RelayCluster::Start(2, {}, "tina", kPassword);
    ASSERT_TRUE(cluster.has_value()) << cluster.error().message;
    cluster_ = std::move(*cluster);
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

  PeerSession::Options Options(proto::Role role, const test::RelayProcess& at) {
    PeerSession::Options options;
    options.relay.host = "127.0.0.1";
    options.relay.port = at.port();
    options.relay.fingerprint = at.fingerprint();
    options.role = role;
    options.app_version = "tether-test 0.1.0";
    options.deliver = queue_.deliver();
    options.connect_timeout = 5s;
    options.heartbeat_interval = 500ms;
    options.peer_timeout = 5s;
    return options;
  }

  bool Wait(const std::function<bool()>& done,
            std::chrono::milliseconds timeout = 15s) {
    return queue_.RunUntil(done, timeout);
  }

  static proto::PeerMessage Chat(const std::string& text) {
    proto::PeerMessage message;
    message.mutable_chat()->set_text(text);
    return message;
  }

  std::unique_ptr<RelayCluster> cluster_;
  test::DeliveryQueue queue_;
  test::SessionRecorder supporter_seen_;
  test::SessionRecorder customer_seen_;
  std::unique_ptr<PeerSession> supporter_;
  std::unique_ptr<PeerSession> customer_;
};

TEST_F(PeerSessionClusterTest, TheAppsSecureASessionAcrossTwoRelays) {
  // The technician on relay1...
  auto supporter = PeerSession::Start(
      Options(proto::ROLE_SUPPORTER, cluster_->relay(0)), &supporter_seen_);
  ASSERT_TRUE(supporter.has_value()) << supporter.error().message;
  supporter_ = std::move(*supporter);
  supporter_->Login("tina", kPassword, "");
  supporter_->CreateSession();
  ASSERT_TRUE(Wait([&] { return !supporter_seen_.created.empty(); }));
  const std::string code = supporter_seen_.created.back().code();

  // ...the customer on relay2, with the code read out to them.
  PeerSession::Options options =
      Options(proto::ROLE_CUSTOMER, cluster_->relay(1));
  options.code = code.substr(0, 4) + " " + code.substr(4);
  options.host_name = "pc-042";
  options.user_name = "maria";
  auto customer = PeerSession::Start(std::move(options), &customer_seen_);
  ASSERT_TRUE(customer.has_value()) << customer.error().message;
  customer_ = std::move(*customer);

  ASSERT_TRUE(Wait([&] { return !supporter_seen_.join_requests.empty(); }))
      << cluster_->relay(1).log();
  EXPECT_EQ(supporter_seen_.join_requests[0].host_name(), "pc-042");
  supporter_->DecideJoin(true);
  ASSERT_TRUE(Wait([&] {
    return supporter_seen_.sas.has_value() && customer_seen_.sas.has_value();
  }));
  // One key exchange end to end: the same security code on both screens.
  EXPECT_EQ(*supporter_seen_.sas, *customer_seen_.sas);
  ASSERT_TRUE(customer_seen_.joined.has_value());
  EXPECT_EQ(customer_seen_.joined->technician_name(), "Tina");

  ASSERT_TRUE(supporter_->Send(Chat("hello from relay1")));
  ASSERT_TRUE(customer_->Send(Chat("hello from relay2")));
  ASSERT_TRUE(Wait([&] {
    return !customer_seen_.messages.empty() &&
           !supporter_seen_.messages.empty();
  }));
  EXPECT_EQ(customer_seen_.messages[0].chat().text(), "hello from relay1");
  EXPECT_EQ(supporter_seen_.messages[0].chat().text(), "hello from relay2");

  // STOP on the customer's side (as the customer app does it: the peer
  // message, then End) ends it for the technician, as STOP.
  proto::PeerMessage stop;
  stop.mutable_emergency_stop();
  ASSERT_TRUE(customer_->Send(stop));
  customer_->End(proto::END_REASON_EMERGENCY_STOP, "");
  ASSERT_TRUE(Wait([&] { return supporter_seen_.ended_count > 0; }));
  EXPECT_EQ(supporter_seen_.ended->reason, proto::END_REASON_EMERGENCY_STOP)
      << supporter_seen_.ended->message;
}

}  // namespace
}  // namespace tether::protocol
