// Feeds arbitrary bytes to the parser of a proxy's answer to CONNECT (the
// bytes come from whatever the network path calls a proxy) and checks its
// contract: the head it reports lies within the input and the size limit,
// the status is a real HTTP status, the reason phrase is printable, and the
// answer does not depend on bytes after the head (any shorter prefix is
// "incomplete", the head alone parses the same).

#include <cstdlib>

#include "protocol/http_connect.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tether;
  const ByteSpan input(data, size);
  auto parsed = protocol::ParseConnectResponse(input);
  if (!parsed || !parsed->has_value())
    return 0;
  const protocol::ConnectResponse& response = **parsed;
  if (response.head_size == 0 || response.head_size > size ||
      response.head_size > protocol::kMaxConnectResponseHead) {
    std::abort();
  }
  if (response.status < 100 || response.status > 599)
    std::abort();
  if (response.reason.size() > 64)
    std::abort();
  for (char c : response.reason) {
    if (c < 0x20 || c > 0x7e)
      std::abort();
  }
  auto head_only =
      protocol::ParseConnectResponse(input.first(response.head_size));
  if (!head_only || !head_only->has_value() ||
      (*head_only)->head_size != response.head_size ||
      (*head_only)->status != response.status) {
    std::abort();
  }
  auto shorter =
      protocol::ParseConnectResponse(input.first(response.head_size - 1));
  if (!shorter || shorter->has_value())
    std::abort();
  return 0;
}
