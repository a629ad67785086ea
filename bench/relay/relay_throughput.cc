// tether-bench-relay: forwarding throughput and added latency through a
// real tether-relay on 127.0.0.1, side by side in one run with
//   - direct TCP        (no forwarder: the loopback's own ceiling),
//   - socat             (plaintext TCP forwarder),
//   - direct TLS        (mbedTLS client <-> mbedTLS server, no forwarder),
//   - haproxy           (TLS in, TLS out: mbedTLS client -> haproxy ->
//                        mbedTLS server; one haproxy thread, like the
//                        relay's one loop; ECDHE-ECDSA-AES256-GCM-SHA384),
//   - tether-relay      (customer -> relay -> technician, TLS on both legs,
//                        Relayed protobuf frames).
// For each: a stream of `--mib` MiB in 64 KiB messages one way (median of
// `--runs`), then `--pings` round trips of a 64-byte message (p50/p99), and
// the forwarder's CPU time per GiB forwarded.
//
// Everything runs on 127.0.0.1, is bounded in bytes and round trips, and a
// watchdog ends the program (and the processes it started) after 15
// minutes whatever happens.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "bench/relay/bench_relay_setup.h"
#include "crypto/certificate.h"
#include "crypto/random.h"
#include "crypto/tls_config.h"
#include "crypto/tls_engine.h"
#include "protocol/relay.pb.h"
#include "tests/support/child_process.h"
#include "tests/support/free_port.h"

namespace tether::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using test::LoopbackAddress;

constexpr auto kIoTimeout = std::chrono::seconds(30);

struct Options {
  size_t mib = 256;
  int runs = 3;
  int pings = 2000;
  size_t message_bytes = 64 << 10;
  size_t ping_bytes = 64;
  std::vector<std::string> only;  // empty: every mode
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "tether-bench-relay: %s\n", what.c_str());
  std::exit(1);
}

// ---------------------------------------------------------------- sockets

void SetTimeouts(int fd) {
  timeval tv{static_cast<time_t>(kIoTimeout.count()), 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

Result<int> ConnectTo(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = LoopbackAddress(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
      0) {
    close(fd);
    return MakeError("connect to 127.0.0.1:" + std::to_string(port) +
                     " failed: " + std::strerror(errno));
  }
  SetTimeouts(fd);
  return fd;
}

// A listening socket on 127.0.0.1 with a kernel-chosen port.
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in address = LoopbackAddress(0);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
            0 ||
        listen(fd_, 16) != 0) {
      Die("cannot listen on 127.0.0.1");
    }
    socklen_t length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~Listener() { close(fd_); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  uint16_t port() const { return port_; }

  Result<int> Accept() {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(kIoTimeout.count() * 1000)) != 1) {
      return MakeError("nobody connected to the bench server");
    }
    int fd = accept(fd_, nullptr, nullptr);
    if (fd < 0)
      return MakeError("accept failed");
    SetTimeouts(fd);
    return fd;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// A port that was free a moment ago, for a forwarder we start.
uint16_t FreePort() {
  Listener probe;
  return probe.port();
}

// True once something listens on 127.0.0.1:port. Read from /proc rather
// than by connecting, which would make a forwarder open a backend leg.
bool IsListening(uint16_t port) {
  char local[32];
  std::snprintf(local, sizeof(local), "0100007F:%04X", port);
  std::ifstream table("/proc/net/tcp");
  std::string line;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local_address, remote_address, state;
    fields >> slot >> local_address >> remote_address >> state;
    if (local_address == local && state == "0A")
      return true;
  }
  return false;
}

// ------------------------------------------------------------- channels

// One end of a forwarded stream: the benchmark's view of a peer.
class Channel {
 public:
  virtual ~Channel() = default;
  // One message (a Relayed frame for the relay, one write otherwise).
  virtual Result<void> Send(ByteSpan data) = 0;
  // Blocks until payload bytes arrive; returns how many (copies at most
  // `buffer.size()` of them).
  virtual Result<size_t> Receive(std::span<uint8_t> buffer) = 0;
};

Result<void> SendAll(int fd, ByteSpan data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return MakeError("send failed or timed out");
    sent += static_cast<size_t>(n);
  }
  return {};
}

class TcpChannel : public Channel {
 public:
  explicit TcpChannel(int fd) : fd_(fd) {}
  ~TcpChannel() override { close(fd_); }

