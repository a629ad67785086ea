#include "protocol/host_port.h"

#include <cctype>
#include <charconv>

namespace tether::protocol {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() &&
         std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

}  // namespace

Result<HostPort> ParseHostPort(std::string_view text, uint16_t default_port) {
  if (text.size() > kMaxHostPortBytes)
    return MakeError("too long for a host name and port");
  text = Trim(text);
  HostPort parsed;
  std::string_view port_text;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos)
      return MakeError("unclosed '['");
    parsed.host = std::string(text.substr(1, close - 1));
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return MakeError("expected ':' after ']'");
      port_text = rest.substr(1);
      has_port = true;
    }
  } else {
    const size_t colon = text.rfind(':');
    parsed.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = text.substr(colon + 1);
      has_port = true;
    }
    if (parsed.host.find(':') != std::string::npos)
      return MakeError("write an IPv6 address in brackets, e.g. [::1]:8443");
  }
  if (parsed.host.empty())
    return MakeError("no host name");
  for (char c : parsed.host) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '.' && c != '-' && c != '_' && c != ':')
      return MakeError("invalid host name");
  }
  parsed.port = default_port;
  if (has_port) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(
        port_text.data(), port_text.data() + port_text.size(), value);
    if (port_text.empty() || error != std::errc() ||
        end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return MakeError("invalid port");
    }
    parsed.port = static_cast<uint16_t>(value);
  }
  return parsed;
}

}  // namespace tether::protocol
