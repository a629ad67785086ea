// tether-bench-relay-abuse: what an attacker can learn from sign-in timing,
// and what they can make the relay hold in memory (issue 14, findings 4
// and 7). Figures, not pass/fail: the tests assert the answers and bounds.
//
//  1. Answer time of a wrong password for a name with an account and for
//     one without, alternating, each on a fresh connection (throttling
//     raised out of the way): p50, p95, mean.
//  2. The same with the default throttle, attempt by attempt: both names
//     must start waiting at the same attempt and answer in the same time.
//  3. Relay VmRSS with N connections that never sign in, each holding a
//     partly sent frame as large as the relay lets it (signin_frame_max),
//     and after N connections each sent the tester's 1 MiB heartbeat.
//  4. Relay VmRSS before, at the peak of and after P paired sessions that
//     each send one 8 MiB frame each way.
//
// Bounded: at most 2000 connections and 50 pairs; a watchdog ends the
// program (and the relays) after 20 minutes.

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "bench/relay/bench_relay_setup.h"

namespace tether::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "tether-bench-relay-abuse: %s\n", what.c_str());
  std::exit(1);
}

struct Options {
  int samples = 100;       // per name, part 1
  int connections = 1000;  // part 3
  int pairs = 10;          // part 4
};

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (arg == "--samples")
      options.samples = std::clamp(value, 1, 1000);
    else if (arg == "--connections")
      options.connections = std::clamp(value, 1, 2000);
    else if (arg == "--pairs")
      options.pairs = std::clamp(value, 1, 50);
    else
      Die("unknown option " + arg + " (--samples, --connections, --pairs)");
  }
  return options;
}

std::unique_ptr<test::RelayTestClient> Connect(const test::RelayProcess& relay,
                                               const std::string& source = "") {
  auto client = test::RelayTestClient::Connect(
      relay.port(), relay.fingerprint(), seconds(30), source);
  if (!client)
    Die("connect: " + client.error().message);
  return std::move(*client);
}

// One wrong-password login on a fresh connection: milliseconds to the
// answer, and the answer.
double TimedLogin(const test::RelayProcess& relay,
                  const std::string& user,
                  proto::LoginResult* result) {
  auto client = Connect(relay);
  if (!client->Hello(proto::ROLE_SUPPORTER))
    Die("hello failed");
  const auto start = Clock::now();
  auto answer = client->Login(user, "not the password at all");
  const double ms =
      std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (!answer || !answer->has_login_result())
    Die("no login answer");
  *result = answer->login_result();
  return ms;
}

struct Stats {
  double p50, p95, mean;
};
Stats Summarise(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  return {v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 95 / 100)],
          mean};
}

void TimingUnthrottled(const Options& options) {
  auto relay = StartBenchRelay(100,
                               "[accounts]\nthrottle_after_failures = 1000\n"
                               "lock_after_failures = 1000\n");
  if (!relay)
    Die(relay.error().message);
  std::vector<double> known, unknown;
  proto::LoginResult result;
  for (int i = 0; i < options.samples; ++i) {
    known.push_back(TimedLogin(**relay, kBenchUser, &result));
    unknown.push_back(TimedLogin(**relay, "no-such-user", &result));
  }
  const Stats k = Summarise(known), u = Summarise(unknown);
  std::printf(
      "\n1. wrong password, answer time (ms), %d logins per name, "
      "alternating\n\n",
      options.samples);
  std::printf("| name | p50 | p95 | mean |\n|---|---:|---:|---:|\n");
  std::printf("| has an account | %.1f | %.1f | %.1f |\n", k.p50, k.p95,
              k.mean);
  std::printf("| has none | %.1f | %.1f | %.1f |\n", u.p50, u.p95, u.mean);
  std::printf("| difference | %+.1f | %+.1f | %+.1f |\n", k.p50 - u.p50,
              k.p95 - u.p95, k.mean - u.mean);
}

void TimingThrottled() {
  auto relay = StartBenchRelay(100);  // the default throttle
  if (!relay)
    Die(relay.error().message);
  std::printf("\n2. default throttle, attempt by attempt (ms, answer)\n\n");
  std::printf("| attempt | has an account | has none |\n|---:|---|---|\n");
  for (int attempt = 1; attempt <= 8; ++attempt) {
    proto::LoginResult k, u;
    const double k_ms = TimedLogin(**relay, kBenchUser, &k);
    const double u_ms = TimedLogin(**relay, "no-such-user", &u);
    std::printf("| %d | %.1f %s | %.1f %s |\n", attempt, k_ms,
                proto::LoginResult::Status_Name(k.status()).c_str(), u_ms,
                proto::LoginResult::Status_Name(u.status()).c_str());
  }
}

