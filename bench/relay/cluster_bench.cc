// tether-bench-cluster: what running relays as a cluster costs, side by side
// in one run, against one relay on SQLite:
//   (a) one relay, no cluster (SQLite);
//   (b) a cluster of two (PostgreSQL, Redis), both apps on the same relay;
//   (c) the same, the customer on the other relay: handed over to the
//       technician's relay over mutual TLS 1.3, its frames pass both.
// For each: the rate of full pairings (CreateSession, the customer's TLS
// connection, Hello, Join, JoinRequest, the technician's accept, Joined and
// PeerJoined), one at a time and from 4 clients at once; the relays' VmRSS
// before and after holding all those sessions open; and for (a) and (c)
// the throughput of 1 MiB Relayed frames each way with the relays' CPU time
// per GB moved. All clients come from 127.0.0.1, as if behind one NAT; for
// (c) the set-up is measured again with each customer from an address of
// its own.
//
// A session ends both connections, so each one needs a technician signed in
// on a connection of its own. Sign-ins cost one argon2id (64 MiB, t=3) each
// and happen before the timed part; they are most of the run's time (700
// of them by default: about 75 s of two idle cores, 205 ms each).
// (b) and (c) run on clusters of their own, so neither relay's memory
// figure starts from what the other configuration left behind.
//
//   build/release/bin/tether-bench-cluster [--quick] [--sessions 200]
//       [--sequential 100] [--transfer-mib 256]

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench/relay/bench_relay_setup.h"
#include "protocol/relay.pb.h"
#include "tests/support/relay_cluster.h"
#include "tests/support/relay_probes.h"
#include "tests/support/relay_process.h"
#include "tests/support/relay_test_client.h"

namespace tether::bench {
namespace {

using Clock = std::chrono::steady_clock;
using test::RelayCluster;
using test::RelayProcess;
using test::RelayTestClient;

constexpr char kUser[] = "tina";
constexpr char kPassword[] = "quartz lemon harbour seventy";
constexpr int kParallelClients = 4;
constexpr size_t kFrameBytes = 1 << 20;

struct Options {
  int sessions = 200;    // held open per configuration
  int sequential = 100;  // of which paired one at a time
  int transfer_mib = 256;
  int settle_ms = 1500;  // before each VmRSS reading
};

// Everything comes from 127.0.0.1, so the per-source limits are raised;
// signed-in technicians wait up to a minute for their turn without a word,
// so the relay's heartbeat deadline is too; and all sessions' codes belong
// to one account, up to 4 of them waiting at once.
RelayCluster::Changes BenchChanges() {
  return {
      {"limits.connections_per_source", "5000"},
      {"limits.handshakes_per_source", "1000"},
      {"limits.handshakes_total", "5000"},
      {"limits.logins_per_source", "64"},
      {"limits.waiting_codes_per_technician", "16"},
      {"timeouts.heartbeat_interval", "\"10m\""},
      {"timeouts.heartbeat_timeout", "\"1h\""},
  };
}

void Usage() {
  std::fprintf(stderr,
               "usage: tether-bench-cluster [--quick] [--sessions N] "
               "[--sequential N] [--transfer-mib N]\n");
  std::exit(2);
}

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      options.sessions = 40;
      options.sequential = 20;
      options.transfer_mib = 32;
      options.settle_ms = 500;
      continue;
    }
    if (i + 1 >= argc)
      Usage();
    const int value = std::atoi(argv[++i]);
    if (arg == "--sessions")
      options.sessions = std::clamp(value, 8, 4000);
    else if (arg == "--sequential")
      options.sequential = std::max(value, 1);
    else if (arg == "--transfer-mib")
      options.transfer_mib = std::clamp(value, 1, 4096);
    else
      Usage();
  }
  options.sequential = std::min(options.sequential, options.sessions / 2);
  return options;
}

// Each session holds two of our descriptors, and the relays (forked from
// us) need as many again.
bool RaiseDescriptorLimit(int sessions) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  const rlim_t wanted = static_cast<rlim_t>(sessions) * 4 + 512;
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur >= wanted;
}

