// Arbitrary bytes -> the VP8 and VP9 decoders: they must reject or decode,
// never crash. Input: packets, each a 2-byte little-endian length then its
// bytes (a short tail is the last packet), fed in order to a fresh decoder
// of each codec, so stateful inter-frame paths get exercised too.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "codec/vpx_decoder.h"

namespace {

void DecodeAll(tether::codec::Codec codec, std::span<const uint8_t> input) {
  tether::codec::VpxDecoderConfig config;
  config.codec = codec;
  config.max_size = {2048, 2048};  // keep the fuzzer fast
  auto decoder = tether::codec::VpxDecoder::Create(config);
  if (!decoder)
    return;
  std::vector<uint8_t> bgra;
  while (!input.empty()) {
    size_t length = input.size();
    if (input.size() >= 2) {
      length = static_cast<size_t>(input[0] | input[1] << 8);
      input = input.subspan(2);
      if (length > input.size())
        length = input.size();
    }
    auto size = (*decoder)->Decode(input.first(length));
    input = input.subspan(length);
    if (!size)
      continue;
    const int stride = size->width * 4;
    bgra.resize(static_cast<size_t>(stride) * size->height);
    (void)(*decoder)->ConvertToBgra(bgra, stride, *size);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  DecodeAll(tether::codec::Codec::kVp8, input);
  DecodeAll(tether::codec::Codec::kVp9, input);
  return 0;
}
