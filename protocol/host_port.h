#pragma once

// "host", "host:port", "[v6]" and "[v6]:port": how a relay (--relay) or a
// proxy is written. One parser for the apps' command lines, their config
// files' relay.host and relay.hosts and the proxy settings, and one for the
// addresses the relay listens on; fuzzed (tests/fuzz/host_port_fuzzer.cc).

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace tether::protocol {

struct HostPort {
  std::string host;  // name or IP literal, without brackets
  uint16_t port = 0;

  bool operator==(const HostPort&) const = default;
};

// "host:port", an IPv6 literal in brackets ("[::1]:8443"): how an address
// is shown, and written back where ParseHostPort reads it. (Inline: the
// supporter's UI shows addresses and links none of protocol/.)
inline std::string JoinHostPort(std::string_view host, uint16_t port) {
  const std::string shown = host.find(':') == std::string_view::npos
                                ? std::string(host)
                                : "[" + std::string(host) + "]";
  return shown + ":" + std::to_string(port);
}

// Longer input is refused before it is looked at.
inline constexpr size_t kMaxHostPortBytes = 1024;

// `text` without the white space around it (addresses as people type them).
std::string_view TrimSpace(std::string_view text);

// Surrounding blanks are ignored; `default_port` applies when none is
// written. Host names may hold letters, digits, '.', '-' and '_'; an IPv6
// literal must be in brackets. Errors say what is wrong, without the input.
Result<HostPort> ParseHostPort(std::string_view text, uint16_t default_port);

// A host alone, as a config file's `host` key holds it (the port is a key
// of its own): what ParseHostPort accepts without a port, or an IPv6
// literal without brackets. Returns the host without brackets.
Result<std::string> ParseHost(std::string_view text);

// A literal IP address and a port to listen on: "0.0.0.0:8443",
// "[::]:8443"; port 0 lets the kernel pick. Host names are refused (what a
// name resolves to may change). The host comes back in its normal form
// ("::" for "[0::0]"). Errors say what is wrong, without the input.
Result<HostPort> ParseListenAddress(std::string_view text);

}  // namespace tether::protocol
