// Feeds arbitrary bytes to ParseRedisUrl ([cluster] redis in relay.toml).
// Besides never crashing, checks its contract: every refusal says why, and
// whatever parses names either a TCP host and port or a Unix socket path.
// (That a refusal never repeats a password is redis_link_test's.)

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "relay/cluster/redis_link.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = tether::relay::ParseRedisUrl(text);
  if (!parsed) {
    if (parsed.error().message.empty())
      std::abort();
    return 0;
  }
  if (parsed->is_unix() == !parsed->host.empty())
    std::abort();
  if (!parsed->is_unix() && parsed->port == 0)
    std::abort();
  if (parsed->db < 0)
    std::abort();
  return 0;
}