  Result<void> Send(ByteSpan data) override { return SendAll(fd_, data); }
  Result<size_t> Receive(std::span<uint8_t> buffer) override {
    for (;;) {
      ssize_t n = recv(fd_, buffer.data(), buffer.size(), 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return MakeError("connection closed or timed out");
      return static_cast<size_t>(n);
    }
  }

 private:
  int fd_;
};

// A TCP socket with crypto::TlsEngine on top, either side.
class TlsChannel : public Channel {
 public:
  static Result<std::unique_ptr<TlsChannel>> Create(
      int fd,
      std::shared_ptr<const crypto::TlsConfig> config) {
    auto engine = crypto::TlsEngine::Create(std::move(config));
    if (!engine) {
      close(fd);
      return Unexpected(engine.error());
    }
    std::unique_ptr<TlsChannel> channel(new TlsChannel(fd, std::move(*engine)));
    for (int round = 0; round < 64; ++round) {
      auto done = channel->engine_->Handshake();
      if (auto flushed = channel->Flush(); !flushed)
        return Unexpected(flushed.error());
      if (!done)
        return Unexpected(done.error());
      if (*done)
        return channel;
      if (auto pumped = channel->Pump(); !pumped)
        return Unexpected(pumped.error());
    }
    return MakeError("TLS handshake did not finish");
  }
  ~TlsChannel() override { close(fd_); }

  Result<void> Send(ByteSpan data) override {
    if (auto written = engine_->Write(data); !written) {
      return Unexpected(written.error());
    }
    return Flush();
  }
  Result<size_t> Receive(std::span<uint8_t> buffer) override {
    for (;;) {
      auto n = engine_->Read(buffer);
      if (!n)
        return Unexpected(n.error());
      if (*n > 0)
        return *n;
      if (engine_->peer_closed())
        return MakeError("peer closed TLS");
      if (auto pumped = Pump(); !pumped)
        return Unexpected(pumped.error());
    }
  }
  std::string suite() const {
    return engine_->protocol_version() + " " + engine_->cipher_suite();
  }

 private:
  TlsChannel(int fd, std::unique_ptr<crypto::TlsEngine> engine)
      : fd_(fd), engine_(std::move(engine)) {}

  Result<void> Flush() { return SendAll(fd_, engine_->TakeOutgoing()); }
  Result<void> Pump() {
    uint8_t buffer[64 << 10];
    for (;;) {
      ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return MakeError("connection closed or timed out");
      engine_->FeedIncoming(ByteSpan(buffer, static_cast<size_t>(n)));
      return {};
    }
  }

  int fd_;
  std::unique_ptr<crypto::TlsEngine> engine_;
};

// A paired app as the relay sees it: payloads travel as Relayed frames.
class RelayChannel : public Channel {
 public:
  explicit RelayChannel(std::unique_ptr<test::RelayTestClient> client)
      : client_(std::move(client)) {
    SetTimeouts(client_->fd());
  }
  Result<void> Send(ByteSpan data) override {
    message_.mutable_relayed()->set_data(data.data(), data.size());
    return client_->Send(message_);
  }
  Result<size_t> Receive(std::span<uint8_t> buffer) override {
    auto message = client_->Receive(kIoTimeout);
    if (!message)
      return Unexpected(message.error());
    if (!message->has_relayed())
      return MakeError("expected a Relayed frame");
    const std::string& data = message->relayed().data();
    std::memcpy(buffer.data(), data.data(),
                std::min(buffer.size(), data.size()));
    return data.size();
  }

