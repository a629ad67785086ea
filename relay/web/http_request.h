#pragma once

// One HTTP/1.1 request as the relay's web side sees it, and the parser that
// cuts requests out of a TLS byte stream: Node's http_parser (Debian's
// libhttp-parser) does the parsing; this class adds the size limits and
// keeps one request at a time.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

struct http_parser;

namespace tether::relay::web {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: "/api/events?since=2026-11-01"
  // Header names in lower case, values as sent, in order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool keep_alive = false;
  bool upgrade = false;  // an Upgrade request (e.g. WebSocket)

  // The first header of that (lower-case) name, or nullptr.
  const std::string* Header(std::string_view name) const;
  // The target's path (before '?') and query (after it, without '?').
  std::string_view path() const;
  std::string_view query() const;
};

// Whether the request's Origin is the site its Host names ("https://" +
// Host). Browsers send Origin with every POST, DELETE and WebSocket
// upgrade, and a page of another site cannot make them send ours.
bool OriginIsOwnSite(const HttpRequest& request);

struct HttpLimits {
  size_t max_target = 4 << 10;         // 414 above
  size_t max_header_bytes = 16 << 10;  // names + values + target; 431 above
  size_t max_headers = 64;             // 431 above
  size_t max_body = 64 << 10;          // 413 above
};

// Feed bytes as they arrive; once a request is complete the parser stops
// (the rest of the bytes are left unconsumed, for the next request) until
// Take(). Errors are final and carry the HTTP status to answer with.
class HttpRequestParser {
 public:
  explicit HttpRequestParser(const HttpLimits& limits = {});
  ~HttpRequestParser();
  HttpRequestParser(const HttpRequestParser&) = delete;
  HttpRequestParser& operator=(const HttpRequestParser&) = delete;

  // Returns how many bytes were consumed: all of them unless a request was
  // completed (or an error found) on the way.
  Result<size_t> Feed(ByteSpan bytes);

  bool complete() const { return complete_; }
  // True once any byte of the current request arrived.
  bool started() const { return started_; }
  // The finished request; the parser then waits for the next one.
  HttpRequest Take();
  // After an error: 400, 413, 414, 431 or 501.
  int error_status() const { return error_status_; }

 private:
  struct Callbacks;
  void Reset();
  int Fail(int status, std::string message);
  bool AddHeaderBytes(size_t n);

  HttpLimits limits_;
  std::unique_ptr<::http_parser> parser_;
  HttpRequest request_;
  std::string field_;  // the header name being read
  bool in_value_ = false;
  size_t header_bytes_ = 0;
  bool started_ = false;
  bool complete_ = false;
  int error_status_ = 0;
  std::string error_;
};

// Percent-decodes `text` ('+' stays '+' unless `plus_is_space`). Fails on
// a bad escape or a NUL byte.
Result<std::string> PercentDecode(std::string_view text,
                                  bool plus_is_space = false);
// The value of `name` in an application/x-www-form-urlencoded query, decoded;
// nullopt when absent or malformed.
std::optional<std::string> QueryValue(std::string_view query,
                                      std::string_view name);

}  // namespace tether::relay::web
