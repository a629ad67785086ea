// Feeds arbitrary bytes to ParseClusterHello (the first frame another relay
// of the cluster sends when it hands a customer over). Besides never
// crashing, checks its contract: every refusal says why, and what parses
// serializes back to what ParseClusterHello accepts again unchanged.

#include <cstdint>
#include <cstdlib>

#include "relay/cluster/cluster_hello.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const tether::ByteSpan payload(data, size);
  auto parsed = tether::relay::ParseClusterHello(payload);
  if (!parsed) {
    if (parsed.error().message.empty())
      std::abort();
    return 0;
  }
  if (size > tether::relay::kMaxClusterHelloBytes)
    std::abort();
  const tether::Bytes again = tether::relay::SerializeClusterHello(*parsed);
  auto reparsed = tether::relay::ParseClusterHello(again);
  if (!reparsed || reparsed->relay_id != parsed->relay_id ||
      reparsed->customer_address != parsed->customer_address) {
    std::abort();
  }
  return 0;
}
