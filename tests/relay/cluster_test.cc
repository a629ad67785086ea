// Several real tether-relay processes as one cluster ([cluster]): one
// private PostgreSQL and one private Redis (tests/support/private_*.h), one
// certificate and one cluster key for all. A technician and a customer who
// reach different relays pair as on one relay (the customer is handed over
// to the technician's relay over mutual TLS 1.3); wrong codes tried at any
// relay count at every relay; Redis and relays dying are faults each relay
// survives in plain words.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/relay_cluster.h"
#include "tests/support/relay_pairing.h"
#include "tests/support/relay_process.h"
#include "tests/support/relay_test_client.h"
#include "tests/support/web_test_client.h"

namespace tether::relay {
namespace {

using namespace std::chrono_literals;
using tether::test::ConnectApp;
using tether::test::CreateCode;
using tether::test::DecisionMessage;
using tether::test::JoinMessage;
using tether::test::RelayCluster;
using tether::test::RelayedMessage;
using tether::test::RelayProcess;
using tether::test::RelayTestClient;
using tether::test::SignedInTechnician;

using tether::test::kPassword;

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RelayCluster::Available())
      GTEST_SKIP() << "needs postgresql and redis-server (scripts/setup)";
  }

  // Three relays, and the technician's account in their PostgreSQL.
  void StartThree(const RelayCluster::Changes& changes = {}) {
    auto cluster = RelayCluster::Start(3, changes, "tina", kPassword);
    ASSERT_TRUE(cluster.has_value()) << cluster.error().message;
    cluster_ = std::move(*cluster);
  }
  RelayProcess& relay(size_t i) { return cluster_->relay(i); }
  static long long RelayMetric(const RelayProcess& relay,
                               const std::string& name) {
    return RelayCluster::RelayMetric(relay, name);
  }

  // A customer on `relay` who typed `code`: Hello and Join sent.
  static std::unique_ptr<RelayTestClient> Customer(const RelayProcess& relay,
                                                   const std::string& code) {
    auto customer = ConnectApp(relay);
    if (!customer)
      return nullptr;
    EXPECT_TRUE(customer->Hello(proto::ROLE_CUSTOMER).has_value());
    EXPECT_TRUE(customer->Send(JoinMessage(code)).has_value());
    return customer;
  }

  // The technician on `tech_relay` and a customer on `customer_relay`,
  // paired. Check HasFatalFailure() after it.
  void PairAcross(const RelayProcess& tech_relay,
                  const RelayProcess& customer_relay,
                  std::unique_ptr<RelayTestClient>* technician,
                  std::unique_ptr<RelayTestClient>* customer) {
    *technician = SignedInTechnician(tech_relay, "tina", kPassword);
    ASSERT_NE(*technician, nullptr);
    const std::string code = CreateCode(**technician);
    ASSERT_FALSE(code.empty());
    *customer = Customer(customer_relay, code);
    ASSERT_NE(*customer, nullptr);
    auto request = (*technician)->Receive();
    ASSERT_TRUE(request.has_value() && request->has_join_request())
        << (request ? request->DebugString() : request.error().message) << "\n"
        << customer_relay.log();
    EXPECT_EQ(request->join_request().host_name(), "pc-042");
    // The technician sees where the customer really is, not a relay.
    EXPECT_TRUE(
        request->join_request().source_address().starts_with("127.0.0.1:"));
    ASSERT_TRUE((*technician)->Send(DecisionMessage(code, true)).has_value());
    auto joined = (*customer)->Receive();
    ASSERT_TRUE(joined.has_value() && joined->has_joined())
        << (joined ? joined->DebugString() : joined.error().message);
    EXPECT_EQ(joined->joined().technician_name(), "Tina");
    auto peer = (*technician)->Receive();
    ASSERT_TRUE(peer.has_value() && peer->has_peer_joined());
  }

  static void ExpectRelayedBothWays(RelayTestClient& technician,
                                    RelayTestClient& customer,
                                    size_t size) {
    const std::string up(size, 'u');
    ASSERT_TRUE(customer.Send(RelayedMessage(up)).has_value());
    auto got = technician.Receive(10s);
    ASSERT_TRUE(got.has_value() && got->has_relayed());
    EXPECT_EQ(got->relayed().data(), up);
    const std::string down(size, 'd');
    ASSERT_TRUE(technician.Send(RelayedMessage(down)).has_value());
    got = customer.Receive(10s);
    ASSERT_TRUE(got.has_value() && got->has_relayed());
    EXPECT_EQ(got->relayed().data(), down);
  }

  std::unique_ptr<RelayCluster> cluster_;
};

