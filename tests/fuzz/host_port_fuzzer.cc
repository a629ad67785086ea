// Feeds arbitrary bytes to ParseHostPort (--relay on both apps' command
// lines, and proxy addresses). Besides never crashing, checks its contract:
// every refusal says why, and whatever parses has a host of the allowed
// characters and a port that is not 0.

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/host_port.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tether::protocol;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = ParseHostPort(text, 8443);
  if (!parsed) {
    if (parsed.error().message.empty())
      std::abort();
    return 0;
  }
  if (parsed->host.empty() || parsed->port == 0 || size > kMaxHostPortBytes)
    std::abort();
  for (char c : parsed->host) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '.' && c != '-' && c != '_' && c != ':')
      std::abort();
  }
  return 0;
}
