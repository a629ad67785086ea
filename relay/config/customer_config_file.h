#pragma once

#include <string>

#include "protocol/peer_session.h"
#include "relay/config/relay_config.h"

namespace tether::relay {

// tether-customer.toml for this relay: the organisation and the relay's
// address and key fingerprint, so the customer app beside it connects only
// here; or several relays of a cluster (`relay.hosts`, tried in order),
// which share that key. What `tether-relay customer-config` writes and the
// web console hands out.
std::string CustomerConfigFile(const RelayConfig& config,
                               const protocol::RelayEndpoint& relay);

}  // namespace tether::relay
