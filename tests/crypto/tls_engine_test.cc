#include "crypto/tls_engine.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "crypto/certificate.h"
#include "crypto/random.h"
#include "crypto/tls_config.h"
#include "tests/crypto/tls_engine_pair.h"

namespace tether::crypto {
namespace {

namespace fs = std::filesystem;

using test::Contains;
using test::HandshakeOutcome;
using test::ReadAvailable;
using test::RunHandshake;
using test::Shuttle;

class TlsEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string pattern =
        (fs::temp_directory_path() / "tether-tls-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = new fs::path(pattern);
    for (const char* name : {"relay", "other"}) {
      auto created =
          CreateSelfSignedCertificate(*dir_ / (std::string(name) + ".crt"),
                                      *dir_ / (std::string(name) + ".key"),
                                      "relay.test", RandomGenerator::Default());
      ASSERT_TRUE(created.has_value()) << created.error().message;
    }
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
    dir_ = nullptr;
  }

  static fs::path CertPath(const std::string& name) {
    return *dir_ / (name + ".crt");
  }
  static std::string Pem(const fs::path& path) {
    auto pem = ReadPemFile(path);
    EXPECT_TRUE(pem.has_value()) << pem.error().message;
    return pem.value_or("");
  }
  static std::string Fingerprint(const std::string& name) {
    auto fingerprint = PublicKeyFingerprint(Pem(CertPath(name)));
    EXPECT_TRUE(fingerprint.has_value());
    return fingerprint.value_or("");
  }

  static TlsServerOptions ServerOptions(const std::string& name = "relay") {
    TlsServerOptions options;
    options.certificate_pem = Pem(CertPath(name));
    options.private_key_pem = Pem(*dir_ / (name + ".key"));
    return options;
  }
  static std::shared_ptr<const TlsConfig> ServerConfig() {
    auto config =
        TlsConfig::CreateServer(ServerOptions(), RandomGenerator::Default());
    EXPECT_TRUE(config.has_value()) << config.error().message;
    return config.value_or(nullptr);
  }
  static TlsClientOptions PinnedOptions(const std::string& name = "relay") {
    TlsClientOptions options;
    options.pinned_fingerprint = Fingerprint(name);
    options.server_name = "relay.test";
    return options;
  }
  static std::shared_ptr<const TlsConfig> ClientConfig(
      const TlsClientOptions& options) {
    auto config = TlsConfig::CreateClient(options, RandomGenerator::Default());
    EXPECT_TRUE(config.has_value()) << config.error().message;
    return config.value_or(nullptr);
  }
  static std::unique_ptr<TlsEngine> Engine(
      std::shared_ptr<const TlsConfig> config) {
    auto engine = TlsEngine::Create(std::move(config));
    EXPECT_TRUE(engine.has_value()) << engine.error().message;
    return engine.has_value() ? std::move(engine).value() : nullptr;
  }

  // A client (pinned to the relay key unless told otherwise) and a server,
  // handshake done.
  void Connect(const TlsClientOptions& options = PinnedOptions()) {
    client_ = Engine(ClientConfig(options));
    server_ = Engine(ServerConfig());
    ASSERT_TRUE(client_ && server_);
    HandshakeOutcome outcome = RunHandshake(*client_, *server_);
    ASSERT_TRUE(outcome.client.has_value()) << outcome.client.error().message;
    ASSERT_TRUE(outcome.server.has_value()) << outcome.server.error().message;
    ASSERT_TRUE(*outcome.client && *outcome.server);
  }

