#include "protocol/file_name.h"

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include "base/utf8.h"

namespace tether::protocol {
namespace {

// Bytes of `cp` in UTF-8.
size_t EncodedLength(char32_t cp) {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

// C0, DEL, C1, and the invisible format characters that reorder or hide
// text: bidirectional embeddings/overrides/isolates (the "gpj.exe" trick),
// zero-width characters, the BOM.
bool IsControl(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) ||
         (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2060 && cp <= 0x2069) || cp == 0xFEFF || cp == 0x061C;
}

// Characters Windows refuses in names; a file may travel on from here.
bool IsReserved(char32_t cp) {
  switch (cp) {
    case '<':
    case '>':
    case ':':
    case '"':
    case '|':
    case '?':
    case '*':
      return true;
    default:
      return false;
  }
}

bool IsAsciiLetter(char32_t cp) {
  return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
}

char32_t AsciiUpper(char32_t cp) {
  return (cp >= 'a' && cp <= 'z') ? cp - 'a' + 'A' : cp;
}

// CON, PRN, AUX, NUL, COM1-9, LPT1-9 (and the superscript-digit variants
// Windows also reserves), CONIN$, CONOUT$: whatever follows the first dot.
bool IsDeviceName(const std::u32string& name) {
  const auto dot = std::find(name.begin(), name.end(), U'.');
  std::u32string stem(name.begin(), dot);
  while (!stem.empty() && stem.back() == U' ')
    stem.pop_back();
  for (char32_t& cp : stem)
    cp = AsciiUpper(cp);
  static constexpr std::array<std::u32string_view, 6> kPlain = {
      U"CON", U"PRN", U"AUX", U"NUL", U"CONIN$", U"CONOUT$"};
  for (std::u32string_view device : kPlain) {
    if (stem == device)
      return true;
  }
  if (stem.size() == 4 &&
      (stem.starts_with(U"COM") || stem.starts_with(U"LPT"))) {
    const char32_t digit = stem[3];
    return (digit >= U'1' && digit <= U'9') || digit == U'\u00B9' ||
           digit == U'\u00B2' || digit == U'\u00B3';
  }
  return false;
}

bool IsTrimmed(char32_t cp) {
  return cp == U'.' || cp == U' ';
}

}  // namespace

Result<SanitizedFileName> SanitizeFileName(std::string_view offered) {
  if (offered.size() > kMaxOfferedNameBytes)
    return MakeError("the file name is too long");
  auto decoded = DecodeUtf8(offered);
  if (!decoded)
    return MakeError("the file name is not valid text");
  std::u32string& cps = *decoded;
  uint32_t changes = kNameChangeNone;

  // Only the last component: whatever came before a separator of either
  // system is a directory.
  size_t start = 0;
  for (size_t i = 0; i < cps.size(); ++i) {
    if (cps[i] == U'/' || cps[i] == U'\\')
      start = i + 1;
  }
  if (start > 0)
    changes |= kNameChangeDirectoryParts;
  std::u32string name(cps.begin() + static_cast<ptrdiff_t>(start), cps.end());

  if (name.size() >= 2 && IsAsciiLetter(name[0]) && name[1] == U':') {
    name.erase(name.begin(), name.begin() + 2);
    changes |= kNameChangeDriveLetter;
  }

  for (char32_t& cp : name) {
    if (IsControl(cp)) {
      cp = U'_';
      changes |= kNameChangeControlCharacters;
    } else if (IsReserved(cp)) {
      cp = U'_';
      changes |= kNameChangeReservedCharacters;
    }
  }

  // No hidden files, no "." or "..", nothing Windows would silently strip.
  const auto first = std::find_if_not(name.begin(), name.end(), IsTrimmed);
  if (first != name.begin()) {
    name.erase(name.begin(), first);
    changes |= kNameChangeDots;
  }
  while (!name.empty() && IsTrimmed(name.back())) {
    name.pop_back();
    changes |= kNameChangeDots;
  }
  if (name.empty())
    return MakeError("the offered file has no usable name");

  auto prefix_device_name = [&] {
    if (!IsDeviceName(name))
      return;
    std::u32string prefixed;
    prefixed.reserve(name.size() + 1);
    prefixed.push_back(U'_');
    prefixed.insert(prefixed.end(), name.begin(), name.end());
    name.swap(prefixed);
    changes |= kNameChangeDeviceName;
  };
  prefix_device_name();

  size_t bytes = 0;
  for (char32_t cp : name)
    bytes += EncodedLength(cp);
  if (bytes > kMaxFileNameBytes) {
    changes |= kNameChangeTruncated;
    // Keep a short extension; cut the stem on a character boundary.
    std::u32string extension;
    const auto dot = std::find(name.rbegin(), name.rend(), U'.');
    if (dot != name.rend()) {
      const auto dot_at = name.begin() + (name.rend() - dot - 1);
      size_t extension_bytes = 0;
      for (auto it = dot_at; it != name.end(); ++it)
        extension_bytes += EncodedLength(*it);
      if (dot_at != name.begin() && extension_bytes <= 32) {
        extension.assign(dot_at, name.end());
        name.erase(dot_at, name.end());
        bytes -= extension_bytes;
      }
    }
    size_t extension_bytes = 0;
    for (char32_t cp : extension)
      extension_bytes += EncodedLength(cp);
    while (!name.empty() && bytes + extension_bytes > kMaxFileNameBytes) {
      bytes -= EncodedLength(name.back());
      name.pop_back();
    }
    while (!name.empty() && IsTrimmed(name.back()))
      name.pop_back();
    name.insert(name.end(), extension.begin(), extension.end());
  }

  // Again after cutting: a long name can shorten to a device name
  // ("com1     ...x" -> "com1"). Only the trailing trim can do that, so the
  // name is then short and the prefix keeps it in bounds.
  prefix_device_name();

  SanitizedFileName out;
  out.changes = changes;
  for (char32_t cp : name)
    AppendUtf8(cp, out.name);
  return out;
}

std::string DescribeNameChanges(uint32_t changes) {
  static constexpr std::pair<uint32_t, const char*> kNames[] = {
      {kNameChangeDirectoryParts, "directory parts"},
      {kNameChangeDriveLetter, "drive letter"},
      {kNameChangeControlCharacters, "control characters"},
      {kNameChangeReservedCharacters, "reserved characters"},
      {kNameChangeDots, "leading or trailing dots"},
      {kNameChangeDeviceName, "device name"},
      {kNameChangeTruncated, "too long"},
  };
  std::string out;
  for (const auto& [bit, text] : kNames) {
    if ((changes & bit) == 0)
      continue;
    if (!out.empty())
      out += ", ";
    out += text;
  }
  return out;
}

std::string NumberedFileName(std::string_view name, int n) {
  if (n == 0)
    return std::string(name);
  const std::string suffix = " (" + std::to_string(n) + ")";
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || name.size() - dot > 17)
    return std::string(name) + suffix;
  return std::string(name.substr(0, dot)) + suffix +
         std::string(name.substr(dot));
}

}  // namespace tether::protocol
