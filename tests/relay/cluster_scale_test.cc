// A relay cluster behind one round-robin TCP balancer, as IT runs it: the
// apps know one address, and the technician and the customer of a session
// reach whichever relays the balancer picks. Pairing must work for every
// combination, and three relays must carry a thousand sessions at once
// between them (tests/support/tcp_balancer.h).

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/relay_cluster.h"
#include "tests/support/relay_pairing.h"
#include "tests/support/relay_probes.h"
#include "tests/support/relay_process.h"
#include "tests/support/relay_test_client.h"
#include "tests/support/tcp_balancer.h"

namespace tether::relay {
namespace {

using namespace std::chrono_literals;
using tether::test::DecisionMessage;
using tether::test::JoinMessage;
using tether::test::RelayCluster;
using tether::test::RelayedMessage;
using tether::test::RelayTestClient;
using tether::test::TcpBalancer;
using SteadyClock = std::chrono::steady_clock;

using tether::test::kPassword;

// Everything reaches the relays from 127.0.0.1 (the balancer), so the
// per-source limits meant for one office's NAT address are raised; one
// technician account holds many codes and sign-ins at once (the relay
// counts a sign-in as a failed attempt until its password check ends, so
// eight right passwords in flight would throttle the account at the
// default 5); and clients that sit idle while the rest are set up are not
// dropped as dead (the test client sends no heartbeats).
const RelayCluster::Changes kManyFromOneAddress = {
    {"limits.connections_per_source", "5000"},
    {"limits.handshakes_per_source", "1000"},
    {"limits.handshakes_total", "5000"},
    {"limits.logins_per_source", "64"},
    {"limits.waiting_codes_per_technician", "100"},
    {"timeouts.heartbeat_timeout", "\"10m\""},
    {"accounts.throttle_after_failures", "50"},
    {"accounts.lock_after_failures", "100"},
};

struct Session {
  std::unique_ptr<RelayTestClient> technician;
  std::unique_ptr<RelayTestClient> customer;
  std::string code;
};

// The message, or what came instead, for errors from worker threads (gtest
// assertions there would only return from the lambda).
// (The protos are lite: no DebugString.)
std::string Describe(const Result<proto::RelayMessage>& message) {
  if (!message)
    return message.error().message;
  if (message->has_login_result()) {
    return "login result " + std::to_string(message->login_result().status()) +
           ": " + message->login_result().message();
  }
  if (message->has_error()) {
    return "error " + std::to_string(message->error().code()) + ": " +
           message->error().message();
  }
  if (message->has_end()) {
    return "end " + std::to_string(message->end().reason()) + ": " +
           message->end().message();
  }
  return "message body " + std::to_string(message->body_case());
}

Result<std::unique_ptr<RelayTestClient>> Connect(uint16_t port,
                                                 const std::string& pin) {
  return RelayTestClient::Connect(port, pin, 20s);
}

// A technician signed in through the balancer, with a fresh code.
Result<void> OpenTechnician(uint16_t port,
                            const std::string& pin,
                            Session* session) {
  TETHER_TRY(technician, Connect(port, pin));
  session->technician = std::move(*technician);
  auto ack = session->technician->Hello(proto::ROLE_SUPPORTER);
  if (!ack || !ack->has_hello_ack())
    return MakeError("technician hello: " + Describe(ack));
  auto login = session->technician->Login("tina", kPassword);
  if (!login ||
      login->login_result().status() != proto::LoginResult::STATUS_OK) {
    return MakeError("login: " + Describe(login));
  }
  proto::ClientMessage create;
  create.mutable_create_session();
  TETHER_RETURN_IF_ERROR(session->technician->Send(create));
  auto created = session->technician->Receive(20s);
  if (!created || !created->has_session_created())
    return MakeError("create session: " + Describe(created));
  session->code = created->session_created().code();
  return {};
}

// A customer through the balancer who typed the session's code.
Result<void> OpenCustomer(uint16_t port,
                          const std::string& pin,
                          Session* session) {
  TETHER_TRY(customer, Connect(port, pin));
  session->customer = std::move(*customer);
  auto ack = session->customer->Hello(proto::ROLE_CUSTOMER);
  if (!ack || !ack->has_hello_ack())
    return MakeError("customer hello: " + Describe(ack));
  return session->customer->Send(JoinMessage(session->code));
}

// The technician accepts the waiting customer; one Relayed frame each way.
Result<void> Pair(Session* session) {
  auto request = session->technician->Receive(20s);
  if (!request || !request->has_join_request())
    return MakeError("join request: " + Describe(request));
  TETHER_RETURN_IF_ERROR(
      session->technician->Send(DecisionMessage(session->code, true)));
  auto joined = session->customer->Receive(20s);
  if (!joined || !joined->has_joined())
    return MakeError("joined: " + Describe(joined));
  auto peer = session->technician->Receive(20s);
  if (!peer || !peer->has_peer_joined())
    return MakeError("peer joined: " + Describe(peer));
  const std::string up = "up " + session->code;
  TETHER_RETURN_IF_ERROR(session->customer->Send(RelayedMessage(up)));
  auto got = session->technician->Receive(20s);
  if (!got || !got->has_relayed() || got->relayed().data() != up)
    return MakeError("relayed up: " + Describe(got));
  const std::string down = "down " + session->code;
  TETHER_RETURN_IF_ERROR(session->technician->Send(RelayedMessage(down)));
  got = session->customer->Receive(20s);
  if (!got || !got->has_relayed() || got->relayed().data() != down)
    return MakeError("relayed down: " + Describe(got));
  return {};
}

class ClusterScaleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RelayCluster::Available())
      GTEST_SKIP() << "needs postgresql and redis-server (scripts/setup)";
  }

  void StartBehindBalancer() {
    auto cluster =
        RelayCluster::Start(3, kManyFromOneAddress, "tina", kPassword);
    ASSERT_TRUE(cluster.has_value()) << cluster.error().message;
    cluster_ = std::move(*cluster);
    std::vector<uint16_t> ports;
    for (size_t i = 0; i < cluster_->size(); ++i)
      ports.push_back(cluster_->relay(i).port());
    auto balancer = TcpBalancer::Start(ports);
    ASSERT_TRUE(balancer.has_value()) << balancer.error().message;
    balancer_ = std::move(*balancer);
  }

  long long Sum(const std::string& metric) {
    long long sum = 0;
    for (size_t i = 0; i < cluster_->size(); ++i)
      sum += RelayCluster::RelayMetric(cluster_->relay(i), metric);
    return sum;
  }

  // The relays count sessions once a second.
  bool WaitForSessions(long long expected, std::chrono::seconds within) {
    const auto deadline = SteadyClock::now() + within;
    while (Sum("sessions_active") != expected && SteadyClock::now() < deadline)
      std::this_thread::sleep_for(100ms);
    return Sum("sessions_active") == expected;
  }

  std::string Logs() {
    std::string logs;
    for (size_t i = 0; i < cluster_->size(); ++i) {
      const std::string log = cluster_->relay(i).log();
      logs += "--- relay" + std::to_string(i + 1) + " (last lines)\n" +
              log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
    }
    return logs;
  }

  std::unique_ptr<RelayCluster> cluster_;
  std::unique_ptr<TcpBalancer> balancer_;
};

