// What TLS clients nobody here wrote (openssl s_client, sslscan) and our
// own client see of a real tether-relay started from the shipped
// packaging/relay.toml: TLS 1.3 with TLS_AES_256_GCM_SHA384 by default,
// TLS 1.2 only when IT allows it and then only with ECDHE and AEAD, never
// TLS 1.0/1.1, and a wrong pin that fails closed.

#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/openssl_output.h"
#include "tests/support/relay_process.h"
#include "tests/support/relay_test_client.h"
#include "tests/support/shell.h"
#include "tests/support/text_files.h"

namespace tether::relay {
namespace {

using tether::test::RelayProcess;
using tether::test::RunShell;
using tether::test::ShellResult;

using tether::test::Contains;

class RelayTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!tether::test::HaveCommand("openssl"))
      GTEST_SKIP() << "openssl is not installed";
  }

  // The shipped configuration, with `changes` on top.
  void StartRelay(
      std::vector<std::pair<std::string, std::string>> changes = {}) {
    relay_ = std::make_unique<RelayProcess>(
        RelayProcess::Shipped{std::move(changes)});
    auto started = relay_->Start();
    ASSERT_TRUE(started.has_value()) << started.error().message;
  }

  // What it prints of the key exchange: "Server Temp Key: X25519" up to
  // OpenSSL 3.4 (Debian 12), "Peer Temp Key: X25519" from 3.5 (Debian 13);
  // the tests look for "Temp Key: ...".
  ShellResult SClient(const std::string& args) {
    return RunShell("timeout 20 openssl s_client -connect 127.0.0.1:" +
                    std::to_string(relay_->port()) + " " + args +
                    " </dev/null");
  }

  std::unique_ptr<RelayProcess> relay_;
};

TEST_F(RelayTlsTest, ShippedDefaultsSpeakTls13WithAes256Gcm) {
  StartRelay();
  const ShellResult result =
      SClient("-tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(
      Contains(result.output, "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384"))
      << result.output;
  EXPECT_TRUE(Contains(result.output, "Temp Key: X25519")) << result.output;
  // The relay names the mbedTLS it carries when it starts.
  EXPECT_TRUE(std::regex_search(relay_->log(),
                                std::regex(R"(\(mbedTLS 3\.\d+\.\d+\))")))
      << relay_->log();
}

TEST_F(RelayTlsTest, ShippedDefaultsTakeP256AndAskAgainForAShareTheyTake) {
  StartRelay();
  ShellResult result = SClient("-tls1_3 -groups P-256");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(Contains(result.output, "Temp Key: ECDH, prime256v1"))
      << result.output;
  // Key share for a group the relay does not take: HelloRetryRequest (a
  // second ServerHello in the trace), then P-256.
  result = SClient("-tls1_3 -groups ffdhe2048:P-256 -msg");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(tether::test::CountOf(result.output, "ServerHello"), 2u)
      << result.output;
  EXPECT_TRUE(Contains(result.output, "New, TLSv1.3")) << result.output;
}

TEST_F(RelayTlsTest, ShippedDefaultsRefuseOtherTls13SuitesAndTls12) {
  StartRelay();
  tether::test::ExpectServerRefused(
      SClient("-tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256"), "40");
  tether::test::ExpectServerRefused(SClient("-tls1_2"), "70");
  tether::test::ExpectServerRefused(
      SClient("-tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'"), "70");
}

TEST_F(RelayTlsTest, ItCanAddTls13Suites) {
  StartRelay(
      {{"tls.cipher_suites",
        R"(["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"])"}});
  const ShellResult result =
      SClient("-tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(Contains(result.output,
                       "New, TLSv1.3, Cipher is TLS_CHACHA20_POLY1305_SHA256"))
      << result.output;
}

TEST_F(RelayTlsTest, MinVersion12AllowsTls12WithEcdheAeadOnly) {
  StartRelay({{"tls.min_version", "\"1.2\""}});
  ShellResult result = SClient("-tls1_2");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(Contains(result.output,
                       "New, TLSv1.2, Cipher is ECDHE-ECDSA-AES256-GCM-SHA384"))
      << result.output;
  // CBC, static RSA key exchange: refused by the relay, not the client.
  tether::test::ExpectServerRefused(
      SClient("-tls1_2 -cipher "
              "'ECDHE-ECDSA-AES256-SHA384:AES256-GCM-SHA384:"
              "@SECLEVEL=0'"),
      "40");
  tether::test::ExpectServerRefused(
      SClient("-tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'"), "70");
  tether::test::ExpectServerRefused(
      SClient("-tls1 -cipher 'DEFAULT:@SECLEVEL=0'"), "70");
  // Clients that can still get TLS 1.3.
  result = SClient("");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(Contains(result.output, "New, TLSv1.3")) << result.output;
}

TEST_F(RelayTlsTest, WrongPinFailsClosedUnderTls13) {
  StartRelay();
  auto right = tether::test::RelayTestClient::Connect(relay_->port(),
                                                      relay_->fingerprint());
  ASSERT_TRUE(right.has_value()) << right.error().message;
  auto hello = (*right)->Hello(proto::ROLE_CUSTOMER);
  ASSERT_TRUE(hello.has_value()) << hello.error().message;
  EXPECT_EQ((*right)->tls_description(), "TLSv1.3 TLS1-3-AES-256-GCM-SHA384");

  const std::string wrong = "sha256:" + std::string(64, 'a');
  auto refused = tether::test::RelayTestClient::Connect(relay_->port(), wrong);
  ASSERT_FALSE(refused.has_value());
  EXPECT_TRUE(Contains(refused.error().message,
                       "does not match the pinned fingerprint"))
      << refused.error().message;
}

// sslscan, a scanner no one here wrote: TLS 1.3 only, AEAD suites only,
// nothing older.
TEST_F(RelayTlsTest, SslscanSeesTls13OnlyWithAeadSuites) {
  if (!tether::test::HaveCommand("sslscan"))
    GTEST_SKIP() << "sslscan is not installed";
  StartRelay();
  const ShellResult result =
      RunShell("timeout 60 sslscan --no-colour 127.0.0.1:" +
               std::to_string(relay_->port()));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::istringstream lines(result.output);
  std::string line;
  int accepted = 0;
  bool saw_protocols = false;
  bool tls13_enabled = false;
  const std::regex old_protocol(
      "^(SSLv2|SSLv3|TLSv1\\.0|TLSv1\\.1|TLSv1\\.2)\\s+(\\S+)");
  const std::regex tls13("^TLSv1\\.3\\s+enabled");
  while (std::getline(lines, line)) {
    std::smatch match;
    if (std::regex_search(line, match, old_protocol)) {
      saw_protocols = true;
      EXPECT_EQ(match[2], "disabled") << line;
    }
    tls13_enabled = tls13_enabled || std::regex_search(line, tls13);
    if (line.starts_with("Preferred") || line.starts_with("Accepted")) {
      ++accepted;
      EXPECT_TRUE(Contains(line, "TLSv1.3")) << line;
      EXPECT_TRUE(Contains(line, "TLS_AES_256_GCM_SHA384")) << line;
    }
  }
  EXPECT_TRUE(saw_protocols) << result.output;
  EXPECT_TRUE(tls13_enabled) << result.output;
  EXPECT_EQ(accepted, 1) << result.output;
}

}  // namespace
}  // namespace tether::relay
