#include "protocol/host_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

namespace tether::protocol {
namespace {

// "host[:port]" or "[v6][:port]" cut in two; the port is checked by the
// caller (a relay needs one from 1 on, a listener takes 0).
struct SplitAddress {
  std::string_view host;
  std::optional<std::string_view> port;
  bool bracketed = false;
};

Result<SplitAddress> Split(std::string_view text) {
  SplitAddress split;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos)
      return MakeError("unclosed '['");
    split.host = text.substr(1, close - 1);
    split.bracketed = true;
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return MakeError("expected ':' after ']'");
      split.port = rest.substr(1);
    }
    return split;
  }
  const size_t colon = text.rfind(':');
  split.host = text.substr(0, colon);
  if (colon != std::string_view::npos)
    split.port = text.substr(colon + 1);
  return split;
}

std::optional<uint32_t> PortNumber(std::string_view text) {
  unsigned value = 0;
  const auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() ||
      end != text.data() + text.size() || value > 65535) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> NormalIp(std::string_view host, int family) {
  unsigned char bytes[16] = {};
  if (inet_pton(family, std::string(host).c_str(), bytes) != 1)
    return std::nullopt;
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, bytes, text, sizeof(text));
  return std::string(text);
}

}  // namespace

std::string_view TrimSpace(std::string_view text) {
  while (!text.empty() &&
         std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

Result<HostPort> ParseHostPort(std::string_view text, uint16_t default_port) {
  if (text.size() > kMaxHostPortBytes)
    return MakeError("too long for a host name and port");
  TETHER_TRY(split, Split(TrimSpace(text)));
  if (!split->bracketed && split->host.find(':') != std::string_view::npos)
    return MakeError("write an IPv6 address in brackets, e.g. [::1]:8443");
  if (split->host.empty())
    return MakeError("no host name");
  for (char c : split->host) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '.' && c != '-' && c != '_' && c != ':')
      return MakeError("invalid host name");
  }
  HostPort parsed{std::string(split->host), default_port};
  if (split->port) {
    const std::optional<uint32_t> port = PortNumber(*split->port);
    if (!port || *port == 0)
      return MakeError("invalid port");
    parsed.port = static_cast<uint16_t>(*port);
  }
  return parsed;
}

Result<std::string> ParseHost(std::string_view text) {
  if (text.size() <= kMaxHostPortBytes && NormalIp(text, AF_INET6))
    return std::string(text);
  TETHER_TRY(parsed, ParseHostPort(text, 0));
  // Only a written port is non-zero (ParseHostPort refuses port 0).
  if (parsed->port != 0)
    return MakeError("write the port in its own key, not after the host");
  if (TrimSpace(text) != text)
    return MakeError("invalid host name");
  return parsed->host;
}

Result<HostPort> ParseListenAddress(std::string_view text) {
  if (text.find('\0') != std::string_view::npos)
    return MakeError("contains NUL");
  auto split = Split(text);
  // Split fails only on a '[' without "]:".
  if (!split || (split->bracketed && !split->port))
    return MakeError("expected [IPv6 address]:port, e.g. \"[::]:8443\"");
  if (!split->port)
    return MakeError("expected address:port, e.g. \"0.0.0.0:8443\"");
  if (!split->bracketed && split->host.find(':') != std::string_view::npos)
    return MakeError("put IPv6 addresses in brackets, e.g. \"[::]:8443\"");
  const std::optional<std::string> host =
      NormalIp(split->host, split->bracketed ? AF_INET6 : AF_INET);
  if (!host) {
    return MakeError(split->bracketed
                         ? "not an IPv6 address"
                         : "not an IPv4 address (host names are not accepted: "
                           "use an IP address such as 0.0.0.0, or [::])");
  }
  // Port 0 lets the kernel pick a free port (tests, side-by-side relays).
  const std::optional<uint32_t> port = PortNumber(*split->port);
  if (!port || split->port->size() > 5)
    return MakeError("the port must be a number from 0 to 65535");
  return HostPort{*host, static_cast<uint16_t>(*port)};
}

}  // namespace tether::protocol
