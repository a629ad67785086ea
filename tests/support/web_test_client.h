#pragma once

// A browser as the relay's web side sees it, for tests: an HTTPS
// connection (ALPN http/1.1) to a real relay, requests written by hand (so
// a test can also write broken ones), answers read with Node's
// http_parser, and the console's cookie and CSRF token kept between calls.

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "tests/support/relay_test_client.h"

namespace tether::test {

struct TestHttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  std::string body;
  bool keep_alive = false;

  // The first header of that (lower-case) name, or "".
  std::string Header(const std::string& name) const;
};

class WebTestClient {
 public:
  static Result<std::unique_ptr<WebTestClient>> Connect(
      uint16_t port,
      const std::string& fingerprint,
      const std::string& source_ip = "");

  // One request on this connection: the session cookie and, for anything
  // but GET, the CSRF token go along once sign-in gave them (unless
  // `with_csrf` is false). `content_type` applies when `body` is set.
  Result<TestHttpResponse> Request(
      const std::string& method,
      const std::string& target,
      const std::string& body = "",
      bool with_csrf = true,
      const std::vector<std::pair<std::string, std::string>>& headers = {},
      const std::string& content_type = "application/json");
  // Writes bytes as they are, then reads one answer.
  Result<TestHttpResponse> Raw(const std::string& bytes);
  Result<TestHttpResponse> ReadResponse(
      std::chrono::milliseconds timeout = std::chrono::seconds(20));

  // POST /api/session; keeps the cookie and token of a 200.
  Result<TestHttpResponse> SignIn(const std::string& user,
                                  const std::string& password,
                                  const std::string& totp = "");

  RelayTestClient& tls() { return *tls_; }
  std::string cookie;  // tether_session's value
  std::string csrf_token;

 private:
  std::unique_ptr<RelayTestClient> tls_;
  std::string buffered_;  // read past the last answer
};

}  // namespace tether::test
