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
//  3. Browsers flooding the web console on the same port (32 addresses,
//     4 connections each, for 10 s: the customer page, the console, and a
//     wrong password on every fourth request) while a paired session
//     bounces 1 KiB messages: the round trip p50/p99 with and without the
//     flood, and how many web requests were served or told to slow down.
//
// A watchdog ends the program (and the relays) after 10 minutes.

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/relay/bench_relay_setup.h"
#include "tests/support/socket_flood.h"
#include "tests/support/web_test_client.h"

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

// Round trips of a 1 KiB message customer -> technician -> customer, one
// every 20 ms, for `duration`; milliseconds, sorted.
std::vector<double> RoundTrips(PairedSession& session, seconds duration) {
  std::vector<double> ms;
  const auto message = Relayed(std::string(1024, 'r'));
  const auto end = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < end) {
    const auto start = std::chrono::steady_clock::now();
    if (!session.customer->Send(message) || !session.technician->Receive() ||
        !session.technician->Send(message) || !session.customer->Receive()) {
      Die("the paired session stopped carrying messages");
    }
    ms.push_back(std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - start)
                     .count());
    std::this_thread::sleep_for(milliseconds(20));
  }
  std::sort(ms.begin(), ms.end());
  return ms;
}

double Percentile(const std::vector<double>& sorted, double p) {
  return sorted[std::min(sorted.size() - 1,
                         static_cast<size_t>(p * sorted.size()))];
}

void WebFlood() {
  constexpr int kAddresses = 32;
  constexpr int kPerAddress = 4;
  constexpr seconds kFor{10};
  auto relay = StartRelay("");
  PairedSession session = Pair(*relay);
  const std::vector<double> quiet = RoundTrips(session, kFor);

  std::atomic<bool> stop{false};
  std::atomic<long> served{0}, slowed{0}, failed{0};
  std::vector<std::thread> browsers;
  for (int a = 0; a < kAddresses; ++a) {
    for (int c = 0; c < kPerAddress; ++c) {
      browsers.emplace_back([&, a] {
        std::unique_ptr<test::WebTestClient> browser;
        for (int i = 0; !stop; ++i) {
          if (!browser) {
            auto connected = test::WebTestClient::Connect(
                relay->port(), relay->fingerprint(),
                test::SourceAddress(40, a));
            if (!connected) {
              ++failed;
              std::this_thread::sleep_for(milliseconds(50));
              continue;
            }
            browser = std::move(*connected);
          }
          auto answer =
              i % 4 == 3
                  ? browser->Request("POST", "/api/session",
                                     R"({"user":"tech","password":"wrong"})")
                  : browser->Request("GET", i % 2 ? "/console" : "/api/public");
          if (!answer) {
            ++failed;
            browser.reset();
            continue;
          }
          (answer->status == 429 || answer->status == 503 ? slowed : served)++;
          if (!answer->keep_alive)
            browser.reset();
        }
      });
    }
  }
  const std::vector<double> flooded = RoundTrips(session, kFor);
  stop = true;
  for (auto& browser : browsers)
    browser.join();
  std::printf(
      "\n3. %d browsers from %d addresses flooding the web console for %lld "
      "s, a paired session bouncing 1 KiB messages\n\n"
      "| session round trip | p50 ms | p99 ms | samples |\n"
      "|---|---:|---:|---:|\n"
      "| without the flood | %.2f | %.2f | %zu |\n"
      "| during the flood | %.2f | %.2f | %zu |\n\n"
      "| web requests answered | told to slow down (429/503) | connections "
      "refused or cut |\n|---:|---:|---:|\n| %ld | %ld | %ld |\n",
      kAddresses * kPerAddress, kAddresses,
      static_cast<long long>(kFor.count()), Percentile(quiet, 0.5),
      Percentile(quiet, 0.99), quiet.size(), Percentile(flooded, 0.5),
      Percentile(flooded, 0.99), flooded.size(), served.load(), slowed.load(),
      failed.load());
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
  WebFlood();
  return 0;
}
