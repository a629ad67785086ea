// The relay's WebSocket reader (a browser customer's frames): arbitrary
// bytes in pieces of a size the first byte picks. Besides never crashing,
// checks the contract: messages never exceed the limit, control payloads
// stay within 125 bytes, an error always names a close code, and the
// relay-wide budget gets back everything the reader reserved.

#include <cstdint>
#include <cstdlib>

#include "protocol/framing.h"
#include "relay/web/websocket.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tether::relay::web;
  if (size == 0)
    return 0;
  constexpr size_t kMax = 70 << 10;  // over kLargeFrame: the budget is used
  constexpr size_t kBudget = 1 << 20;
  tether::protocol::FrameMemoryBudget budget(kBudget);
  {
    WebSocketReader reader(kMax, &budget);
    const size_t piece = 1 + data[0] % 97;
    ++data;
    --size;
    for (size_t offset = 0; offset < size;) {
      const size_t n = std::min(piece, size - offset);
      auto fed = reader.Feed(tether::ByteSpan(data + offset, n));
      offset += n;
      bool failed = !fed;
      while (!failed) {
        auto event = reader.Next();
        if (!event) {
          failed = true;
          break;
        }
        if (!event->has_value())
          break;
        const auto& e = **event;
        if (e.payload.size() > kMax)
          std::abort();
        if (e.kind != WebSocketReader::Event::Kind::kMessage &&
            e.payload.size() > 125) {
          std::abort();
        }
      }
      if (failed) {
        if (reader.error() == WebSocketClose::kNormal)
          std::abort();
        break;
      }
    }
  }
  if (budget.available() != kBudget)
    std::abort();
  return 0;
}