proto::ClientMessage Heartbeat(size_t padding) {
  proto::ClientMessage message;
  message.mutable_heartbeat()->set_sent_at_unix_ms(1);
  if (padding == 0)
    return message;
  // An unknown length-delimited field (number 999) pads it, as the tester
  // did.
  std::string extra = {static_cast<char>(0xba), static_cast<char>(0x3e)};
  uint64_t v = padding;
  for (; v >= 0x80; v >>= 7)
    extra.push_back(static_cast<char>((v & 0x7f) | 0x80));
  extra.push_back(static_cast<char>(v));
  extra.append(padding, 'p');
  proto::ClientMessage padded;
  if (!padded.ParseFromString(message.SerializeAsString() + extra))
    Die("cannot pad a heartbeat");
  return padded;
}

void MemoryBeforeSignIn(const Options& options) {
  auto relay = StartBenchRelay(options.connections + 100);
  if (!relay)
    Die(relay.error().message);
  const pid_t pid = (*relay)->pid();
  const long long before = test::RssKiB(pid);
  // As large as signin_frame_max (16 KiB) allows, never completed.
  const auto near_limit = Heartbeat((16 << 10) - 64);
  std::vector<std::unique_ptr<test::RelayTestClient>> held;
  for (int i = 0; i < options.connections; ++i) {
    held.push_back(Connect(**relay, "127.0.1." + std::to_string(1 + i % 5)));
    if (!held.back()->Hello(proto::ROLE_SUPPORTER))
      Die("hello failed");
    if (!held.back()->SendPrefix(near_limit, near_limit.ByteSizeLong())) {
      Die("send failed");
    }
  }
  const long long holding = test::RssKiB(pid);
  held.clear();
  // The tester's attack: 1 MiB heartbeats (closed at once now).
  const auto huge = Heartbeat(1 << 20);
  for (int i = 0; i < options.connections; ++i) {
    auto client = Connect(**relay, "127.0.2." + std::to_string(1 + i % 5));
    if (!client->Hello(proto::ROLE_SUPPORTER))
      Die("hello failed");
    (void)client->Send(huge, std::chrono::milliseconds(2000));
    held.push_back(std::move(client));
  }
  const long long after_huge = test::RssKiB(pid);
  std::printf("\n3. relay VmRSS with connections that never sign in\n\n");
  std::printf("| state | VmRSS KiB | per connection KiB |\n|---|---:|---:|\n");
  std::printf("| idle relay | %lld | |\n", before);
  std::printf(
      "| %d connections, each holding a 16 KiB partial frame | %lld | "
      "%.1f |\n",
      options.connections, holding,
      double(holding - before) / options.connections);
  std::printf(
      "| then %d connections that each sent a 1 MiB heartbeat "
      "(tester: 12 MB -> 1,109 MB) | %lld | %.1f |\n",
      options.connections, after_huge,
      double(after_huge - before) / options.connections);
}

void MemoryPaired(const Options& options) {
  auto relay = StartBenchRelay(2 * options.pairs + 100);
  if (!relay)
    Die(relay.error().message);
  const pid_t pid = (*relay)->pid();
  std::vector<PairedSession> sessions;
  for (int i = 0; i < options.pairs; ++i) {
    auto session = OpenPairedSession(**relay);
    if (!session)
      Die(session.error().message);
    sessions.push_back(std::move(*session));
  }
  const long long before = test::RssKiB(pid);
  proto::ClientMessage big;
  big.mutable_relayed()->set_data(std::string((8 << 20) - 256, 'v'));
  long long peak = before;
  for (auto& session : sessions) {
    for (auto* from : {session.technician.get(), session.customer.get()}) {
      auto* to = from == session.technician.get() ? session.customer.get()
                                                  : session.technician.get();
      if (!from->Send(big))
        Die("send failed");
      auto got = to->Receive(seconds(60));
      if (!got || got->relayed().data().size() != big.relayed().data().size())
        Die("8 MiB frame did not arrive");
      peak = std::max(peak, test::RssKiB(pid));
    }
  }
  const long long after = test::RssKiB(pid);
  std::printf(
      "\n4. relay VmRSS, %d paired sessions, one 8 MiB frame each "
      "way per session (tester: +166 MB kept for 10 pairs)\n\n",
      options.pairs);
  std::printf(
      "| before | peak | after | kept per session KiB |\n"
      "|---:|---:|---:|---:|\n");
  std::printf("| %lld | %lld | %lld | %.1f |\n", before, peak, after,
              double(after - before) / options.pairs);
}

}  // namespace
}  // namespace tether::bench

int main(int argc, char** argv) {
  using namespace tether::bench;
  const Options options = ParseOptions(argc, argv);
  InstallWatchdog(20 * 60);
  UseRelayBesideThisProgram();
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < 8192) {
    files.rlim_cur = std::min<rlim_t>(files.rlim_max, 8192);
    setrlimit(RLIMIT_NOFILE, &files);
  }
  TimingUnthrottled(options);
  TimingThrottled();
  MemoryBeforeSignIn(options);
  MemoryPaired(options);
  return 0;
}
