#include "protocol/tls_connection.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "crypto/certificate.h"
#include "crypto/random.h"
#include "crypto/tls_config.h"
#include "protocol/relay.pb.h"

namespace tether::protocol {
namespace {

namespace fs = std::filesystem;
using crypto::RandomGenerator;
using crypto::TlsConfig;

// Records what a connection reports, and can run a hook on each frame.
struct Recorder : TlsConnection::Delegate {
  void OnTlsReady(TlsConnection& c) override {
    ready = true;
    if (on_ready)
      on_ready(c);
  }
  void OnFrame(TlsConnection& c, Bytes payload) override {
    frames.push_back(payload);
    if (on_frame)
      on_frame(c, payload);
  }
  void OnDrained(TlsConnection&) override { ++drained; }
  void OnClosed(TlsConnection& c, const std::string& why) override {
    closed = true;
    reason = why;
    certificate_rejected = c.certificate_rejected();
    connection = nullptr;
  }
  TlsConnection* connection = nullptr;
  bool ready = false;
  bool closed = false;
  bool certificate_rejected = false;
  int drained = 0;
  std::string reason;
  std::vector<Bytes> frames;
  std::function<void(TlsConnection&)> on_ready;
  std::function<void(TlsConnection&, const Bytes&)> on_frame;
};

class TlsConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("tls_connection_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto& random = RandomGenerator::Default();
    ASSERT_TRUE(crypto::CreateSelfSignedCertificate(dir_ / "relay.crt",
                                                    dir_ / "relay.key",
                                                    "relay.test", random)
                    .has_value());
    auto cert = crypto::ReadPemFile(dir_ / "relay.crt");
    auto key = crypto::ReadPemFile(dir_ / "relay.key");
    ASSERT_TRUE(cert && key);
    auto server = TlsConfig::CreateServer({*cert, *key}, random);
    ASSERT_TRUE(server.has_value()) << server.error().message;
    server_config_ = *server;
    auto pin = crypto::PublicKeyFingerprint(*cert);
    ASSERT_TRUE(pin.has_value());
    fingerprint_ = *pin;

    uv_loop_init(&loop_);
    uv_tcp_init(&loop_, &listener_);
    listener_.data = this;
    sockaddr_in address{};
    uv_ip4_addr("127.0.0.1", 0, &address);
    ASSERT_EQ(
        uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&address), 0),
        0);
    ASSERT_EQ(
        uv_listen(
            reinterpret_cast<uv_stream_t*>(&listener_), 16,
            [](uv_stream_t* stream, int status) {
              ASSERT_EQ(status, 0);
              static_cast<TlsConnectionTest*>(stream->data)->OnAccept(stream);
            }),
        0);
    int length = sizeof(bound_);
    uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound_),
                       &length);
  }

  void TearDown() override {
    if (server_.connection)
      server_.connection->Close("test over");
    if (client_.connection)
      client_.connection->Close("test over");
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
    RunUntil([] { return false; }, std::chrono::milliseconds(0));
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
    fs::remove_all(dir_);
  }

  void OnAccept(uv_stream_t* server) {
    std::string error;
    server_.connection = TlsConnection::Accept(
        server, server_config_, server_options_, &server_, &error);
    ASSERT_NE(server_.connection, nullptr) << error;
  }

  void ConnectClient(const crypto::TlsClientOptions& options) {
    auto config = TlsConfig::CreateClient(options, RandomGenerator::Default());
    ASSERT_TRUE(config.has_value()) << config.error().message;
    std::string error;
    client_.connection = TlsConnection::Connect(
        &loop_, reinterpret_cast<const sockaddr*>(&bound_), *config,
        client_options_, &client_, &error);
    ASSERT_NE(client_.connection, nullptr) << error;
  }

  void ConnectPinnedClient() {
    crypto::TlsClientOptions options;
    options.pinned_fingerprint = fingerprint_;
    options.server_name = "relay.test";
    ConnectClient(options);
  }

  // Runs the loop until `done` or the deadline; an event-driven wait.
  bool RunUntil(const std::function<bool()>& done,
                std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    bool expired = false;
    uv_timer_t timer;
    uv_timer_init(&loop_, &timer);
    timer.data = &expired;
    uv_timer_start(
        &timer, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; },
        static_cast<uint64_t>(deadline.count()), 0);
    while (!done() && !expired)
      uv_run(&loop_, UV_RUN_ONCE);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
    return done();
  }

  static proto::ClientMessage Chat(const std::string& text) {
    proto::ClientMessage message;
    message.mutable_relayed()->set_data(text);
    return message;
  }

  fs::path dir_;
  std::shared_ptr<const TlsConfig> server_config_;
  std::string fingerprint_;
  uv_loop_t loop_;
  uv_tcp_t listener_;
  sockaddr_storage bound_{};
  TlsConnection::Options server_options_;
  TlsConnection::Options client_options_;
  Recorder server_;
  Recorder client_;
};