 private:
  std::unique_ptr<test::RelayTestClient> client_;
  proto::ClientMessage message_;
};

// ------------------------------------------------------ forwarder processes

// CPU ticks (user + system) of a process and its direct children, which is
// where a forking forwarder such as socat does its work.
long CpuTicks(pid_t pid) {
  auto of = [](pid_t p) -> long {
    std::ifstream stat("/proc/" + std::to_string(p) + "/stat");
    std::string text;
    std::getline(stat, text);  // one line
    const auto close_paren = text.rfind(')');
    if (close_paren == std::string::npos)
      return 0;
    std::istringstream fields(text.substr(close_paren + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14)
        utime = std::stol(field);
      if (i == 15)
        stime = std::stol(field);
    }
    return utime + stime;
  };
  long total = of(pid);
  std::ifstream children("/proc/" + std::to_string(pid) + "/task/" +
                         std::to_string(pid) + "/children");
  pid_t child = 0;
  while (children >> child)
    total += of(child);
  return total;
}

// An external forwarder (socat, haproxy), its output in `log`, once it
// listens on `port` (a bounded wait). It dies with the bench, the
// watchdog's exit included (the death signal), and is stopped with SIGTERM
// when it goes.
Result<std::unique_ptr<test::ChildProcess>> StartForwarder(
    std::vector<std::string> argv,
    const fs::path& log,
    uint16_t port) {
  TETHER_TRY(process, test::ChildProcess::Start(
                          {.argv = std::move(argv),
                           .output = test::ChildProcess::Output::kAppendToFile,
                           .output_file = log}));
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    if (IsListening(port))
      return std::move(*process);
    if (!(*process)->Running())
      return MakeError("exited during start-up");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return MakeError("did not listen within 10 s");
}

// The program's full path (PATH, then the sbin folders), or empty.
std::string Which(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = std::string(path ? path : "") + ":/usr/sbin:/sbin";
  std::istringstream split(dirs);
  std::string dir;
  while (std::getline(split, dir, ':')) {
    const fs::path candidate = fs::path(dir) / program;
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return "";
}

// ----------------------------------------------------------- measurement

struct ModeResult {
  ModeResult(std::string name_in, std::string what_in)
      : name(std::move(name_in)), what(std::move(what_in)) {}
  std::string name;
  std::string what;
  std::string note;  // negotiated suite, or why it did not run
  bool ran = false;
  double mib_per_s = 0;
  double p50_us = 0;
  double p99_us = 0;
  double cpu_s_per_gib = -1;           // the forwarder's, when it has one
  double endpoints_cpu_s_per_gib = 0;  // this process: sender + receiver
};

// CPU seconds (user + system) of this whole process so far.
double OwnCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) +
           static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty())
    return 0;
  std::sort(values.begin(), values.end());
  const size_t index =
      std::min(values.size() - 1, static_cast<size_t>(p * values.size()));
  return values[index];
}

// Streams `mib` MiB sender -> receiver `runs` times, then ping-pongs.
// `forwarder_pid` (or -1) is charged for CPU during the streaming runs.
Result<void> Measure(const Options& options,
                     Channel& sender,
                     Channel& receiver,
                     pid_t forwarder_pid,
                     ModeResult& result) {
  const size_t total = options.mib << 20;
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Clock::time_point> finished;
  std::optional<std::string> receiver_error;

  std::thread receiving([&] {
    std::vector<uint8_t> buffer(options.message_bytes);
    auto fail = [&](const std::string& what) {
      std::lock_guard lock(mutex);
      receiver_error = what;
      changed.notify_all();
    };
    for (int run = 0; run < options.runs; ++run) {
      size_t got = 0;
      while (got < total) {
        auto n = receiver.Receive(buffer);
        if (!n)
          return fail("receiving: " + n.error().message);
        got += *n;
      }
      std::lock_guard lock(mutex);
      finished.push_back(Clock::now());
      changed.notify_all();
    }
    for (int ping = 0; ping < options.pings + 100; ++ping) {
      size_t got = 0;
      while (got < options.ping_bytes) {
        auto n = receiver.Receive(std::span(buffer).subspan(got));
        if (!n)
          return fail("echo: " + n.error().message);
        got += *n;
      }
      if (auto sent = receiver.Send(ByteSpan(buffer.data(), got)); !sent) {
        return fail("echo: " + sent.error().message);
      }
    }
  });

  auto run_all = [&]() -> Result<void> {
    const Bytes message(options.message_bytes, 0x5a);
    std::vector<double> mib_per_s;
    long cpu_ticks = 0;
    double own_cpu = 0;
    for (int run = 0; run < options.runs; ++run) {
      const long cpu_before = forwarder_pid > 0 ? CpuTicks(forwarder_pid) : 0;
      const double own_before = OwnCpuSeconds();
      const auto start = Clock::now();
      for (size_t sent = 0; sent < total; sent += message.size()) {
        if (auto ok = sender.Send(message); !ok) {
          return MakeError("sending: " + ok.error().message);
        }
      }
      std::unique_lock lock(mutex);
      if (!changed.wait_for(lock, std::chrono::seconds(120), [&] {
            return finished.size() > static_cast<size_t>(run) ||
                   receiver_error.has_value();
          })) {
        return MakeError("the receiver did not finish within 120 s");
      }
      if (receiver_error)
        return MakeError(*receiver_error);
      const double seconds = std::chrono::duration<double>(
                                 finished[static_cast<size_t>(run)] - start)
                                 .count();
      mib_per_s.push_back(static_cast<double>(options.mib) / seconds);
      if (forwarder_pid > 0)
        cpu_ticks += CpuTicks(forwarder_pid) - cpu_before;
      own_cpu += OwnCpuSeconds() - own_before;
    }
    result.mib_per_s = Percentile(mib_per_s, 0.5);
    const double gib = static_cast<double>(options.mib * options.runs) / 1024.0;
    result.endpoints_cpu_s_per_gib = own_cpu / gib;
    if (forwarder_pid > 0) {
      result.cpu_s_per_gib = static_cast<double>(cpu_ticks) /
                             static_cast<double>(sysconf(_SC_CLK_TCK)) / gib;
    }

    std::vector<double> rtts;
    std::vector<uint8_t> ping(options.ping_bytes, 0x17),
        pong(options.ping_bytes);
    for (int i = 0; i < options.pings + 100; ++i) {
      const auto start = Clock::now();
      if (auto ok = sender.Send(ping); !ok)
        return MakeError("ping: " + ok.error().message);
      size_t got = 0;
      while (got < ping.size()) {
        auto n = sender.Receive(std::span(pong).subspan(got));
        if (!n)
          return MakeError("pong: " + n.error().message);
        got += *n;
      }
      // The first 100 warm up caches and the socket paths.
      if (i >= 100) {
        rtts.push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - start)
                .count());
      }
    }
    result.p50_us = Percentile(rtts, 0.50);
    result.p99_us = Percentile(rtts, 0.99);
    return {};
  };
  Result<void> outcome = run_all();
  if (!outcome) {
    // Unblock the receiver: it times out on its socket within kIoTimeout.
    std::fprintf(stderr, "  %s: %s (waiting for the receiver to time out)\n",
                 result.name.c_str(), outcome.error().message.c_str());
  }
  receiving.join();
  if (outcome && receiver_error)
    return MakeError(*receiver_error);
  if (outcome)
    result.ran = true;
  return outcome;
}