  static fs::path* dir_;
  std::unique_ptr<TlsEngine> client_;
  std::unique_ptr<TlsEngine> server_;
};

fs::path* TlsEngineTest::dir_ = nullptr;

TEST_F(TlsEngineTest, HandshakeNegotiatesStrongestAeadSuite) {
  Connect();
  EXPECT_TRUE(client_->handshake_complete());
  EXPECT_TRUE(server_->handshake_complete());
  EXPECT_EQ(client_->protocol_version(), "TLSv1.3");
  EXPECT_EQ(server_->protocol_version(), "TLSv1.3");
  EXPECT_EQ(client_->cipher_suite(), "TLS1-3-AES-256-GCM-SHA384");
  EXPECT_EQ(server_->cipher_suite(), client_->cipher_suite());
}

TEST_F(TlsEngineTest, VersionAndSuiteAreEmptyBeforeHandshake) {
  auto client = Engine(ClientConfig(PinnedOptions()));
  ASSERT_TRUE(client);
  EXPECT_FALSE(client->handshake_complete());
  EXPECT_EQ(client->protocol_version(), "");
  EXPECT_EQ(client->cipher_suite(), "");
}

TEST_F(TlsEngineTest, ApplicationDataFlowsBothWays) {
  Connect();
  ASSERT_TRUE(client_->Write(AsBytes("hello relay")).has_value());
  Shuttle(*client_, *server_);
  EXPECT_EQ(ReadAvailable(*server_), "hello relay");
  ASSERT_TRUE(server_->Write(AsBytes("hello client")).has_value());
  Shuttle(*client_, *server_);
  EXPECT_EQ(ReadAvailable(*client_), "hello client");
}

TEST_F(TlsEngineTest, OneMebibyteWriteIsSplitIntoRecordsAndReassembled) {
  Connect();
  Bytes data(1 << 20);
  std::mt19937 bits(42);
  for (auto& b : data)
    b = static_cast<uint8_t>(bits());
  auto written = client_->Write(data);
  ASSERT_TRUE(written.has_value()) << written.error().message;
  EXPECT_EQ(*written, data.size());
  // More than one 16 KiB record's worth of ciphertext.
  EXPECT_GT(client_->outgoing_size(), data.size());
  Shuttle(*client_, *server_);
  std::string received = ReadAvailable(*server_);
  ASSERT_EQ(received.size(), data.size());
  EXPECT_TRUE(std::equal(data.begin(), data.end(),
                         reinterpret_cast<const uint8_t*>(received.data())));
}

TEST_F(TlsEngineTest, CloseNotifyMakesPeerClosedAndReadReturnZero) {
  Connect();
  client_->Close();
  EXPECT_TRUE(client_->HasOutgoing());
  Shuttle(*client_, *server_);
  uint8_t buffer[64];
  auto n = server_->Read(buffer);
  ASSERT_TRUE(n.has_value()) << n.error().message;
  EXPECT_EQ(*n, 0u);
  EXPECT_TRUE(server_->peer_closed());
  EXPECT_FALSE(client_->peer_closed());
}

TEST_F(TlsEngineTest, DataSentBeforeCloseNotifyIsStillDelivered) {
  Connect();
  ASSERT_TRUE(client_->Write(AsBytes("last words")).has_value());
  client_->Close();
  Shuttle(*client_, *server_);
  EXPECT_EQ(ReadAvailable(*server_), "last words");
  EXPECT_TRUE(server_->peer_closed());
}

TEST_F(TlsEngineTest, WriteAfterCloseIsRefused) {
  Connect();
  client_->Close();
  auto written = client_->Write(AsBytes("late"));
  EXPECT_FALSE(written.has_value());
}

TEST_F(TlsEngineTest, WriteBeforeHandshakeIsRefused) {
  auto client = Engine(ClientConfig(PinnedOptions()));
  ASSERT_TRUE(client);
  auto written = client->Write(AsBytes("too early"));
  ASSERT_FALSE(written.has_value());
  EXPECT_TRUE(Contains(written.error().message, "before the handshake"));
  EXPECT_FALSE(client->failed());
}

TEST_F(TlsEngineTest, ReadDrivesTheHandshake) {
  auto client = Engine(ClientConfig(PinnedOptions()));
  auto server = Engine(ServerConfig());
  ASSERT_TRUE(client && server);
  uint8_t buffer[64];
  for (int round = 0; round < 10 && !(client->handshake_complete() &&
                                      server->handshake_complete());
       ++round) {
    ASSERT_TRUE(client->Read(buffer).has_value());
    Shuttle(*client, *server);
    ASSERT_TRUE(server->Read(buffer).has_value());
    Shuttle(*client, *server);
  }
  EXPECT_TRUE(client->handshake_complete());
  EXPECT_TRUE(server->handshake_complete());
}

TEST_F(TlsEngineTest, PartialClientHelloWaitsForMoreInput) {
  auto client = Engine(ClientConfig(PinnedOptions()));
  auto server = Engine(ServerConfig());
  ASSERT_TRUE(client && server);
  ASSERT_TRUE(client->Handshake().has_value());
  Bytes hello = client->TakeOutgoing();
  ASSERT_GT(hello.size(), 10u);
  server->FeedIncoming(ByteSpan(hello).first(hello.size() / 2));
  auto done = server->Handshake();
  ASSERT_TRUE(done.has_value()) << done.error().message;
  EXPECT_FALSE(*done);
  server->FeedIncoming(ByteSpan(hello).subspan(hello.size() / 2));
  done = server->Handshake();
  ASSERT_TRUE(done.has_value()) << done.error().message;
  EXPECT_TRUE(server->HasOutgoing());
}

TEST_F(TlsEngineTest, OneConfigServesManyEngines) {
  auto server_config = ServerConfig();
  auto client_config = ClientConfig(PinnedOptions());
  for (int i = 0; i < 3; ++i) {
    auto client = Engine(client_config);
    auto server = Engine(server_config);
    ASSERT_TRUE(client && server);
    HandshakeOutcome outcome = RunHandshake(*client, *server);
    ASSERT_TRUE(outcome.client.has_value() && *outcome.client);
    ASSERT_TRUE(outcome.server.has_value() && *outcome.server);
  }
}

TEST_F(TlsEngineTest, TamperedRecordIsRejected) {
  Connect();
  ASSERT_TRUE(client_->Write(AsBytes("transfer 10 EUR")).has_value());
  Bytes record = client_->TakeOutgoing();
  record.back() ^= 0x01;  // inside the GCM tag
  server_->FeedIncoming(record);
  uint8_t buffer[64];
  auto n = server_->Read(buffer);
  ASSERT_FALSE(n.has_value());
  EXPECT_TRUE(server_->failed());
}

// --- Pinning --------------------------------------------------------------

TEST_F(TlsEngineTest, PinnedClientAcceptsServerWithThatKey) {
  Connect(PinnedOptions("relay"));
  EXPECT_FALSE(client_->certificate_rejected());
}

TEST_F(TlsEngineTest, PinnedClientWithoutServerNameAcceptsServer) {
  TlsClientOptions options = PinnedOptions("relay");
  options.server_name.clear();
  Connect(options);
}

TEST_F(TlsEngineTest, PinnedClientRejectsServerWithOtherKey) {
  auto client = Engine(ClientConfig(PinnedOptions("other")));
  auto server = Engine(ServerConfig());
  ASSERT_TRUE(client && server);
  HandshakeOutcome outcome = RunHandshake(*client, *server);
  ASSERT_FALSE(outcome.client.has_value());
  EXPECT_EQ(outcome.client.error().message,
            "server certificate does not match the pinned fingerprint " +
                Fingerprint("other") + "; got " + Fingerprint("relay"));
  // The client's bad_certificate alert ends the handshake on the server
  // too. mbedTLS's TLS 1.3 client sends it before it switches to its
  // handshake keys, in the clear, so the server (already expecting them)
  // fails its record check instead of reading the alert: closed either way.
  ASSERT_FALSE(outcome.server.has_value());
  EXPECT_TRUE(Contains(outcome.server.error().message, "TLS handshake failed"))
      << outcome.server.error().message;
  EXPECT_FALSE(client->handshake_complete());
  EXPECT_TRUE(client->certificate_rejected());
  EXPECT_FALSE(server->certificate_rejected());
}

TEST_F(TlsEngineTest, PinnedClientRejectsPinWithOneBitChanged) {
  TlsClientOptions options = PinnedOptions("relay");
  char& last = options.pinned_fingerprint.back();
  last = last == '0' ? '1' : '0';
  auto client = Engine(ClientConfig(options));
  auto server = Engine(ServerConfig());
  ASSERT_TRUE(client && server);
  HandshakeOutcome outcome = RunHandshake(*client, *server);
  ASSERT_FALSE(outcome.client.has_value());
  EXPECT_TRUE(Contains(outcome.client.error().message, "does not match"));
}

TEST_F(TlsEngineTest, MalformedPinIsRejectedAtConfigTime) {
  for (const std::string& pin :
       {std::string("sha256:1234"), "sha1:" + std::string(64, 'a'),
        std::string(64, 'a'), "sha256:" + std::string(63, 'a') + "z"}) {
    TlsClientOptions options;
    options.pinned_fingerprint = pin;
    auto config = TlsConfig::CreateClient(options, RandomGenerator::Default());
    ASSERT_FALSE(config.has_value()) << pin;
    EXPECT_TRUE(Contains(config.error().message, "invalid pinned fingerprint"))
        << config.error().message;
  }
}

TEST_F(TlsEngineTest, ClientNeedsExactlyOneOfCaFileAndPin) {
  TlsClientOptions neither;
  neither.server_name = "relay.test";
  auto config = TlsConfig::CreateClient(neither, RandomGenerator::Default());
  ASSERT_FALSE(config.has_value());
  EXPECT_TRUE(Contains(config.error().message, "exactly one"));

  TlsClientOptions both = PinnedOptions();
  both.ca_file = CertPath("relay").string();
  config = TlsConfig::CreateClient(both, RandomGenerator::Default());
  ASSERT_FALSE(config.has_value());
  EXPECT_TRUE(Contains(config.error().message, "exactly one"));
}

// --- CA mode --------------------------------------------------------------

TlsClientOptions CaOptions(const fs::path& ca_file, const std::string& name) {
  TlsClientOptions options;
  options.ca_file = ca_file.string();
  options.server_name = name;
  return options;
}

TEST_F(TlsEngineTest, CaClientAcceptsServerWithMatchingName) {
  Connect(CaOptions(CertPath("relay"), "relay.test"));
}

TEST_F(TlsEngineTest, CaClientRejectsServerWithOtherName) {
  auto client = Engine(ClientConfig(CaOptions(CertPath("relay"), "evil.test")));
  auto server = Engine(ServerConfig());
  ASSERT_TRUE(client && server);
  HandshakeOutcome outcome = RunHandshake(*client, *server);
  ASSERT_FALSE(outcome.client.has_value());
  EXPECT_TRUE(Contains(outcome.client.error().message,
                       "server certificate verification failed"))
      << outcome.client.error().message;
  EXPECT_TRUE(Contains(outcome.client.error().message, "CN"))
      << outcome.client.error().message;
}

TEST_F(TlsEngineTest, CaClientRejectsServerFromAnotherCa) {
  auto client =
      Engine(ClientConfig(CaOptions(CertPath("other"), "relay.test")));
  auto server = Engine(ServerConfig());
  ASSERT_TRUE(client && server);
  HandshakeOutcome outcome = RunHandshake(*client, *server);
  ASSERT_FALSE(outcome.client.has_value());
  EXPECT_TRUE(Contains(outcome.client.error().message, "not correctly signed"))
      << outcome.client.error().message;
  EXPECT_TRUE(client->certificate_rejected());
}

TEST_F(TlsEngineTest, CaClientNeedsServerName) {
  auto config = TlsConfig::CreateClient(CaOptions(CertPath("relay"), ""),
                                        RandomGenerator::Default());
  ASSERT_FALSE(config.has_value());
  EXPECT_TRUE(Contains(config.error().message, "server name"));
}

TEST_F(TlsEngineTest, CaClientReportsUnreadableCaFile) {
  auto config =
      TlsConfig::CreateClient(CaOptions(*dir_ / "missing.pem", "relay.test"),
                              RandomGenerator::Default());
  ASSERT_FALSE(config.has_value());
  EXPECT_TRUE(Contains(config.error().message, "missing.pem"));
}

// --- Versions -------------------------------------------------------------

// A default (pinned) client that completed a handshake with a server of
// `server_options`, or null (and a test failure).
std::unique_ptr<TlsEngine> ClientAgainst(
    const TlsServerOptions& server_options,
    const TlsClientOptions& client_options) {
  auto server_config =
      TlsConfig::CreateServer(server_options, RandomGenerator::Default());
  EXPECT_TRUE(server_config.has_value()) << server_config.error().message;
  auto client_config =
      TlsConfig::CreateClient(client_options, RandomGenerator::Default());
  if (!server_config || !client_config)
    return nullptr;
  auto client = TlsEngine::Create(*client_config);
  auto server = TlsEngine::Create(*server_config);
  if (!client || !server)
    return nullptr;
  HandshakeOutcome outcome = RunHandshake(**client, **server);
  EXPECT_TRUE(outcome.client.has_value() && *outcome.client);
  return outcome.client.has_value() && *outcome.client ? std::move(*client)
                                                       : nullptr;
}

// Where IT allows TLS 1.2 on the relay, Tether's clients still get 1.3.
TEST_F(TlsEngineTest, ServerAllowingTls12StillGivesTls13) {
  TlsServerOptions server_options = ServerOptions();
  server_options.min_version = TlsVersion::kTls12;
  auto client = ClientAgainst(server_options, PinnedOptions());
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->protocol_version(), "TLSv1.3");
}

