#pragma once

#include <string>
#include <string_view>

// ASCII case, whatever the C locale says: user names, host names, URL
// schemes and fingerprints are compared this way. Bytes outside A-Z are
// left as they are.
namespace tether {

std::string AsciiLower(std::string_view text);
bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b);

}  // namespace tether
