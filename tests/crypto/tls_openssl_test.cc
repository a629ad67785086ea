// Interoperability and policy tests against a real TLS stack: `openssl
// s_client` talks to tests/tools/tls_test_server (our engine over real
// sockets, with the relay's default policy unless told otherwise). The
// refusals must come from our server, so the client is loosened
// (@SECLEVEL=0) to offer what we refuse, and each failure must show an alert
// received from the server. tests/relay/relay_tls_test.cc checks the same
// against a relay started from the shipped relay.toml.

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "tests/support/openssl_output.h"
#include "tests/support/shell.h"
#include "tests/support/text_files.h"

extern char** environ;

namespace tether::crypto {
namespace {

namespace fs = std::filesystem;

// The relay's tls.min_version = "1.2".
const std::vector<std::string> kAllowTls12 = {"--min-version", "1.2"};

using tether::test::Contains;

fs::path TestServerPath() {
  const char* dir = std::getenv("TETHER_TEST_BIN_DIR");
  return fs::path(dir != nullptr ? dir : "") / "tls_test_server";
}

using CommandResult = tether::test::ShellResult;
using tether::test::RunShell;

// The test server as a child process. Start() returns once it has printed
// its port (no sleeping); the destructor stops it if it has not exited yet.
class TestServer {
 public:
  TestServer() = default;
  ~TestServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (out_ != nullptr)
      std::fclose(out_);
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // Returns the port, or 0 on failure.
  int Start(const std::vector<std::string>& extra_args = {}) {
    std::vector<std::string> args = {TestServerPath().string(), "--connections",
                                     "1", "--timeout-seconds", "20"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (auto& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);

    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0)
      return 0;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
    int spawned =
        posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    if (spawned != 0) {
      pid_ = 0;
      ::close(pipe_fds[0]);
      return 0;
    }
    out_ = ::fdopen(pipe_fds[0], "r");
    if (out_ == nullptr)
      return 0;
    char line[32];
    // Blocks until the server is listening; EOF if it died first.
    if (std::fgets(line, sizeof(line), out_) == nullptr)
      return 0;
    return std::atoi(line);
  }

 private:
  pid_t pid_ = 0;
  FILE* out_ = nullptr;
};

// One s_client connection, stdin closed, bounded by `timeout`. Of the key
// exchange it prints "Server Temp Key: X25519" up to OpenSSL 3.4 (Debian 12)
// and "Peer Temp Key: X25519" from 3.5 (Debian 13): the tests look for
// "Temp Key: ...".
CommandResult RunSClient(int port, const std::string& args) {
  return RunShell(
      "timeout 20 openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
      " -servername relay.test " + args + " </dev/null");
}

class TlsOpensslTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!tether::test::HaveCommand("openssl"))
      GTEST_SKIP() << "openssl is not installed";
    ASSERT_TRUE(fs::exists(TestServerPath()))
        << TestServerPath() << " missing; is TETHER_TEST_BIN_DIR set?";
  }

  // Connects once to a fresh server and returns what s_client printed.
  CommandResult Connect(const std::string& args,
                        const std::vector<std::string>& server_args = {}) {
    TestServer server;
    int port = server.Start(server_args);
    EXPECT_GT(port, 0) << "test server did not start";
    if (port <= 0)
      return {};
    return RunSClient(port, args);
  }
};

TEST_F(TlsOpensslTest, DefaultClientGetsTls13WithAes256Gcm) {
  CommandResult result = Connect("");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(
      Contains(result.output, "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384"))
      << result.output;
  EXPECT_TRUE(Contains(result.output, "Temp Key: X25519")) << result.output;
}

TEST_F(TlsOpensslTest, Tls13OnlyClientAskingForAes256GcmIsAccepted) {
  CommandResult result =
      Connect("-tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(
      Contains(result.output, "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384"))
      << result.output;
}

TEST_F(TlsOpensslTest, P256OnlyClientIsAccepted) {
  CommandResult result = Connect("-tls1_3 -groups P-256");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(Contains(result.output, "Temp Key: ECDH, prime256v1"))
      << result.output;
}

// The client's key share is for a group we do not take (finite-field DH):
// the server asks for P-256 with a HelloRetryRequest (a second ServerHello
// in s_client's message trace) and the handshake completes.
TEST_F(TlsOpensslTest, ClientWithoutUsableKeyShareGetsHelloRetryRequest) {
  CommandResult result = Connect("-tls1_3 -groups ffdhe2048:P-256 -msg");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(tether::test::CountOf(result.output, "ServerHello"), 2u)
      << result.output;
  EXPECT_TRUE(Contains(result.output, "Temp Key: ECDH, prime256v1"))
      << result.output;
}

class TlsOpensslTls13SuiteTest
    : public TlsOpensslTest,
      public ::testing::WithParamInterface<const char*> {};

// Only AES-256 by default; IT may add the other two (tls.cipher_suites).
TEST_P(TlsOpensslTls13SuiteTest, IsRefusedByDefaultAndAcceptedWhenListed) {
  const std::string suite = GetParam();
  tether::test::ExpectServerRefused(Connect("-tls1_3 -ciphersuites " + suite),
                                    "40");
  CommandResult result =
      Connect("-tls1_3 -ciphersuites " + suite,
              {"--suites", "TLS_AES_256_GCM_SHA384," + suite});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(Contains(result.output, "New, TLSv1.3, Cipher is " + suite))
      << result.output;
}