// A relay configured for ChaCha20 only: the client offers every TLS 1.3
// suite, so it follows.
TEST_F(TlsEngineTest, ClientFollowsTheServersSuite) {
  TlsServerOptions server_options = ServerOptions();
  server_options.tls13_suites = {Tls13Suite::kChacha20Poly1305Sha256};
  auto client = ClientAgainst(server_options, PinnedOptions());
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->cipher_suite(), "TLS1-3-CHACHA20-POLY1305-SHA256");
}

TlsClientOptions Tls12Client(TlsClientOptions options) {
  options.min_version = TlsVersion::kTls12;
  options.max_version = TlsVersion::kTls12;
  return options;
}

TEST_F(TlsEngineTest, Tls12ClientIsRefusedByDefault) {
  auto client = Engine(ClientConfig(Tls12Client(PinnedOptions())));
  auto server = Engine(ServerConfig());
  ASSERT_TRUE(client && server);
  HandshakeOutcome outcome = RunHandshake(*client, *server);
  ASSERT_FALSE(outcome.server.has_value());
  EXPECT_TRUE(Contains(outcome.server.error().message, "min/max"))
      << outcome.server.error().message;
  ASSERT_FALSE(outcome.client.has_value());
  EXPECT_FALSE(client->certificate_rejected());
}

