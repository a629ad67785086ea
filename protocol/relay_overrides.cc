#include "protocol/relay_overrides.h"

#include "protocol/host_port.h"

namespace tether::protocol {

Result<void> ApplyRelayOverrides(const RelayOverrides& overrides,
                                 RelayEndpoint& relay) {
  if (overrides.relay) {
    auto host_port = ParseHostPort(*overrides.relay, relay.port);
    if (!host_port) {
      return MakeError("--relay must be host:port, not \"" + *overrides.relay +
                       "\" (" + host_port.error().message + ").");
    }
    relay.host = host_port->host;
    relay.port = host_port->port;
    relay.hosts.clear();  // --relay names the one relay to use
  }
  if (overrides.fingerprint) {
    relay.fingerprint = *overrides.fingerprint;
    if (!overrides.ca_file)
      relay.ca_file.clear();
  }
  if (overrides.ca_file) {
    relay.ca_file = *overrides.ca_file;
    if (!overrides.fingerprint)
      relay.fingerprint.clear();
  }
  if (overrides.proxy)
    relay.proxy = *overrides.proxy;
  return {};
}

}  // namespace tether::protocol
