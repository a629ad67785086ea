// tether-bench-relay-soak: what holding the relay busy costs, in the two
// situations RelayLimitsTest checks for behaviour (shed, dropped, served).
// Figures, not pass/fail.
//
//  1. 5,000 TCP sockets that never say a word (five from each of 1,000
//     addresses), 600 slowloris handshakes (a ClientHello at one byte
//     every 9 s, five from each of 120 addresses) and 20 connections that
//     finish TLS and then say nothing, against `handshakes_total = 512`;
//     meanwhile a technician and a customer pair twenty times, 400 ms
//     apart. Prints the relay's VmRSS before and at the peak, handshakes
//     shed and in progress, and the customers' join time p50/p99 (connect
//     to Joined). docs/security.md bounds the memory at 64 KiB per kept
//     handshake.
//  2. A paired session whose technician stops reading while the customer
//     sends 64 KiB frames: VmRSS before and at the peak, and how much the
//     customer got out before the relay stopped reading.
//
// A watchdog ends the program (and the relays) after 10 minutes.

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/relay/bench_relay_setup.h"
#include "tests/support/socket_flood.h"

namespace tether::bench {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "tether-bench-relay-soak: %s\n", what.c_str());
  std::exit(1);
}

// A relay with `toml` and the bench technician (cheap hash: the first
// login upgrades it, before anything is measured).
std::unique_ptr<test::RelayProcess> StartRelay(const std::string& toml) {
  auto relay = std::make_unique<test::RelayProcess>(toml);
  if (auto added =
          relay->AddTechnician(kBenchUser, "Bench Technician", kBenchPassword);
      !added) {
    Die(added.error().message);
  }
  if (auto started = relay->Start(); !started)
    Die(started.error().message);
  RegisterChild(relay->pid());
  return relay;
}

PairedSession Pair(const test::RelayProcess& relay) {
  auto session = OpenPairedSession(relay);
  if (!session)
    Die(session.error().message);
  return std::move(*session);
}

proto::ClientMessage Relayed(std::string data) {
  proto::ClientMessage message;
  message.mutable_relayed()->set_data(std::move(data));
  return message;
}

void IdleSocketsAndSlowloris() {
  constexpr int kIdle = 5000;
  constexpr int kSlowloris = 600;
  constexpr int kSilentTls = 20;
  constexpr int kPairings = 20;
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  const rlim_t needed = 2 * (kIdle + kSlowloris + kSilentTls + 512);
  files.rlim_cur = files.rlim_max == RLIM_INFINITY
                       ? needed
                       : std::min<rlim_t>(files.rlim_max, needed);
  if (setrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur < needed / 2)
    Die("the limit on open files is too low (ulimit -n 12000)");
  auto relay = StartRelay(
      "[timeouts]\ntls_handshake = \"10s\"\nfirst_message = \"10s\"\n"
      "[limits]\nhandshakes_total = 512\n");
  // Warm up: the first login upgrades the hash (argon2id takes 64 MiB
  // while it runs), TLS and SQLite set themselves up.
  Pair(*relay);
  const pid_t pid = relay->pid();
  const long long before = test::RssKiB(pid);
  long long peak = before;

  auto flood = test::SocketFlood::Open(relay->port(), kIdle, kSlowloris);
  if (!flood)
    Die(flood.error().message);
  peak = std::max(peak, test::RssKiB(pid));
  std::vector<std::unique_ptr<test::RelayTestClient>> silent;
  for (int i = 0; i < kSilentTls; ++i) {
    auto client =
        test::RelayTestClient::Connect(relay->port(), relay->fingerprint(),
                                       seconds(5), test::SourceAddress(30, i));
    if (!client)
      Die("silent TLS client: " + client.error().message);
    silent.push_back(std::move(*client));
  }

  std::vector<double> join_ms;
  for (int round = 0; round < kPairings; ++round) {
    PairedSession session = Pair(*relay);
    join_ms.push_back(session.join_time.count());
    if (!session.customer->Send(Relayed("through")) ||
        !session.technician->Receive()) {
      Die("a paired session did not carry a message");
    }
    peak = std::max(peak, test::RssKiB(pid));
    std::this_thread::sleep_for(milliseconds(400));  // spread over ~10 s
  }
  int dropped = 0;
  for (auto& client : silent)
    dropped += client->WaitClosed(seconds(5)) ? 1 : 0;
  peak = std::max(peak, test::RssKiB(pid));
  const long long in_progress = test::Metric(
      relay->metrics_port(), "tether_relay_handshakes_in_progress");
  const long long shed =
      test::Metric(relay->metrics_port(), "tether_relay_handshakes_shed_total");
  flood->reset();

  std::sort(join_ms.begin(), join_ms.end());
  const double p50 = join_ms[join_ms.size() / 2];
  const double p99 = join_ms[std::min(
      join_ms.size() - 1, static_cast<size_t>(0.99 * join_ms.size()))];
  std::printf(
      "\n1. %d idle sockets + %d slowloris handshakes + %d silent TLS "
      "clients, handshakes_total = 512\n\n",
      kIdle, kSlowloris, kSilentTls);
  std::printf(
      "| relay VmRSS before KiB | peak KiB | peak - before KiB | bound "
      "(512 x 64 KiB) | handshakes shed | in progress | silent TLS dropped "
      "| join p50 ms | join p99 ms |\n"
      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  std::printf(
      "| %lld | %lld | %lld | %d | %lld | %lld | %d of %d | %.1f | "
      "%.1f |\n",
      before, peak, peak - before, 512 * 64, shed, in_progress, dropped,
      kSilentTls, p50, p99);
}

void ReaderThatStops() {
  auto relay = StartRelay("[timeouts]\nstuck_peer = \"2s\"\n");
  PairedSession session = Pair(*relay);
  const pid_t pid = relay->pid();
  const long long before = test::RssKiB(pid);
  long long peak = before;
  // The technician reads nothing from here on.
  const auto chunk = Relayed(std::string(64 << 10, 'v'));
  constexpr size_t kMaxBytes = 64 << 20;
  size_t sent = 0;
  while (sent < kMaxBytes) {
    const bool taken = session.customer->Send(chunk, seconds(2)).has_value();
    peak = std::max(peak, test::RssKiB(pid));
    if (!taken)
      break;  // blocked for 2 s, or the relay hung up
    sent += chunk.relayed().data().size();
  }
  std::printf(
      "\n2. a technician that stops reading, the customer sending 64 KiB "
      "frames\n\n"
      "| relay VmRSS before KiB | peak KiB | peak - before KiB | customer got "
      "out before the relay stopped reading KiB |\n"
      "|---:|---:|---:|---:|\n"
      "| %lld | %lld | %lld | %zu |\n",
      before, peak, peak - before, sent >> 10);
}

}  // namespace
}  // namespace tether::bench

int main(int argc, char** /*argv*/) {
  using namespace tether::bench;
  if (argc > 1) {
    std::fprintf(stderr, "usage: tether-bench-relay-soak\n");
    return 2;
  }
  InstallWatchdog(10 * 60);
  signal(SIGPIPE, SIG_IGN);
  UseRelayBesideThisProgram();
  IdleSocketsAndSlowloris();
  ReaderThatStops();
  return 0;
}
