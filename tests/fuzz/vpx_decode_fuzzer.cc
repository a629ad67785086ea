// Arbitrary bytes -> the VP8 and VP9 decoders: they must reject or decode,
// never crash. Input: packets, each a 2-byte little-endian length then its
// bytes (a short tail is the last packet), fed in order to a fresh decoder
// of each codec, so stateful inter-frame paths get exercised too.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "codec/vpx_decoder.h"

namespace {

void DecodeAll(tether::codec::Codec codec, std::span<const uint8_t> input) {
  tether::codec::VpxDecoderConfig config;
  config.codec = codec;
  config.max_size = {2048, 2048};  // keep the fuzzer fast
  auto decoder = tether::codec::VpxDecoder::Create(config);
  if (!decoder)
    return;
  std::unique_ptr<tether::desktop::DesktopFrame> frame;  // reused per size
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
    if (!frame || frame->size() != *size)
      frame = std::make_unique<tether::desktop::DesktopFrame>(*size);
    (void)(*decoder)->ConvertToBgra(*frame);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  DecodeAll(tether::codec::Codec::kVp8, input);
  DecodeAll(tether::codec::Codec::kVp9, input);
  return 0;
}
