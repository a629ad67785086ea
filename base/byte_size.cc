#include "base/byte_size.h"

#include <limits>

namespace tether {

std::optional<uint64_t> ParseByteSize(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
    ++digits;
  // 15 digits is far beyond any sensible size and cannot overflow here.
  if (digits == 0 || digits > 15)
    return std::nullopt;
  uint64_t value = 0;
  for (size_t i = 0; i < digits; ++i)
    value = value * 10 + static_cast<uint64_t>(text[i] - '0');
  const std::string_view unit = text.substr(digits);
  uint64_t multiplier = 0;
  if (unit == "B") {
    multiplier = 1;
  } else if (unit == "KiB") {
    multiplier = kKiB;
  } else if (unit == "MiB") {
    multiplier = kMiB;
  } else if (unit == "GiB") {
    multiplier = kGiB;
  } else {
    return std::nullopt;
  }
  if (value > std::numeric_limits<uint64_t>::max() / multiplier)
    return std::nullopt;
  return value * multiplier;
}

std::string FormatByteSize(uint64_t bytes) {
  if (bytes != 0 && bytes % kGiB == 0)
    return std::to_string(bytes / kGiB) + "GiB";
  if (bytes != 0 && bytes % kMiB == 0)
    return std::to_string(bytes / kMiB) + "MiB";
  if (bytes != 0 && bytes % kKiB == 0)
    return std::to_string(bytes / kKiB) + "KiB";
  return std::to_string(bytes) + "B";
}

}  // namespace tether
