// tether-bench-relay-memory: the relay's memory per idle paired session.
//
// Starts a tether-relay on 127.0.0.1 (limits raised for the load, see
// bench_relay_setup.cc), reads its VmRSS, opens paired sessions the way the
// apps do (technician: TLS, Hello, Login, CreateSession; customer: TLS,
// Hello, Join; the technician accepts) up to each checkpoint, lets them sit
// idle, and reads VmRSS again. Prints KiB per session between checkpoints
// (the slope is what each extra session costs; the first step also carries
// one-time costs such as allocator arenas of the worker threads).
//
// Bounded: at most 8000 sessions (16000 connections), a watchdog ends the
// program (and the relay) after 80 minutes, and everything stops with the
// program.

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/relay/bench_relay_setup.h"

namespace tether::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxSessions = 8000;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "tether-bench-relay-memory: %s\n", what.c_str());
  std::exit(1);
}

struct Options {
  std::vector<int> checkpoints = {1000, 5000};
  int threads = 4;
  int settle_seconds = 3;
};

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc)
      Die("missing value for " + arg);
    const std::string value = argv[++i];
    if (arg == "--sessions") {
      options.checkpoints.clear();
      std::istringstream split(value);
      std::string item;
      while (std::getline(split, item, ',')) {
        options.checkpoints.push_back(
            std::clamp(std::stoi(item), 1, kMaxSessions));
      }
      std::sort(options.checkpoints.begin(), options.checkpoints.end());
    } else if (arg == "--threads") {
      options.threads = std::clamp(std::stoi(value), 1, 16);
    } else if (arg == "--settle") {
      options.settle_seconds = std::clamp(std::stoi(value), 0, 60);
    } else {
      Die("usage: tether-bench-relay-memory [--sessions 1000,5000] "
          "[--threads 4] [--settle 3]");
    }
  }
  if (options.checkpoints.empty())
    Die("no checkpoints");
  return options;
}

// Both this process and the relay (forked from it) need two descriptors per
// session and some spare.
void RaiseDescriptorLimit(int sessions) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  const rlim_t wanted = static_cast<rlim_t>(sessions) * 2 + 256;
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur < wanted) {
    Die("open files limit " + std::to_string(limit.rlim_cur) + " < " +
        std::to_string(wanted) + " needed; raise it (ulimit -n)");
  }
}

}  // namespace
}  // namespace tether::bench

int main(int argc, char** argv) {
  using namespace tether::bench;
  InstallWatchdog(80 * 60);  // set-up runs at argon2id speed: ~1-3 sessions/s
  signal(SIGPIPE, SIG_IGN);
  const Options options = ParseOptions(argc, argv);
  const int target = options.checkpoints.back();
  RaiseDescriptorLimit(target);
  UseRelayBesideThisProgram();

  auto relay = StartBenchRelay(static_cast<unsigned>(target) * 2 + 100);
  if (!relay)
    Die(relay.error().message);
  const pid_t pid = (*relay)->pid();
  std::this_thread::sleep_for(std::chrono::seconds(options.settle_seconds));

  struct Point {
    int sessions;
    long long rss_kib;
    double setup_seconds;
  };
  std::vector<Point> points = {{0, tether::test::RssKiB(pid), 0}};
  std::fprintf(stderr, "relay pid %d, VmRSS %lld KiB with no sessions\n", pid,
               points[0].rss_kib);

  std::mutex mutex;
  std::vector<PairedSession> sessions;
  sessions.reserve(static_cast<size_t>(target));
  std::atomic<int> claimed{0};
  std::atomic<bool> failed{false};
  std::string failure;
  const auto start = Clock::now();

  // Idle, not silent: every client says it is alive every few minutes, as
  // the apps do (more often) in a real session.
  std::condition_variable stop_heartbeats;
  bool stopping = false;
  std::thread heartbeats([&] {
    std::unique_lock lock(mutex);
    while (!stop_heartbeats.wait_for(lock, std::chrono::minutes(5),
                                     [&] { return stopping; })) {
      for (auto& session : sessions) {
        (void)SendHeartbeat(*session.technician);
        (void)SendHeartbeat(*session.customer);
      }
    }
  });

  for (int checkpoint : options.checkpoints) {
    std::vector<std::thread> workers;
    for (int t = 0; t < options.threads; ++t) {
      workers.emplace_back([&] {
        while (!failed && claimed.fetch_add(1) < checkpoint) {
          auto session = OpenPairedSession(**relay);
          std::lock_guard lock(mutex);
          if (!session) {
            failed = true;
            failure = session.error().message;
            return;
          }
          sessions.push_back(std::move(*session));
          if (sessions.size() % 500 == 0) {
            std::fprintf(
                stderr, "  %zu sessions after %.0f s\n", sessions.size(),
                std::chrono::duration<double>(Clock::now() - start).count());
          }
        }
      });
    }
    for (auto& worker : workers)
      worker.join();
    claimed = static_cast<int>(sessions.size());
    if (failed) {
      std::fprintf(stderr, "stopped after %zu sessions: %s\n", sessions.size(),
                   failure.c_str());
      break;
    }
    const double elapsed =
        std::chrono::duration<double>(Clock::now() - start).count();
    std::this_thread::sleep_for(std::chrono::seconds(options.settle_seconds));
    points.push_back({checkpoint, tether::test::RssKiB(pid), elapsed});
    std::fprintf(stderr, "%d idle paired sessions: VmRSS %lld KiB\n",
                 checkpoint, points.back().rss_kib);
  }

  std::printf(
      "| idle paired sessions | relay VmRSS KiB | KiB per session (step) |"
      " set-up time s |\n|---:|---:|---:|---:|\n");
  for (size_t i = 0; i < points.size(); ++i) {
    std::string step = "–";
    if (i > 0) {
      const double per =
          static_cast<double>(points[i].rss_kib - points[i - 1].rss_kib) /
          (points[i].sessions - points[i - 1].sessions);
      char text[32];
      std::snprintf(text, sizeof(text), "%.1f", per);
      step = text;
    }
    std::printf("| %d | %lld | %s | %.0f |\n", points[i].sessions,
                points[i].rss_kib, step.c_str(), points[i].setup_seconds);
  }
  if (points.size() >= 3) {
    const Point& a = points[points.size() - 2];
    const Point& b = points.back();
    std::printf(
        "\nslope %d -> %d sessions: %.1f KiB per paired session "
        "(%.1f KiB per connection)\n",
        a.sessions, b.sessions,
        static_cast<double>(b.rss_kib - a.rss_kib) / (b.sessions - a.sessions),
        static_cast<double>(b.rss_kib - a.rss_kib) / (b.sessions - a.sessions) /
            2);
  }

  {
    std::lock_guard lock(mutex);
    stopping = true;
    stop_heartbeats.notify_all();
  }
  heartbeats.join();

  const auto stop_start = Clock::now();
  auto stopped = (*relay)->Stop(std::chrono::seconds(30));
  std::printf("relay SIGTERM with %zu sessions open: %s after %.1f s\n",
              sessions.size(),
              stopped ? ("exit " + std::to_string(*stopped)).c_str() : "killed",
              std::chrono::duration<double>(Clock::now() - stop_start).count());
  return failed ? 1 : 0;
}