// 1,000 sessions with TETHER_CLUSTER_SESSIONS=1000 (the figures are in the
// issue's closing note and bench/RESULTS.md); a shorter run by default,
// because every session is a technician's sign-in, one argon2id hash
// (about 0.2 s of a core), and the suite runs under ASan too.
int SessionsWanted() {
  const char* text = std::getenv("TETHER_CLUSTER_SESSIONS");
  const int wanted = text != nullptr ? std::atoi(text) : 0;
  return wanted > 0 && wanted <= 5000 ? wanted : 60;
}

TEST_F(ClusterScaleTest, ManySessionsSpreadOverThreeRelaysBehindOneBalancer) {
  // 2,000 app sockets here and 4,000 in the balancer; the relays inherit
  // the limit too.
  rlimit files{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &files), 0);
  ASSERT_GE(files.rlim_max, 8192u) << "too few file descriptors allowed";
  files.rlim_cur = files.rlim_max;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &files), 0);
  StartBehindBalancer();
  ASSERT_FALSE(HasFatalFailure());
  const uint16_t port = balancer_->port();
  const std::string pin = cluster_->relay(0).fingerprint();

  // Eight apps' worth of work at once: enough to keep both cores and the
  // relays' password hashing busy, few enough that no sign-in queues long.
  constexpr int kWorkers = 8;
  const int kSessions = SessionsWanted();
  std::vector<Session> sessions(kSessions);
  std::mutex mutex;
  std::vector<std::string> errors;
  const auto started = SteadyClock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      for (int i = w; i < kSessions; i += kWorkers) {
        Session& session = sessions[i];
        Result<void> done = OpenTechnician(port, pin, &session);
        if (done)
          done = OpenCustomer(port, pin, &session);
        if (done)
          done = Pair(&session);
        if (!done) {
          std::lock_guard lock(mutex);
          errors.push_back("session " + std::to_string(i) + ": " +
                           done.error().message);
        }
      }
    });
  }
  for (auto& worker : workers)
    worker.join();
  const double setup_seconds =
      std::chrono::duration<double>(SteadyClock::now() - started).count();
  ASSERT_TRUE(errors.empty())
      << errors.size() << " sessions failed, the first: " << errors.front()
      << "\n"
      << Logs();

  EXPECT_TRUE(WaitForSessions(kSessions, 5s))
      << Sum("sessions_active") << " sessions active\n"
      << Logs();
  std::vector<long long> active;
  std::vector<long long> rss;
  for (size_t i = 0; i < cluster_->size(); ++i) {
    active.push_back(
        RelayCluster::RelayMetric(cluster_->relay(i), "sessions_active"));
    rss.push_back(tether::test::RssKiB(cluster_->relay(i).pid()));
    EXPECT_GT(active.back(), kSessions / 10)
        << "relay" << i + 1 << " got too few";
  }
  // Round robin over interleaved workers puts the customer on another
  // relay than its technician about two times in three (1,000: 634).
  const long long forwarded = Sum("joins_forwarded_total");
  EXPECT_GT(forwarded, kSessions / 4);
  EXPECT_LE(forwarded, kSessions);
  const std::vector<int> per_backend = balancer_->connections_per_backend();

  const auto closing = SteadyClock::now();
  sessions.clear();
  EXPECT_TRUE(WaitForSessions(0, 10s))
      << Sum("sessions_active") << " sessions still active\n"
      << Logs();
  const double close_seconds =
      std::chrono::duration<double>(SteadyClock::now() - closing).count();

  std::cout << "[ figures  ] " << kSessions << " sessions through the "
            << "balancer set up in " << setup_seconds << " s (" << kWorkers
            << " threads); sessions per relay " << active[0] << "/" << active[1]
            << "/" << active[2] << "; " << forwarded
            << " joins forwarded; connections per relay " << per_backend[0]
            << "/" << per_backend[1] << "/" << per_backend[2] << "; relay RSS "
            << rss[0] / 1024 << "/" << rss[1] / 1024 << "/" << rss[2] / 1024
            << " MiB; all gone " << close_seconds << " s after closing\n";
}