TEST_F(ClusterTest, ATechnicianAndACustomerOnDifferentRelaysPair) {
  StartThree();
  ASSERT_FALSE(HasFatalFailure());
  std::unique_ptr<RelayTestClient> technician, customer;
  PairAcross(relay(0), relay(1), &technician, &customer);
  ASSERT_FALSE(HasFatalFailure());
  ExpectRelayedBothWays(*technician, *customer, 100);
  // A video key frame's size, both ways, through both relays.
  ExpectRelayedBothWays(*technician, *customer, 3 << 20);
  EXPECT_EQ(RelayMetric(relay(1), "joins_forwarded_total"), 1);
  EXPECT_EQ(RelayMetric(relay(0), "joins_forwarded_in_total"), 1);
  // Each relay says it is alive every 5 s.
  const auto deadline = std::chrono::steady_clock::now() + 8s;
  while (RelayMetric(relay(0), "cluster_relays_alive") != 3 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(RelayMetric(relay(0), "cluster_relays_alive"), 3);

  // STOP reaches the technician, who hears it was the customer's.
  proto::ClientMessage stop;
  stop.mutable_end()->set_reason(proto::END_REASON_EMERGENCY_STOP);
  ASSERT_TRUE(customer->Send(stop).has_value());
  auto ended = technician->Receive();
  ASSERT_TRUE(ended.has_value() && ended->has_end());
  EXPECT_EQ(ended->end().reason(), proto::END_REASON_EMERGENCY_STOP);
  auto own = customer->Receive();
  ASSERT_TRUE(own.has_value() && own->has_end());
  EXPECT_EQ(own->end().reason(), proto::END_REASON_EMERGENCY_STOP);
  EXPECT_TRUE(customer->WaitClosed());

  // The session is recorded once, on the technician's relay, in the one
  // chain all relays append to.
  auto verified = relay(2).RunCommand({"audit", "verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  auto exported = relay(2).RunCommand({"audit", "export", "--format", "csv"});
  EXPECT_NE(exported.output.find("session.join"), std::string::npos)
      << exported.output;
}

// The customer's STOP does not wait behind the technician's traffic: the
// technician floods a customer who reads nothing (both relays' queues full,
// each one's reading paused), and the STOP still reaches the technician at
// once, by the other direction, and ends the flood.
TEST_F(ClusterTest, StopGetsThroughWhileTheTechnicianFloods) {
  StartThree();
  ASSERT_FALSE(HasFatalFailure());
  std::unique_ptr<RelayTestClient> technician, customer;
  PairAcross(relay(0), relay(1), &technician, &customer);
  ASSERT_FALSE(HasFatalFailure());
  const proto::ClientMessage frame = RelayedMessage(std::string(64 << 10, 'v'));
  int sent = 0;
  while (sent < 2000 && technician->Send(frame, 300ms).has_value())
    ++sent;
  ASSERT_LT(sent, 2000) << "no backpressure";

  proto::ClientMessage stop;
  stop.mutable_end()->set_reason(proto::END_REASON_EMERGENCY_STOP);
  ASSERT_TRUE(customer->Send(stop).has_value());
  const auto stopped_at = std::chrono::steady_clock::now();
  auto ended = technician->Receive(10s);
  ASSERT_TRUE(ended.has_value() && ended->has_end())
      << (ended ? ended->DebugString() : ended.error().message);
  EXPECT_EQ(ended->end().reason(), proto::END_REASON_EMERGENCY_STOP);
  EXPECT_TRUE(technician->WaitClosed());
  std::cout << "[ figures  ] " << sent << " frames of 64 KiB queued; STOP "
            << "reached the technician after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - stopped_at)
                   .count()
            << " ms\n";
}

// The customer's STOP still says STOP when its relay holds a backlog for
// the technician's relay (the technician reads slowly).
TEST_F(ClusterTest, StopAfterTheCustomersFloodStillSaysStop) {
  StartThree();
  ASSERT_FALSE(HasFatalFailure());
  std::unique_ptr<RelayTestClient> technician, customer;
  PairAcross(relay(0), relay(1), &technician, &customer);
  ASSERT_FALSE(HasFatalFailure());
  const proto::ClientMessage frame = RelayedMessage(std::string(16 << 10, 'v'));
  int sent = 0;
  while (sent < 4000 && customer->Send(frame, 300ms).has_value())
    ++sent;
  ASSERT_LT(sent, 4000) << "no backpressure";
  // The STOP waits in the customer's own socket behind its backlog (as an
  // app's would); both ends are read and pumped until it arrives.
  proto::ClientMessage stop;
  stop.mutable_end()->set_reason(proto::END_REASON_EMERGENCY_STOP);
  (void)customer->Send(stop, 300ms);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto message = technician->Receive(200ms);
    if (!message) {
      (void)customer->Receive(10ms);  // pumps what the customer still holds
      continue;
    }
    if (message->has_relayed())
      continue;
    ASSERT_TRUE(message->has_end());
    EXPECT_EQ(message->end().reason(), proto::END_REASON_EMERGENCY_STOP);
    return;
  }
  ADD_FAILURE() << "the STOP never reached the technician";
}

// A relay that stops (SIGTERM) takes its waiting codes out of Redis: the
// other relays do not hand customers over to it.
TEST_F(ClusterTest, ARelayStoppingWithdrawsItsCodes) {
  StartThree();
  ASSERT_FALSE(HasFatalFailure());
  auto technician = SignedInTechnician(relay(0), "tina", kPassword);
  ASSERT_NE(technician, nullptr);
  ASSERT_FALSE(CreateCode(*technician).empty());
  auto keys = cluster_->redis().Command({"KEYS", "tether:code:*"});
  ASSERT_TRUE(keys.has_value());
  EXPECT_NE(*keys, "") << "the code is not in Redis";
  auto stopped = relay(0).Stop();
  ASSERT_TRUE(stopped.has_value());
  EXPECT_EQ(*stopped, 0);
  keys = cluster_->redis().Command({"KEYS", "tether:code:*"});
  ASSERT_TRUE(keys.has_value());
  EXPECT_EQ(*keys, "") << relay(0).log();
}

// Relays with certificates of their own (IT's CA for the apps, say) pin
// each other's keys in peer_fingerprints: a hand-over works between pinned
// relays, and a relay whose key is not pinned is not dialled.
TEST_F(ClusterTest, RelaysWithTheirOwnKeysHandOverOnlyToPinnedOnes) {
  auto cluster = RelayCluster::Start(
      2, {}, "tina", kPassword, RelayCluster::Certificates::kOwnCertificates);
  ASSERT_TRUE(cluster.has_value()) << cluster.error().message;
  cluster_ = std::move(*cluster);
  ASSERT_NE(relay(0).fingerprint(), relay(1).fingerprint());
  std::unique_ptr<RelayTestClient> technician, customer;
  PairAcross(relay(0), relay(1), &technician, &customer);
  ASSERT_FALSE(HasFatalFailure());
  ExpectRelayedBothWays(*technician, *customer, 1000);

  // A third relay in the same Redis, with a key nobody pinned: a customer
  // whose code it holds is told plainly, not handed over.
  auto stranger = cluster_->AddRelay("relay3");
  ASSERT_TRUE(stranger.has_value()) << stranger.error().message;
  auto elsewhere = SignedInTechnician(**stranger, "tina", kPassword);
  ASSERT_NE(elsewhere, nullptr);
  const std::string code = CreateCode(*elsewhere);
  auto refused = Customer(relay(0), code);
  auto answer = refused->Receive();
  ASSERT_TRUE(answer.has_value() && answer->has_error());
  EXPECT_EQ(answer->error().code(), proto::ErrorReply::CODE_UNAVAILABLE);
  EXPECT_NE(answer->error().message().find("cannot be reached"),
            std::string::npos)
      << answer->error().message();
  EXPECT_NE(relay(0).log().find("is not in cluster.peer_fingerprints"),
            std::string::npos)
      << relay(0).log();
}

TEST_F(ClusterTest, TheTechnicianEndingReachesACustomerOnAnotherRelay) {
  StartThree();
  ASSERT_FALSE(HasFatalFailure());
  std::unique_ptr<RelayTestClient> technician, customer;
  PairAcross(relay(2), relay(0), &technician, &customer);
  ASSERT_FALSE(HasFatalFailure());
  proto::ClientMessage end;
  end.mutable_end()->set_reason(proto::END_REASON_USER_ENDED);
  ASSERT_TRUE(technician->Send(end).has_value());
  auto ended = customer->Receive();
  ASSERT_TRUE(ended.has_value() && ended->has_end());
  EXPECT_EQ(ended->end().reason(), proto::END_REASON_PEER_ENDED);
  EXPECT_TRUE(customer->WaitClosed());
}

TEST_F(ClusterTest, AnUnknownCodeIsRefusedAlikeOnEveryRelay) {
  StartThree();
  ASSERT_FALSE(HasFatalFailure());
  for (size_t i = 0; i < 3; ++i) {
    auto customer = Customer(relay(i), "1234 5678");
    ASSERT_NE(customer, nullptr);
    auto answer = customer->Receive();
    ASSERT_TRUE(answer.has_value() && answer->has_error());
    EXPECT_EQ(answer->error().code(), proto::ErrorReply::CODE_INVALID_CODE);
  }
}

// Guessing spread over the relays meets the one per-source cap: every
// relay counts the wrong codes tried at the others.
TEST_F(ClusterTest, WrongCodesTriedAtAnyRelayCountAtEveryRelay) {
  StartThree({{"join_guard.failures_per_source", "3"}});
  ASSERT_FALSE(HasFatalFailure());
  for (int i = 0; i < 3; ++i) {
    auto customer = Customer(relay(i), "1111 222" + std::to_string(i));
    ASSERT_NE(customer, nullptr);
    auto answer = customer->Receive();
    ASSERT_TRUE(answer.has_value() && answer->has_error());
    EXPECT_EQ(answer->error().code(), proto::ErrorReply::CODE_INVALID_CODE);
  }
  // One wrong code on each relay, three in all: locked out everywhere,
  // also where only one was tried.
  for (size_t i = 0; i < 3; ++i) {
    bool refused = false;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!refused && std::chrono::steady_clock::now() < deadline) {
      auto customer = Customer(relay(i), "3333 4444");
      ASSERT_NE(customer, nullptr);
      auto answer = customer->Receive();
      ASSERT_TRUE(answer.has_value() && answer->has_error());
      refused = answer->error().code() == proto::ErrorReply::CODE_RATE_LIMITED;
    }
    EXPECT_TRUE(refused) << relay(i).log();
  }
}

// Password guessing spread over the relays meets one limit, and a name
// with no account meets it exactly as an account does (nobody learns which
// names exist by counting): an account's failures live in PostgreSQL, a
// name's are told to every relay.
TEST_F(ClusterTest, FailedSignInsSpreadOverRelaysCountAsOnOneRelay) {
  StartThree({{"accounts.throttle_after_failures", "3"}});
  ASSERT_FALSE(HasFatalFailure());
  const auto attempt = [&](size_t i, const std::string& user) {
    auto client = ConnectApp(relay(i));
    if (!client || !client->Hello(proto::ROLE_SUPPORTER))
      return proto::LoginResult::STATUS_UNSPECIFIED;
    auto result = client->Login(user, "plaid giraffe umbrella orbit");
    return result && result->has_login_result()
               ? result->login_result().status()
               : proto::LoginResult::STATUS_UNSPECIFIED;
  };
  for (const std::string user : {"tina", "ghost"}) {
    for (size_t i = 0; i < 3; ++i)
      EXPECT_EQ(attempt(i, user), proto::LoginResult::STATUS_BAD_CREDENTIALS)
          << user << " at relay " << i + 1;
  }
  // The fourth, at the first relay, which saw only one failure of each.
  std::this_thread::sleep_for(200ms);  // Redis's messages are on their way
  EXPECT_EQ(attempt(0, "tina"), proto::LoginResult::STATUS_THROTTLED);
  EXPECT_EQ(attempt(0, "ghost"), proto::LoginResult::STATUS_THROTTLED);
}

// Joins from one address arrive at once on a relay that must look their
// codes up in Redis: looked up one after the other, each checked by the
// join guard when its turn comes, so the guard's lockout still holds.
TEST_F(ClusterTest, ParallelWrongCodesFromOneAddressMeetTheGuardOneByOne) {
  StartThree({{"join_guard.failures_per_source", "3"}});
  ASSERT_FALSE(HasFatalFailure());
  // All greeted first, then the eight Joins at once.
  std::vector<std::unique_ptr<RelayTestClient>> customers;
  for (int i = 0; i < 8; ++i) {
    customers.push_back(ConnectApp(relay(1)));
    ASSERT_NE(customers.back(), nullptr);
    ASSERT_TRUE(customers.back()->Hello(proto::ROLE_CUSTOMER).has_value());
  }
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(customers[i]
                    ->Send(JoinMessage("5555 000" + std::to_string(i)))
                    .has_value());
  }
  int invalid = 0, limited = 0;
  for (auto& customer : customers) {
    auto answer = customer->Receive(10s);
    ASSERT_TRUE(answer.has_value() && answer->has_error());
    invalid += answer->error().code() == proto::ErrorReply::CODE_INVALID_CODE;
    limited += answer->error().code() == proto::ErrorReply::CODE_RATE_LIMITED;
  }
  EXPECT_EQ(invalid, 3);
  EXPECT_EQ(limited, 5);

  // Right codes from one address (an office behind one NAT) pair at once,
  // one lookup after the other. (Three: one account's waiting codes.)
  std::vector<std::unique_ptr<RelayTestClient>> technicians;
  std::vector<std::string> codes;
  for (int i = 0; i < 3; ++i) {
    technicians.push_back(SignedInTechnician(relay(0), "tina", kPassword));
    ASSERT_NE(technicians.back(), nullptr);
    codes.push_back(CreateCode(*technicians.back()));
  }
  std::vector<std::unique_ptr<RelayTestClient>> office;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    // Another address than above: that one is locked out on every relay.
    auto connected = RelayTestClient::Connect(
        relay(2).port(), relay(2).fingerprint(), 5s, "127.0.0.2");
    ASSERT_TRUE(connected.has_value()) << connected.error().message;
    auto customer = std::move(*connected);
    ASSERT_TRUE(customer->Hello(proto::ROLE_CUSTOMER).has_value());
    ASSERT_TRUE(customer->Send(JoinMessage(codes[i])).has_value());
    office.push_back(std::move(customer));
  }
  for (auto& technician : technicians) {
    auto request = technician->Receive(10s);
    ASSERT_TRUE(request.has_value() && request->has_join_request());
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

// IT's web console, on any relay, lists the sessions of every relay and
// ends one on another relay, which tells both apps and writes the row.
TEST_F(ClusterTest, ItEndsASessionOnAnotherRelayFromAnyRelaysConsole) {
  StartThree({{"web.admin_requires_totp", "false"}});
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(relay(0).AddAccount("root", "admin", kPassword).has_value());
  std::unique_ptr<RelayTestClient> technician, customer;
  PairAcross(relay(1), relay(0), &technician, &customer);
  ASSERT_FALSE(HasFatalFailure());

  auto browser = tether::test::WebTestClient::Connect(relay(2).port(),
                                                      relay(2).fingerprint());
  ASSERT_TRUE(browser.has_value()) << browser.error().message;
  auto signed_in = (*browser)->SignIn("root", kPassword);
  ASSERT_TRUE(signed_in.has_value() && signed_in->status == 200);
  // Relay 2 publishes its list every 2 s.
  std::string id;
  const auto deadline = std::chrono::steady_clock::now() + 8s;
  while (id.empty() && std::chrono::steady_clock::now() < deadline) {
    auto list = (*browser)->Request("GET", "/api/sessions");
    ASSERT_TRUE(list.has_value() && list->status == 200);
    const auto json = nlohmann::json::parse(list->body, nullptr, false);
    for (const auto& s : json["sessions"]) {
      if (s.value("relay", "") == "relay2")
        id = s.value("id", "");
    }
    if (id.empty())
      std::this_thread::sleep_for(250ms);
  }
  ASSERT_TRUE(id.starts_with("relay2.")) << id;
  auto ended = (*browser)->Request("POST", "/api/sessions/" + id + "/end");
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->status, 204) << ended->body;
  for (RelayTestClient* app : {technician.get(), customer.get()}) {
    auto end = app->Receive(10s);
    ASSERT_TRUE(end.has_value() && end->has_end());
    EXPECT_EQ(end->end().reason(), proto::END_REASON_ENDED_BY_IT);
  }
  auto missing = (*browser)->Request("POST", "/api/sessions/relay2.999/end");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
  auto exported = relay(0).RunCommand({"audit", "export", "--format", "csv"});
  EXPECT_NE(exported.output.find("on relay relay3's console"),
            std::string::npos)
      << exported.output;
}

