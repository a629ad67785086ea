#include "desktop/input/input_injector.h"

namespace tether::desktop {

uint32_t CodepointToKeysym(char32_t cp) {
  switch (cp) {
    case U'\n':
    case U'\r':
      return 0xff0d;  // Return
    case U'\t':
      return 0xff09;  // Tab
    case U'\b':
      return 0xff08;  // BackSpace
    default:
      break;
  }
  if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff)) {
    return static_cast<uint32_t>(cp);
  }
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
    return 0;
  return 0x01000000u + static_cast<uint32_t>(cp);
}

}  // namespace tether::desktop
