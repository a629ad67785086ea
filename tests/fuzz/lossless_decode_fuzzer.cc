// Arbitrary bytes -> the WebP lossless decoder of codec/lossless_image.h,
// into areas of a few sizes: it must refuse or decode exactly the area,
// never crash or write outside it.

#include <cstddef>
#include <cstdint>
#include <span>

#include "codec/lossless_image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  tether::desktop::DesktopFrame frame({96, 80});
  for (const tether::desktop::DesktopRect area :
       {tether::desktop::DesktopRect{0, 0, 96, 80},
        tether::desktop::DesktopRect{32, 32, 32, 32},
        tether::desktop::DesktopRect{64, 64, 32, 16}}) {
    (void)tether::codec::DecodeLossless(input, area, frame);
  }
  return 0;
}
