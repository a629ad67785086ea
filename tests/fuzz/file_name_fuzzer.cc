// Feeds arbitrary offered names to the file-name sanitiser. Besides never
// crashing, whatever it returns is one safe path component: no separator,
// no NUL or control byte, not "." or "..", no leading dot, no trailing dot
// or space, not a Windows device name, at most kMaxFileNameBytes, valid
// UTF-8 (sanitising it again changes nothing), and numbering it keeps it so.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/file_name.h"

namespace {

void Check(bool ok) {
  if (!ok)
    std::abort();
}

void CheckSafe(const std::string& name) {
  Check(!name.empty());
  Check(name.size() <= tether::protocol::kMaxFileNameBytes + 8);
  Check(name != "." && name != "..");
  Check(name.front() != '.' && name.front() != ' ');
  Check(name.back() != '.' && name.back() != ' ');
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    Check(c != '/' && c != '\\' && c != ':' && byte >= 0x20 && byte != 0x7F);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tether::protocol;
  const std::string_view offered(reinterpret_cast<const char*>(data), size);
  auto result = SanitizeFileName(offered);
  if (!result) {
    Check(!result.error().message.empty());
    return 0;
  }
  CheckSafe(result->name);
  Check(result->name.size() <= kMaxFileNameBytes);
  // Idempotent: a sanitised name is already safe.
  auto again = SanitizeFileName(result->name);
  Check(again.has_value() && again->name == result->name &&
        again->changes == kNameChangeNone);
  if (result->changes == kNameChangeNone)
    Check(result->name == offered);
  CheckSafe(NumberedFileName(result->name, 999));
  return 0;
}
