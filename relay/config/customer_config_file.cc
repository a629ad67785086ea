#include "relay/config/customer_config_file.h"

// tomlplusplus writes it, so names with quotes or non-ASCII letters come
// out as valid TOML.
#include <toml++/toml.h>

#include <sstream>

#include "protocol/host_port.h"

namespace tether::relay {

std::string CustomerConfigFile(const RelayConfig& config,
                               const protocol::RelayEndpoint& relay) {
  toml::table section;
  if (relay.hosts.empty()) {
    section.insert("host", relay.host);
  } else {
    toml::array hosts;
    for (const protocol::HostPort& entry : protocol::RelayAddresses(relay))
      hosts.push_back(protocol::JoinHostPort(entry.host, entry.port));
    section.insert("hosts", std::move(hosts));
  }
  section.insert("port", static_cast<int64_t>(relay.port));
  section.insert("fingerprint", relay.fingerprint);
  toml::table file;
  if (!config.server.organisation.empty())
    file.insert("organisation", config.server.organisation);
  file.insert("relay", std::move(section));
  std::ostringstream text;
  text << "# tether-customer.toml for the Tether customer app.\n"
       << (relay.hosts.empty()
               ? "# Put it beside tether-customer: the app connects only to "
                 "this relay,\n"
               : "# Put it beside tether-customer: the app tries these relays "
                 "in turn,\n")
       << "# and only if its key matches. The support terms come from the "
          "relay.\n"
       << file << "\n";
  return text.str();
}

}  // namespace tether::relay
