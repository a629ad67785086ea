// Feeds arbitrary bytes, in arbitrary splits, to the frame decoder and
// parses every payload as both control-plane envelopes and a peer envelope.
// Also checks the decoder's contract: a frame never exceeds the limit.

#include <cstdlib>

#include "protocol/framing.h"
#include "protocol/messages.h"
#include "protocol/peer.pb.h"
#include "protocol/relay.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tether;
  if (size < 1)
    return 0;
  // The first byte picks the split size, so splits are explored too.
  const size_t step = 1 + data[0] % 64;
  constexpr size_t kLimit = 4096;
  protocol::FrameDecoder decoder(kLimit);
  ByteSpan rest(data + 1, size - 1);
  while (!rest.empty()) {
    const size_t n = std::min(step, rest.size());
    if (!decoder.Feed(rest.first(n)))
      return 0;
    rest = rest.subspan(n);
    while (auto payload = decoder.Next()) {
      if (payload->size() > kLimit)
        std::abort();
      tether::proto::ClientMessage client;
      (void)protocol::ParsePayload(*payload, client);
      tether::proto::RelayMessage relay;
      (void)protocol::ParsePayload(*payload, relay);
      tether::proto::PeerEnvelope envelope;
      (void)protocol::ParsePayload(*payload, envelope);
    }
  }
  (void)decoder.Finish();
  return 0;
}
