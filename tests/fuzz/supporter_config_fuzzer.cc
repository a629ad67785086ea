// Feeds arbitrary bytes to the tether-supporter.toml parser. Besides never
// crashing, checks its contract: every refusal says why, and whatever
// parses has what the console needs to connect (a relay host and exactly
// one way to trust it).

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "supporter-app/core/supporter_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tether::supporter;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = ParseSupporterConfig(text, "fuzz.toml", "/etc/tether");
  if (!config) {
    if (config.error().message.empty())
      std::abort();
    return 0;
  }
  if (config->relay.host.empty() || config->relay.port == 0 ||
      config->relay.fingerprint.empty() == config->relay.ca_file.empty() ||
      !config->protocol_dir.is_absolute()) {
    std::abort();
  }
  return 0;
}