// IT disables an account in one relay's console: the technician signed in
// on another relay is signed out at once (the relays tell each other),
// not at that relay's next check of the accounts (every 5 s).
TEST_F(ClusterTest, AnAccountDisabledOnOneRelayIsSignedOutOnTheOthersAtOnce) {
  StartThree({{"web.admin_requires_totp", "false"}});
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(relay(0).AddAccount("root", "admin", kPassword).has_value());
  auto technician = SignedInTechnician(relay(1), "tina", kPassword);
  ASSERT_NE(technician, nullptr);
  auto browser = tether::test::WebTestClient::Connect(relay(0).port(),
                                                      relay(0).fingerprint());
  ASSERT_TRUE(browser.has_value()) << browser.error().message;
  auto signed_in = (*browser)->SignIn("root", kPassword);
  ASSERT_TRUE(signed_in.has_value() && signed_in->status == 200);
  // Just after relay2's own check, so that only the message can be quick.
  std::this_thread::sleep_for(1s);
  const auto disabled_at = std::chrono::steady_clock::now();
  auto disabled =
      (*browser)->Request("POST", "/api/accounts/tina/disable", "{}");
  ASSERT_TRUE(disabled.has_value());
  ASSERT_EQ(disabled->status, 204) << disabled->body;
  auto end = technician->Receive(10s);
  ASSERT_TRUE(end.has_value() && end->has_end());
  EXPECT_EQ(end->end().reason(), proto::END_REASON_ENDED_BY_IT);
  const auto took = std::chrono::steady_clock::now() - disabled_at;
  EXPECT_LT(took, 2s) << "signed out only by the 5 s check";
}