TEST_F(TlsEngineTest, Tls12ClientGetsEcdheAeadWhereAllowed) {
  TlsServerOptions server_options = ServerOptions();
  server_options.min_version = TlsVersion::kTls12;
  auto client = ClientAgainst(server_options, Tls12Client(PinnedOptions()));
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->protocol_version(), "TLSv1.2");
  EXPECT_EQ(client->cipher_suite(), "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384");
}

TEST_F(TlsEngineTest, MaxVersionBelowMinVersionIsRefused) {
  TlsClientOptions options = PinnedOptions();
  options.max_version = TlsVersion::kTls12;
  auto config = TlsConfig::CreateClient(options, RandomGenerator::Default());
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message,
            "the highest TLS version is below the lowest");
}

TEST_F(TlsEngineTest, ServerNeedsAtLeastOneSuite) {
  TlsServerOptions server_options = ServerOptions();
  server_options.tls13_suites.clear();
  auto config =
      TlsConfig::CreateServer(server_options, RandomGenerator::Default());
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message, "no TLS 1.3 cipher suite is enabled");
}

TEST_F(TlsEngineTest, SuiteNamesRoundTrip) {
  for (Tls13Suite suite :
       {Tls13Suite::kAes256GcmSha384, Tls13Suite::kChacha20Poly1305Sha256,
        Tls13Suite::kAes128GcmSha256}) {
    auto parsed = ParseTls13Suite(Tls13SuiteName(suite));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, suite);
  }
  EXPECT_FALSE(ParseTls13Suite("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"));
  EXPECT_FALSE(ParseTls13Suite("tls_aes_256_gcm_sha384"));
}

