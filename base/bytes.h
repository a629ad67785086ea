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

// A buffer that held a large message gives its memory back once it is
// empty, so a connection that once carried one big frame does not keep
// megabytes for the rest of its life; small ones keep theirs for reuse.
inline constexpr size_t kKeptBufferCapacity = 64 << 10;
inline void ClearAndRelease(Bytes& buffer) {
  if (buffer.capacity() > kKeptBufferCapacity) {
    Bytes().swap(buffer);
  } else {
    buffer.clear();
  }
}

// Lower-case hex, two digits per byte.
std::string ToHex(ByteSpan bytes);
// Accepts upper or lower case; an odd length or a non-hex digit is an error.
Result<Bytes> FromHex(std::string_view hex);
// 0-15 for a hex digit of either case, -1 for anything else.
int HexDigitValue(char c);

}  // namespace tether
