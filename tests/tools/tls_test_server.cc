// A TLS echo server for interoperability tests: the memory TLS engine driven
// by blocking sockets, one connection at a time.
//
//   tls_test_server [--connections N] [--timeout-seconds S]
//                   [--cert FILE --key FILE] [--min-version 1.2|1.3]
//                   [--suites TLS_AES_256_GCM_SHA384,...]
//
// Binds 127.0.0.1 on a free port and prints the port number on the first
// line of stdout, so a test can connect without sleeping. Serves N
// connections (default 1), echoing what it reads, then exits. It also exits
// once S seconds (default 20, at most 30) have passed, so a test that goes
// wrong never leaves it behind. Without --cert/--key it creates a
// self-signed ECDSA certificate for "relay.test" in a temporary directory.
// --min-version and --suites set the server policy as the relay's
// tls.min_version and tls.cipher_suites do (default: the relay's default).
// One line per connection on stderr says how it went.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/certificate.h"
#include "crypto/random.h"
#include "crypto/tls_config.h"
#include "crypto/tls_engine.h"

namespace tether::crypto {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr int kMaxTimeoutSeconds = 30;

struct Options {
  int connections = 1;
  int timeout_seconds = 20;
  std::string cert_file;
  std::string key_file;
  TlsVersion min_version = TlsServerOptions{}.min_version;
  std::vector<Tls13Suite> suites = TlsServerOptions{}.tls13_suites;
};

int Usage() {
  std::fprintf(stderr,
               "usage: tls_test_server [--connections N] "
               "[--timeout-seconds S] [--cert FILE --key FILE] "
               "[--min-version 1.2|1.3] [--suites NAME,...]\n");
  return 2;
}

int MillisecondsUntil(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

// Waits until `fd` is readable; false on timeout or error.
bool WaitReadable(int fd, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, MillisecondsUntil(deadline));
    if (ready > 0)
      return true;
    if (ready == 0)
      return false;
    if (errno != EINTR)
      return false;
  }
}

bool SendAll(int fd, const Bytes& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n =
        ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

// Serves one connection until the peer closes, an error, or the deadline.
// Returns a one-line description.
std::string Serve(int fd,
                  std::shared_ptr<const TlsConfig> config,
                  Clock::time_point deadline) {
  auto created = TlsEngine::Create(std::move(config));
  if (!created)
    return "engine: " + created.error().message;
  TlsEngine& engine = **created;
  auto flush = [&] { return SendAll(fd, engine.TakeOutgoing()); };

  uint8_t buffer[16384];
  for (;;) {
    if (!engine.handshake_complete()) {
      auto done = engine.Handshake();
      flush();  // the alert, if it failed
      if (!done)
        return "handshake failed: " + done.error().message;
    }
    if (engine.handshake_complete()) {
      for (;;) {
        auto n = engine.Read(buffer);
        if (!n) {
          flush();
          return "read failed: " + n.error().message;
        }
        if (*n == 0)
          break;
        auto written = engine.Write(ByteSpan(buffer, *n));
        if (!written)
          return "write failed: " + written.error().message;
      }
      if (engine.peer_closed()) {
        engine.Close();
        flush();
        return "closed by peer after " + engine.protocol_version() + " " +
               engine.cipher_suite();
      }
    }
    if (!flush())
      return "send failed: " + std::string(std::strerror(errno));
    if (!WaitReadable(fd, deadline))
      return "timed out";
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      return engine.handshake_complete()
                 ? "connection ended after " + engine.protocol_version() + " " +
                       engine.cipher_suite()
                 : "connection ended during the handshake";
    }
    engine.FeedIncoming(ByteSpan(buffer, static_cast<size_t>(n)));
  }
}

