#pragma once

// Byte sizes as people write them in config files: "64KiB", "16MiB",
// "2GiB", "512B". One spelling for the relay's and the apps' configs.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tether {

inline constexpr uint64_t kKiB = 1024;
inline constexpr uint64_t kMiB = 1024 * kKiB;
inline constexpr uint64_t kGiB = 1024 * kMiB;

// "<digits><B|KiB|MiB|GiB>", nothing else (no spaces, no decimals);
// nullopt when the text is not exactly that or the value overflows.
std::optional<uint64_t> ParseByteSize(std::string_view text);
// The largest unit that divides `bytes` exactly: 2147483648 -> "2GiB".
std::string FormatByteSize(uint64_t bytes);

}  // namespace tether
