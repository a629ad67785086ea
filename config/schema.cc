#include "config/schema.h"

#include <algorithm>
#include <exception>

#include "config/config_file.h"
#include "config/fields.h"

namespace tether::config {

void Problems::Add(uint32_t line, std::string message) {
  list_.push_back({line, std::move(message)});
}

void Problems::Add(const toml::source_region& where, std::string message) {
  Add(static_cast<uint32_t>(where.begin.line), std::move(message));
}

std::string Problems::Format(std::string_view source, size_t max_reported) {
  // In file order; whole-file problems (line 0) last.
  std::stable_sort(list_.begin(), list_.end(),
                   [](const auto& a, const auto& b) {
                     const uint32_t la = a.first == 0 ? UINT32_MAX : a.first;
                     const uint32_t lb = b.first == 0 ? UINT32_MAX : b.first;
                     return la < lb;
                   });
  std::string out;
  for (size_t i = 0; i < list_.size() && i < max_reported; ++i) {
    if (!out.empty())
      out += '\n';
    out += std::string(source);
    if (list_[i].first != 0)
      out += ":" + std::to_string(list_[i].first);
    out += ": " + list_[i].second;
  }
  if (list_.size() > max_reported) {
    out += "\n" + std::string(source) + ": ... and " +
           std::to_string(list_.size() - max_reported) + " more problems";
  }
  return out;
}

uint32_t KeyLines::Of(const std::string& key) const {
  auto it = lines_.find(key);
  return it == lines_.end() ? 0 : it->second;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<std::string_view> ClosestName(
    std::string_view name,
    const std::vector<std::string_view>& names) {
  // Names are short; anything longer is not a typo of one.
  if (name.size() > 64)
    return std::nullopt;
  const size_t allowed =
      std::max<size_t>(1, std::min<size_t>(3, name.size() / 3));
  std::optional<std::string_view> best;
  size_t best_distance = allowed + 1;
  for (std::string_view candidate : names) {
    const size_t d = EditDistance(name, candidate);
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

std::string UnknownKeyMessage(const SchemaNames& names,
                              std::string_view section,
                              std::string_view key) {
  std::string message = "unknown key '";
  if (!section.empty())
    message += std::string(section) + ".";
  message += Printable(key) + "'";
  // A known key in the wrong section is the likeliest mistake.
  for (const auto& [other, keys] : names) {
    if (other == section)
      continue;
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
      const std::string where =
          other.empty() ? std::string() : std::string(other) + ".";
      return message + " (did you mean '" + where + std::string(key) + "'?)";
    }
  }
  for (const auto& [own, keys] : names) {
    if (own != section)
      continue;
    if (auto closest = ClosestName(key, keys))
      return message + " (did you mean '" + std::string(*closest) + "'?)";
  }
  return message;
}

std::string UnknownSectionMessage(const SchemaNames& names,
                                  std::string_view section) {
  std::vector<std::string_view> sections;
  for (const auto& [name, keys] : names) {
    if (!name.empty())
      sections.push_back(name);
  }
  std::string message = "unknown section [" + Printable(section) + "]";
  if (auto closest = ClosestName(section, sections))
    message += " (did you mean [" + std::string(*closest) + "]?)";
  return message;
}

Result<toml::table> ParseToml(std::string_view text,
                              const std::string& source,
                              size_t max_bytes) {
  if (text.size() > max_bytes)
    return MakeError(TooLargeMessage(source, max_bytes));
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return MakeError(source + ":" + std::to_string(e.source().begin.line) +
                     ":" + std::to_string(e.source().begin.column) + ": " +
                     std::string(e.description()));
  } catch (const std::exception& e) {
    // Not expected from the parser, but nothing may escape: a bad config
    // is an error message, never a crash.
    return MakeError(source + ": cannot parse: " + e.what());
  }
}

namespace {

// The index of `name` in `names`, if it is there.
template <typename List>
std::optional<size_t> IndexOf(const List& list, std::string_view name) {
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i] == name)
      return i;
  }
  return std::nullopt;
}

std::optional<size_t> SectionIndex(const SchemaNames& names,
                                   std::string_view name) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].first == name)
      return i;
  }
  return std::nullopt;
}

// One key of a known section (`section_name` "" for the top level).
void ReadKey(const SchemaNames& names,
             size_t section,
             const toml::key& key,
             const toml::node& value,
             const FieldReader& read,
             Problems& problems,
             KeyLines& lines) {
  const std::string_view section_name = names[section].first;
  const std::optional<size_t> field = IndexOf(names[section].second, key.str());
  if (!field) {
    problems.Add(key.source(),
                 UnknownKeyMessage(names, section_name, key.str()));
    return;
  }
  const std::string full_name =
      (section_name.empty() ? "" : std::string(section_name) + ".") +
      std::string(key.str());
  lines.Set(full_name, static_cast<uint32_t>(key.source().begin.line));
  if (auto result = read(section, *field, value); !result)
    problems.Add(key.source(), full_name + ": " + result.error().message);
}

}  // namespace

void ReadTables(const toml::table& root,
                const SchemaNames& names,
                const FieldReader& read,
                Problems& problems,
                KeyLines& lines) {
  const std::optional<size_t> top = SectionIndex(names, "");
  for (const auto& [key, node] : root) {
    const std::string_view name = key.str();
    const std::optional<size_t> section =
        name.empty() ? std::nullopt : SectionIndex(names, name);
    if (!section) {
      if (node.is_table()) {
        problems.Add(key.source(), UnknownSectionMessage(names, name));
      } else if (top) {
        ReadKey(names, *top, key, node, read, problems, lines);
      } else {
        problems.Add(key.source(), UnknownKeyMessage(names, "", name));
      }
      continue;
    }
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      problems.Add(key.source(), std::string(name) + ": expected a table [" +
                                     std::string(name) + "], got " +
                                     std::string(TypeName(node)));
      continue;
    }
    lines.Set(std::string(name),
              static_cast<uint32_t>(key.source().begin.line));
    for (const auto& [field_key, value] : *table)
      ReadKey(names, *section, field_key, value, read, problems, lines);
  }
}

}  // namespace tether::config