TEST_F(ClusterTest, WhileRedisIsDownSessionsGoOnAndNewOnesAreRefusedPlainly) {
  StartThree();
  ASSERT_FALSE(HasFatalFailure());
  std::unique_ptr<RelayTestClient> technician, customer;
  PairAcross(relay(0), relay(1), &technician, &customer);
  ASSERT_FALSE(HasFatalFailure());
  // A code that waits through the outage.
  auto waiting = SignedInTechnician(relay(2), "tina", kPassword);
  ASSERT_NE(waiting, nullptr);
  const std::string code = CreateCode(*waiting);

  ASSERT_TRUE(cluster_->redis().Stop().has_value());
  ExpectRelayedBothWays(*technician, *customer, 1000);

  auto other = SignedInTechnician(relay(0), "tina", kPassword);
  ASSERT_NE(other, nullptr);
  proto::ClientMessage create;
  create.mutable_create_session();
  ASSERT_TRUE(other->Send(create).has_value());
  auto refused = other->Receive();
  ASSERT_TRUE(refused.has_value() && refused->has_error());
  EXPECT_EQ(refused->error().code(), proto::ErrorReply::CODE_UNAVAILABLE);
  EXPECT_NE(refused->error().message().find("Try again in a minute"),
            std::string::npos);
  // A customer on another relay cannot be told where the code is.
  auto lost = Customer(relay(1), code);
  auto answer = lost->Receive();
  ASSERT_TRUE(answer.has_value() && answer->has_error());
  EXPECT_EQ(answer->error().code(), proto::ErrorReply::CODE_UNAVAILABLE);

  // Redis comes back empty; the relays publish their codes again and the
  // waiting code works from any relay, without restarting one.
  ASSERT_TRUE(cluster_->redis().StartAgain().has_value());
  for (size_t i = 0; i < 3; ++i)
    ASSERT_TRUE(RelayCluster::WaitForRedis(relay(i))) << relay(i).log();
  auto customer2 = Customer(relay(0), code);
  auto request = waiting->Receive(10s);
  ASSERT_TRUE(request.has_value() && request->has_join_request())
      << relay(0).log();
  EXPECT_FALSE(CreateCode(*other).empty());
  ExpectRelayedBothWays(*technician, *customer, 1000);
}

