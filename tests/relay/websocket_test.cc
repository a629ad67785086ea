// WebSocket on the relay's HTTPS port: the frame reader on its own, and a
// browser customer on a real relay, paired with a technician's app.

#include "relay/web/websocket.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "protocol/framing.h"
#include "protocol/relay.pb.h"
#include "tests/support/relay_pairing.h"
#include "tests/support/relay_process.h"
#include "tests/support/web_test_client.h"

namespace tether::relay::web {
namespace {

using namespace std::chrono_literals;

// A client's frame: masked, as browsers send them.
Bytes ClientFrame(WebSocketOpcode opcode,
                  const Bytes& payload,
                  bool fin = true,
                  bool masked = true) {
  Bytes frame = WebSocketFrame(opcode, payload);
  if (!fin)
    frame[0] &= 0x7F;
  if (!masked)
    return frame;
  const size_t header = frame.size() - payload.size();
  const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
  frame[1] |= 0x80;
  Bytes out(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(header));
  out.insert(out.end(), mask, mask + 4);
  for (size_t i = 0; i < payload.size(); ++i)
    out.push_back(payload[i] ^ mask[i % 4]);
  return out;
}

Bytes Text(const std::string& text) {
  return Bytes(text.begin(), text.end());
}

TEST(WebSocketHandshakeTest, AnswersTheRfcExample) {
  HttpRequest request;
  request.method = "GET";
  request.target = "/ws";
  request.headers = {{"upgrade", "websocket"},
                     {"connection", "keep-alive, Upgrade"},
                     {"sec-websocket-version", "13"},
                     {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="}};
  auto answer = WebSocketHandshakeAnswer(request);
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  EXPECT_NE(answer->find("101 Switching Protocols"), std::string::npos);
  EXPECT_NE(answer->find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
            std::string::npos);
  request.headers[2].second = "8";
  EXPECT_FALSE(WebSocketHandshakeAnswer(request).has_value());
}

TEST(WebSocketReaderTest, ReassemblesFragmentsAndPassesPingsBetween) {
  WebSocketReader reader(1 << 20, nullptr);
  Bytes stream = ClientFrame(WebSocketOpcode::kBinary, Text("hel"), false);
  const Bytes ping = ClientFrame(WebSocketOpcode::kPing, Text("p"));
  const Bytes rest = ClientFrame(WebSocketOpcode::kContinuation, Text("lo"));
  stream.insert(stream.end(), ping.begin(), ping.end());
  stream.insert(stream.end(), rest.begin(), rest.end());
  // Byte by byte: no split confuses it.
  std::vector<WebSocketReader::Event> events;
  for (uint8_t byte : stream) {
    ASSERT_TRUE(reader.Feed(ByteSpan(&byte, 1)).has_value());
    for (;;) {
      auto event = reader.Next();
      ASSERT_TRUE(event.has_value());
      if (!event->has_value())
        break;
      events.push_back(std::move(**event));
    }
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, WebSocketReader::Event::Kind::kPing);
  EXPECT_EQ(events[1].kind, WebSocketReader::Event::Kind::kMessage);
  EXPECT_EQ(events[1].payload, Text("hello"));
}

TEST(WebSocketReaderTest, RefusesWhatTheRfcForbidsWithTheRightCode) {
  struct Case {
    Bytes frame;
    WebSocketClose code;
  };
  Bytes extension = ClientFrame(WebSocketOpcode::kBinary, Text("x"));
  extension[0] |= 0x40;
  const Case cases[] = {
      {ClientFrame(WebSocketOpcode::kBinary, Text("x"), true, false),
       WebSocketClose::kProtocolError},
      {ClientFrame(WebSocketOpcode::kText, Text("x")),
       WebSocketClose::kUnsupportedData},
      {ClientFrame(WebSocketOpcode::kContinuation, Text("x")),
       WebSocketClose::kProtocolError},
      {ClientFrame(WebSocketOpcode::kPing, Bytes(126, 1)),
       WebSocketClose::kProtocolError},
      {ClientFrame(WebSocketOpcode::kBinary, Bytes(2000, 1)),
       WebSocketClose::kTooBig},
      {extension, WebSocketClose::kProtocolError},
  };
  for (const Case& c : cases) {
    WebSocketReader reader(1024, nullptr);
    auto fed = reader.Feed(c.frame);
    if (fed.has_value()) {
      auto event = reader.Next();
      EXPECT_FALSE(event.has_value());
    }
    EXPECT_EQ(reader.error(), c.code);
  }
}

TEST(WebSocketReaderTest, LargeMessagesShareTheRelaysBudget) {
  protocol::FrameMemoryBudget budget(300 << 10);
  WebSocketReader first(1 << 20, &budget);
  WebSocketReader second(1 << 20, &budget);
  // Two 200 KiB messages at once: the second does not fit while the first
  // is held, and fits once it is taken.
  const Bytes big = ClientFrame(WebSocketOpcode::kBinary, Bytes(200 << 10, 7));
  ASSERT_TRUE(first.Feed(ByteSpan(big).first(100)).has_value());
  ASSERT_TRUE(first.Next().has_value());
  EXPECT_EQ(budget.available(), (300u << 10) - (200u << 10));
  ASSERT_TRUE(second.Feed(ByteSpan(big).first(100)).has_value());
  EXPECT_FALSE(second.Next().has_value());
  EXPECT_EQ(second.error(), WebSocketClose::kTooBig);
  ASSERT_TRUE(first.Feed(ByteSpan(big).subspan(100)).has_value());
  auto done = first.Next();
  ASSERT_TRUE(done.has_value() && done->has_value());
  EXPECT_EQ(budget.available(), 300u << 10);
}

class WebSocketRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    relay_ = std::make_unique<tether::test::RelayProcess>();
    ASSERT_TRUE(relay_->AddTechnician("tina", "Tina", kPassword));
    ASSERT_TRUE(relay_->Start().has_value());
  }

  // A browser's WebSocket to /ws, upgraded; nullptr on failure.
  std::unique_ptr<tether::test::WebTestClient> Open(const std::string& origin) {
    auto browser = tether::test::WebTestClient::Connect(relay_->port(),
                                                        relay_->fingerprint());
    EXPECT_TRUE(browser.has_value());
    if (!browser)
      return nullptr;
    auto answer =
        (*browser)->Request("GET", "/ws", "", false,
                            {{"Upgrade", "websocket"},
                             {"Connection", "Upgrade"},
                             {"Sec-WebSocket-Version", "13"},
                             {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                             {"Origin", origin}});
    EXPECT_TRUE(answer.has_value());
    status_ = answer ? answer->status : 0;
    return std::move(*browser);
  }

  Result<void> SendMessage(tether::test::WebTestClient& browser,
                           const proto::ClientMessage& message) {
    const std::string bytes = message.SerializeAsString();
    return browser.tls().SendBytes(
        ClientFrame(WebSocketOpcode::kBinary, Text(bytes)));
  }

  // The next relay message in a binary frame (heartbeats skipped).
  Result<proto::RelayMessage> ReceiveMessage(
      tether::test::WebTestClient& browser) {
    for (;;) {
      auto bytes = browser.tls().ReceiveBytes(5s);
      if (!bytes)
        return Unexpected(bytes.error());
      // Server frames: unmasked, whole (FIN), binary or close.
      server_bytes_.insert(server_bytes_.end(), bytes->begin(), bytes->end());
      while (server_bytes_.size() >= 2) {
        size_t header = 2;
        uint64_t n = server_bytes_[1] & 0x7F;
        if (n == 126) {
          if (server_bytes_.size() < 4)
            break;
          n = (server_bytes_[2] << 8) | server_bytes_[3];
          header = 4;
        } else if (n == 127) {
          if (server_bytes_.size() < 10)
            break;
          n = 0;
          for (int i = 2; i < 10; ++i)
            n = (n << 8) | server_bytes_[i];
          header = 10;
        }
        if (server_bytes_.size() < header + n)
          break;
        const Bytes payload(server_bytes_.begin() + header,
                            server_bytes_.begin() + header + n);
        const uint8_t opcode = server_bytes_[0] & 0x0F;
        server_bytes_.erase(server_bytes_.begin(),
                            server_bytes_.begin() + header + n);
        if (opcode == 8)
          return MakeError("closed by the relay");
        if (opcode != 2)
          continue;
        proto::RelayMessage message;
        if (!message.ParseFromArray(payload.data(),
                                    static_cast<int>(payload.size())))
          return MakeError("not a relay message");
        if (!message.has_heartbeat())
          return message;
      }
    }
  }

  static constexpr char kPassword[] = "a long technician passphrase";
  std::unique_ptr<tether::test::RelayProcess> relay_;
  int status_ = 0;
  Bytes server_bytes_;
};

TEST_F(WebSocketRelayTest, ABrowserCustomerJoinsAndBytesFlowBothWays) {
  auto browser = Open("https://127.0.0.1");
  ASSERT_NE(browser, nullptr);
  ASSERT_EQ(status_, 101);
  auto technician =
      tether::test::SignedInTechnician(*relay_, "tina", kPassword);
  ASSERT_NE(technician, nullptr);
  const std::string code = tether::test::CreateCode(*technician);

  proto::ClientMessage hello;
  hello.mutable_hello()->set_protocol_version(proto::PROTOCOL_VERSION_CURRENT);
  hello.mutable_hello()->set_role(proto::ROLE_CUSTOMER);
  hello.mutable_hello()->set_app_version("browser");
  ASSERT_TRUE(SendMessage(*browser, hello).has_value());
  auto ack = ReceiveMessage(*browser);
  ASSERT_TRUE(ack.has_value()) << ack.error().message;
  EXPECT_TRUE(ack->has_hello_ack());
  ASSERT_TRUE(
      SendMessage(*browser, tether::test::JoinMessage(code, "browser", "eva")));
  auto request = technician->Receive();
  ASSERT_TRUE(request.has_value() && request->has_join_request());
  EXPECT_EQ(request->join_request().host_name(), "browser");
  ASSERT_TRUE(technician->Send(tether::test::DecisionMessage(code, true)));
  auto joined = ReceiveMessage(*browser);
  ASSERT_TRUE(joined.has_value()) << joined.error().message;
  EXPECT_TRUE(joined->has_joined());

  ASSERT_TRUE(
      SendMessage(*browser, tether::test::RelayedMessage("from the page")));
  auto peer = technician->Receive();
  ASSERT_TRUE(peer.has_value() && peer->has_peer_joined());
  auto up = technician->Receive();
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->relayed().data(), "from the page");
  ASSERT_TRUE(technician->Send(
      tether::test::RelayedMessage(std::string(100'000, 'v'))));
  auto down = ReceiveMessage(*browser);
  ASSERT_TRUE(down.has_value()) << down.error().message;
  EXPECT_EQ(down->relayed().data().size(), 100'000u);

  // The page closing ends the session at the technician's app.
  ASSERT_TRUE(browser->tls().SendBytes(
      ClientFrame(WebSocketOpcode::kClose, Bytes{0x03, 0xE8})));
  auto end = technician->Receive();
  ASSERT_TRUE(end.has_value()) << end.error().message;
  EXPECT_TRUE(end->has_end()) << end->DebugString();
}

TEST_F(WebSocketRelayTest, AnotherSitesPageCannotOpenTheSocket) {
  auto browser = Open("https://evil.example");
  ASSERT_NE(browser, nullptr);
  EXPECT_EQ(status_, 403);
  auto wrong_path = tether::test::WebTestClient::Connect(relay_->port(),
                                                         relay_->fingerprint());
  ASSERT_TRUE(wrong_path.has_value());
  auto answer =
      (*wrong_path)
          ->Request("GET", "/elsewhere", "", false,
                    {{"Upgrade", "websocket"},
                     {"Connection", "Upgrade"},
                     {"Sec-WebSocket-Version", "13"},
                     {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                     {"Origin", "https://127.0.0.1"}});
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 404);
}

TEST_F(WebSocketRelayTest, AMessageOverTheSignInLimitClosesWith1009) {
  auto browser = Open("https://127.0.0.1");
  ASSERT_NE(browser, nullptr);
  ASSERT_EQ(status_, 101);
  ASSERT_TRUE(browser->tls().SendBytes(
      ClientFrame(WebSocketOpcode::kBinary, Bytes(64 << 10, 1))));
  auto closed = ReceiveMessage(*browser);
  EXPECT_FALSE(closed.has_value());
  EXPECT_TRUE(browser->tls().WaitClosed(5s));
}

}  // namespace
}  // namespace tether::relay::web
