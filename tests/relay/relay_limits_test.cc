// Abuse and robustness tests of a real tether-relay process on 127.0.0.1:
// handshake deadlines and per-source caps, bounded memory behind a reader
// that stopped, crash safety of the store, and what external TLS clients
// (openssl s_client, sslscan) see. Every wait has a deadline.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "crypto/password_hash.h"
#include "crypto/random.h"
#include "relay/store/sqlite_store.h"
#include "tests/support/relay_process.h"
#include "tests/support/relay_test_client.h"

namespace tether::relay {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using test::RelayProcess;
using test::RelayTestClient;

constexpr char kPassword[] = "correct horse battery staple";

int RemainingMs(steady_clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// A plain TCP connection that never speaks TLS. -1 on failure.
int RawConnect(uint16_t port, const char* source_ip = nullptr) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return -1;
  if (source_ip != nullptr) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, source_ip, &local.sin_addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
      close(fd);
      return -1;
    }
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
      0) {
    close(fd);
    return -1;
  }
  return fd;
}

// True once the other end closed `fd` (EOF or reset), false at the deadline.
bool WaitForClose(int fd, steady_clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const int ready = poll(&p, 1, RemainingMs(deadline));
    if (ready <= 0)
      return false;
    char buffer[4096];
    const ssize_t n = recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n == 0)
      return true;
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      return true;
  }
}

// GET http://127.0.0.1:port/path; the whole response ("" on failure).
std::string HttpGet(uint16_t port, const std::string& path) {
  const int fd = RawConnect(port);
  if (fd < 0)
    return "";
  const std::string request =
      "GET " + path +
      " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return "";
  }
  std::string response;
  const auto deadline = steady_clock::now() + seconds(5);
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, RemainingMs(deadline)) <= 0)
      break;
    char buffer[4096];
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0)
      break;
    response.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return response;
}

// The value of one Prometheus sample, or -1.
long long Metric(uint16_t metrics_port, const std::string& name) {
  const std::string text = HttpGet(metrics_port, "/metrics");
  const std::regex line("\\n" + name + " (\\d+)");
  std::smatch match;
  if (!std::regex_search(text, match, line))
    return -1;
  return std::stoll(match[1]);
}

// VmRSS of a process in KiB, or -1.
long long RssKiB(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stoll(line.substr(6));
  }
  return -1;
}

struct ShellResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

ShellResult RunShell(const std::string& command) {
  ShellResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr)
    return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    result.output.append(buffer, n);
  }
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