// ---------------------------------------------------------------- modes

struct BenchIdentity {
  fs::path dir;
  std::string fingerprint;
  std::shared_ptr<const crypto::TlsConfig> server;
  std::shared_ptr<const crypto::TlsConfig> client;
};

BenchIdentity MakeIdentity() {
  BenchIdentity identity;
  char pattern[] = "/tmp/tether-bench-relay-XXXXXX";
  identity.dir = mkdtemp(pattern);
  auto& random = crypto::RandomGenerator::Default();
  if (!crypto::CreateSelfSignedCertificate(identity.dir / "bench.crt",
                                           identity.dir / "bench.key",
                                           "bench.invalid", random)) {
    Die("cannot create a certificate");
  }
  auto cert = crypto::ReadPemFile(identity.dir / "bench.crt");
  auto key = crypto::ReadPemFile(identity.dir / "bench.key");
  if (!cert || !key)
    Die("cannot read the certificate");
  std::ofstream(identity.dir / "haproxy.pem") << *cert << *key;
  auto fingerprint = crypto::PublicKeyFingerprint(*cert);
  if (!fingerprint)
    Die("fingerprint");
  identity.fingerprint = *fingerprint;
  crypto::TlsServerOptions server;
  server.certificate_pem = *cert;
  server.private_key_pem = *key;
  auto server_config = crypto::TlsConfig::CreateServer(server, random);
  crypto::TlsClientOptions client;
  client.pinned_fingerprint = identity.fingerprint;
  auto client_config = crypto::TlsConfig::CreateClient(client, random);
  if (!server_config || !client_config)
    Die("TLS configs");
  identity.server = *server_config;
  identity.client = *client_config;
  return identity;
}

