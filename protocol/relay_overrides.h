#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "protocol/peer_session.h"

namespace tether::protocol {

// The relay settings both apps' command lines may set over their config
// file (--relay, --fingerprint, --ca-file, --proxy). Unset ones leave the
// file's value.
struct RelayOverrides {
  // "host:port", or "host" for the port; replaces the file's relay list.
  std::optional<std::string> relay;
  // A fingerprint replaces the file's CA file and the other way round;
  // given both, both are kept (and the app refuses the pair).
  std::optional<std::string> fingerprint;
  std::optional<std::string> ca_file;
  std::optional<std::string> proxy;
};

// Applies `overrides` to `relay`; on a bad --relay, `relay` is unchanged
// and the error is the sentence to show.
Result<void> ApplyRelayOverrides(const RelayOverrides& overrides,
                                 RelayEndpoint& relay);

}  // namespace tether::protocol
