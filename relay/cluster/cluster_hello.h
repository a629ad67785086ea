#pragma once

// The first frame on a link between two relays (proto::ClusterHello): which
// relay hands a customer over, and the address the customer connected from.
// Read by the relay that holds the code, from a peer whose key is pinned;
// still checked like any input, and fuzzed (tests/fuzz/cluster_hello_fuzzer).

#include <string>

#include "base/bytes.h"
#include "base/result.h"

namespace tether::relay {

struct ClusterHelloFields {
  std::string relay_id;
  std::string customer_address;  // "ip:port", "[v6]:port"
};

// Frames larger than this are refused before parsing.
inline constexpr size_t kMaxClusterHelloBytes = 1024;

Result<ClusterHelloFields> ParseClusterHello(ByteSpan payload);
Bytes SerializeClusterHello(const ClusterHelloFields& fields);

}  // namespace tether::relay
