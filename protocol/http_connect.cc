#include "protocol/http_connect.h"

#include <algorithm>

namespace tether::protocol {
namespace {

constexpr std::string_view kVersionPrefix = "HTTP/";
constexpr size_t kMaxReasonLength = 64;
// "HTTP/1.1 200": version, space, three digits.
constexpr size_t kMinStatusLine = 12;

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// The reason phrase ends up in a message shown to the user: keep it short
// and printable whatever the proxy sent.
std::string CleanReason(std::string_view reason) {
  std::string out;
  for (char c : reason.substr(0, kMaxReasonLength)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
  }
  return out;
}

// status-line = HTTP-version SP status-code [SP reason-phrase]
Result<ConnectResponse> ParseStatusLine(std::string_view line) {
  if (line.size() < kMinStatusLine || line.substr(0, 5) != kVersionPrefix ||
      !IsDigit(line[5]) || line[6] != '.' || !IsDigit(line[7]) ||
      line[8] != ' ') {
    return MakeError(
        "the proxy's answer does not start with an HTTP status "
        "line");
  }
  if (line[5] != '1') {
    return MakeError("the proxy answered with an HTTP version other than 1.x");
  }
  if (!IsDigit(line[9]) || !IsDigit(line[10]) || !IsDigit(line[11]) ||
      (line.size() > kMinStatusLine && line[kMinStatusLine] != ' ')) {
    return MakeError("the proxy's status line has no valid status code");
  }
  ConnectResponse response;
  response.status =
      (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (response.status < 100 || response.status > 599) {
    return MakeError("the proxy answered with status " +
                     std::to_string(response.status) +
                     ", which HTTP does not define");
  }
  if (line.size() > kMinStatusLine + 1) {
    response.reason = CleanReason(line.substr(kMinStatusLine + 1));
  }
  return response;
}

}  // namespace

std::string BuildConnectRequest(std::string_view host, uint16_t port) {
  const bool ipv6_literal = host.find(':') != std::string_view::npos;
  std::string authority =
      ipv6_literal ? "[" + std::string(host) + "]" : std::string(host);
  authority += ":" + std::to_string(port);
  return "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority +
         "\r\n\r\n";
}

Result<std::optional<ConnectResponse>> ParseConnectResponse(ByteSpan received) {
  const std::string_view text(reinterpret_cast<const char*>(received.data()),
                              received.size());
  // Fail as soon as the first bytes cannot begin "HTTP/", e.g. when the
  // "proxy" is the relay itself answering with TLS.
  const size_t prefix = std::min(text.size(), kVersionPrefix.size());
  if (text.substr(0, prefix) != kVersionPrefix.substr(0, prefix)) {
    return MakeError("the proxy did not answer in HTTP");
  }
  // Only the first kMaxConnectResponseHead bytes may hold the head.
  const std::string_view window =
      text.substr(0, std::min(text.size(), kMaxConnectResponseHead));
  std::optional<ConnectResponse> response;
  size_t line_start = 0;
  for (;;) {
    const size_t newline = window.find('\n', line_start);
    if (newline == std::string_view::npos) {
      if (text.size() >= kMaxConnectResponseHead) {
        return MakeError("the proxy's answer is longer than " +
                         std::to_string(kMaxConnectResponseHead) + " bytes");
      }
      return std::optional<ConnectResponse>();
    }
    std::string_view line = window.substr(line_start, newline - line_start);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (!response) {
      TETHER_TRY(status, ParseStatusLine(line));
      response = std::move(*status);
    } else if (line.empty()) {
      response->head_size = newline + 1;
      return response;
    }
    // Header fields are not needed: a tunnel has no body, and TLS checks
    // whatever comes through it.
    line_start = newline + 1;
  }
}

}  // namespace tether::protocol