TEST_F(TlsConnectionTest, FramesFlowBothWaysOverPinnedTls) {
  server_.on_frame = [](TlsConnection& c, const Bytes& payload) {
    proto::ClientMessage echo;
    ASSERT_TRUE(
        echo.ParseFromArray(payload.data(), static_cast<int>(payload.size())));
    ASSERT_TRUE(c.SendFrame(echo).has_value());
  };
  client_.on_ready = [](TlsConnection& c) {
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(c.SendFrame(Chat("hello " + std::to_string(i))).has_value());
    }
  };
  ConnectPinnedClient();
  ASSERT_TRUE(RunUntil([&] { return client_.frames.size() == 3; }));
  proto::ClientMessage last;
  ASSERT_TRUE(last.ParseFromArray(client_.frames[2].data(),
                                  static_cast<int>(client_.frames[2].size())));
  EXPECT_EQ(last.relayed().data(), "hello 2");
  EXPECT_NE(client_.connection->tls_description().find("TLSv1.3"),
            std::string::npos);
  EXPECT_NE(client_.connection->tls_description().find("AES-256-GCM"),
            std::string::npos);
}

TEST_F(TlsConnectionTest, LargeFramesArriveWhole) {
  const std::string big(900 * 1024, 'x');
  client_.on_ready = [&](TlsConnection& c) {
    ASSERT_TRUE(c.SendFrame(Chat(big)).has_value());
  };
  ConnectPinnedClient();
  ASSERT_TRUE(RunUntil([&] { return server_.frames.size() == 1; }));
  proto::ClientMessage got;
  ASSERT_TRUE(got.ParseFromArray(server_.frames[0].data(),
                                 static_cast<int>(server_.frames[0].size())));
  EXPECT_EQ(got.relayed().data(), big);
}

TEST_F(TlsConnectionTest, CloseReachesThePeerAndBothSidesReportClosed) {
  client_.on_ready = [](TlsConnection& c) { c.Close("done"); };
  ConnectPinnedClient();
  ASSERT_TRUE(RunUntil([&] { return client_.closed && server_.closed; }));
  EXPECT_EQ(client_.reason, "done");
  EXPECT_EQ(server_.reason, "peer ended the TLS session");
}

TEST_F(TlsConnectionTest, WrongPinFailsTheHandshake) {
  crypto::TlsClientOptions options;
  options.pinned_fingerprint = "sha256:" + std::string(64, '0');
  ConnectClient(options);
  ASSERT_TRUE(RunUntil([&] { return client_.closed && server_.closed; }));
  EXPECT_FALSE(client_.ready);
  EXPECT_NE(client_.reason.find("TLS handshake failed"), std::string::npos)
      << client_.reason;
  EXPECT_TRUE(client_.certificate_rejected);
  EXPECT_FALSE(server_.ready);
}

TEST_F(TlsConnectionTest, ConnectOverAdoptsASocketTheCallerConnected) {
  // As after a proxy's CONNECT: the caller owns the TCP step.
  auto* tcp = new uv_tcp_t;
  uv_tcp_init(&loop_, tcp);
  uv_connect_t request;
  bool connected = false;
  request.data = &connected;
  ASSERT_EQ(
      uv_tcp_connect(&request, tcp, reinterpret_cast<const sockaddr*>(&bound_),
                     [](uv_connect_t* req, int status) {
                       ASSERT_EQ(status, 0);
                       *static_cast<bool*>(req->data) = true;
                     }),
      0);
  ASSERT_TRUE(RunUntil([&] { return connected; }));
  crypto::TlsClientOptions options;
  options.pinned_fingerprint = fingerprint_;
  auto config = TlsConfig::CreateClient(options, RandomGenerator::Default());
  ASSERT_TRUE(config.has_value());
  client_.on_ready = [](TlsConnection& c) {
    ASSERT_TRUE(c.SendFrame(Chat("over an adopted socket")).has_value());
  };
  std::string error;
  client_.connection = TlsConnection::ConnectOver(
      tcp, Bytes{}, *config, client_options_, &client_, &error);
  ASSERT_NE(client_.connection, nullptr) << error;
  ASSERT_TRUE(RunUntil([&] { return server_.frames.size() == 1; }));
  EXPECT_FALSE(client_.certificate_rejected);
}

