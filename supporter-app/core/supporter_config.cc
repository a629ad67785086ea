#include "supporter-app/core/supporter_config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <string>

// tomlplusplus stays in this file. Debian builds it with exceptions, so
// toml::parse throws; the exception is caught right at the call.
#include <toml++/toml.h>

#include "base/user_dirs.h"
#include "crypto/certificate.h"

namespace tether::supporter {
namespace {

constexpr size_t kMaxTextBytes = 200;
constexpr size_t kMaxPathBytes = 4096;
constexpr size_t kMaxProblems = 20;

// A key or value quoted back in an error: no control characters reach the
// sign-in window, and a huge key is cut.
std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 64)) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 || byte == 0x7F) ? '?' : c;
  }
  if (text.size() > 64)
    out += "...";
  return out;
}

bool HasControlCharacters(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7F;
  });
}

std::filesystem::path ExpandHome(const std::string& path) {
  if (path == "~" || path.starts_with("~/"))
    return HomeDir() / path.substr(std::min<size_t>(2, path.size()));
  return path;
}

Result<std::string> ReadText(const toml::node& node, size_t max_bytes) {
  const auto* value = node.as_string();
  if (value == nullptr)
    return MakeError("expected a string");
  const std::string& text = value->get();
  if (text.size() > max_bytes) {
    return MakeError("must be at most " + std::to_string(max_bytes) +
                     " bytes long");
  }
  if (HasControlCharacters(text))
    return MakeError("must be one line without control characters");
  return text;
}

// What is wrong with a value; the caller adds the key and the line.
using Reader = std::function<Result<void>(const toml::node&, SupporterConfig&)>;

struct Key {
  std::string_view name;
  Reader read;
};

std::vector<Key> TopLevelKeys() {
  return {
      {"user_name",
       [](const toml::node& node, SupporterConfig& c) -> Result<void> {
         auto text = ReadText(node, kMaxTextBytes);
         if (!text)
           return Unexpected(std::move(text).error());
         c.user_name = *std::move(text);
         return {};
       }},
      {"protocol_dir",
       [](const toml::node& node, SupporterConfig& c) -> Result<void> {
         auto text = ReadText(node, kMaxPathBytes);
         if (!text)
           return Unexpected(std::move(text).error());
         const std::filesystem::path path = ExpandHome(*text);
         // The protocol is a record people rely on later: it goes where the
         // technician can name, not relative to wherever the app started.
         if (!path.is_absolute()) {
           return MakeError(
               "must be an absolute path or start with \"~/\", got \"" +
               Printable(*text) + "\"");
         }
         c.protocol_dir = path.lexically_normal();
         return {};
       }},
      {"download_dir",
       [](const toml::node& node, SupporterConfig& c) -> Result<void> {
         auto text = ReadText(node, kMaxPathBytes);
         if (!text)
           return Unexpected(std::move(text).error());
         const std::filesystem::path path = ExpandHome(*text);
         // Files from customers land where the technician looks for them,
         // not relative to wherever the app started.
         if (!path.is_absolute()) {
           return MakeError(
               "must be an absolute path or start with \"~/\", got \"" +
               Printable(*text) + "\"");
         }
         c.download_dir = path.lexically_normal();
         return {};
       }},
  };
}

std::vector<Key> RelayKeys(const std::filesystem::path& folder) {
  return {
      {"host",
       [](const toml::node& node, SupporterConfig& c) -> Result<void> {
         auto text = ReadText(node, 253);
         if (!text)
           return Unexpected(std::move(text).error());
         if (text->empty() || text->find(' ') != std::string::npos)
           return MakeError("must be a host name or an IP address");
         c.relay.host = *text;
         return {};
       }},
      {"port",
       [](const toml::node& node, SupporterConfig& c) -> Result<void> {
         const auto* value = node.as_integer();
         if (value == nullptr)
           return MakeError("expected an integer");
         if (value->get() < 1 || value->get() > 65535)
           return MakeError("must be between 1 and 65535");
         c.relay.port = static_cast<uint16_t>(value->get());
         return {};
       }},
      {"fingerprint",
       [](const toml::node& node, SupporterConfig& c) -> Result<void> {
         auto text = ReadText(node, 128);
         if (!text)
           return Unexpected(std::move(text).error());
         if (auto format = crypto::CheckFingerprintFormat(*text); !format) {
           return MakeError(format.error().message +
                            " (on the relay: tether-relay cert show)");
         }
         std::transform(text->begin(), text->end(), text->begin(), [](char ch) {
           return static_cast<char>(
               std::tolower(static_cast<unsigned char>(ch)));
         });
         c.relay.fingerprint = *text;
         return {};
       }},
      {"ca_file",
       [folder](const toml::node& node, SupporterConfig& c) -> Result<void> {
         auto text = ReadText(node, kMaxPathBytes);
         if (!text)
           return Unexpected(std::move(text).error());
         if (text->empty()) {
           c.relay.ca_file.clear();
           return {};
         }
         std::filesystem::path path = ExpandHome(*text);
         if (path.is_relative())
           path = folder / path;
         c.relay.ca_file = path.lexically_normal().string();
         return {};
       }},
      {"proxy",
       [](const toml::node& node, SupporterConfig& c) -> Result<void> {
         auto text = ReadText(node, 512);
         if (!text)
           return Unexpected(std::move(text).error());
         if (!text->empty() && !text->starts_with("http://"))
           return MakeError("must look like \"http://host:port\"");
         c.relay.proxy = *text;
         return {};
       }},
  };
}