int Run(const Options& options) {
  std::signal(SIGPIPE, SIG_IGN);
  auto deadline = Clock::now() + std::chrono::seconds(options.timeout_seconds);

  // Removes the generated certificate directory on every way out.
  struct TempDir {
    fs::path path;
    ~TempDir() {
      std::error_code ec;
      if (!path.empty())
        fs::remove_all(path, ec);
    }
  } temp;

  std::string cert_file = options.cert_file;
  std::string key_file = options.key_file;
  if (cert_file.empty()) {
    std::string pattern =
        (fs::temp_directory_path() / "tether-tls-server-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    temp.path = pattern;
    cert_file = (temp.path / "server.crt").string();
    key_file = (temp.path / "server.key").string();
    auto created = CreateSelfSignedCertificate(
        cert_file, key_file, "relay.test", RandomGenerator::Default());
    if (!created) {
      std::fprintf(stderr, "%s\n", created.error().message.c_str());
      return 1;
    }
  }

  TlsServerOptions server_options;
  auto cert = ReadPemFile(cert_file);
  auto key = ReadPemFile(key_file);
  if (!cert || !key) {
    std::fprintf(stderr, "%s\n",
                 (!cert ? cert.error() : key.error()).message.c_str());
    return 1;
  }
  server_options.certificate_pem = *cert;
  server_options.private_key_pem = *key;
  server_options.min_version = options.min_version;
  server_options.tls13_suites = options.suites;
  auto config =
      TlsConfig::CreateServer(server_options, RandomGenerator::Default());
  // The PEMs are in memory now; a generated certificate's files go at once,
  // so nothing is left behind even when a test stops us with SIGTERM.
  if (!temp.path.empty()) {
    std::error_code ec;
    fs::remove_all(temp.path, ec);
    temp.path.clear();
  }
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    return 1;
  }

  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) {
    std::perror("socket");
    return 1;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address),
             sizeof(address)) != 0 ||
      ::listen(listener, 8) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) !=
          0) {
    std::perror("bind/listen");
    ::close(listener);
    return 1;
  }
  std::printf("%u\n", static_cast<unsigned>(ntohs(address.sin_port)));
  std::fflush(stdout);

  int served = 0;
  while (served < options.connections) {
    if (!WaitReadable(listener, deadline)) {
      std::fprintf(stderr,
                   "tls_test_server: timed out after %d of %d "
                   "connections\n",
                   served, options.connections);
      break;
    }
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR)
        continue;
      std::perror("accept");
      break;
    }
    ++served;
    std::string outcome = Serve(fd, *config, deadline);
    ::close(fd);
    std::fprintf(stderr, "tls_test_server: connection %d: %s\n", served,
                 outcome.c_str());
  }
  ::close(listener);
  return 0;
}

}  // namespace
}  // namespace tether::crypto

int main(int argc, char** argv) {
  tether::crypto::Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i + 1 >= argc)
      return tether::crypto::Usage();
    std::string value = argv[++i];
    if (arg == "--connections") {
      options.connections = std::atoi(value.c_str());
    } else if (arg == "--timeout-seconds") {
      options.timeout_seconds = std::atoi(value.c_str());
    } else if (arg == "--cert") {
      options.cert_file = value;
    } else if (arg == "--key") {
      options.key_file = value;
    } else if (arg == "--min-version" && (value == "1.2" || value == "1.3")) {
      options.min_version = value == "1.2" ? tether::crypto::TlsVersion::kTls12
                                           : tether::crypto::TlsVersion::kTls13;
    } else if (arg == "--suites") {
      options.suites.clear();
      for (size_t start = 0; start <= value.size();) {
        const size_t comma = std::min(value.find(',', start), value.size());
        auto suite = tether::crypto::ParseTls13Suite(
            std::string_view(value).substr(start, comma - start));
        if (!suite)
          return tether::crypto::Usage();
        options.suites.push_back(*suite);
        start = comma + 1;
      }
    } else {
      return tether::crypto::Usage();
    }
  }
  if (options.connections < 1 || options.timeout_seconds < 1 ||
      options.cert_file.empty() != options.key_file.empty()) {
    return tether::crypto::Usage();
  }
  options.timeout_seconds =
      std::min(options.timeout_seconds, tether::crypto::kMaxTimeoutSeconds);
  return tether::crypto::Run(options);
}