bool HaveCommand(const std::string& name) {
  return RunShell("command -v " + name).exit_code == 0;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

proto::ClientMessage JoinMessage(const std::string& code) {
  proto::ClientMessage join;
  join.mutable_join()->set_code(code);
  join.mutable_join()->set_host_name("pc-042");
  join.mutable_join()->set_user_name("maria");
  return join;
}

proto::ClientMessage DecisionMessage(const std::string& code) {
  proto::ClientMessage decision;
  decision.mutable_join_decision()->set_code(code);
  decision.mutable_join_decision()->set_accept(true);
  return decision;
}

proto::ClientMessage RelayedMessage(std::string data) {
  proto::ClientMessage message;
  message.mutable_relayed()->set_data(std::move(data));
  return message;
}

class RelayLimitsTest : public ::testing::Test {
 protected:
  void StartRelay(const std::string& extra_toml = "") {
    relay_ = std::make_unique<RelayProcess>(extra_toml);
    AddAccount("alice");
    AddAccount("carol");
    auto started = relay_->Start();
    ASSERT_TRUE(started.has_value()) << started.error().message;
  }

  void AddAccount(const std::string& name) {
    auto store = SqliteStore::Open(relay_->database(), Clock::System());
    ASSERT_TRUE(store.has_value()) << store.error().message;
    // Cheap parameters keep the test fast (the relay upgrades the hash at
    // the first login).
    auto hash =
        crypto::HashPassword(kPassword, crypto::RandomGenerator::Default(),
                             crypto::Argon2Params{1024, 1, 1});
    ASSERT_TRUE(hash.has_value());
    Account account;
    account.user_name = name;
    account.display_name = name + " (IT)";
    account.role = AccountRole::kTechnician;
    account.password_hash = *hash;
    account.must_change_password = false;
    ASSERT_TRUE((*store)->CreateAccount(account).has_value());
  }

  std::unique_ptr<RelayTestClient> Connect(const std::string& source_ip = "") {
    auto client = RelayTestClient::Connect(
        relay_->port(), relay_->fingerprint(), seconds(5), source_ip);
    EXPECT_TRUE(client.has_value()) << client.error().message;
    return client ? std::move(*client) : nullptr;
  }

  // Technician and customer paired through a fresh code.
  void Pair(std::unique_ptr<RelayTestClient>* technician,
            std::unique_ptr<RelayTestClient>* customer,
            const std::string& source_ip = "") {
    *technician = Connect(source_ip);
    ASSERT_NE(*technician, nullptr);
    auto ack = (*technician)->Hello(proto::ROLE_SUPPORTER);
    ASSERT_TRUE(ack && ack->has_hello_ack());
    auto login = (*technician)->Login("alice", kPassword);
    ASSERT_TRUE(login.has_value()) << login.error().message;
    ASSERT_EQ(login->login_result().status(), proto::LoginResult::STATUS_OK);
    proto::ClientMessage create;
    create.mutable_create_session();
    ASSERT_TRUE((*technician)->Send(create).has_value());
    auto created = (*technician)->Receive();
    ASSERT_TRUE(created && created->has_session_created());
    const std::string code = created->session_created().code();

    *customer = Connect(source_ip);
    ASSERT_NE(*customer, nullptr);
    ASSERT_TRUE((*customer)->Hello(proto::ROLE_CUSTOMER).has_value());
    ASSERT_TRUE((*customer)->Send(JoinMessage(code)).has_value());
    auto request = (*technician)->Receive();
    ASSERT_TRUE(request && request->has_join_request());
    ASSERT_TRUE((*technician)->Send(DecisionMessage(code)).has_value());
    auto joined = (*customer)->Receive();
    ASSERT_TRUE(joined && joined->has_joined());
    auto peer = (*technician)->Receive();
    ASSERT_TRUE(peer && peer->has_peer_joined());
  }

  std::unique_ptr<RelayProcess> relay_;
};

// --------------------------------------------------------------- deadlines

TEST_F(RelayLimitsTest,
       ClientThatNeverStartsTlsIsDroppedAtTheHandshakeDeadline) {
  StartRelay("[timeouts]\ntls_handshake = \"1s\"\n");
  const int fd = RawConnect(relay_->port());
  ASSERT_GE(fd, 0);
  const auto start = steady_clock::now();
  const bool dropped = WaitForClose(fd, start + seconds(10));
  const auto waited = steady_clock::now() - start;
  close(fd);
  ASSERT_TRUE(dropped) << "still open after 10 s";
  // Not before the deadline, and not long after it (the first-message
  // deadline, 10 s, would be the next thing to fire).
  EXPECT_GE(waited, milliseconds(900));
  EXPECT_LT(waited, seconds(5));
  // The relay logs the reason once the handles have closed, just after.
  bool logged = false;
  for (auto until = steady_clock::now() + seconds(5);
       !logged && steady_clock::now() < until;) {
    logged = Contains(relay_->log(), "TLS handshake timed out");
    if (!logged)
      poll(nullptr, 0, 20);  // re-read the log file shortly
  }
  EXPECT_TRUE(logged) << relay_->log();
}

TEST_F(RelayLimitsTest, SlowHandshakeFloodFromOneSourceDoesNotStopAnother) {
  // The flood's handshakes must outlast the test: they are never finished.
  StartRelay(
      "[timeouts]\ntls_handshake = \"60s\"\n"
      "[limits]\nhandshakes_per_source = 8\n");
  constexpr int kFlood = 50;
  std::vector<int> flood;
  // A TLS record header and then silence: a handshake that never ends.
  const char partial_hello[] = {0x16, 0x03, 0x01, 0x00, 0x40};
  for (int i = 0; i < kFlood; ++i) {
    const int fd = RawConnect(relay_->port(), "127.0.0.1");
    ASSERT_GE(fd, 0) << "connection " << i << " was not accepted";
    send(fd, partial_hello, sizeof(partial_hello), MSG_NOSIGNAL);
    flood.push_back(fd);
  }
  // Every attempt over the source's cap was accepted and then shed.
  long long shed = -1;
  for (auto deadline = steady_clock::now() + seconds(10);
       steady_clock::now() < deadline;) {
    shed = Metric(relay_->metrics_port(), "tether_relay_handshakes_shed_total");
    if (shed >= kFlood - 8)
      break;
  }
  EXPECT_EQ(shed, kFlood - 8);
  int closed = 0;
  const auto deadline = steady_clock::now() + seconds(2);
  for (int fd : flood)
    closed += WaitForClose(fd, deadline) ? 1 : 0;
  EXPECT_EQ(closed, kFlood - 8);

  // Meanwhile another network gets a whole session.
  std::unique_ptr<RelayTestClient> technician, customer;
  Pair(&technician, &customer, "127.0.0.2");
  ASSERT_TRUE(customer->Send(RelayedMessage("through the flood")).has_value());
  auto relayed = technician->Receive();
  ASSERT_TRUE(relayed.has_value()) << relayed.error().message;
  EXPECT_EQ(relayed->relayed().data(), "through the flood");
  EXPECT_EQ(
      Metric(relay_->metrics_port(), "tether_relay_handshakes_shed_total"),
      kFlood - 8);
  EXPECT_EQ(
      Metric(relay_->metrics_port(), "tether_relay_handshakes_in_progress"), 8);
  for (int fd : flood)
    close(fd);
}

// ------------------------------------------------------------ backpressure

TEST_F(RelayLimitsTest, ReaderThatStopsDoesNotGrowRelayMemoryAndIsDropped) {
  StartRelay("[timeouts]\nstuck_peer = \"2s\"\n");
  std::unique_ptr<RelayTestClient> technician, customer;
  Pair(&technician, &customer);
  const long long baseline = RssKiB(relay_->pid());
  ASSERT_GT(baseline, 0);

  // The technician reads nothing from here on; the customer sends 64 KiB
  // frames until the relay stops taking them (or 64 MiB went through).
  const std::string chunk(64 << 10, 'v');
  constexpr size_t kMaxBytes = 64 << 20;
  size_t sent = 0;
  long long peak = baseline;
  while (sent < kMaxBytes) {
    auto result = customer->Send(RelayedMessage(chunk), seconds(2));
    peak = std::max(peak, RssKiB(relay_->pid()));
    if (!result)
      break;  // blocked for 2 s, or the relay hung up
    sent += chunk.size();
  }
  peak = std::max(peak, RssKiB(relay_->pid()));
  std::printf(
      "[ figures  ] relay RSS %lld KiB before, peak %lld KiB; "
      "customer sent %zu KiB before the relay stopped reading\n",
      baseline, peak, sent >> 10);
  EXPECT_LT(sent, kMaxBytes) << "the relay never stopped reading";
  EXPECT_LT(peak, baseline + 32 * 1024);

  // The technician is dropped after stuck_peer; the customer is told.
  auto end = customer->Receive(seconds(10));
  ASSERT_TRUE(end.has_value()) << end.error().message;
  ASSERT_TRUE(end->has_end());
  EXPECT_EQ(end->end().reason(), proto::END_REASON_PEER_LOST);
  EXPECT_TRUE(technician->WaitClosed(seconds(10)));
  EXPECT_EQ(
      Metric(relay_->metrics_port(), "tether_relay_stuck_peers_dropped_total"),
      1);
  EXPECT_GE(
      Metric(relay_->metrics_port(), "tether_relay_backpressure_pauses_total"),
      1);
}

// ------------------------------------------------------------------- crash

TEST_F(RelayLimitsTest, KillDuringActivityLeavesAConsistentStore) {
  StartRelay();
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    if (round > 0) {
      auto started = relay_->Start();
      ASSERT_TRUE(started.has_value()) << started.error().message;
    }
    // Logins (right and wrong) keep the store busy on another thread.
    std::atomic<bool> stop{false};
    std::atomic<int> logins{0};
    const uint16_t port = relay_->port();
    const std::string fingerprint = relay_->fingerprint();
    std::thread busy([&] {
      for (int i = 0; !stop && i < 50; ++i) {
        auto client = RelayTestClient::Connect(port, fingerprint, seconds(2));
        if (!client)
          break;
        if (!(*client)->Hello(proto::ROLE_SUPPORTER))
          break;
        if (!(*client)->Login("carol", i % 2 ? kPassword : "wrong password"))
          break;
        ++logins;
      }
    });
    std::unique_ptr<RelayTestClient> technician, customer;
    Pair(&technician, &customer);
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(customer->Send(RelayedMessage(std::string(4096, 'c'))));
      ASSERT_TRUE(technician->Send(RelayedMessage("ack")));
      ASSERT_TRUE(technician->Receive().has_value());
      ASSERT_TRUE(customer->Receive().has_value());
    }
    // One more login in flight, and kill.
    auto last = Connect();
    ASSERT_TRUE(last->Hello(proto::ROLE_SUPPORTER).has_value());
    proto::ClientMessage login;
    login.mutable_login()->set_user("alice");
    login.mutable_login()->set_password(kPassword);
    ASSERT_TRUE(last->Send(login).has_value());
    relay_->Kill();
    stop = true;
    busy.join();

    auto store = SqliteStore::Open(relay_->database(), Clock::System());
    ASSERT_TRUE(store.has_value()) << store.error().message;
    auto integrity = (*store)->IntegrityCheck();
    ASSERT_TRUE(integrity.has_value()) << integrity.error().message;
    EXPECT_EQ(*integrity, "ok");
    auto chain = (*store)->VerifyAudit();
    ASSERT_TRUE(chain.has_value()) << chain.error().message;
    EXPECT_TRUE(chain->ok) << chain->problem;
    EXPECT_GT(chain->rows_checked, 0u);
  }
  // And the relay serves again on that store.
  auto started = relay_->Start();
  ASSERT_TRUE(started.has_value()) << started.error().message;
  std::unique_ptr<RelayTestClient> technician, customer;
  Pair(&technician, &customer);
  EXPECT_EQ(relay_->RunCommand({"audit", "verify"}).exit_code, 0);
}

