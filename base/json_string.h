#pragma once

#include <string>
#include <string_view>

// One JSON string writer for everything we write as JSON by hand (the
// relay's exports, the technician's session log).
namespace tether {

// Appends `value` as a JSON string literal (RFC 8259), strict whatever
// `value` holds:
//  - quote and backslash escaped; \b \f \n \r \t short;
//  - every other control character (C0, DEL, C1) as \u00XX, so no line
//    break or terminal control survives into a line;
//  - U+2028 and U+2029 as \u2028 and \u2029 (they end a line in
//    JavaScript);
//  - each byte that does not start a valid UTF-8 sequence (base/utf8.h) as
//    \ufffd, so the result is valid JSON whatever was stored.
// Everything else is copied as UTF-8.
void AppendJsonString(std::string& out, std::string_view value);

}  // namespace tether