// --- Server configuration -------------------------------------------------

TEST_F(TlsEngineTest, ServerConfigRejectsKeyOfAnotherCertificate) {
  TlsServerOptions options = ServerOptions("relay");
  options.private_key_pem = Pem(*dir_ / "other.key");
  auto config = TlsConfig::CreateServer(options, RandomGenerator::Default());
  ASSERT_FALSE(config.has_value());
  EXPECT_TRUE(Contains(config.error().message, "does not belong"));
}

TEST_F(TlsEngineTest, ServerConfigRejectsGarbageCertificate) {
  TlsServerOptions options = ServerOptions();
  options.certificate_pem = "not a certificate";
  auto config = TlsConfig::CreateServer(options, RandomGenerator::Default());
  ASSERT_FALSE(config.has_value());
  EXPECT_TRUE(Contains(config.error().message, "server certificate"));
}

// --- Hostile input --------------------------------------------------------

TEST_F(TlsEngineTest, PlaintextHttpGivesServerACleanError) {
  auto server = Engine(ServerConfig());
  ASSERT_TRUE(server);
  server->FeedIncoming(AsBytes("GET / HTTP/1.1\r\nHost: relay.test\r\n\r\n"));
  auto done = server->Handshake();
  ASSERT_FALSE(done.has_value());
  EXPECT_TRUE(Contains(done.error().message, "TLS handshake failed"))
      << done.error().message;
  EXPECT_TRUE(server->failed());
}