std::string Where(std::string_view source, const toml::source_region& region) {
  return std::string(source) + ":" + std::to_string(region.begin.line);
}

void ReadKey(const toml::key& key,
             const toml::node& node,
             const std::vector<Key>& keys,
             std::string_view prefix,
             std::string_view source,
             SupporterConfig& config,
             std::vector<std::string>& problems) {
  const std::string full = std::string(prefix) + std::string(key.str());
  const auto known = std::find_if(keys.begin(), keys.end(), [&](const Key& k) {
    return k.name == key.str();
  });
  if (known == keys.end()) {
    problems.push_back(Where(source, key.source()) + ": unknown key '" +
                       Printable(full) + "'");
    return;
  }
  if (auto read = known->read(node, config); !read) {
    problems.push_back(Where(source, key.source()) + ": " + Printable(full) +
                       ": " + read.error().message);
  }
}

Result<std::string> ReadSmallFile(const std::filesystem::path& path) {
  std::unique_ptr<std::FILE, decltype(&std::fclose)> file(
      std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) {
    return MakeError("cannot open " + path.string() + ": " +
                     std::strerror(errno));
  }
  std::string text;
  char buffer[8192];
  while (true) {
    const size_t n = std::fread(buffer, 1, sizeof(buffer), file.get());
    text.append(buffer, n);
    if (text.size() > kMaxSupporterConfigBytes) {
      return MakeError(path.string() +
                       " is larger than 64 KiB; is it the right file?");
    }
    if (n < sizeof(buffer))
      break;
  }
  if (std::ferror(file.get()))
    return MakeError("cannot read " + path.string());
  return text;
}

std::filesystem::path ProgramFolder() {
  std::error_code error;
  const std::filesystem::path exe =
      std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::filesystem::current_path(error) : exe.parent_path();
}

}  // namespace

std::filesystem::path DefaultProtocolDir() {
  return UserDir("DOCUMENTS", "Documents") / "Tether sessions";
}

std::filesystem::path DefaultDownloadDir() {
  return UserDir("DOWNLOAD", "Downloads");
}

std::vector<std::filesystem::path> SupporterConfigCandidates() {
  return {ProgramFolder() / kSupporterConfigName,
          ConfigHomeDir() / "tether" / kSupporterConfigName};
}

Result<SupporterConfig> ParseSupporterConfig(
    std::string_view toml_text,
    std::string_view source_name,
    const std::filesystem::path& folder) {
  const std::string source(source_name.empty() ? "config" : source_name);
  if (toml_text.size() > kMaxSupporterConfigBytes)
    return MakeError(source + " is larger than 64 KiB; is it the right file?");
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    return MakeError(source + ":" + std::to_string(e.source().begin.line) +
                     ": " + std::string(e.description()));
  } catch (const std::exception& e) {
    return MakeError(source + ": cannot parse: " + e.what());
  }

  SupporterConfig config;
  config.protocol_dir = DefaultProtocolDir();
  config.download_dir = DefaultDownloadDir();
  std::vector<std::string> problems;
  const std::vector<Key> top_keys = TopLevelKeys();
  const std::vector<Key> relay_keys = RelayKeys(folder);
  for (const auto& [key, node] : root) {
    if (key.str() == "relay") {
      const toml::table* relay = node.as_table();
      if (relay == nullptr) {
        problems.push_back(Where(source, key.source()) +
                           ": relay: expected a table [relay]");
        continue;
      }
      for (const auto& [relay_key, value] : *relay) {
        ReadKey(relay_key, value, relay_keys, "relay.", source, config,
                problems);
      }
    } else if (node.is_table()) {
      problems.push_back(Where(source, key.source()) + ": unknown section [" +
                         Printable(key.str()) + "]");
    } else {
      ReadKey(key, node, top_keys, "", source, config, problems);
    }
  }

  if (problems.empty()) {
    if (config.relay.host.empty())
      problems.push_back(source + ": relay.host is not set");
    if (config.relay.fingerprint.empty() == config.relay.ca_file.empty()) {
      problems.push_back(source +
                         ": set exactly one of relay.fingerprint and "
                         "relay.ca_file");
    }
  }
  if (!problems.empty()) {
    std::string message;
    for (size_t i = 0; i < problems.size() && i < kMaxProblems; ++i) {
      if (!message.empty())
        message += '\n';
      message += problems[i];
    }
    return MakeError(std::move(message));
  }
  return config;
}

Result<SupporterConfig> SupporterConfig::Load(const std::string& path) {
  std::filesystem::path file = path;
  if (path.empty()) {
    const std::vector<std::filesystem::path> candidates =
        SupporterConfigCandidates();
    std::string tried;
    for (const std::filesystem::path& candidate : candidates) {
      std::error_code error;
      if (std::filesystem::exists(candidate, error)) {
        file = candidate;
        break;
      }
      tried += (tried.empty() ? "" : " or ") + candidate.string();
    }
    if (file.empty()) {
      return MakeError("No " + std::string(kSupporterConfigName) +
                       " found (looked in " + tried +
                       "). Ask IT for the file for your relay.");
    }
  }
  auto text = ReadSmallFile(file);
  if (!text)
    return Unexpected(std::move(text).error());
  std::error_code ignored;
  const std::filesystem::path folder =
      std::filesystem::absolute(file, ignored).parent_path();
  return ParseSupporterConfig(*text, file.string(), folder);
}

}  // namespace tether::supporter
