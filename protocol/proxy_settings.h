#pragma once

// Which HTTP proxy, if any, carries the connection to the relay. Company
// networks often allow the way out only through a proxy; the apps honour
// the proxy IT configured for them (RelayEndpoint::proxy) or the usual
// environment variables, the way curl and most command-line tools do.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace tether::protocol {

struct ProxyAddress {
  std::string host;  // name or IP literal (no brackets)
  uint16_t port = 0;

  std::string ToString() const;  // "proxy.corp:3128", "[::1]:3128"
  bool operator==(const ProxyAddress&) const = default;
};

// Parses "http://host:port" (a trailing "/" is allowed, the scheme may be
// left out, the port defaults to 80). Proxies reached over TLS ("https://")
// and proxy credentials ("user:pass@") are not supported: the error says
// so in words an IT person can act on.
Result<ProxyAddress> ParseProxyUrl(std::string_view url);

// Looks up one environment variable; nullptr when unset. Tests pass a map;
// the engine passes ::getenv (read once, on the thread that calls Start()).
using EnvironmentLookup = std::function<const char*(const char* name)>;

// The proxy for a connection to `relay_host`:
//  - `configured` (RelayEndpoint::proxy) when set;
//  - else `https_proxy`, or `HTTPS_PROXY` when the former is unset or
//    empty, unless `no_proxy` (or `NO_PROXY`) lists `relay_host` exactly
//    (case-insensitive; comma-separated; "*" means every host). Loopback
//    names are not special: 127.0.0.1 and localhost bypass the proxy only
//    when they are listed.
// nullopt: connect directly. An unparseable proxy URL is an error.
Result<std::optional<ProxyAddress>> ChooseProxy(
    std::string_view configured,
    std::string_view relay_host,
    const EnvironmentLookup& getenv);

}  // namespace tether::protocol