TEST_F(TlsConnectionTest, ConnectOverFeedsEarlyBytesToTls) {
  // Bytes a "proxy" sent after its answer are the start of the TLS stream;
  // garbage there fails the handshake like garbage from the socket would.
  auto* tcp = new uv_tcp_t;
  uv_tcp_init(&loop_, tcp);
  uv_connect_t request;
  bool connected = false;
  request.data = &connected;
  ASSERT_EQ(
      uv_tcp_connect(&request, tcp, reinterpret_cast<const sockaddr*>(&bound_),
                     [](uv_connect_t* req, int status) {
                       ASSERT_EQ(status, 0);
                       *static_cast<bool*>(req->data) = true;
                     }),
      0);
  ASSERT_TRUE(RunUntil([&] { return connected; }));
  crypto::TlsClientOptions options;
  options.pinned_fingerprint = fingerprint_;
  auto config = TlsConfig::CreateClient(options, RandomGenerator::Default());
  ASSERT_TRUE(config.has_value());
  std::string error;
  client_.connection = TlsConnection::ConnectOver(
      tcp, Bytes(64, 0x42), *config, client_options_, &client_, &error);
  ASSERT_NE(client_.connection, nullptr) << error;
  ASSERT_TRUE(RunUntil([&] { return client_.closed; }));
  EXPECT_FALSE(client_.ready);
  EXPECT_FALSE(client_.certificate_rejected);
}

TEST_F(TlsConnectionTest, SilentClientIsDroppedAtTheHandshakeDeadline) {
  server_options_.handshake_timeout = std::chrono::milliseconds(200);
  // A TCP client that never starts TLS.
  uv_tcp_t raw;
  uv_tcp_init(&loop_, &raw);
  uv_connect_t request;
  ASSERT_EQ(
      uv_tcp_connect(&request, &raw, reinterpret_cast<const sockaddr*>(&bound_),
                     [](uv_connect_t*, int status) { ASSERT_EQ(status, 0); }),
      0);
  ASSERT_TRUE(RunUntil([&] { return server_.closed; }));
  EXPECT_EQ(server_.reason, "TLS handshake timed out");
  bool raw_closed = false;
  raw.data = &raw_closed;
  uv_close(reinterpret_cast<uv_handle_t*>(&raw),
           [](uv_handle_t* h) { *static_cast<bool*>(h->data) = true; });
  ASSERT_TRUE(RunUntil([&] { return raw_closed; }));
}

TEST_F(TlsConnectionTest, OversizeFrameClosesTheReceiver) {
  server_options_.max_frame_size = 1024;
  client_.on_ready = [](TlsConnection& c) {
    ASSERT_TRUE(c.SendFrame(Chat(std::string(5000, 'y'))).has_value());
  };
  ConnectPinnedClient();
  ASSERT_TRUE(RunUntil([&] { return server_.closed; }));
  EXPECT_TRUE(server_.frames.empty());
  EXPECT_NE(server_.reason.find("exceeds the limit of 1024"), std::string::npos)
      << server_.reason;
}

TEST_F(TlsConnectionTest, SendingOverTheLimitFailsWithoutClosing) {
  client_options_.max_frame_size = 100;
  client_.on_ready = [](TlsConnection& c) {
    EXPECT_FALSE(c.SendFrame(Chat(std::string(200, 'z'))).has_value());
    EXPECT_TRUE(c.SendFrame(Chat("small")).has_value());
  };
  ConnectPinnedClient();
  ASSERT_TRUE(RunUntil([&] { return server_.frames.size() == 1; }));
  EXPECT_FALSE(client_.closed);
}

// Pausing stops reading from the socket; what one read already brought in
// is still delivered (the backpressure bound is "one read"). So the client
// sends only once the server is ready and paused: under TLS 1.3 a client is
// ready first, and a frame sent at once shares a read with its Finished.
TEST_F(TlsConnectionTest, PausedReaderReceivesNothingUntilResumed) {
  server_.on_ready = [](TlsConnection& c) { c.PauseReading(); };
  ConnectPinnedClient();
  ASSERT_TRUE(RunUntil([&] { return server_.ready && client_.ready; }));
  ASSERT_TRUE(client_.connection->SendFrame(Chat("wait")).has_value());
  // The frame cannot arrive while paused; the client's write still drains.
  ASSERT_TRUE(RunUntil([&] { return client_.drained > 0; }));
  RunUntil([] { return false; }, std::chrono::milliseconds(100));
  EXPECT_TRUE(server_.frames.empty());
  server_.connection->ResumeReading();
  ASSERT_TRUE(RunUntil([&] { return server_.frames.size() == 1; }));
}

}  // namespace
}  // namespace tether::protocol
