#include "relay/config/customer_config_file.h"

// tomlplusplus writes it, so names with quotes or non-ASCII letters come
// out as valid TOML.
#include <toml++/toml.h>

#include <sstream>

namespace tether::relay {

std::string CustomerConfigFile(const RelayConfig& config,
                               std::string_view host,
                               uint16_t port,
                               std::string_view fingerprint) {
  toml::table relay{{"host", std::string(host)},
                    {"port", static_cast<int64_t>(port)},
                    {"fingerprint", std::string(fingerprint)}};
  toml::table file;
  if (!config.server.organisation.empty())
    file.insert("organisation", config.server.organisation);
  file.insert("relay", std::move(relay));
  std::ostringstream text;
  text << "# tether-customer.toml for the Tether customer app.\n"
          "# Put it beside tether-customer: the app connects only to this "
          "relay,\n# and only if its key matches. The support terms come "
          "from the relay.\n"
       << file << "\n";
  return text.str();
}

}  // namespace tether::relay