// utime + stime of a process, in seconds.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);  // one line
  // The command name may hold spaces; the fields after it do not.
  const auto close = stat.rfind(')');
  if (close == std::string::npos)
    return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  // Fields 3..13 come before utime (14) and stime (15).
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14)
      utime = std::stoll(field);
    if (i == 15)
      stime = std::stoll(field);
  }
  return static_cast<double>(utime + stime) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

Result<std::unique_ptr<RelayTestClient>> Connect(
    const RelayProcess& relay,
    const std::string& source_ip = "") {
  return RelayTestClient::Connect(relay.port(), relay.fingerprint(),
                                  std::chrono::seconds(30), source_ip);
}

Result<std::unique_ptr<RelayTestClient>> SignIn(const RelayProcess& relay) {
  TETHER_TRY(technician, Connect(relay));
  TETHER_TRY(ack, (*technician)->Hello(proto::ROLE_SUPPORTER));
  if (!ack->has_hello_ack())
    return MakeError("technician hello: " + ack->DebugString());
  TETHER_TRY(login, (*technician)->Login(kUser, kPassword));
  if (login->login_result().status() != proto::LoginResult::STATUS_OK)
    return MakeError("login refused: " + login->DebugString());
  return std::move(*technician);
}

// `count` technicians signed in on `relay`, by 4 clients at once (the
// relay's concurrent_password_hashes).
Result<std::vector<std::unique_ptr<RelayTestClient>>> SignInMany(
    const RelayProcess& relay,
    int count) {
  std::vector<std::unique_ptr<RelayTestClient>> technicians(
      static_cast<size_t>(count));
  std::atomic<int> next{0};
  std::mutex mutex;
  std::string failure;
  std::vector<std::thread> threads;
  for (int t = 0; t < kParallelClients; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < count; i = next++) {
        auto technician = SignIn(relay);
        std::lock_guard lock(mutex);
        if (!technician) {
          failure = technician.error().message;
          next = count;
          return;
        }
        technicians[static_cast<size_t>(i)] = std::move(*technician);
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  if (!failure.empty())
    return MakeError("sign-in: " + failure);
  return technicians;
}

struct Session {
  std::unique_ptr<RelayTestClient> technician;
  std::unique_ptr<RelayTestClient> customer;
};

// The timed part: from CreateSession on a signed-in connection to both
// apps told they are paired; the customer connects to `customer_relay`,
// from `source_ip` if set.
Result<void> Pair(Session& session,
                  const RelayProcess& customer_relay,
                  const std::string& source_ip = "") {
  RelayTestClient& technician = *session.technician;
  constexpr auto kWait = std::chrono::seconds(30);
  proto::ClientMessage create;
  create.mutable_create_session();
  TETHER_RETURN_IF_ERROR(technician.Send(create));
  TETHER_TRY(created, technician.Receive(kWait));
  if (!created->has_session_created())
    return MakeError("no code: " + created->DebugString());
  const std::string code = created->session_created().code();

  TETHER_TRY(customer, Connect(customer_relay, source_ip));
  session.customer = std::move(*customer);
  TETHER_TRY(ack, session.customer->Hello(proto::ROLE_CUSTOMER));
  if (!ack->has_hello_ack())
    return MakeError("customer hello: " + ack->DebugString());
  proto::ClientMessage join;
  join.mutable_join()->set_code(code);
  join.mutable_join()->set_host_name("bench-pc");
  join.mutable_join()->set_user_name("bench");
  TETHER_RETURN_IF_ERROR(session.customer->Send(join));
  TETHER_TRY(request, technician.Receive(kWait));
  if (!request->has_join_request())
    return MakeError("no join request: " + request->DebugString());
  proto::ClientMessage accept;
  accept.mutable_join_decision()->set_code(code);
  accept.mutable_join_decision()->set_accept(true);
  TETHER_RETURN_IF_ERROR(technician.Send(accept));
  TETHER_TRY(joined, session.customer->Receive(kWait));
  if (!joined->has_joined())
    return MakeError("customer not joined: " + joined->DebugString());
  TETHER_TRY(peer, technician.Receive(kWait));
  if (!peer->has_peer_joined())
    return MakeError("no peer_joined: " + peer->DebugString());
  return {};
}

struct SetUpFigures {
  double sequential_per_second = 0;
  double median_ms = 0;
  double p95_ms = 0;
  double parallel_per_second = 0;
};

// Pairs every session: the first `sequential` one after another, the rest
// from 4 clients at once; each customer from an address of its own
// (127.1.x.y) if `distinct_sources`.
Result<SetUpFigures> PairAll(std::vector<Session>& sessions,
                             int sequential,
                             const RelayProcess& customer_relay,
                             bool distinct_sources = false) {
  auto source = [distinct_sources](int i) {
    return distinct_sources ? test::SourceAddress(1, i) : std::string();
  };
  SetUpFigures figures;
  std::vector<double> times_ms;
  const auto sequential_start = Clock::now();
  for (int i = 0; i < sequential; ++i) {
    const auto start = Clock::now();
    if (auto paired =
            Pair(sessions[static_cast<size_t>(i)], customer_relay, source(i));
        !paired) {
      return MakeError("pairing " + std::to_string(i) + ": " +
                       paired.error().message);
    }
    times_ms.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - start)
            .count());
  }
  figures.sequential_per_second =
      sequential /
      std::chrono::duration<double>(Clock::now() - sequential_start).count();
  std::sort(times_ms.begin(), times_ms.end());
  figures.median_ms = times_ms[times_ms.size() / 2];
  figures.p95_ms = times_ms[times_ms.size() * 95 / 100];

  const int total = static_cast<int>(sessions.size());
  std::atomic<int> next{sequential};
  std::mutex mutex;
  std::string failure;
  std::vector<std::thread> threads;
  const auto parallel_start = Clock::now();
  for (int t = 0; t < kParallelClients; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < total; i = next++) {
        auto paired =
            Pair(sessions[static_cast<size_t>(i)], customer_relay, source(i));
        if (!paired) {
          std::lock_guard lock(mutex);
          failure =
              "pairing " + std::to_string(i) + ": " + paired.error().message;
          next = total;
          return;
        }
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  if (!failure.empty())
    return MakeError(failure);
  figures.parallel_per_second =
      (total - sequential) /
      std::chrono::duration<double>(Clock::now() - parallel_start).count();
  return figures;
}