TEST_F(ClusterScaleTest,
       TheBalancerSendsAppsToEveryRelayAndPairingWorksWhicheverTheyReach) {
  StartBehindBalancer();
  ASSERT_FALSE(HasFatalFailure());
  const uint16_t port = balancer_->port();
  const std::string pin = cluster_->relay(0).fingerprint();

  // Connections alternate over the three relays in the order they are made:
  // nine technicians land on relays 1,2,3,1,2,3,... and the customers are
  // then connected in an order that gives each (technician's relay,
  // customer's relay) combination once, three of them the same relay.
  constexpr int kSessions = 9;
  std::vector<Session> sessions(kSessions);
  for (int t = 0; t < kSessions; ++t) {
    auto opened = OpenTechnician(port, pin, &sessions[t]);
    ASSERT_TRUE(opened.has_value()) << opened.error().message << "\n" << Logs();
  }
  std::vector<bool> connected(kSessions, false);
  for (int k = 0; k < kSessions; ++k) {
    const int relay = (kSessions + k) % 3;  // where this connection goes
    int t = 0;
    while (connected[t] || (t % 3 + t / 3) % 3 != relay)
      ++t;
    connected[t] = true;
    auto opened = OpenCustomer(port, pin, &sessions[t]);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
  }
  for (auto& session : sessions) {
    auto paired = Pair(&session);
    ASSERT_TRUE(paired.has_value()) << paired.error().message << "\n" << Logs();
  }
  EXPECT_EQ(balancer_->connections_per_backend(), std::vector<int>({6, 6, 6}));
  EXPECT_TRUE(WaitForSessions(kSessions, 5s)) << Logs();
  for (size_t i = 0; i < cluster_->size(); ++i) {
    EXPECT_EQ(RelayCluster::RelayMetric(cluster_->relay(i), "sessions_active"),
              3);
  }
  EXPECT_EQ(Sum("joins_forwarded_total"), 6);

  // STOP from each customer reaches the technician, wherever each is.
  for (auto& session : sessions) {
    proto::ClientMessage stop;
    stop.mutable_end()->set_reason(proto::END_REASON_EMERGENCY_STOP);
    ASSERT_TRUE(session.customer->Send(stop).has_value());
    auto ended = session.technician->Receive(10s);
    ASSERT_TRUE(ended.has_value() && ended->has_end())
        << Describe(ended) << "\n"
        << Logs();
    EXPECT_EQ(ended->end().reason(), proto::END_REASON_EMERGENCY_STOP);
    EXPECT_TRUE(session.customer->WaitClosed());
  }
  EXPECT_TRUE(WaitForSessions(0, 10s)) << Logs();
}

}  // namespace
}  // namespace tether::relay
