#include "relay/cluster/cluster_hello.h"

#include "protocol/host_port.h"
#include "protocol/messages.h"
#include "protocol/relay.pb.h"
#include "relay/config/relay_config.h"

namespace tether::relay {
Result<ClusterHelloFields> ParseClusterHello(ByteSpan payload) {
  if (payload.size() > kMaxClusterHelloBytes)
    return MakeError("cluster hello: larger than " +
                     std::to_string(kMaxClusterHelloBytes) + " bytes");
  proto::ClusterHello hello;
  if (auto parsed = protocol::ParsePayload(payload, hello); !parsed)
    return MakeError("cluster hello: " + parsed.error().message);
  if (!IsRelayId(hello.relay_id()))
    return MakeError("cluster hello: not a relay id");
  // An IP literal and a port, as a listening address is written.
  auto address = protocol::ParseListenAddress(hello.customer_address());
  if (!address || address->port == 0)
    return MakeError("cluster hello: not a customer address");
  return ClusterHelloFields{hello.relay_id(), hello.customer_address()};
}

Bytes SerializeClusterHello(const ClusterHelloFields& fields) {
  proto::ClusterHello hello;
  hello.set_relay_id(fields.relay_id);
  hello.set_customer_address(fields.customer_address);
  return protocol::SerializeMessage(hello);
}

}  // namespace tether::relay
