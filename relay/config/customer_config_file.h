#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "relay/config/relay_config.h"

namespace tether::relay {

// tether-customer.toml for this relay: the organisation and the relay's
// address and key fingerprint, so the customer app beside it connects only
// here. What `tether-relay customer-config` writes and the web console
// hands out.
std::string CustomerConfigFile(const RelayConfig& config,
                               std::string_view host,
                               uint16_t port,
                               std::string_view fingerprint);

}  // namespace tether::relay