struct MemoryFigures {
  std::string relay;
  long long empty_kib = 0;      // before any sign-in
  long long signed_in_kib = 0;  // technicians signed in, no sessions
  long long paired_kib = 0;     // all sessions paired and held open
};

struct Configuration {
  std::string name;
  SetUpFigures set_up;
  std::vector<MemoryFigures> memory;
  int sessions = 0;
};

void Settle(const Options& options) {
  std::this_thread::sleep_for(std::chrono::milliseconds(options.settle_ms));
}

// Parts 1 and 2 for one configuration: technicians signed in on
// `technician_relay`, customers connecting to `customer_relay`, and VmRSS
// of `watched` before the sign-ins, after them, and with every session
// paired. The sessions end when this returns.
Result<Configuration> SetUpAndHold(
    const std::string& name,
    const RelayProcess& technician_relay,
    const RelayProcess& customer_relay,
    const std::vector<std::pair<std::string, const RelayProcess*>>& watched,
    const Options& options) {
  Configuration configuration;
  configuration.name = name;
  configuration.sessions = options.sessions;
  Settle(options);
  for (const auto& [label, relay] : watched)
    configuration.memory.push_back({label, test::RssKiB(relay->pid())});

  std::fprintf(stderr, "%s: signing in %d technicians...\n", name.c_str(),
               options.sessions);
  const auto sign_in_start = Clock::now();
  TETHER_TRY(technicians, SignInMany(technician_relay, options.sessions));
  std::fprintf(
      stderr, "  signed in after %.1f s\n",
      std::chrono::duration<double>(Clock::now() - sign_in_start).count());
  Settle(options);
  for (size_t i = 0; i < watched.size(); ++i) {
    configuration.memory[i].signed_in_kib =
        test::RssKiB(watched[i].second->pid());
  }

  std::vector<Session> sessions(technicians->size());
  for (size_t i = 0; i < sessions.size(); ++i)
    sessions[i].technician = std::move((*technicians)[i]);
  TETHER_TRY(set_up, PairAll(sessions, options.sequential, customer_relay));
  configuration.set_up = *set_up;
  Settle(options);
  for (size_t i = 0; i < watched.size(); ++i) {
    configuration.memory[i].paired_kib = test::RssKiB(watched[i].second->pid());
  }
  std::fprintf(stderr, "  %zu sessions paired and held\n", sessions.size());
  return configuration;
}

