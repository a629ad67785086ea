#include "customer-app/core/customer_config.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

// tomlplusplus stays in this file. Debian builds it with exceptions, so
// toml::parse throws; the exception is caught right at the call.
#include <toml++/toml.h>

#include "base/byte_size.h"
#include "base/user_dirs.h"
#include "crypto/certificate.h"

namespace tether::customer {
namespace {

constexpr uint64_t kMinFileLimit = kKiB;
constexpr uint64_t kMaxFileLimit = 1024 * kGiB;
constexpr size_t kMaxTextBytes = 200;
constexpr size_t kMaxPathBytes = 4096;

std::string Printable(std::string_view key) {
  std::string out;
  for (char c : key.substr(0, 64)) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 || byte == 0x7F) ? '?' : c;
  }
  if (key.size() > 64)
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
  if (path == "~" || path.starts_with("~/")) {
    const char* home = std::getenv("HOME");
    if (home != nullptr && home[0] != '\0')
      return std::filesystem::path(home) /
             path.substr(std::min<size_t>(2, path.size()));
  }
  return path;
}

// What is wrong with a value; the caller adds the key and the line.
using Reader = std::function<Result<void>(const toml::node&, CustomerConfig&)>;

struct Key {
  std::string_view name;
  Reader read;
};

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

class Schema {
 public:
  explicit Schema(std::filesystem::path folder) : folder_(std::move(folder)) {}

  std::vector<Key> TopLevel() const {
    return {
        {"organisation", Text([](CustomerConfig& c) -> std::string& {
           return c.organisation;
         })},
        {"logo_path",
         Path([](CustomerConfig& c) -> std::string& { return c.logo_path; })},
        {"display",
         Text([](CustomerConfig& c) -> std::string& { return c.display; })},
        {"download_dir",
         [](const toml::node& node, CustomerConfig& c) -> Result<void> {
           auto text = ReadText(node, kMaxPathBytes);
           if (!text)
             return Unexpected(std::move(text).error());
           const std::filesystem::path path = ExpandHome(*text);
           if (!path.is_absolute()) {
             return MakeError(
                 "must be an absolute path or start with \"~/\", got \"" +
                 Printable(*text) + "\"");
           }
           c.download_dir = path.lexically_normal().string();
           return {};
         }},
        {"max_file_size",
         [](const toml::node& node, CustomerConfig& c) -> Result<void> {
           auto text = ReadText(node, 32);
           if (!text)
             return Unexpected(std::move(text).error());
           const std::optional<uint64_t> size = ParseByteSize(*text);
           if (!size) {
             return MakeError("\"" + Printable(*text) +
                              "\" is not a size: write a whole number and a "
                              "unit, B, KiB, MiB or GiB (e.g. \"2GiB\")");
           }
           if (*size < kMinFileLimit || *size > kMaxFileLimit)
             return MakeError("must be between 1KiB and 1024GiB");
           c.max_file_size = *size;
           return {};
         }},
    };
  }

  std::vector<Key> Relay() const {
    return {
        {"host",
         [](const toml::node& node, CustomerConfig& c) -> Result<void> {
           auto text = ReadText(node, 253);
           if (!text)
             return Unexpected(std::move(text).error());
           if (text->empty() || text->find(' ') != std::string::npos)
             return MakeError("must be a host name or an IP address");
           c.relay.host = *text;
           return {};
         }},
        {"port",
         [](const toml::node& node, CustomerConfig& c) -> Result<void> {
           const auto* value = node.as_integer();
           if (value == nullptr)
             return MakeError("expected an integer");
           if (value->get() < 1 || value->get() > 65535)
             return MakeError("must be between 1 and 65535");
           c.relay.port = static_cast<uint16_t>(value->get());
           return {};
         }},
        {"fingerprint",
         [](const toml::node& node, CustomerConfig& c) -> Result<void> {
           auto text = ReadText(node, 128);
           if (!text)
             return Unexpected(std::move(text).error());
           if (auto format = crypto::CheckFingerprintFormat(*text); !format) {
             return MakeError(format.error().message +
                              " (on the relay: tether-relay cert show)");
           }
           std::transform(text->begin(), text->end(), text->begin(),
                          [](char ch) {
                            return static_cast<char>(
                                std::tolower(static_cast<unsigned char>(ch)));
                          });
           c.relay.fingerprint = *text;
           return {};
         }},
        {"ca_file", Path([](CustomerConfig& c) -> std::string& {
           return c.relay.ca_file;
         })},
        {"proxy",
         [](const toml::node& node, CustomerConfig& c) -> Result<void> {
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

 private:
  static Reader Text(std::function<std::string&(CustomerConfig&)> get) {
    return [get](const toml::node& node, CustomerConfig& c) -> Result<void> {
      auto text = ReadText(node, kMaxTextBytes);
      if (!text)
        return Unexpected(std::move(text).error());
      get(c) = *std::move(text);
      return {};
    };
  }
  Reader Path(std::function<std::string&(CustomerConfig&)> get) const {
    return [get, folder = folder_](const toml::node& node,
                                   CustomerConfig& c) -> Result<void> {
      auto text = ReadText(node, kMaxPathBytes);
      if (!text)
        return Unexpected(std::move(text).error());
      if (text->empty()) {
        get(c).clear();
        return {};
      }
      std::filesystem::path path = ExpandHome(*text);
      if (path.is_relative())
        path = folder / path;
      get(c) = path.lexically_normal().string();
      return {};
    };
  }

  std::filesystem::path folder_;
};

std::string Where(std::string_view source, const toml::source_region& region) {
  return std::string(source) + ":" + std::to_string(region.begin.line);
}

void ReadKey(const toml::key& key,
             const toml::node& node,
             const std::vector<Key>& keys,
             std::string_view prefix,
             std::string_view source,
             CustomerConfig& config,
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
    problems.push_back(Where(source, key.source()) + ": " + full + ": " +
                       read.error().message);
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
    if (text.size() > kMaxCustomerConfigBytes) {
      return MakeError(path.string() +
                       " is larger than 64 KiB; is it the "
                       "right file?");
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

std::filesystem::path DefaultDownloadDir() {
  return UserDir("DOWNLOAD", "Downloads");
}

Result<CustomerConfig> ParseCustomerConfig(
    std::string_view toml_text,
    std::string_view source_name,
    const std::filesystem::path& folder) {
  const std::string source(source_name.empty() ? "config" : source_name);
  if (toml_text.size() > kMaxCustomerConfigBytes)
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

  CustomerConfig config;
  config.download_dir = DefaultDownloadDir().string();
  const Schema schema(folder);
  std::vector<std::string> problems;
  const std::vector<Key> top_keys = schema.TopLevel();
  const std::vector<Key> relay_keys = schema.Relay();
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
    for (size_t i = 0; i < problems.size() && i < 20; ++i) {
      if (!message.empty())
        message += '\n';
      message += problems[i];
    }
    return MakeError(std::move(message));
  }
  return config;
}

Result<CustomerConfig> CustomerConfig::Load(const std::string& path) {
  const std::filesystem::path file = path.empty()
                                         ? ProgramFolder() / kCustomerConfigName
                                         : std::filesystem::path(path);
  auto text = ReadSmallFile(file);
  if (!text)
    return Unexpected(std::move(text).error());
  std::error_code ignored;
  const std::filesystem::path folder =
      std::filesystem::absolute(file, ignored).parent_path();
  return ParseCustomerConfig(*text, file.string(), folder);
}

}  // namespace tether::customer
