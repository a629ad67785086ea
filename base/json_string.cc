#include "base/json_string.h"

#include "base/utf8.h"

namespace tether {
namespace {

void AppendEscapedCodePoint(std::string& out, char32_t cp) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4)
    out += kHex[(cp >> shift) & 0xf];
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view value) {
  out += '"';
  while (!value.empty()) {
    const size_t length = ValidUtf8Length(value);
    if (length == 0) {
      out += "\\ufffd";
      value.remove_prefix(1);  // resynchronise on the next byte
      continue;
    }
    const char32_t cp = DecodeUtf8Sequence(value, length);
    switch (cp) {
      case U'"':
        out += "\\\"";
        break;
      case U'\\':
        out += "\\\\";
        break;
      case U'\b':
        out += "\\b";
        break;
      case U'\f':
        out += "\\f";
        break;
      case U'\n':
        out += "\\n";
        break;
      case U'\r':
        out += "\\r";
        break;
      case U'\t':
        out += "\\t";
        break;
      default:
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 ||
            cp == 0x2029) {
          AppendEscapedCodePoint(out, cp);
        } else {
          out.append(value.substr(0, length));
        }
        break;
    }
    value.remove_prefix(length);
  }
  out += '"';
}

}  // namespace tether
