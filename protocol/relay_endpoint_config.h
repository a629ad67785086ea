#pragma once

// The [relay] section both apps' config files share: how to reach the relay
// and how to trust it.
//
//   [relay]
//   host = "relay.example.com"       # a name or an IP address, no port
//   port = 8443
//   # or, instead of host, relays tried in order until one answers, each
//   # "host" (with `port`) or "host:port"; at most kMaxRelayHosts:
//   hosts = ["relay1.example.com", "relay2.example.com:9443"]
//   fingerprint = "sha256:<64 hex>"  # or ca_file = "ca.pem", not both
//   proxy = ""                       # "http://host:port"; empty: $https_proxy

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "config/schema.h"
#include "protocol/peer_session.h"

namespace tether::protocol {

// A list of relays as people write them (`hosts`, a --host per relay):
// each "host" or "host:port" by the rules of the apps' --relay, 1 to
// kMaxRelayHosts of them, none twice (names in any case); an entry without
// a port gets `default_port`. Errors name the entry by number and text.
Result<std::vector<HostPort>> ParseRelayList(
    const std::vector<std::string>& texts,
    uint16_t default_port);

// The [relay] keys; a relative ca_file is resolved against `folder` (the
// config file's), "~" against $HOME.
std::vector<config::Field<RelayEndpoint>> RelayEndpointFields(
    const std::filesystem::path& folder);

// What must hold once every key was read: host or hosts (not both), and
// exactly one way to trust the relay. `lines` points a problem at its key.
void CheckRelayEndpoint(const RelayEndpoint& relay,
                        const config::KeyLines& lines,
                        config::Problems& problems);

// The [relay] section of an app config that keeps its endpoint in `relay`.
template <typename Config>
config::Section<Config> RelaySection(const std::filesystem::path& folder) {
  return {"relay", config::FieldsOf<Config>(
                       RelayEndpointFields(folder),
                       [](auto& config) -> auto& { return config.relay; })};
}

}  // namespace tether::protocol
