// Mutually authenticated TLS 1.3 between the relays of one cluster: the
// server requires a client certificate with a pinned key
// (TlsServerOptions::client_pins), the client presents one
// (TlsClientOptions::certificate_pem) and pins the server as usual.

#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "crypto/certificate.h"
#include "crypto/random.h"
#include "crypto/tls_config.h"
#include "crypto/tls_engine.h"
#include "tests/crypto/tls_engine_pair.h"

namespace tether::crypto {
namespace {

namespace fs = std::filesystem;

using test::Contains;
using test::HandshakeOutcome;
using test::ReadAvailable;
using test::RunHandshake;
using test::Shuttle;

class TlsMutualTest : public ::testing::Test {
 protected:
  // "relay-a" serves; "relay-b" and "relay-c" are other members of the
  // cluster; "stranger" is a relay of no cluster.
  static void SetUpTestSuite() {
    std::string pattern =
        (fs::temp_directory_path() / "tether-mtls-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = new fs::path(pattern);
    for (const char* name : {"relay-a", "relay-b", "relay-c", "stranger"}) {
      auto created = CreateSelfSignedCertificate(
          *dir_ / (std::string(name) + ".crt"),
          *dir_ / (std::string(name) + ".key"),
          std::string(name) + ".cluster.test", RandomGenerator::Default());
      ASSERT_TRUE(created.has_value()) << created.error().message;
    }
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
    dir_ = nullptr;
  }

  static std::string Pem(const fs::path& path) {
    auto pem = ReadPemFile(path);
    EXPECT_TRUE(pem.has_value()) << pem.error().message;
    return pem.value_or("");
  }
  static std::string CertPem(const std::string& name) {
    return Pem(*dir_ / (name + ".crt"));
  }
  static std::string KeyPem(const std::string& name) {
    return Pem(*dir_ / (name + ".key"));
  }
  static std::string Fingerprint(const std::string& name) {
    auto fingerprint = PublicKeyFingerprint(CertPem(name));
    EXPECT_TRUE(fingerprint.has_value());
    return fingerprint.value_or("");
  }

  // relay-a's server, requiring a client key among `client_pins` (none:
  // today's relay, which asks for no certificate).
  static TlsServerOptions ServerOptions(std::vector<std::string> client_pins) {
    TlsServerOptions options;
    options.certificate_pem = CertPem("relay-a");
    options.private_key_pem = KeyPem("relay-a");
    options.client_pins = std::move(client_pins);
    return options;
  }
  // A client pinned to relay-a, presenting `name`'s certificate (none when
  // empty).
  static TlsClientOptions ClientOptions(const std::string& name) {
    TlsClientOptions options;
    options.pinned_fingerprint = Fingerprint("relay-a");
    if (!name.empty()) {
      options.certificate_pem = CertPem(name);
      options.private_key_pem = KeyPem(name);
    }
    return options;
  }

  static std::unique_ptr<TlsEngine> ServerEngine(
      const TlsServerOptions& options) {
    auto config = TlsConfig::CreateServer(options, RandomGenerator::Default());
    EXPECT_TRUE(config.has_value()) << config.error().message;
    if (!config)
      return nullptr;
    auto engine = TlsEngine::Create(*config);
    EXPECT_TRUE(engine.has_value()) << engine.error().message;
    return engine.has_value() ? std::move(engine).value() : nullptr;
  }
  static std::unique_ptr<TlsEngine> ClientEngine(
      const TlsClientOptions& options) {
    auto config = TlsConfig::CreateClient(options, RandomGenerator::Default());
    EXPECT_TRUE(config.has_value()) << config.error().message;
    if (!config)
      return nullptr;
    auto engine = TlsEngine::Create(*config);
    EXPECT_TRUE(engine.has_value()) << engine.error().message;
    return engine.has_value() ? std::move(engine).value() : nullptr;
  }

  // Handshakes `client_` with `server_`; both must succeed.
  void Connect(const TlsServerOptions& server_options,
               const TlsClientOptions& client_options) {
    server_ = ServerEngine(server_options);
    client_ = ClientEngine(client_options);
    ASSERT_TRUE(client_ && server_);
    HandshakeOutcome outcome = RunHandshake(*client_, *server_);
    ASSERT_TRUE(outcome.client.has_value()) << outcome.client.error().message;
    ASSERT_TRUE(outcome.server.has_value()) << outcome.server.error().message;
    ASSERT_TRUE(*outcome.client && *outcome.server);
  }

  // Handshakes `client_` with `server_` and expects the server to refuse
  // the client's certificate; returns the server's error. The client learns
  // of it from the alert: its next Read fails.
  std::string ExpectServerRefuses(const TlsServerOptions& server_options,
                                  const TlsClientOptions& client_options) {
    server_ = ServerEngine(server_options);
    client_ = ClientEngine(client_options);
    if (!client_ || !server_) {
      ADD_FAILURE() << "no engines";
      return "";
    }
    HandshakeOutcome outcome = RunHandshake(*client_, *server_);
    EXPECT_FALSE(outcome.server.has_value());
    EXPECT_FALSE(server_->handshake_complete());
    EXPECT_TRUE(server_->certificate_rejected());
    EXPECT_EQ(server_->peer_fingerprint(), "");
    uint8_t buffer[256];
    auto read = client_->Read(buffer);
    EXPECT_FALSE(read.has_value()) << "the client read on after the refusal";
    EXPECT_FALSE(client_->certificate_rejected());
    return outcome.server.has_value() ? "" : outcome.server.error().message;
  }

  static fs::path* dir_;
  std::unique_ptr<TlsEngine> client_;
  std::unique_ptr<TlsEngine> server_;
};

fs::path* TlsMutualTest::dir_ = nullptr;

TEST_F(TlsMutualTest, PinnedClientKeyIsAcceptedAndDataFlowsBothWays) {
  Connect(ServerOptions({Fingerprint("relay-b")}), ClientOptions("relay-b"));
  EXPECT_TRUE(client_->handshake_complete());
  EXPECT_TRUE(server_->handshake_complete());
  EXPECT_EQ(server_->protocol_version(), "TLSv1.3");
  EXPECT_EQ(client_->protocol_version(), "TLSv1.3");

  ASSERT_TRUE(client_->Write(AsBytes("stream for the technician")).has_value());
  Shuttle(*client_, *server_);
  EXPECT_EQ(ReadAvailable(*server_), "stream for the technician");
  ASSERT_TRUE(server_->Write(AsBytes("input from the technician")).has_value());
  Shuttle(*client_, *server_);
  EXPECT_EQ(ReadAvailable(*client_), "input from the technician");
  EXPECT_FALSE(client_->failed());
  EXPECT_FALSE(server_->failed());
}

TEST_F(TlsMutualTest, EachSideNamesThePinThePeersKeyMatched) {
  Connect(ServerOptions({Fingerprint("relay-b")}), ClientOptions("relay-b"));
  EXPECT_EQ(server_->peer_fingerprint(), Fingerprint("relay-b"));
  EXPECT_EQ(client_->peer_fingerprint(), Fingerprint("relay-a"));
}

TEST_F(TlsMutualTest, ClientWithoutCertificateIsRefusedWithAClearError) {
  std::string error = ExpectServerRefuses(
      ServerOptions({Fingerprint("relay-b")}), ClientOptions(/*name=*/""));
  EXPECT_TRUE(Contains(error, "presented no certificate")) << error;
}

TEST_F(TlsMutualTest, ClientKeyNotAmongThePinsIsRefused) {
  std::string error = ExpectServerRefuses(
      ServerOptions({Fingerprint("relay-b")}), ClientOptions("stranger"));
  EXPECT_TRUE(Contains(error, "client certificate does not match")) << error;
  EXPECT_TRUE(Contains(error, Fingerprint("stranger"))) << error;
}

TEST_F(TlsMutualTest, ClientKeyNotAmongSeveralPinsIsRefused) {
  std::string error = ExpectServerRefuses(
      ServerOptions({Fingerprint("relay-b"), Fingerprint("relay-c")}),
      ClientOptions("stranger"));
  EXPECT_TRUE(Contains(error, "does not match any of the 2 pinned")) << error;
}

TEST_F(TlsMutualTest, ClientMatchingTheSecondOfSeveralPinsIsAccepted) {
  Connect(ServerOptions({Fingerprint("relay-b"), Fingerprint("relay-c")}),
          ClientOptions("relay-c"));
  EXPECT_EQ(server_->peer_fingerprint(), Fingerprint("relay-c"));
  ASSERT_TRUE(client_->Write(AsBytes("hello")).has_value());
  Shuttle(*client_, *server_);
  EXPECT_EQ(ReadAvailable(*server_), "hello");
}

TEST_F(TlsMutualTest, PinsAreComparedCaseInsensitively) {
  std::string upper = Fingerprint("relay-b");
  for (size_t i = std::string(kFingerprintPrefix).size(); i < upper.size();
       ++i) {
    upper[i] = static_cast<char>(std::toupper(upper[i]));
  }
  Connect(ServerOptions({upper}), ClientOptions("relay-b"));
  // Reported in the canonical lower-case form.
  EXPECT_EQ(server_->peer_fingerprint(), Fingerprint("relay-b"));
}

TEST_F(TlsMutualTest, ServerWithoutPinsStillServesClientsWithoutCertificate) {
  Connect(ServerOptions({}), ClientOptions(/*name=*/""));
  EXPECT_EQ(server_->peer_fingerprint(), "");
  ASSERT_TRUE(client_->Write(AsBytes("app")).has_value());
  Shuttle(*client_, *server_);
  EXPECT_EQ(ReadAvailable(*server_), "app");
}

TEST_F(TlsMutualTest, ServerWithoutPinsIgnoresAClientsCertificate) {
  // The server never asks, so the client never sends it.
  Connect(ServerOptions({}), ClientOptions("stranger"));
  EXPECT_EQ(server_->peer_fingerprint(), "");
}

TEST_F(TlsMutualTest, ClientWithCertificateStillRefusesAnUnpinnedServer) {
  TlsClientOptions options = ClientOptions("relay-b");
  options.pinned_fingerprint = Fingerprint("relay-c");
  server_ = ServerEngine(ServerOptions({Fingerprint("relay-b")}));
  client_ = ClientEngine(options);
  ASSERT_TRUE(client_ && server_);
  HandshakeOutcome outcome = RunHandshake(*client_, *server_);
  ASSERT_FALSE(outcome.client.has_value());
  EXPECT_TRUE(Contains(outcome.client.error().message,
                       "server certificate does not match"))
      << outcome.client.error().message;
  EXPECT_TRUE(client_->certificate_rejected());
  EXPECT_FALSE(outcome.server.has_value());
  EXPECT_FALSE(server_->handshake_complete());
}

TEST_F(TlsMutualTest, MalformedClientPinIsRejectedAtConfigTime) {
  auto config = TlsConfig::CreateServer(ServerOptions({"sha256:abcd"}),
                                        RandomGenerator::Default());
  ASSERT_FALSE(config.has_value());
  EXPECT_TRUE(Contains(config.error().message, "invalid client pin"))
      << config.error().message;
}

TEST_F(TlsMutualTest, ClientPinsNeedTls13Only) {
  TlsServerOptions options = ServerOptions({Fingerprint("relay-b")});
  options.min_version = TlsVersion::kTls12;
  auto config = TlsConfig::CreateServer(options, RandomGenerator::Default());
  ASSERT_FALSE(config.has_value());
  EXPECT_TRUE(Contains(config.error().message, "TLS 1.3 only"))
      << config.error().message;
}

TEST_F(TlsMutualTest, ClientCertificateWithoutKeyIsRejectedAtConfigTime) {
  TlsClientOptions options = ClientOptions("relay-b");
  options.private_key_pem.clear();
  auto config = TlsConfig::CreateClient(options, RandomGenerator::Default());
  ASSERT_FALSE(config.has_value());
  EXPECT_TRUE(Contains(config.error().message, "both a certificate"))
      << config.error().message;
}

TEST_F(TlsMutualTest, ClientKeyOfAnotherCertificateIsRejectedAtConfigTime) {
  TlsClientOptions options = ClientOptions("relay-b");
  options.private_key_pem = KeyPem("relay-c");
  auto config = TlsConfig::CreateClient(options, RandomGenerator::Default());
  ASSERT_FALSE(config.has_value());
  EXPECT_TRUE(
      Contains(config.error().message, "client private key does not belong"))
      << config.error().message;
}

}  // namespace
}  // namespace tether::crypto