// ------------------------------------------------------- external clients

TEST_F(RelayLimitsTest, OpensslClientGetsTls12WithAnAeadSuite) {
  if (!HaveCommand("openssl"))
    GTEST_SKIP() << "openssl is not installed";
  StartRelay();
  const ShellResult result =
      RunShell("timeout 20 openssl s_client -connect 127.0.0.1:" +
               std::to_string(relay_->port()) + " -tls1_2 </dev/null");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::smatch match;
  const std::regex cipher("New, TLSv1\\.2, Cipher is (\\S+)");
  ASSERT_TRUE(std::regex_search(result.output, match, cipher)) << result.output;
  const std::string suite = match[1];
  EXPECT_TRUE(Contains(suite, "GCM") || Contains(suite, "CHACHA20")) << suite;
}

TEST_F(RelayLimitsTest, OpensslClientOfferingOnlyTls11IsRefused) {
  if (!HaveCommand("openssl"))
    GTEST_SKIP() << "openssl is not installed";
  StartRelay();
  // @SECLEVEL=0 so that the client really offers TLS 1.1 and it is the
  // relay that says no.
  const ShellResult result =
      RunShell("timeout 20 openssl s_client -connect 127.0.0.1:" +
               std::to_string(relay_->port()) +
               " -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' </dev/null");
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_TRUE(Contains(result.output, "SSL alert number 70")) << result.output;
  EXPECT_FALSE(Contains(result.output, "no protocols available"))
      << result.output;
}

