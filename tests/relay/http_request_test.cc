#include "relay/web/http_request.h"

#include <gtest/gtest.h>

#include <string>

namespace tether::relay::web {
namespace {

ByteSpan Span(const std::string& text) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

TEST(HttpRequestParserTest, ReadsMethodTargetHeadersAndBody) {
  HttpRequestParser parser;
  const std::string text =
      "POST /api/session?x=1 HTTP/1.1\r\nHost: relay\r\nContent-Type: "
      "application/json\r\nContent-Length: 4\r\n\r\n{\"a\"";
  auto used = parser.Feed(Span(text));
  ASSERT_TRUE(used.has_value()) << used.error().message;
  EXPECT_EQ(*used, text.size());
  ASSERT_TRUE(parser.complete());
  HttpRequest request = parser.Take();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path(), "/api/session");
  EXPECT_EQ(request.query(), "x=1");
  ASSERT_NE(request.Header("content-type"), nullptr);
  EXPECT_EQ(*request.Header("content-type"), "application/json");
  EXPECT_EQ(request.body, "{\"a\"");
  EXPECT_TRUE(request.keep_alive);
}

TEST(HttpRequestParserTest, StopsAfterOneRequestSoPipelinedOnesWait) {
  HttpRequestParser parser;
  const std::string first = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string both = first + "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
  auto used = parser.Feed(Span(both));
  ASSERT_TRUE(used.has_value());
  EXPECT_EQ(*used, first.size());
  EXPECT_EQ(parser.Take().target, "/a");
  used = parser.Feed(Span(both.substr(first.size())));
  ASSERT_TRUE(used.has_value());
  ASSERT_TRUE(parser.complete());
  EXPECT_EQ(parser.Take().target, "/b");
}

TEST(HttpRequestParserTest, AcceptsARequestByteByByte) {
  HttpRequestParser parser;
  const std::string text =
      "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\n\r\n";
  for (char c : text) {
    ASSERT_FALSE(parser.complete());
    ASSERT_TRUE(parser.Feed(Span(std::string(1, c))).has_value());
  }
  ASSERT_TRUE(parser.complete());
  EXPECT_EQ(parser.Take().body, "abc");
}

TEST(HttpRequestParserTest, RefusesALongUrlWith414) {
  HttpLimits limits;
  limits.max_target = 100;
  HttpRequestParser parser(limits);
  const std::string text =
      "GET /" + std::string(200, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_FALSE(parser.Feed(Span(text)).has_value());
  EXPECT_EQ(parser.error_status(), 414);
}

TEST(HttpRequestParserTest, RefusesLargeHeadersWith431) {
  HttpLimits limits;
  limits.max_header_bytes = 1024;
  HttpRequestParser parser(limits);
  std::string text = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 40; ++i)
    text +=
        "X-Filler-" + std::to_string(i) + ": " + std::string(40, 'v') + "\r\n";
  text += "\r\n";
  EXPECT_FALSE(parser.Feed(Span(text)).has_value());
  EXPECT_EQ(parser.error_status(), 431);
}

TEST(HttpRequestParserTest, RefusesManyHeadersWith431) {
  HttpLimits limits;
  limits.max_headers = 8;
  HttpRequestParser parser(limits);
  std::string text = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 9; ++i)
    text += "A" + std::to_string(i) + ": b\r\n";
  EXPECT_FALSE(parser.Feed(Span(text + "\r\n")).has_value());
  EXPECT_EQ(parser.error_status(), 431);
}

TEST(HttpRequestParserTest, RefusesALargeBodyBeforeReadingIt) {
  HttpLimits limits;
  limits.max_body = 1000;
  HttpRequestParser parser(limits);
  const std::string head =
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n";
  EXPECT_FALSE(parser.Feed(Span(head)).has_value());
  EXPECT_EQ(parser.error_status(), 413);
}

TEST(HttpRequestParserTest, RefusesALargeChunkedBody) {
  HttpLimits limits;
  limits.max_body = 10;
  HttpRequestParser parser(limits);
  const std::string text =
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "20\r\n" +
      std::string(32, 'z') + "\r\n0\r\n\r\n";
  EXPECT_FALSE(parser.Feed(Span(text)).has_value());
  EXPECT_EQ(parser.error_status(), 413);
}

TEST(HttpRequestParserTest, RefusesGarbageWith400AndStaysFailed) {
  HttpRequestParser parser;
  EXPECT_FALSE(
      parser.Feed(Span("GET / HTTP/1.1\r\nBad Header\r\n\r\n")).has_value());
  EXPECT_EQ(parser.error_status(), 400);
  EXPECT_FALSE(parser.Feed(Span("GET / HTTP/1.1\r\n\r\n")).has_value());
}

TEST(HttpRequestParserTest, MarksAnUpgradeRequest) {
  HttpRequestParser parser;
  auto used = parser.Feed(
      Span("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: "
           "websocket\r\n\r\n"));
  ASSERT_TRUE(used.has_value());
  ASSERT_TRUE(parser.complete());
  EXPECT_TRUE(parser.Take().upgrade);
}

TEST(HttpRequestParserTest, HttpOneZeroWithoutKeepAliveCloses) {
  HttpRequestParser parser;
  ASSERT_TRUE(parser.Feed(Span("GET / HTTP/1.0\r\n\r\n")).has_value());
  ASSERT_TRUE(parser.complete());
  EXPECT_FALSE(parser.Take().keep_alive);
}

TEST(PercentDecodeTest, DecodesEscapesAndRefusesBadOnes) {
  EXPECT_EQ(*PercentDecode("a%40b%2Fc"), "a@b/c");
  EXPECT_EQ(*PercentDecode("a+b", true), "a b");
  EXPECT_EQ(*PercentDecode("a+b"), "a+b");
  EXPECT_FALSE(PercentDecode("%4").has_value());
  EXPECT_FALSE(PercentDecode("%zz").has_value());
  EXPECT_FALSE(PercentDecode("a%00b").has_value());
}

TEST(QueryValueTest, FindsDecodedValues) {
  EXPECT_EQ(QueryValue("since=2026-11-01&account=al%40ice", "account"),
            "al@ice");
  EXPECT_EQ(QueryValue("a=1&b", "b"), "");
  EXPECT_FALSE(QueryValue("a=1", "b").has_value());
}

}  // namespace
}  // namespace tether::relay::web
