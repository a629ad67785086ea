#pragma once

// Who a connection comes from, as the relay's per-source limits count it.

#include <string>
#include <string_view>

#include "base/result.h"

namespace tether::relay {

// The address block one party is assumed to control: "a.b.c.d/32" for IPv4
// (and IPv4-mapped IPv6, ::ffff:a.b.c.d, which is the same client seen
// through a dual-stack socket), "2001:db8:1:2::/64" for IPv6, because one
// host or LAN is routinely given a whole /64 and could otherwise pick a
// fresh address for every guess. `ip_address` is a literal as printed by
// uv_ip4_name/uv_ip6_name (no brackets, port or zone).
Result<std::string> SourceKey(std::string_view ip_address);

// "203.0.113.7:51234" → "203.0.113.7"; "[2001:db8::1]:443" → "2001:db8::1".
std::string HostOf(std::string_view address);

// The source key of a peer address ("ip:port" or "[v6]:port"), or the
// address itself if it is not one (never for an accepted socket).
std::string SourceOf(std::string_view peer_address);

}  // namespace tether::relay
