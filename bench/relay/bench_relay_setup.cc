#include "bench/relay/bench_relay_setup.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/clock.h"
#include "crypto/password_hash.h"
#include "crypto/random.h"
#include "crypto/session_code.h"
#include "protocol/relay.pb.h"
#include "relay/store/sqlite_store.h"

namespace tether::bench {
namespace {

namespace fs = std::filesystem;
using test::RelayTestClient;

// Sections the base config of RelayProcess does not have. The relay's
// heartbeats are slowed (the idle bench clients never read; they send
// their own heartbeats, see SendHeartbeats) and the set-up deadlines are
// generous because one loaded machine runs everything.
constexpr char kBenchToml[] = R"(
[limits]
# Every bench client comes from 127.0.0.1.
connections_per_source = 1000000
handshakes_per_source = 10000
handshakes_total = 10000
logins_per_source = 1000
# One account serves every bench session; its codes wait side by side while
# several set-up threads run.
waiting_codes_per_technician = 100
[timeouts]
tls_handshake = "60s"
first_message = "60s"
unauthenticated_idle = "10m"
heartbeat_interval = "10m"
heartbeat_timeout = "1h"
stuck_peer = "10m"
)";

// Async-signal-safe registry of the children to kill on the way out.
constexpr size_t kMaxChildren = 8;
std::atomic<pid_t> g_children[kMaxChildren];

void KillChildrenAndExit(int /*signal*/) {
  for (auto& child : g_children) {
    const pid_t pid = child.load();
    if (pid > 0)
      kill(pid, SIGKILL);
  }
  constexpr char kMessage[] = "bench: watchdog or signal, children killed\n";
  (void)!write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
  _exit(124);
}

}  // namespace

void InstallWatchdog(unsigned seconds) {
  struct sigaction action {};
  action.sa_handler = KillChildrenAndExit;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGALRM, SIGINT, SIGTERM, SIGHUP})
    sigaction(sig, &action, nullptr);
  alarm(seconds);
}

void RegisterChild(pid_t pid) {
  for (auto& child : g_children) {
    pid_t empty = 0;
    if (child.compare_exchange_strong(empty, pid))
      return;
  }
}

void ForgetChild(pid_t pid) {
  for (auto& child : g_children) {
    pid_t expected = pid;
    child.compare_exchange_strong(expected, 0);
  }
}

void UseRelayBesideThisProgram() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec)
    setenv("TETHER_TEST_BIN_DIR", self.parent_path().c_str(), 0);
}

Result<std::unique_ptr<test::RelayProcess>> StartBenchRelay(
    unsigned max_connections,
    const std::string& extra_toml) {
  auto relay = std::make_unique<test::RelayProcess>(std::string(kBenchToml) +
                                                    extra_toml);
  {
    // [server] is written by RelayProcess; add the connection cap to it.
    std::ifstream in(relay->config_path());
    std::stringstream text;
    text << in.rdbuf();
    std::string config = text.str();
    const std::string section = "[server]\n";
    const auto at = config.find(section);
    if (at == std::string::npos)
      return MakeError("no [server] in the config");
    config.insert(
        at + section.size(),
        "max_connections = " + std::to_string(max_connections) + "\n");
    std::ofstream(relay->config_path(), std::ios::trunc) << config;
  }
  {
    auto store = relay::SqliteStore::Open(relay->database(), Clock::System());
    if (!store)
      return Unexpected(store.error());
    auto hash = crypto::HashPassword(kBenchPassword,
                                     crypto::RandomGenerator::Default());
    if (!hash)
      return Unexpected(hash.error());
    relay::Account account;
    account.user_name = kBenchUser;
    account.display_name = "Bench Technician";
    account.role = relay::AccountRole::kTechnician;
    account.password_hash = *hash;
    account.must_change_password = false;
    if (auto created = (*store)->CreateAccount(account); !created) {
      return Unexpected(created.error());
    }
  }
  if (auto started = relay->Start(); !started)
    return Unexpected(started.error());
  RegisterChild(relay->pid());
  return relay;
}

Result<PairedSession> OpenPairedSession(const test::RelayProcess& relay) {
  PairedSession session;
  auto technician = RelayTestClient::Connect(relay.port(), relay.fingerprint(),
                                             std::chrono::seconds(60));
  if (!technician)
    return MakeError("technician: " + technician.error().message);
  session.technician = std::move(*technician);
  if (auto hello = session.technician->Hello(proto::ROLE_SUPPORTER); !hello) {
    return MakeError("technician hello: " + hello.error().message);
  }
  auto login = session.technician->Login(kBenchUser, kBenchPassword);
  if (!login)
    return MakeError("login: " + login.error().message);
  if (login->login_result().status() != proto::LoginResult::STATUS_OK) {
    return MakeError("login refused: " + login->login_result().message());
  }
  proto::ClientMessage create;
  create.mutable_create_session();
  if (auto sent = session.technician->Send(create); !sent)
    return Unexpected(sent.error());
  auto created = session.technician->Receive(std::chrono::seconds(30));
  if (!created)
    return MakeError("no session code: " + created.error().message);
  if (!created->has_session_created()) {
    return MakeError("no session code: " + created->error().message());
  }
  const std::string code = created->session_created().code();

  const auto joining = std::chrono::steady_clock::now();
  auto customer = RelayTestClient::Connect(relay.port(), relay.fingerprint(),
                                           std::chrono::seconds(60));
  if (!customer)
    return MakeError("customer: " + customer.error().message);
  session.customer = std::move(*customer);
  if (auto hello = session.customer->Hello(proto::ROLE_CUSTOMER); !hello) {
    return MakeError("customer hello: " + hello.error().message);
  }
  proto::ClientMessage join;
  join.mutable_join()->set_code(crypto::FormatSessionCode(code));
  join.mutable_join()->set_host_name("bench-pc");
  join.mutable_join()->set_user_name("bench");
  if (auto sent = session.customer->Send(join); !sent)
    return Unexpected(sent.error());
  auto request = session.technician->Receive(std::chrono::seconds(30));
  if (!request || !request->has_join_request()) {
    return MakeError("no join request");
  }
  proto::ClientMessage accept;
  accept.mutable_join_decision()->set_code(code);
  accept.mutable_join_decision()->set_accept(true);
  if (auto sent = session.technician->Send(accept); !sent)
    return Unexpected(sent.error());
  auto joined = session.customer->Receive(std::chrono::seconds(30));
  if (!joined || !joined->has_joined())
    return MakeError("customer not joined");
  session.join_time = std::chrono::steady_clock::now() - joining;
  auto peer = session.technician->Receive(std::chrono::seconds(30));
  if (!peer || !peer->has_peer_joined())
    return MakeError("no peer_joined");
  return session;
}

Result<void> SendHeartbeat(test::RelayTestClient& client) {
  proto::ClientMessage heartbeat;
  heartbeat.mutable_heartbeat()->set_sent_at_unix_ms(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  return client.Send(heartbeat);
}

}  // namespace tether::bench