struct TransferFigures {
  std::string name;
  double up_mb_per_s = 0;    // customer -> technician
  double down_mb_per_s = 0;  // technician -> customer
  std::vector<std::pair<std::string, double>> cpu_s_per_gb;  // per relay
};

// Sends `frames` Relayed frames of 1 MiB from `from` while `to` reads them;
// MB/s from the first send to the last frame read.
Result<double> Stream(RelayTestClient& from, RelayTestClient& to, int frames) {
  proto::ClientMessage frame;
  frame.mutable_relayed()->set_data(std::string(kFrameBytes, 'f'));
  std::string send_failure;
  const auto start = Clock::now();
  std::thread sender([&] {
    for (int i = 0; i < frames; ++i) {
      if (auto sent = from.Send(frame, std::chrono::seconds(20)); !sent) {
        send_failure = sent.error().message;
        return;
      }
    }
  });
  std::string receive_failure;
  for (int i = 0; i < frames; ++i) {
    auto got = to.Receive(std::chrono::seconds(20));
    if (!got || !got->has_relayed() ||
        got->relayed().data().size() != kFrameBytes) {
      receive_failure =
          "frame " + std::to_string(i) + ": " +
          (got ? got->DebugString().substr(0, 200) : got.error().message);
      break;
    }
  }
  const double seconds =
      std::chrono::duration<double>(Clock::now() - start).count();
  // A sender stuck on a full socket gives up after 20 s.
  sender.join();
  if (!receive_failure.empty())
    return MakeError("receiving " + receive_failure);
  if (!send_failure.empty())
    return MakeError("sending: " + send_failure);
  return static_cast<double>(frames) * kFrameBytes / 1e6 / seconds;
}

// Part 3 on one fresh session: both directions, and the watched relays'
// CPU time over both.
Result<TransferFigures> MeasureTransfer(
    const std::string& name,
    const RelayProcess& technician_relay,
    const RelayProcess& customer_relay,
    const std::vector<std::pair<std::string, const RelayProcess*>>& watched,
    const Options& options) {
  TransferFigures figures;
  figures.name = name;
  Session session;
  TETHER_TRY(technician, SignIn(technician_relay));
  session.technician = std::move(*technician);
  TETHER_RETURN_IF_ERROR(Pair(session, customer_relay));
  // A short warm-up: the first frames grow buffers once.
  TETHER_TRY(warm_up, Stream(*session.customer, *session.technician, 4));

  std::vector<double> cpu_before;
  for (const auto& [label, relay] : watched)
    cpu_before.push_back(CpuSeconds(relay->pid()));
  TETHER_TRY(
      up, Stream(*session.customer, *session.technician, options.transfer_mib));
  TETHER_TRY(down, Stream(*session.technician, *session.customer,
                          options.transfer_mib));
  const double gb = 2.0 * options.transfer_mib * kFrameBytes / 1e9;
  for (size_t i = 0; i < watched.size(); ++i) {
    figures.cpu_s_per_gb.emplace_back(
        watched[i].first,
        (CpuSeconds(watched[i].second->pid()) - cpu_before[i]) / gb);
  }
  figures.up_mb_per_s = *up;
  figures.down_mb_per_s = *down;
  return figures;
}

