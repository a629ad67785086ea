#include "relay/limits/source_key.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace tether::relay {
namespace {

// Longer than any IPv6 literal (45 characters), so anything longer is not
// an address.
constexpr size_t kMaxAddressLength = 64;

std::string FormatIpv4(const unsigned char bytes[4]) {
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, bytes, text, sizeof(text));
  return std::string(text) + "/32";
}

}  // namespace

Result<std::string> SourceKey(std::string_view ip_address) {
  const auto not_an_address = [&] {
    return MakeError("not an IP address: '" +
                     std::string(ip_address.substr(0, kMaxAddressLength)) +
                     "'");
  };
  // inet_pton reads up to a NUL, so "1.2.3.4\0junk" must not get that far.
  if (ip_address.empty() || ip_address.size() > kMaxAddressLength ||
      ip_address.find('\0') != std::string_view::npos) {
    return not_an_address();
  }
  const std::string text(ip_address);
  unsigned char bytes[16] = {};
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1)
    return FormatIpv4(bytes);
  if (inet_pton(AF_INET6, text.c_str(), bytes) != 1)
    return not_an_address();

  // ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket.
  static constexpr unsigned char kMappedPrefix[12] = {0, 0, 0, 0, 0,    0,
                                                      0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(bytes, kMappedPrefix, sizeof(kMappedPrefix)) == 0) {
    return FormatIpv4(bytes + 12);
  }
  std::memset(bytes + 8, 0, 8);
  char prefix[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, bytes, prefix, sizeof(prefix));
  return std::string(prefix) + "/64";
}

std::string HostOf(std::string_view address) {
  if (!address.empty() && address.front() == '[') {
    const size_t end = address.find(']');
    return std::string(
        end == std::string_view::npos ? address : address.substr(1, end - 1));
  }
  return std::string(address.substr(0, address.rfind(':')));
}

std::string SourceOf(std::string_view peer_address) {
  return SourceKey(HostOf(peer_address)).value_or(std::string(peer_address));
}

}  // namespace tether::relay
