#include "config/fields.h"

#include <algorithm>
#include <cstdio>

namespace tether::config {
namespace {

using std::chrono::seconds;
constexpr seconds kMinute{60};
constexpr seconds kHour{3600};
constexpr seconds kDay{86400};

// "<digits><unit>"; nullopt unless the whole text is exactly that.
std::optional<std::pair<uint64_t, std::string_view>> SplitNumber(
    std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  // Up to 12 digits, a number of days still fits in int64 seconds (sizes
  // check their own overflow). Longer is never a sensible setting.
  if (digits == 0 || digits > 12) {
    return std::nullopt;
  }
  uint64_t value = 0;
  for (size_t i = 0; i < digits; ++i) {
    value = value * 10 + static_cast<uint64_t>(text[i] - '0');
  }
  return std::make_pair(value, text.substr(digits));
}

}  // namespace

std::string_view TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

Unexpected<Error> WrongType(const toml::node& node, std::string_view wanted) {
  return MakeError("expected " + std::string(wanted) + ", got " +
                   std::string(TypeName(node)));
}

Result<std::string_view> ReadString(const toml::node& node,
                                    std::string_view wanted) {
  const auto* value = node.as_string();
  if (value == nullptr)
    return WrongType(node, wanted);
  return std::string_view(value->get());
}

std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (byte < 0x20 || byte == 0x7F) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04X", byte);
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string Line(std::string_view name, std::string_view value) {
  return std::string(name) + " = " + std::string(value);
}

std::string FormatDuration(seconds d) {
  const int64_t s = d.count();
  if (s != 0 && s % kDay.count() == 0)
    return std::to_string(s / kDay.count()) + "d";
  if (s != 0 && s % kHour.count() == 0)
    return std::to_string(s / kHour.count()) + "h";
  if (s != 0 && s % kMinute.count() == 0)
    return std::to_string(s / kMinute.count()) + "m";
  return std::to_string(s) + "s";
}

std::optional<seconds> ParseDuration(std::string_view text) {
  const auto split = SplitNumber(text);
  if (!split)
    return std::nullopt;
  const auto [value, unit] = *split;
  const auto count = static_cast<int64_t>(value);
  if (unit == "s")
    return seconds(count);
  if (unit == "m")
    return count * kMinute;
  if (unit == "h")
    return count * kHour;
  if (unit == "d")
    return count * kDay;
  return std::nullopt;
}

bool HasControlCharacters(std::string_view text, bool multiline) {
  return std::any_of(text.begin(), text.end(), [&](char c) {
    const auto byte = static_cast<unsigned char>(c);
    if (multiline && (c == '\n' || c == '\t' || c == '\r'))
      return false;
    return byte < 0x20 || byte == 0x7F;
  });
}

Result<void> CheckText(std::string_view text,
                       size_t max_bytes,
                       bool allow_empty,
                       bool multiline) {
  if (text.empty() && !allow_empty)
    return MakeError("must not be empty");
  if (text.size() > max_bytes) {
    return MakeError("must be at most " + std::to_string(max_bytes) +
                     " bytes long, got " + std::to_string(text.size()));
  }
  if (HasControlCharacters(text, multiline)) {
    return MakeError(multiline ? "must not contain control characters other "
                                 "than line breaks and tabs"
                               : "must be one line without control "
                                 "characters");
  }
  return {};
}

Result<void> CheckPath(std::string_view text, bool allow_empty) {
  if (text.empty() && !allow_empty)
    return MakeError("must not be empty");
  if (text.size() > kMaxPathBytes ||
      HasControlCharacters(text, /*multiline=*/false)) {
    return MakeError("is not a usable path");
  }
  return {};
}

Result<std::filesystem::path> AbsoluteOrHomePath(std::string_view text) {
  const std::filesystem::path path = ExpandHome(text);
  if (!path.is_absolute()) {
    return MakeError("must be an absolute path or start with \"~/\", got \"" +
                     Printable(text) + "\"");
  }
  return path.lexically_normal();
}

Result<uint64_t> ReadSize(const toml::node& node, uint64_t min, uint64_t max) {
  TETHER_TRY(text, ReadString(node, "a size such as \"256KiB\" or \"1MiB\""));
  const std::optional<uint64_t> value = ParseByteSize(*text);
  if (!value) {
    return MakeError(Quote(*text) +
                     " is not a size: write a whole number and a unit, B, "
                     "KiB, MiB or GiB (powers of 1024, e.g. \"256KiB\")");
  }
  if (*value < min || *value > max) {
    return MakeError("must be between " + FormatByteSize(min) + " and " +
                     FormatByteSize(max) + ", got " + Quote(*text));
  }
  return *value;
}

Result<seconds> ReadDuration(const toml::node& node, seconds min, seconds max) {
  TETHER_TRY(
      text,
      ReadString(node,
                 "a duration such as \"10s\", \"15m\", \"1h\" or \"30d\""));
  const std::optional<seconds> value = ParseDuration(*text);
  if (!value) {
    return MakeError(Quote(*text) +
                     " is not a duration: write a whole number and a unit, s, "
                     "m, h or d (e.g. \"10s\", \"15m\", \"1h\", \"30d\")");
  }
  if (*value < min || *value > max) {
    return MakeError("must be between " + FormatDuration(min) + " and " +
                     FormatDuration(max) + ", got " + Quote(*text));
  }
  return *value;
}

}  // namespace tether::config
