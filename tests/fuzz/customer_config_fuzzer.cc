// Feeds arbitrary bytes to the tether-customer.toml parser (the file IT
// ships beside the customer app). Besides never crashing, checks its
// contract: every refusal says why, and whatever parses names at most one
// way to trust the relay and a usable file size limit.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "customer-app/core/customer_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tether::customer;
  if (size > kMaxCustomerConfigBytes)
    return 0;  // Load refuses these before parsing
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = ParseCustomerConfig(text, "fuzz.toml", "/opt/tether");
  if (!config) {
    if (config.error().message.empty())
      std::abort();
    return 0;
  }
  if ((!config->relay.fingerprint.empty() && !config->relay.ca_file.empty()) ||
      config->max_file_size == 0) {
    std::abort();
  }
  return 0;
}