TEST_F(ClusterTest, ARelayKilledMidSessionEndsItsSessionsPlainly) {
  StartThree();
  ASSERT_FALSE(HasFatalFailure());
  // The technician's relay dies under a customer on another relay.
  std::unique_ptr<RelayTestClient> technician, customer;
  PairAcross(relay(0), relay(1), &technician, &customer);
  ASSERT_FALSE(HasFatalFailure());
  // And the customer's relay dies under a technician on a third.
  std::unique_ptr<RelayTestClient> technician2, customer2;
  PairAcross(relay(1), relay(2), &technician2, &customer2);
  ASSERT_FALSE(HasFatalFailure());

  relay(0).Kill();
  auto ended = customer->Receive(10s);
  ASSERT_TRUE(ended.has_value() && ended->has_end()) << relay(1).log();
  EXPECT_EQ(ended->end().reason(), proto::END_REASON_PEER_LOST);
  EXPECT_NE(ended->end().message().find("technician's relay was lost"),
            std::string::npos)
      << ended->end().message();

  relay(2).Kill();
  auto ended2 = technician2->Receive(10s);
  ASSERT_TRUE(ended2.has_value() && ended2->has_end());
  EXPECT_EQ(ended2->end().reason(), proto::END_REASON_PEER_LOST);

  // The survivor serves new sessions at once; nothing in PostgreSQL is
  // lost or broken.
  std::unique_ptr<RelayTestClient> technician3, customer3;
  tether::test::PairThroughCode(relay(1), "tina", kPassword, &technician3,
                                &customer3);
  ASSERT_FALSE(HasFatalFailure());
  auto verified = relay(1).RunCommand({"audit", "verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
}

}  // namespace
}  // namespace tether::relay
