#pragma once

#include <string>
#include <string_view>

namespace tether::protocol {

// What `--version` prints and the relay logs at start, e.g.
// "tether-relay 0.9.0 (mbedTLS 3.6.6)". mbedTLS is linked statically, so
// IT reads here which copy a binary carries when a security release comes.
std::string VersionLine(std::string_view program);
// "0.9.0": this build's version alone.
std::string_view TetherVersion();

}  // namespace tether::protocol
