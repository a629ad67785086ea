#include "tests/support/web_test_client.h"

#include <http_parser.h>

#include <algorithm>
#include <cctype>
#include <regex>

#include "crypto/tls_config.h"

namespace tether::test {
namespace {

struct ResponseParse {
  TestHttpResponse response;
  std::string field;
  bool in_value = false;
  bool complete = false;
};

int OnStatus(http_parser* p, const char*, size_t) {
  static_cast<ResponseParse*>(p->data)->response.status =
      static_cast<int>(p->status_code);
  return 0;
}
int OnField(http_parser* p, const char* at, size_t n) {
  auto* r = static_cast<ResponseParse*>(p->data);
  if (r->in_value) {
    r->in_value = false;
    r->field.clear();
  }
  r->field.append(at, n);
  return 0;
}
int OnValue(http_parser* p, const char* at, size_t n) {
  auto* r = static_cast<ResponseParse*>(p->data);
  if (!r->in_value) {
    r->in_value = true;
    std::string name = r->field;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    r->response.headers.emplace_back(name, "");
  }
  r->response.headers.back().second.append(at, n);
  return 0;
}
int OnBody(http_parser* p, const char* at, size_t n) {
  static_cast<ResponseParse*>(p->data)->response.body.append(at, n);
  return 0;
}
int OnComplete(http_parser* p) {
  auto* r = static_cast<ResponseParse*>(p->data);
  r->complete = true;
  r->response.status = static_cast<int>(p->status_code);
  r->response.keep_alive = http_should_keep_alive(p) != 0;
  http_parser_pause(p, 1);
  return 0;
}

}  // namespace

std::string TestHttpResponse::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (key == name)
      return value;
  }
  return "";
}

Result<std::unique_ptr<WebTestClient>> WebTestClient::Connect(
    uint16_t port,
    const std::string& fingerprint,
    const std::string& source_ip) {
  std::unique_ptr<WebTestClient> client(new WebTestClient());
  TETHER_TRY(tls, RelayTestClient::Connect(port, fingerprint,
                                           std::chrono::seconds(5), source_ip,
                                           {std::string(crypto::kAlpnHttp11)}));
  client->tls_ = std::move(*tls);
  return client;
}

Result<TestHttpResponse> WebTestClient::Request(
    const std::string& method,
    const std::string& target,
    const std::string& body,
    bool with_csrf,
    const std::vector<std::pair<std::string, std::string>>& headers,
    const std::string& content_type) {
  std::string request =
      method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!cookie.empty())
    request += "Cookie: tether_session=" + cookie + "\r\n";
  if (method != "GET" && with_csrf && !csrf_token.empty())
    request += "X-CSRF-Token: " + csrf_token + "\r\n";
  for (const auto& [name, value] : headers)
    request += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST") {
    if (!body.empty())
      request += "Content-Type: " + content_type + "\r\n";
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  return Raw(request);
}

Result<TestHttpResponse> WebTestClient::Raw(const std::string& bytes) {
  TETHER_RETURN_IF_ERROR(tls_->SendBytes(
      ByteSpan(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())));
  return ReadResponse();
}

Result<TestHttpResponse> WebTestClient::ReadResponse(
    std::chrono::milliseconds timeout) {
  http_parser parser;
  http_parser_init(&parser, HTTP_RESPONSE);
  ResponseParse parse;
  parser.data = &parse;
  http_parser_settings settings{};
  settings.on_status = &OnStatus;
  settings.on_header_field = &OnField;
  settings.on_header_value = &OnValue;
  settings.on_body = &OnBody;
  settings.on_message_complete = &OnComplete;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string data = std::move(buffered_);
  buffered_.clear();
  for (;;) {
    if (!data.empty()) {
      const size_t used =
          http_parser_execute(&parser, &settings, data.data(), data.size());
      if (parse.complete) {
        buffered_ = data.substr(used);
        return parse.response;
      }
      if (HTTP_PARSER_ERRNO(&parser) != HPE_OK) {
        return MakeError(std::string("bad HTTP answer: ") +
                         http_errno_description(HTTP_PARSER_ERRNO(&parser)));
      }
      data.clear();
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return MakeError("no HTTP answer in time");
    auto bytes = tls_->ReceiveBytes(left);
    if (!bytes) {
      // A response without a length ends with the connection.
      if (http_parser_execute(&parser, &settings, nullptr, 0) == 0 &&
          parse.complete) {
        return parse.response;
      }
      return Unexpected(bytes.error());
    }
    data.assign(bytes->begin(), bytes->end());
  }
}

Result<TestHttpResponse> WebTestClient::SignIn(const std::string& user,
                                               const std::string& password,
                                               const std::string& totp) {
  std::string body =
      "{\"user\":\"" + user + "\",\"password\":\"" + password + "\"";
  if (!totp.empty())
    body += ",\"totp\":\"" + totp + "\"";
  body += "}";
  TETHER_TRY(response, Request("POST", "/api/session", body));
  if (response->status == 200) {
    std::smatch match;
    const std::string set_cookie = response->Header("set-cookie");
    if (std::regex_search(set_cookie, match,
                          std::regex("tether_session=([^;]*)"))) {
      cookie = match[1];
    }
    if (std::regex_search(response->body, match,
                          std::regex("\"csrf_token\":\"([^\"]*)\""))) {
      csrf_token = match[1];
    }
  }
  return response;
}

}  // namespace tether::test