void PrintTables(const std::vector<Configuration>& configurations,
                 const std::vector<TransferFigures>& transfers,
                 const Options& options) {
  std::printf(
      "\n### Session set-up (technician already signed in)\n\n"
      "| configuration | one at a time, sessions/s | median ms | p95 ms |"
      " %d clients at once, sessions/s |\n|---|---:|---:|---:|---:|\n",
      kParallelClients);
  for (const auto& c : configurations) {
    std::printf("| %s | %.1f | %.1f | %.1f | %.1f |\n", c.name.c_str(),
                c.set_up.sequential_per_second, c.set_up.median_ms,
                c.set_up.p95_ms, c.set_up.parallel_per_second);
  }
  std::printf(
      "\n(%d sessions one at a time, then %d from %d clients at once; the "
      "last row %d and %d.)\n",
      options.sequential, options.sessions - options.sequential,
      kParallelClients, configurations.back().sessions / 4,
      configurations.back().sessions - configurations.back().sessions / 4);

  std::printf(
      "\n### Memory: %d paired sessions held open\n\n"
      "| configuration | relay | VmRSS empty KiB | technicians signed in KiB"
      " | sessions paired KiB | KiB per session (all) | of which pairing "
      "|\n|---|---|---:|---:|---:|---:|---:|\n",
      options.sessions);
  for (const auto& c : configurations) {
    for (const auto& m : c.memory) {
      std::printf(
          "| %s | %s | %lld | %lld | %lld | %.1f | %.1f |\n", c.name.c_str(),
          m.relay.c_str(), m.empty_kib, m.signed_in_kib, m.paired_kib,
          static_cast<double>(m.paired_kib - m.empty_kib) / c.sessions,
          static_cast<double>(m.paired_kib - m.signed_in_kib) / c.sessions);
    }
  }

  std::printf(
      "\n### Forwarding: 1 MiB Relayed frames, %d MiB each way\n\n"
      "| configuration | customer→technician MB/s | technician→customer MB/s"
      " | relay CPU s per GB moved |\n|---|---:|---:|---|\n",
      options.transfer_mib);
  for (const auto& t : transfers) {
    std::string cpu;
    double total = 0;
    for (const auto& [label, seconds] : t.cpu_s_per_gb) {
      char text[64];
      std::snprintf(text, sizeof(text), "%s%s %.2f", cpu.empty() ? "" : ", ",
                    label.c_str(), seconds);
      cpu += text;
      total += seconds;
    }
    if (t.cpu_s_per_gb.size() > 1) {
      char text[32];
      std::snprintf(text, sizeof(text), "; total %.2f", total);
      cpu += text;
    }
    std::printf("| %s | %.0f | %.0f | %s |\n", t.name.c_str(), t.up_mb_per_s,
                t.down_mb_per_s, cpu.c_str());
  }
}

int Fail(const std::string& what, const RelayProcess* relay = nullptr) {
  std::fprintf(stderr, "tether-bench-cluster: %s\n", what.c_str());
  if (relay != nullptr) {
    const std::string log = relay->log();
    std::fprintf(stderr, "--- relay log (tail) ---\n%s\n",
                 log.substr(log.size() > 4000 ? log.size() - 4000 : 0).c_str());
  }
  return 1;
}

