// Feeds E2E records to E2eChannel::Open, the first thing that touches
// bytes from the peer (through the relay) after the handshake.
//
// Input: a sequence of records, each as a 2-byte big-endian length then
// that many bytes (fewer if the input ends first, so truncation is covered
// too). They are opened in order until one fails. The channel uses fixed
// keys (receive key 32 x 0x22) and a rekey interval of 4, so seeds sealed
// with the same keys (send key 32 x 0x22, interval 4) get past
// authentication and through a rekey. Seeds in
// tests/fuzz/corpus/e2e_record_open_fuzzer/: valid_* (1, 2 and 6 records),
// truncated_record, tampered_record, replayed_record, reordered_records,
// length_prefix_past_end.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "base/bytes.h"
#include "crypto/e2e_channel.h"
#include "crypto/secure_memory.h"

namespace {

using tether::Bytes;
using tether::ByteSpan;
using tether::crypto::E2eChannel;
using tether::crypto::E2eKeys;
using tether::crypto::SecretBytes;

constexpr uint64_t kRekeyInterval = 4;

// A broken invariant is a bug: crash so the fuzzer reports it.
void Check(bool condition) {
  if (!condition)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto channel = E2eChannel::Create(
      E2eKeys{SecretBytes(Bytes(32, 0x11)), SecretBytes(Bytes(32, 0x22))},
      kRekeyInterval);
  Check(channel.has_value());
  E2eChannel& receiver = **channel;

  ByteSpan input(data, size);
  while (input.size() >= 2) {
    size_t length = (size_t{input[0]} << 8) | input[1];
    input = input.subspan(2);
    if (length > input.size())
      length = input.size();
    ByteSpan record = input.first(length);
    input = input.subspan(length);

    auto opened = receiver.Open(record);
    if (!opened) {
      // A failed Open closes the channel for good.
      Check(receiver.failed());
      Check(!receiver.Open(record).has_value());
      Check(!receiver.Seal(ByteSpan()).has_value());
      break;
    }
    Check(!receiver.failed());
    Check(opened->size() + E2eChannel::kRecordOverhead == record.size());
  }
  return 0;
}
