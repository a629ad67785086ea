#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace tether {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

inline ByteSpan AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Lower-case hex, two digits per byte.
std::string ToHex(ByteSpan bytes);
// Accepts upper or lower case; an odd length or a non-hex digit is an error.
Result<Bytes> FromHex(std::string_view hex);

}  // namespace tether
