#pragma once

// The schema of a TOML config file: its sections and keys, each with a
// reader (and, for `tether-relay config check`, a describer), and the one
// parser that walks a file against it. Every problem is collected and
// reported as "file:line: key: what is wrong"; an unknown key or section is
// named with the closest known one ("did you mean ...").
//
// tomlplusplus stays behind this layer: only config readers include it.
// Debian builds it with exceptions, so toml::parse throws; ParseToml
// catches right at the call.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "base/result.h"

namespace tether::config {

template <typename Config>
struct Field {
  std::string_view name;
  // Reads `node` into `config`; the error says what is wrong with the value
  // (the parser adds the file, the line and the key).
  std::function<Result<void>(const toml::node&, Config&)> read;
  // The line(s) a "show the effective config" command prints.
  std::function<std::string(const Config&)> describe;
};

template <typename Config>
struct Section {
  std::string_view name;  // "" holds the keys at the top of the file
  std::vector<Field<Config>> fields;
};

template <typename Config>
using Schema = std::vector<Section<Config>>;

// `fields` of a part of a bigger config, e.g. the apps' [relay] keys, which
// fill the RelayEndpoint inside each app's config. `get` returns the part
// from a const or non-const Config: `[](auto& c) -> auto& { return c.x; }`.
template <typename Config, typename Part, typename Get>
std::vector<Field<Config>> FieldsOf(const std::vector<Field<Part>>& fields,
                                    Get get) {
  std::vector<Field<Config>> out;
  for (const Field<Part>& field : fields) {
    Field<Config> outer{field.name, nullptr, nullptr};
    outer.read = [read = field.read, get](const toml::node& node,
                                          Config& config) {
      return read(node, get(config));
    };
    if (field.describe) {
      outer.describe = [describe = field.describe, get](const Config& config) {
        return describe(get(config));
      };
    }
    out.push_back(std::move(outer));
  }
  return out;
}

// The problems found in one file, reported in file order.
class Problems {
 public:
  // `line` 0: the whole file (reported after the others).
  void Add(uint32_t line, std::string message);
  void Add(const toml::source_region& where, std::string message);
  bool empty() const { return list_.empty(); }

  // One line per problem, "source:line: message", at most `max_reported`
  // of them (beyond that, more only bury the first ones).
  std::string Format(std::string_view source, size_t max_reported);

 private:
  std::vector<std::pair<uint32_t, std::string>> list_;
};

// Where each key was set ("timeouts.code_expiry", or "server" for a
// section), so a check that spans keys can point at one of them.
class KeyLines {
 public:
  void Set(std::string key, uint32_t line) { lines_[std::move(key)] = line; }
  // 0 (the whole file) for a key the file does not set.
  uint32_t Of(const std::string& key) const;

 private:
  std::map<std::string, uint32_t> lines_;
};

// Levenshtein distance, for suggestions.
size_t EditDistance(std::string_view a, std::string_view b);

// The closest of `names` to a mistyped `name`, if any is close enough to be
// a typo rather than a different word.
std::optional<std::string_view> ClosestName(
    std::string_view name,
    const std::vector<std::string_view>& names);

// A schema's names without its readers: section name and its keys.
using SchemaNames =
    std::vector<std::pair<std::string_view, std::vector<std::string_view>>>;

template <typename Config>
SchemaNames NamesOf(const Schema<Config>& schema) {
  SchemaNames names;
  for (const Section<Config>& section : schema) {
    names.push_back({section.name, {}});
    for (const Field<Config>& field : section.fields)
      names.back().second.push_back(field.name);
  }
  return names;
}

// "unknown key 'server.listn' (did you mean 'listen'?)": a known key in
// another section first (the likeliest mistake), else a close one in the
// same section.
std::string UnknownKeyMessage(const SchemaNames& names,
                              std::string_view section,
                              std::string_view key);

// "unknown section [timeout] (did you mean [timeouts]?)"
std::string UnknownSectionMessage(const SchemaNames& names,
                                  std::string_view section);

// Parses TOML text no larger than `max_bytes`; a syntax error is
// "source:line:column: what".
Result<toml::table> ParseToml(std::string_view text,
                              const std::string& source,
                              size_t max_bytes);

// Reads the value of section `section`'s field `field` (indices into the
// schema's names); the error says what is wrong with it.
using FieldReader = std::function<
    Result<void>(size_t section, size_t field, const toml::node& value)>;

// Walks `root` against `names`: unknown sections and keys and values the
// reader refuses become problems; where each known key was set goes into
// `lines`.
void ReadTables(const toml::table& root,
                const SchemaNames& names,
                const FieldReader& read,
                Problems& problems,
                KeyLines& lines);

struct ParseLimits {
  size_t max_bytes = 0;     // larger text is refused before parsing
  size_t max_reported = 0;  // problems listed at most
};

// Checks that span keys, once each key was read without a problem.
template <typename Config>
using CrossCheck =
    std::function<void(const Config&, const KeyLines&, Problems&)>;

// Parses `text` against `schema` into `config` (which holds the defaults).
// `source_name` ("relay.toml") prefixes every problem; all of them are
// reported, one per line.
template <typename Config>
Result<Config> ParseConfig(std::string_view text,
                           std::string_view source_name,
                           const ParseLimits& limits,
                           const Schema<Config>& schema,
                           Config config,
                           const CrossCheck<Config>& cross_check) {
  const std::string source(source_name.empty() ? "config" : source_name);
  TETHER_TRY(root, ParseToml(text, source, limits.max_bytes));
  Problems problems;
  KeyLines lines;
  ReadTables(
      *root, NamesOf(schema),
      [&](size_t section, size_t field, const toml::node& value) {
        return schema[section].fields[field].read(value, config);
      },
      problems, lines);
  if (problems.empty() && cross_check)
    cross_check(config, lines, problems);
  if (!problems.empty())
    return MakeError(problems.Format(source, limits.max_reported));
  return config;
}

}  // namespace tether::config
