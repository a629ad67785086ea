#include "protocol/http_connect.h"

#include <gtest/gtest.h>

#include <string>

namespace tether::protocol {
namespace {

Result<std::optional<ConnectResponse>> Parse(const std::string& text) {
  return ParseConnectResponse(AsBytes(text));
}

TEST(HttpConnectTest, RequestNamesTheRelayInTargetAndHost) {
  EXPECT_EQ(
      BuildConnectRequest("relay.corp", 8443),
      "CONNECT relay.corp:8443 HTTP/1.1\r\nHost: relay.corp:8443\r\n\r\n");
}

TEST(HttpConnectTest, RequestBracketsIpv6Literals) {
  EXPECT_EQ(BuildConnectRequest("2001:db8::1", 443),
            "CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443"
            "\r\n\r\n");
}

TEST(HttpConnectTest, SuccessWithHeadersGivesStatusAndHeadSize) {
  const std::string head =
      "HTTP/1.1 200 Connection established\r\nProxy-agent: tinyproxy\r\n\r\n";
  auto parsed = Parse(head);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  ASSERT_TRUE(parsed->has_value());
  EXPECT_EQ((*parsed)->status, 200);
  EXPECT_EQ((*parsed)->reason, "Connection established");
  EXPECT_EQ((*parsed)->head_size, head.size());
  EXPECT_TRUE((*parsed)->success());
}

TEST(HttpConnectTest, BytesAfterTheHeadAreLeftForTls) {
  const std::string head = "HTTP/1.0 200 OK\r\n\r\n";
  auto parsed = Parse(head + "\x16\x03\x03 tls bytes");
  ASSERT_TRUE(parsed.has_value() && parsed->has_value());
  EXPECT_EQ((*parsed)->head_size, head.size());
}

TEST(HttpConnectTest, BareLineFeedsAndNoReasonAreAccepted) {
  auto parsed = Parse("HTTP/1.1 204\nVia: x\n\n");
  ASSERT_TRUE(parsed.has_value() && parsed->has_value());
  EXPECT_EQ((*parsed)->status, 204);
  EXPECT_EQ((*parsed)->reason, "");
  EXPECT_EQ((*parsed)->head_size, 21u);
}

TEST(HttpConnectTest, IncompleteHeadAsksForMoreAtEveryCut) {
  const std::string head = "HTTP/1.1 200 OK\r\nA: b\r\n\r\n";
  for (size_t cut = 0; cut < head.size(); ++cut) {
    auto parsed = Parse(head.substr(0, cut));
    ASSERT_TRUE(parsed.has_value()) << cut << ": " << parsed.error().message;
    EXPECT_FALSE(parsed->has_value()) << cut;
  }
}

TEST(HttpConnectTest, RefusalIsParsedButNotSuccess) {
  auto parsed =
      Parse("HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nForbidden");
  ASSERT_TRUE(parsed.has_value() && parsed->has_value());
  EXPECT_EQ((*parsed)->status, 403);
  EXPECT_EQ((*parsed)->reason, "Forbidden");
  EXPECT_FALSE((*parsed)->success());
}

TEST(HttpConnectTest, NonHttpAnswerFailsAtTheFirstByte) {
  auto parsed = Parse("\x16");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().message.find("not answer in HTTP"),
            std::string::npos);
}

TEST(HttpConnectTest, MalformedStatusLinesAreErrors) {
  for (const std::string bad :
       {"HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/2.0 200 OK\r\n\r\n", "HTTP/1.1200 OK\r\n\r\n",
        "HTTP/1.1 099 Low\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n",
        "HTTP/x.1 200 OK\r\n\r\n", "HTTP/1.1\r\n\r\n", "\r\n\r\n"}) {
    auto parsed = Parse(bad);
    EXPECT_FALSE(parsed.has_value()) << bad;
  }
}

TEST(HttpConnectTest, HeadOverTheLimitIsRefused) {
  std::string head = "HTTP/1.1 200 OK\r\n";
  while (head.size() < kMaxConnectResponseHead)
    head += "X-Pad: 0123456789\r\n";
  auto parsed = Parse(head + "\r\n");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().message.find("longer than 8192"), std::string::npos);
  // Without any end in sight, the limit alone decides.
  auto endless =
      Parse("HTTP/1.1 200 " + std::string(kMaxConnectResponseHead, 'a'));
  EXPECT_FALSE(endless.has_value());
}

TEST(HttpConnectTest, HeadJustUnderTheLimitIsAccepted) {
  std::string head = "HTTP/1.1 200 OK\r\nX: ";
  head += std::string(kMaxConnectResponseHead - head.size() - 4, 'a');
  head += "\r\n\r\n";
  ASSERT_EQ(head.size(), kMaxConnectResponseHead);
  auto parsed = Parse(head + "more");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  ASSERT_TRUE(parsed->has_value());
  EXPECT_EQ((*parsed)->head_size, kMaxConnectResponseHead);
}

TEST(HttpConnectTest, ReasonPhraseIsCleanedAndCut) {
  auto parsed =
      Parse("HTTP/1.1 502 Bad\x01\x7f" + std::string(100, 'g') + "\r\n\r\n");
  ASSERT_TRUE(parsed.has_value() && parsed->has_value());
  EXPECT_EQ((*parsed)->reason.size(), 64u);
  EXPECT_EQ((*parsed)->reason.substr(0, 5), "Bad??");
}

}  // namespace
}  // namespace tether::protocol