// Connects a client to `front_port` while accepting the far side on
// `backend`; `tls` wraps both ends in TlsEngine.
Result<void> RunPair(const Options& options,
                     const BenchIdentity& identity,
                     Listener& backend,
                     uint16_t front_port,
                     bool tls,
                     pid_t forwarder_pid,
                     ModeResult& result) {
  // The far side accepts (and answers the TLS handshake) in a thread: a
  // TLS forwarder connects onwards only after the client's handshake.
  std::unique_ptr<Channel> server;
  std::string server_error;
  std::thread accepting([&] {
    auto accepted = backend.Accept();
    if (!accepted) {
      server_error = accepted.error().message;
    } else if (!tls) {
      server = std::make_unique<TcpChannel>(*accepted);
    } else if (auto made = TlsChannel::Create(*accepted, identity.server);
               made) {
      server = std::move(*made);
    } else {
      server_error = "server TLS: " + made.error().message;
    }
  });
  std::unique_ptr<Channel> client;
  std::string client_error;
  if (auto connected = ConnectTo(front_port); !connected) {
    client_error = connected.error().message;
  } else if (!tls) {
    client = std::make_unique<TcpChannel>(*connected);
  } else if (auto made = TlsChannel::Create(*connected, identity.client);
             made) {
    result.note = (*made)->suite();
    client = std::move(*made);
  } else {
    client_error = "client TLS: " + made.error().message;
  }
  accepting.join();  // bounded: Accept and the handshake time out
  if (!client)
    return MakeError(client_error);
  if (!server)
    return MakeError(server_error);
  return Measure(options, *client, *server, forwarder_pid, result);
}

ModeResult DirectTcp(const Options& options, const BenchIdentity& identity) {
  ModeResult result("direct TCP", "client -> server, plaintext, no forwarder");
  Listener backend;
  if (auto ok = RunPair(options, identity, backend, backend.port(), false, -1,
                        result);
      !ok) {
    result.note = ok.error().message;
  }
  return result;
}

ModeResult DirectTls(const Options& options, const BenchIdentity& identity) {
  ModeResult result("direct TLS",
                    "mbedTLS client -> mbedTLS server, no forwarder");
  Listener backend;
  if (auto ok =
          RunPair(options, identity, backend, backend.port(), true, -1, result);
      !ok) {
    result.note = ok.error().message;
  }
  return result;
}

ModeResult Socat(const Options& options, const BenchIdentity& identity) {
  ModeResult result("socat", "client -> socat -> server, plaintext");
  const std::string program = Which("socat");
  if (program.empty()) {
    result.note = "socat not installed (apt-get install socat)";
    return result;
  }
  Listener backend;
  const uint16_t front = FreePort();
  auto socat = StartForwarder(
      {program,
       "TCP4-LISTEN:" + std::to_string(front) +
           ",bind=127.0.0.1,reuseaddr,fork,nodelay",
       "TCP4:127.0.0.1:" + std::to_string(backend.port()) + ",nodelay"},
      identity.dir / "socat.log", front);
  if (!socat) {
    result.note = "socat " + socat.error().message;
    return result;
  }
  if (auto ok = RunPair(options, identity, backend, front, false,
                        (*socat)->pid(), result);
      !ok) {
    result.note = ok.error().message;
  }
  return result;
}

ModeResult Haproxy(const Options& options, const BenchIdentity& identity) {
  ModeResult result(
      "haproxy",
      "mbedTLS client -TLS-> haproxy (1 thread) -TLS-> mbedTLS server");
  const std::string program = Which("haproxy");
  if (program.empty()) {
    result.note = "haproxy not installed (apt-get install haproxy)";
    return result;
  }
  Listener backend;
  const uint16_t front = FreePort();
  const fs::path config = identity.dir / "haproxy.cfg";
  // The relay's policy: TLS 1.3 with TLS_AES_256_GCM_SHA384 on both legs.
  const char* suite = "TLS_AES_256_GCM_SHA384";
  std::ofstream(config) << "global\n"
                        << "  nbthread 1\n  maxconn 64\n"
                        << "  ssl-default-bind-ciphersuites " << suite << "\n"
                        << "  ssl-default-bind-options ssl-min-ver TLSv1.3\n"
                        << "  ssl-default-server-ciphersuites " << suite << "\n"
                        << "  ssl-default-server-options ssl-min-ver TLSv1.3\n"
                        << "defaults\n  mode tcp\n  timeout connect 5s\n"
                        << "  timeout client 120s\n  timeout server 120s\n"
                        << "frontend front\n  bind 127.0.0.1:" << front
                        << " ssl crt "
                        << (identity.dir / "haproxy.pem").string() << "\n"
                        << "  default_backend back\n"
                        << "backend back\n  server far 127.0.0.1:"
                        << backend.port() << " ssl verify none\n";
  auto haproxy = StartForwarder({program, "-db", "-f", config.string()},
                                identity.dir / "haproxy.log", front);
  if (!haproxy) {
    result.note = "haproxy " + haproxy.error().message;
    return result;
  }
  if (auto ok = RunPair(options, identity, backend, front, true,
                        (*haproxy)->pid(), result);
      !ok) {
    result.note = ok.error().message;
  }
  return result;
}

