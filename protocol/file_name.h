#pragma once

// The name a received file is saved under, in either app. The other app
// offers a name; this turns it into one plain file name inside the download
// folder, whatever was offered: directory parts ("../", "/etc/", "C:\"), device
// names Windows would open instead of a file ("CON", "lpt1.txt"), control
// and bidirectional-override characters (a name that reads "invoice.pdf"
// but ends in ".exe"), hidden-file dots. Pure: no I/O.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace tether::protocol {

// What was changed, as bits: for the log line, which names the kinds of
// change and never the name itself.
enum NameChange : uint32_t {
  kNameChangeNone = 0,
  kNameChangeDirectoryParts = 1u << 0,  // "a/b", "..\\b", "/etc/passwd"
  kNameChangeDriveLetter = 1u << 1,     // "C:x"
  kNameChangeControlCharacters = 1u << 2,
  kNameChangeReservedCharacters = 1u << 3,  // < > : " | ? *
  kNameChangeDots = 1u << 4,        // leading dots/spaces, trailing dots/spaces
  kNameChangeDeviceName = 1u << 5,  // CON, PRN, AUX, NUL, COM1-9, LPT1-9
  kNameChangeTruncated = 1u << 6,
};

struct SanitizedFileName {
  std::string name;  // UTF-8, one path component, at most kMaxFileNameBytes
  uint32_t changes = kNameChangeNone;
};

// Leaves room for " (999)" under the usual 255-byte NAME_MAX.
inline constexpr size_t kMaxFileNameBytes = 240;
// Offers with longer names are refused outright, not truncated.
inline constexpr size_t kMaxOfferedNameBytes = 4096;

// The safe name for `offered`, or an error in plain words when nothing
// usable is left (empty, only dots, only a directory) or the name is not
// UTF-8.
Result<SanitizedFileName> SanitizeFileName(std::string_view offered);

// "directory parts, device name": the kinds of change in `changes`, for
// logs; empty for none.
std::string DescribeNameChanges(uint32_t changes);

// `name` with " (n)" before its extension: "report (2).pdf". n == 0 gives
// `name` unchanged.
std::string NumberedFileName(std::string_view name, int n);

}  // namespace tether::protocol
