#pragma once

// Readers for the kinds of value config files hold (text, paths, numbers,
// sizes, durations, switches), and Field builders on them. Each builder
// takes a getter, `[](auto& c) -> auto& { return c.member; }`, that serves
// both reading (Config&) and describing (const Config&).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "base/byte_size.h"
#include "base/result.h"
#include "config/config_file.h"
#include "config/schema.h"

namespace tether::config {

// "a string", "an integer", ... for "expected X, got Y".
std::string_view TypeName(const toml::node& node);
Unexpected<Error> WrongType(const toml::node& node, std::string_view wanted);
// The node's text; `wanted` says what was expected when it is no string.
Result<std::string_view> ReadString(const toml::node& node,
                                    std::string_view wanted);

// A TOML basic string: printable text as is, the rest escaped.
std::string Quote(std::string_view text);
// "name = value"
std::string Line(std::string_view name, std::string_view value);

// Whole seconds written "10s", "15m", "1h", "30d"; the largest unit that
// divides exactly.
std::string FormatDuration(std::chrono::seconds duration);
std::optional<std::chrono::seconds> ParseDuration(std::string_view text);

// Bytes below 0x20 and 0x7F; with `multiline`, line breaks and tabs pass.
bool HasControlCharacters(std::string_view text, bool multiline);

inline constexpr size_t kMaxPathBytes = 4096;

// Checks a string for TextField: empty, length, control characters.
Result<void> CheckText(std::string_view text,
                       size_t max_bytes,
                       bool allow_empty,
                       bool multiline);
// Checks a string for the path fields: empty, length, control characters.
Result<void> CheckPath(std::string_view text, bool allow_empty);

// `path` as written, "~/" expanded; refused unless absolute (for folders
// the user must be able to name, not relative to wherever the app started).
Result<std::filesystem::path> AbsoluteOrHomePath(std::string_view text);

template <typename Config, typename Get>
Field<Config> TextField(std::string_view name,
                        Get get,
                        size_t max_bytes,
                        bool allow_empty,
                        bool multiline) {
  return {name,
          [=](const toml::node& node, Config& config) -> Result<void> {
            TETHER_TRY(text, ReadString(node, "a string"));
            if (auto ok = CheckText(*text, max_bytes, allow_empty, multiline);
                !ok) {
              return ok;
            }
            get(config) = std::string(*text);
            return {};
          },
          [=](const Config& config) { return Line(name, Quote(get(config))); }};
}

// A path as written (an empty one only with `allow_empty`).
template <typename Config, typename Get>
Field<Config> PathField(std::string_view name, Get get, bool allow_empty) {
  return {name,
          [=](const toml::node& node, Config& config) -> Result<void> {
            TETHER_TRY(text, ReadString(node, "a path"));
            if (auto ok = CheckPath(*text, allow_empty); !ok)
              return ok;
            get(config) = std::filesystem::path(std::string(*text));
            return {};
          },
          [=](const Config& config) {
            return Line(name,
                        Quote(std::filesystem::path(get(config)).string()));
          }};
}

// A file named relative to the config file's `folder` (or "~/"); empty
// means none.
template <typename Config, typename Get>
Field<Config> FileBesideField(std::string_view name,
                              Get get,
                              std::filesystem::path folder) {
  Field<Config> field = PathField<Config>(name, get, /*allow_empty=*/true);
  field.read = [get, folder = std::move(folder)](
                   const toml::node& node, Config& config) -> Result<void> {
    TETHER_TRY(text, ReadString(node, "a path"));
    if (auto ok = CheckPath(*text, /*allow_empty=*/true); !ok)
      return ok;
    if (text->empty()) {
      get(config) = std::string();
      return {};
    }
    std::filesystem::path path = ExpandHome(*text);
    if (path.is_relative())
      path = folder / path;
    get(config) = path.lexically_normal().string();
    return {};
  };
  return field;
}

// A folder written as an absolute path or "~/...".
template <typename Config, typename Get>
Field<Config> FolderField(std::string_view name, Get get) {
  Field<Config> field = PathField<Config>(name, get, /*allow_empty=*/false);
  field.read = [get](const toml::node& node, Config& config) -> Result<void> {
    TETHER_TRY(text, ReadString(node, "a path"));
    if (auto ok = CheckPath(*text, /*allow_empty=*/true); !ok)
      return ok;
    TETHER_TRY(path, AbsoluteOrHomePath(*text));
    get(config) = path->string();
    return {};
  };
  return field;
}

template <typename Config, typename Get>
Field<Config> IntegerField(std::string_view name,
                           Get get,
                           int64_t min,
                           int64_t max) {
  using T = std::remove_cvref_t<decltype(get(std::declval<Config&>()))>;
  return {name,
          [=](const toml::node& node, Config& config) -> Result<void> {
            const auto* value = node.as_integer();
            if (value == nullptr)
              return WrongType(node, "an integer");
            const int64_t number = value->get();
            if (number < min || number > max) {
              return MakeError("must be between " + std::to_string(min) +
                               " and " + std::to_string(max) + ", got " +
                               std::to_string(number));
            }
            get(config) = static_cast<T>(number);
            return {};
          },
          [=](const Config& config) {
            return Line(name, std::to_string(get(config)));
          }};
}

template <typename Config, typename Get>
Field<Config> BoolField(std::string_view name, Get get) {
  return {name,
          [=](const toml::node& node, Config& config) -> Result<void> {
            const auto* value = node.as_boolean();
            if (value == nullptr)
              return WrongType(node, "true or false");
            get(config) = value->get();
            return {};
          },
          [=](const Config& config) {
            return Line(name, get(config) ? "true" : "false");
          }};
}

// A byte size ("256KiB") from `min` to `max`.
Result<uint64_t> ReadSize(const toml::node& node, uint64_t min, uint64_t max);

template <typename Config, typename Get>
Field<Config> SizeField(std::string_view name,
                        Get get,
                        uint64_t min,
                        uint64_t max) {
  return {name,
          [=](const toml::node& node, Config& config) -> Result<void> {
            TETHER_TRY(value, ReadSize(node, min, max));
            get(config) = *value;
            return {};
          },
          [=](const Config& config) {
            return Line(name, Quote(FormatByteSize(get(config))));
          }};
}

// A duration ("15m") from `min` to `max`.
Result<std::chrono::seconds> ReadDuration(const toml::node& node,
                                          std::chrono::seconds min,
                                          std::chrono::seconds max);

template <typename Config, typename Get>
Field<Config> DurationField(std::string_view name,
                            Get get,
                            std::chrono::seconds min,
                            std::chrono::seconds max) {
  return {name,
          [=](const toml::node& node, Config& config) -> Result<void> {
            TETHER_TRY(value, ReadDuration(node, min, max));
            get(config) = *value;
            return {};
          },
          [=](const Config& config) {
            return Line(name, Quote(FormatDuration(get(config))));
          }};
}

}  // namespace tether::config