TEST_F(TlsEngineTest, ServerFailureQueuesFatalAlert) {
  auto server = Engine(ServerConfig());
  ASSERT_TRUE(server);
  server->FeedIncoming(AsBytes("GET / HTTP/1.1\r\n\r\n"));
  ASSERT_FALSE(server->Handshake().has_value());
  Bytes out = server->TakeOutgoing();
  // One alert record: type 21, 2-byte version, length 2, level 2 (fatal).
  ASSERT_EQ(out.size(), 7u);
  EXPECT_EQ(out[0], 21);
  EXPECT_EQ(out[4], 2);
  EXPECT_EQ(out[5], 2);
}

TEST_F(TlsEngineTest, ErrorIsStickyForEveryCall) {
  auto server = Engine(ServerConfig());
  ASSERT_TRUE(server);
  server->FeedIncoming(AsBytes("GET / HTTP/1.1\r\n\r\n"));
  auto first = server->Handshake();
  ASSERT_FALSE(first.has_value());
  auto again = server->Handshake();
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().message, first.error().message);
  uint8_t buffer[16];
  auto read = server->Read(buffer);
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().message, first.error().message);
  auto written = server->Write(AsBytes("x"));
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().message, first.error().message);
}

TEST_F(TlsEngineTest, RandomBytesNeverCrashTheServer) {
  std::mt19937 bits(7);
  for (int i = 0; i < 200; ++i) {
    auto server = Engine(ServerConfig());
    ASSERT_TRUE(server);
    Bytes junk(1 + bits() % 2048);
    for (auto& b : junk)
      b = static_cast<uint8_t>(bits());
    if (i % 2 == 0) {
      // Mostly valid record header, so the junk reaches the parsers.
      junk.insert(junk.begin(), {0x16, 0x03, 0x03, 0x00, 0x40});
    }
    server->FeedIncoming(junk);
    auto done = server->Handshake();
    if (!done.has_value()) {
      EXPECT_FALSE(done.error().message.empty());
    } else {
      EXPECT_FALSE(*done);
    }
  }
}

TEST_F(TlsEngineTest, FeedingMoreThanTheLimitFails) {
  auto server = Engine(ServerConfig());
  ASSERT_TRUE(server);
  Bytes chunk(TlsEngine::kMaxIncomingBytes);
  server->FeedIncoming(chunk);
  EXPECT_FALSE(server->failed());
  EXPECT_EQ(server->incoming_size(), TlsEngine::kMaxIncomingBytes);
  uint8_t one = 0;
  server->FeedIncoming(ByteSpan(&one, 1));
  EXPECT_TRUE(server->failed());
  auto done = server->Handshake();
  ASSERT_FALSE(done.has_value());
  EXPECT_TRUE(Contains(done.error().message, "buffer limit"))
      << done.error().message;
}

}  // namespace
}  // namespace tether::crypto
