#pragma once

// "host", "host:port", "[v6]" and "[v6]:port": how a relay (--relay) or a
// proxy is written. One parser for the apps' command lines and the proxy
// settings; fuzzed (tests/fuzz/host_port_fuzzer.cc).

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

// Longer input is refused before it is looked at.
inline constexpr size_t kMaxHostPortBytes = 1024;

// Surrounding blanks are ignored; `default_port` applies when none is
// written. Host names may hold letters, digits, '.', '-' and '_'; an IPv6
// literal must be in brackets. Errors say what is wrong, without the input.
Result<HostPort> ParseHostPort(std::string_view text, uint16_t default_port);

}  // namespace tether::protocol