int Run(const Options& options) {
  if (!RelayCluster::Available())
    return Fail("needs postgresql and redis-server (scripts/setup)");
  if (!RaiseDescriptorLimit(options.sessions))
    return Fail("open files limit too low; raise it (ulimit -n)");
  const auto run_start = Clock::now();
  std::vector<Configuration> configurations;
  std::vector<TransferFigures> transfers;

  {
    std::fprintf(stderr, "(a) one relay on SQLite\n");
    RelayProcess relay(RelayProcess::Shipped{BenchChanges()});
    if (auto added = relay.AddTechnician(kUser, "Tina", kPassword); !added)
      return Fail(added.error().message);
    if (auto started = relay.Start(); !started)
      return Fail(started.error().message, &relay);
    const std::vector<std::pair<std::string, const RelayProcess*>> watched = {
        {"the relay", &relay}};
    auto held =
        SetUpAndHold("(a) one relay, SQLite", relay, relay, watched, options);
    if (!held)
      return Fail(held.error().message, &relay);
    configurations.push_back(std::move(*held));
    auto transfer = MeasureTransfer("(a) one relay, SQLite", relay, relay,
                                    watched, options);
    if (!transfer)
      return Fail(transfer.error().message, &relay);
    transfers.push_back(std::move(*transfer));
  }
  {
    std::fprintf(stderr, "(b) a cluster of 2, both apps on relay1\n");
    auto cluster = RelayCluster::Start(2, BenchChanges(), kUser, kPassword);
    if (!cluster)
      return Fail(cluster.error().message);
    RelayProcess& relay1 = (*cluster)->relay(0);
    auto held = SetUpAndHold("(b) cluster of 2, same relay", relay1, relay1,
                             {{"relay1", &relay1}}, options);
    if (!held)
      return Fail(held.error().message, &relay1);
    configurations.push_back(std::move(*held));
  }
  {
    std::fprintf(stderr,
                 "(c) a cluster of 2, technician on relay1, customer on "
                 "relay2\n");
    auto cluster = RelayCluster::Start(2, BenchChanges(), kUser, kPassword);
    if (!cluster)
      return Fail(cluster.error().message);
    RelayProcess& relay1 = (*cluster)->relay(0);
    RelayProcess& relay2 = (*cluster)->relay(1);
    const std::vector<std::pair<std::string, const RelayProcess*>> watched = {
        {"relay1 (technicians)", &relay1}, {"relay2 (customers)", &relay2}};
    auto held = SetUpAndHold("(c) cluster of 2, forwarded", relay1, relay2,
                             watched, options);
    if (!held)
      return Fail(held.error().message, &relay2);
    configurations.push_back(std::move(*held));
    // Each pairing really went through the hand-over.
    const long long forwarded =
        RelayCluster::RelayMetric(relay2, "joins_forwarded_total");
    std::fprintf(stderr, "  relay2 forwarded %lld joins\n", forwarded);
    if (forwarded < options.sessions)
      return Fail(
          "relay2 forwarded only " + std::to_string(forwarded) + " joins",
          &relay2);
    auto transfer = MeasureTransfer("(c) cluster of 2, forwarded", relay1,
                                    relay2, watched, options);
    if (!transfer)
      return Fail(transfer.error().message, &relay2);
    transfers.push_back(std::move(*transfer));

    // A relay looks up one code at a time per customer address (the next
    // waits 500 ms), so customers behind one address join one by one. The
    // same, each customer from an address of its own, as at home.
    const int count = std::clamp(options.sessions / 2, 8, 100);
    std::fprintf(stderr, "(c) again, customers from %d addresses\n", count);
    auto technicians = SignInMany(relay1, count);
    if (!technicians)
      return Fail(technicians.error().message, &relay1);
    std::vector<Session> sessions(technicians->size());
    for (size_t i = 0; i < sessions.size(); ++i)
      sessions[i].technician = std::move((*technicians)[i]);
    auto set_up = PairAll(sessions, count / 4, relay2, true);
    if (!set_up)
      return Fail(set_up.error().message, &relay2);
    Configuration distinct;
    distinct.name = "(c) forwarded, each customer from its own address";
    distinct.set_up = *set_up;
    distinct.sessions = count;
    configurations.push_back(std::move(distinct));
  }

  PrintTables(configurations, transfers, options);
  std::printf("\nWhole run: %.0f s.\n",
              std::chrono::duration<double>(Clock::now() - run_start).count());
  return 0;
}

}  // namespace
}  // namespace tether::bench

int main(int argc, char** argv) {
  using namespace tether::bench;
  signal(SIGPIPE, SIG_IGN);
  const Options options = ParseOptions(argc, argv);
  UseRelayBesideThisProgram();
  // RelayProcess::Shipped reads ../packaging/relay.toml, as from tests/;
  // run from anywhere, the bench starts from the source tree's bench/.
  if (access("../packaging/relay.toml", R_OK) != 0 &&
      chdir(TETHER_SOURCE_DIR "/bench") != 0) {
    std::perror("chdir " TETHER_SOURCE_DIR "/bench");
    return 1;
  }
  return Run(options);
}
