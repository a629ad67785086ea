#pragma once

// Every section and key of relay.toml: how to read it and how to show it
// (tether-relay config check). ParseRelayConfig walks a file against it.

#include <cstddef>

#include "config/schema.h"
#include "relay/config/relay_config.h"

namespace tether::relay {

// Terms a customer reads before agreeing; longer is a mistake, not terms.
inline constexpr size_t kMaxSupportTermsBytes = 64 * 1024;

const config::Schema<RelayConfig>& RelayConfigSchema();

}  // namespace tether::relay
