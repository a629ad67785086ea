// Feeds arbitrary bytes to the relay.toml parser. Besides never crashing,
// checks its contract with DescribeRelayConfig: whatever parses, described
// and parsed again, gives the same config (so `config check` output is
// itself a valid config).

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "relay/config/relay_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tether::relay;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = ParseRelayConfig(text, "fuzz.toml");
  if (!config) {
    if (config.error().message.empty())
      std::abort();
    return 0;
  }
  const std::string described = DescribeRelayConfig(*config);
  auto again = ParseRelayConfig(described, "described");
  if (!again || !(*again == *config))
    std::abort();
  return 0;
}