ModeResult Relay(const Options& options) {
  ModeResult result("tether-relay",
                    "customer -TLS-> relay -TLS-> technician, Relayed frames");
  auto relay = StartBenchRelay(64);
  if (!relay) {
    result.note = "relay: " + relay.error().message;
    return result;
  }
  auto session = OpenPairedSession(**relay);
  if (!session) {
    result.note = "pairing: " + session.error().message;
    return result;
  }
  result.note = session->customer->tls_description() + " (relay's policy)";
  RelayChannel customer(std::move(session->customer));
  RelayChannel technician(std::move(session->technician));
  if (auto ok = Measure(options, customer, technician, (*relay)->pid(), result);
      !ok) {
    result.note = ok.error().message;
  }
  std::fprintf(stderr, "  relay VmRSS after the runs: %lld KiB\n",
               test::RssKiB((*relay)->pid()));
  return result;
}

bool Wanted(const Options& options, const std::string& mode) {
  return options.only.empty() ||
         std::find(options.only.begin(), options.only.end(), mode) !=
             options.only.end();
}

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        Die("missing value for " + arg);
      return argv[++i];
    };
    if (arg == "--mib") {
      options.mib = std::clamp<size_t>(std::stoul(value()), 1, 4096);
    } else if (arg == "--runs") {
      options.runs = std::clamp(std::stoi(value()), 1, 20);
    } else if (arg == "--pings") {
      options.pings = std::clamp(std::stoi(value()), 1, 100000);
    } else if (arg == "--only") {
      std::istringstream modes(value());
      std::string mode;
      while (std::getline(modes, mode, ','))
        options.only.push_back(mode);
    } else {
      Die("usage: tether-bench-relay [--mib N] [--runs N] [--pings N] "
          "[--only tcp,socat,tls,haproxy,relay]");
    }
  }
  return options;
}

}  // namespace
}  // namespace tether::bench

int main(int argc, char** argv) {
  using namespace tether::bench;
  InstallWatchdog(15 * 60);  // ends by itself whatever happens
  signal(SIGPIPE, SIG_IGN);
  UseRelayBesideThisProgram();
  const Options options = ParseOptions(argc, argv);
  const BenchIdentity identity = MakeIdentity();

  std::printf(
      "stream: %zu MiB in %zu KiB messages, median of %d runs; "
      "latency: %d round trips of %zu bytes\n\n",
      options.mib, options.message_bytes >> 10, options.runs, options.pings,
      options.ping_bytes);
  std::vector<ModeResult> results;
  auto run = [&](const std::string& key,
                 const std::function<ModeResult()>& mode) {
    if (!Wanted(options, key))
      return;
    std::fprintf(stderr, "running %s...\n", key.c_str());
    results.push_back(mode());
  };
  run("tcp", [&] { return DirectTcp(options, identity); });
  run("socat", [&] { return Socat(options, identity); });
  run("tls", [&] { return DirectTls(options, identity); });
  run("haproxy", [&] { return Haproxy(options, identity); });
  run("relay", [&] { return Relay(options); });

  std::printf(
      "| path | MiB/s | RTT p50 µs | RTT p99 µs | forwarder CPU s/GiB |"
      " endpoints CPU s/GiB |\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  bool all_ran = true;
  for (const auto& r : results) {
    if (!r.ran) {
      all_ran = false;
      std::printf("| %s | – | – | – | – | – |\n", r.name.c_str());
      continue;
    }
    char cpu[32] = "–";
    if (r.cpu_s_per_gib >= 0)
      std::snprintf(cpu, sizeof(cpu), "%.2f", r.cpu_s_per_gib);
    std::printf("| %s | %.0f | %.0f | %.0f | %s | %.2f |\n", r.name.c_str(),
                r.mib_per_s, r.p50_us, r.p99_us, cpu,
                r.endpoints_cpu_s_per_gib);
  }
  std::printf("\n");
  for (const auto& r : results) {
    std::printf("- %s: %s%s%s\n", r.name.c_str(), r.what.c_str(),
                r.note.empty() ? "" : "; ", r.note.c_str());
  }
  std::error_code ec;
  std::filesystem::remove_all(identity.dir, ec);
  return all_ran ? 0 : 1;
}