// sslscan, a scanner no one here wrote, sees TLS 1.2 with AEAD suites
// only: no SSL, no TLS 1.0/1.1, no CBC or static-RSA suite.
TEST_F(RelayLimitsTest, SslscanFindsNoWeakProtocolOrSuite) {
  if (!HaveCommand("sslscan"))
    GTEST_SKIP() << "sslscan is not installed";
  StartRelay();
  const ShellResult result =
      RunShell("timeout 60 sslscan --no-colour 127.0.0.1:" +
               std::to_string(relay_->port()));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::istringstream lines(result.output);
  std::string line;
  int accepted = 0;
  bool saw_protocols = false;
  bool tls12_enabled = false;
  const std::regex weak_protocol(
      "^(SSLv2|SSLv3|TLSv1\\.0|TLSv1\\.1)\\s+(\\S+)");
  const std::regex tls12("^TLSv1\\.2\\s+enabled");
  while (std::getline(lines, line)) {
    std::smatch match;
    if (std::regex_search(line, match, weak_protocol)) {
      saw_protocols = true;
      EXPECT_EQ(match[2], "disabled") << line;
    }
    tls12_enabled = tls12_enabled || std::regex_search(line, tls12);
    if (line.rfind("Preferred", 0) == 0 || line.rfind("Accepted", 0) == 0) {
      ++accepted;
      EXPECT_TRUE(Contains(line, "GCM") || Contains(line, "CHACHA20")) << line;
      EXPECT_FALSE(Contains(line, "TLSv1.0") || Contains(line, "TLSv1.1") ||
                   Contains(line, "SSLv"))
          << line;
    }
  }
  EXPECT_TRUE(saw_protocols) << result.output;
  EXPECT_TRUE(tls12_enabled) << result.output;
  EXPECT_GT(accepted, 0) << result.output;
  std::printf("[ figures  ] sslscan listed %d accepted suites\n", accepted);
}

}  // namespace
}  // namespace tether::relay
