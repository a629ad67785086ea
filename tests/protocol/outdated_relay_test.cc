// An app meets a server that does not speak TLS 1.3 (a relay built before
// mbedTLS 3.6, here `openssl s_server -tls1_2`): it refuses to go on and
// says so in a sentence a customer can pass on to IT.

#include <gtest/gtest.h>
#include <stdlib.h>  // mkdtemp

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "crypto/certificate.h"
#include "protocol/peer_session.h"
#include "protocol/session_end.h"
#include "tests/support/session_recorder.h"
#include "tests/support/shell.h"

namespace tether::protocol {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

// `openssl s_server` limited to `version_flag`, for one connection and at
// most 20 s, on a free loopback port, with a fresh P-256 certificate.
class OpensslServer {
 public:
  explicit OpensslServer(const std::string& version_flag) {
    char pattern[] = "/tmp/tether-old-relay-XXXXXX";
    dir_ = mkdtemp(pattern);
    const std::string key = (dir_ / "old.key").string();
    const std::string crt = (dir_ / "old.crt").string();
    if (test::RunShell("openssl req -x509 -newkey ec -pkeyopt "
                       "ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "
                       "/CN=old-relay -keyout " +
                       key + " -out " + crt)
            .exit_code != 0) {
      return;
    }
    std::stringstream pem;
    pem << std::ifstream(crt).rdbuf();
    auto fingerprint = crypto::PublicKeyFingerprint(pem.str());
    if (!fingerprint)
      return;
    fingerprint_ = *fingerprint;
    out_ = popen(("timeout 20 openssl s_server -www " + version_flag +
                  " -accept 127.0.0.1:0 -naccept 1 -cert " + crt + " -key " +
                  key + " </dev/null 2>&1")
                     .c_str(),
                 "r");
    char line[256];
    while (out_ != nullptr && std::fgets(line, sizeof(line), out_) != nullptr) {
      const std::string text = line;
      if (text.starts_with("ACCEPT 127.0.0.1:")) {
        port_ = static_cast<uint16_t>(std::stoi(text.substr(17)));
        break;
      }
    }
  }
  ~OpensslServer() {
    if (out_ != nullptr)
      pclose(out_);  // s_server ends after its one connection
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  uint16_t port() const { return port_; }
  const std::string& fingerprint() const { return fingerprint_; }

 private:
  fs::path dir_;
  FILE* out_ = nullptr;
  uint16_t port_ = 0;
  std::string fingerprint_;
};

TEST(OutdatedRelayTest, AppRefusesATls12OnlyServerWithAPlainSentence) {
  if (!test::HaveCommand("openssl"))
    GTEST_SKIP() << "openssl is not installed";
  OpensslServer old_relay("-tls1_2");
  ASSERT_NE(old_relay.port(), 0) << "openssl s_server did not start";

  test::DeliveryQueue queue;
  test::SessionRecorder seen;
  PeerSession::Options options;
  options.relay.host = "127.0.0.1";
  options.relay.port = old_relay.port();
  options.relay.fingerprint = old_relay.fingerprint();
  options.role = proto::ROLE_CUSTOMER;
  options.app_version = "tether-test 0.1.0";
  options.code = "12345678";
  options.deliver = queue.deliver();
  options.connect_timeout = seconds(5);
  auto session = PeerSession::Start(std::move(options), &seen);
  ASSERT_TRUE(session.has_value()) << session.error().message;
  ASSERT_TRUE(
      queue.RunUntil([&] { return seen.ended_count > 0; }, seconds(10)));
  EXPECT_EQ(seen.ended->reason, proto::END_REASON_PROTOCOL_ERROR);
  EXPECT_EQ(seen.ended->message, kOutdatedRelayText);
  EXPECT_TRUE(seen.ended->relay_outdated);
  EXPECT_FALSE(seen.ended->server_untrusted);
  EXPECT_FALSE(seen.hello.has_value());
  session->reset();
  queue.RunPending();
}

}  // namespace
}  // namespace tether::protocol
