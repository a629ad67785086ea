#include "relay/web/http_request.h"

#include <http_parser.h>

#include "base/ascii.h"
#include "base/bytes.h"

namespace tether::relay::web {

const std::string* HttpRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name)
      return &value;
  }
  return nullptr;
}

bool OriginIsOwnSite(const HttpRequest& request) {
  const std::string* origin = request.Header("origin");
  const std::string* host = request.Header("host");
  return origin != nullptr && host != nullptr && *origin == "https://" + *host;
}

std::string_view HttpRequest::path() const {
  std::string_view t(target);
  return t.substr(0, t.find('?'));
}

std::string_view HttpRequest::query() const {
  std::string_view t(target);
  const size_t mark = t.find('?');
  return mark == std::string_view::npos ? std::string_view()
                                        : t.substr(mark + 1);
}

// The C callbacks: each finds its parser through http_parser::data.
struct HttpRequestParser::Callbacks {
  static HttpRequestParser& Self(http_parser* p) {
    return *static_cast<HttpRequestParser*>(p->data);
  }
  static int OnBegin(http_parser* p) {
    Self(p).started_ = true;
    return 0;
  }
  static int OnUrl(http_parser* p, const char* at, size_t n) {
    auto& self = Self(p);
    if (self.request_.target.size() + n > self.limits_.max_target)
      return self.Fail(414, "the request's URL is too long");
    if (!self.AddHeaderBytes(n))
      return 1;
    self.request_.target.append(at, n);
    return 0;
  }
  static int OnField(http_parser* p, const char* at, size_t n) {
    auto& self = Self(p);
    if (!self.AddHeaderBytes(n))
      return 1;
    if (self.in_value_) {
      self.in_value_ = false;
      self.field_.clear();
    }
    self.field_.append(at, n);
    return 0;
  }
  static int OnValue(http_parser* p, const char* at, size_t n) {
    auto& self = Self(p);
    if (!self.AddHeaderBytes(n))
      return 1;
    if (!self.in_value_) {
      self.in_value_ = true;
      if (self.request_.headers.size() >= self.limits_.max_headers)
        return self.Fail(431, "the request has too many headers");
      self.request_.headers.emplace_back(AsciiLower(self.field_), "");
    }
    self.request_.headers.back().second.append(at, n);
    return 0;
  }
  static int OnHeadersComplete(http_parser* p) {
    auto& self = Self(p);
    self.request_.method = http_method_str(static_cast<http_method>(p->method));
    self.request_.keep_alive = http_should_keep_alive(p) != 0;
    // Content-Length is known now: refuse a large body before reading it.
    if ((p->flags & F_CONTENTLENGTH) != 0 &&
        p->content_length > self.limits_.max_body) {
      return self.Fail(413, "the request's body is too large");
    }
    return 0;
  }
  static int OnBody(http_parser* p, const char* at, size_t n) {
    auto& self = Self(p);
    if (self.request_.body.size() + n > self.limits_.max_body)
      return self.Fail(413, "the request's body is too large");
    self.request_.body.append(at, n);
    return 0;
  }
  static int OnComplete(http_parser* p) {
    auto& self = Self(p);
    self.complete_ = true;
    http_parser_pause(p, 1);  // one request at a time
    return 0;
  }
};

HttpRequestParser::HttpRequestParser(const HttpLimits& limits)
    : limits_(limits), parser_(std::make_unique<http_parser>()) {
  Reset();
}

HttpRequestParser::~HttpRequestParser() = default;

void HttpRequestParser::Reset() {
  http_parser_init(parser_.get(), HTTP_REQUEST);
  parser_->data = this;
  request_ = {};
  field_.clear();
  in_value_ = false;
  header_bytes_ = 0;
  started_ = false;
  complete_ = false;
}

int HttpRequestParser::Fail(int status, std::string message) {
  if (error_status_ == 0) {
    error_status_ = status;
    error_ = std::move(message);
  }
  return 1;
}

bool HttpRequestParser::AddHeaderBytes(size_t n) {
  header_bytes_ += n;
  if (header_bytes_ > limits_.max_header_bytes) {
    Fail(431, "the request's headers are too large");
    return false;
  }
  return true;
}

Result<size_t> HttpRequestParser::Feed(ByteSpan bytes) {
  if (error_status_ != 0)
    return MakeError(error_);
  if (complete_ || bytes.empty())
    return size_t{0};
  static const http_parser_settings kSettings = [] {
    http_parser_settings s{};
    s.on_message_begin = &Callbacks::OnBegin;
    s.on_url = &Callbacks::OnUrl;
    s.on_header_field = &Callbacks::OnField;
    s.on_header_value = &Callbacks::OnValue;
    s.on_headers_complete = &Callbacks::OnHeadersComplete;
    s.on_body = &Callbacks::OnBody;
    s.on_message_complete = &Callbacks::OnComplete;
    return s;
  }();
  const size_t used = http_parser_execute(
      parser_.get(), &kSettings, reinterpret_cast<const char*>(bytes.data()),
      bytes.size());
  const auto error = HTTP_PARSER_ERRNO(parser_.get());
  if (error_status_ != 0)
    return MakeError(error_);
  if (parser_->upgrade) {
    // The parser stops after the head of an Upgrade request; what follows
    // belongs to the other protocol.
    request_.upgrade = true;
    request_.method =
        http_method_str(static_cast<http_method>(parser_->method));
    complete_ = true;
    return used;
  }
  if (error == HPE_PAUSED) {
    return used;
  }
  if (error != HPE_OK) {
    Fail(error == HPE_INVALID_METHOD ? 501 : 400,
         std::string("malformed request: ") + http_errno_description(error));
    return MakeError(error_);
  }
  return used;
}

HttpRequest HttpRequestParser::Take() {
  HttpRequest out = std::move(request_);
  Reset();
  return out;
}

Result<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      const int hi = i + 1 < text.size() ? HexDigitValue(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? HexDigitValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        return MakeError("bad percent escape");
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0')
      return MakeError("NUL in a URL");
    out.push_back(c);
  }
  return out;
}

std::optional<std::string> QueryValue(std::string_view query,
                                      std::string_view name) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view()
                                          : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    auto key = PercentDecode(pair.substr(0, eq), true);
    if (!key || *key != name)
      continue;
    auto value = PercentDecode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1),
        true);
    if (!value)
      return std::nullopt;
    return *value;
  }
  return std::nullopt;
}

}  // namespace tether::relay::web
