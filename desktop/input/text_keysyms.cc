#include "desktop/input/input_injector.h"

namespace tether::desktop {

Result<std::vector<char32_t>> DecodeUtf8(std::string_view utf8) {
  std::vector<char32_t> out;
  out.reserve(utf8.size());
  size_t i = 0;
  while (i < utf8.size()) {
    const auto b0 = static_cast<unsigned char>(utf8[i]);
    int extra = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if (b0 < 0x80) {
      cp = b0;
    } else if ((b0 & 0xe0) == 0xc0) {
      extra = 1, cp = b0 & 0x1f, min = 0x80;
    } else if ((b0 & 0xf0) == 0xe0) {
      extra = 2, cp = b0 & 0x0f, min = 0x800;
    } else if ((b0 & 0xf8) == 0xf0) {
      extra = 3, cp = b0 & 0x07, min = 0x10000;
    } else {
      return MakeError("invalid UTF-8 lead byte");
    }
    if (i + static_cast<size_t>(extra) >= utf8.size()) {
      return MakeError("truncated UTF-8 sequence");
    }
    for (int k = 1; k <= extra; ++k) {
      const auto b = static_cast<unsigned char>(utf8[i + k]);
      if ((b & 0xc0) != 0x80)
        return MakeError("invalid UTF-8 continuation");
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return MakeError("invalid UTF-8 code point");
    }
    out.push_back(cp);
    i += 1 + static_cast<size_t>(extra);
  }
  return out;
}

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