INSTANTIATE_TEST_SUITE_P(NotDefault,
                         TlsOpensslTls13SuiteTest,
                         ::testing::Values("TLS_CHACHA20_POLY1305_SHA256",
                                           "TLS_AES_128_GCM_SHA256"));

TEST_F(TlsOpensslTest, Tls12IsRefusedByDefault) {
  tether::test::ExpectServerRefused(Connect("-tls1_2"), "70");
}

class TlsOpensslAcceptedSuiteTest
    : public TlsOpensslTest,
      public ::testing::WithParamInterface<const char*> {};

TEST_P(TlsOpensslAcceptedSuiteTest, Tls12AeadSuiteIsNegotiatedWhenAllowed) {
  std::string suite = GetParam();
  CommandResult result = Connect("-tls1_2 -cipher " + suite, kAllowTls12);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(Contains(result.output, "New, TLSv1.2, Cipher is " + suite))
      << result.output;
}

INSTANTIATE_TEST_SUITE_P(EcdsaCertificate,
                         TlsOpensslAcceptedSuiteTest,
                         ::testing::Values("ECDHE-ECDSA-AES256-GCM-SHA384",
                                           "ECDHE-ECDSA-AES128-GCM-SHA256",
                                           "ECDHE-ECDSA-CHACHA20-POLY1305"));

// Even where TLS 1.2 is allowed.
TEST_F(TlsOpensslTest, Tls11IsRefusedByTheServer) {
  tether::test::ExpectServerRefused(
      Connect("-tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'", kAllowTls12), "70");
}

TEST_F(TlsOpensslTest, Tls10IsRefusedByTheServer) {
  tether::test::ExpectServerRefused(
      Connect("-tls1 -cipher 'DEFAULT:@SECLEVEL=0'", kAllowTls12), "70");
}

struct RefusedSuite {
  const char* suite;
  const char* client_args;  // what the client needs to offer it at all
};

void PrintTo(const RefusedSuite& refused, std::ostream* out) {
  *out << refused.suite;
}

class TlsOpensslRefusedSuiteTest
    : public TlsOpensslTest,
      public ::testing::WithParamInterface<RefusedSuite> {};

TEST_P(TlsOpensslRefusedSuiteTest, SuiteIsRefusedEvenWhereTls12IsAllowed) {
  tether::test::ExpectServerRefused(
      Connect(std::string("-tls1_2 -cipher '") + GetParam().suite +
                  ":@SECLEVEL=0' " + GetParam().client_args,
              kAllowTls12),
      "40");
}

INSTANTIATE_TEST_SUITE_P(
    CbcAndStaticKeyExchange,
    TlsOpensslRefusedSuiteTest,
    ::testing::Values(RefusedSuite{"ECDHE-ECDSA-AES256-SHA384", ""},  // CBC
                      RefusedSuite{"ECDHE-ECDSA-AES256-SHA", ""},  // CBC SHA-1
                      RefusedSuite{"ECDHE-ECDSA-AES128-SHA256", ""},  // CBC
                      RefusedSuite{"AES256-GCM-SHA384", ""},          // RSA kx
                      RefusedSuite{"PSK-AES256-GCM-SHA384",
                                   "-psk 00112233445566778899aabbccddeeff"}));

// With an RSA certificate the server offers ECDHE-RSA (where TLS 1.2 is
// allowed), but still never the static RSA key exchange that the
// certificate would make possible; TLS 1.3 signs with RSA-PSS.
class TlsOpensslRsaTest : public TlsOpensslTest {
 protected:
  void SetUp() override {
    TlsOpensslTest::SetUp();
    if (IsSkipped() || HasFatalFailure())
      return;
    std::string pattern =
        (fs::temp_directory_path() / "tether-tls-rsa-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    CommandResult made = RunShell(
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "
        "/CN=relay.test -keyout '" +
        (dir_ / "rsa.key").string() + "' -out '" + (dir_ / "rsa.crt").string() +
        "'");
    ASSERT_EQ(made.exit_code, 0) << made.output;
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty())
      fs::remove_all(dir_, ec);
  }
  std::vector<std::string> ServerArgs() const {
    return {"--cert",        (dir_ / "rsa.crt").string(),
            "--key",         (dir_ / "rsa.key").string(),
            "--min-version", "1.2"};
  }

  fs::path dir_;
};

TEST_F(TlsOpensslRsaTest, EcdheRsaAes256GcmIsNegotiated) {
  CommandResult result =
      Connect("-tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384", ServerArgs());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(Contains(result.output,
                       "New, TLSv1.2, Cipher is ECDHE-RSA-AES256-GCM-SHA384"))
      << result.output;
}

TEST_F(TlsOpensslRsaTest, Tls13WorksWithAnRsaCertificate) {
  CommandResult result =
      Connect("-tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384", ServerArgs());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(
      Contains(result.output, "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384"))
      << result.output;
}

TEST_F(TlsOpensslRsaTest, StaticRsaKeyExchangeIsRefused) {
  tether::test::ExpectServerRefused(
      Connect("-tls1_2 -cipher 'AES256-GCM-SHA384:AES128-GCM-SHA256:"
              "AES256-SHA256:@SECLEVEL=0'",
              ServerArgs()),
      "40");
}

TEST_F(TlsOpensslRsaTest, EcdheRsaCbcIsRefused) {
  tether::test::ExpectServerRefused(
      Connect("-tls1_2 -cipher 'ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES256-SHA:"
              "@SECLEVEL=0'",
              ServerArgs()),
      "40");
}

}  // namespace
}  // namespace tether::crypto
