#include "supporter-app/core/supporter_config.h"

#include <string>

#include "base/user_dirs.h"
#include "config/config_file.h"
#include "config/fields.h"
#include "config/schema.h"
#include "protocol/relay_endpoint_config.h"

namespace tether::supporter {
namespace {

constexpr size_t kMaxTextBytes = 200;
// Shown in the sign-in window: a few problems are enough to go on.
constexpr size_t kMaxReportedProblems = 20;

config::Schema<SupporterConfig> MakeSchema(
    const std::filesystem::path& folder) {
  using C = SupporterConfig;
  return {
      {"",
       {
           config::TextField<C>(
               "user_name", [](auto& c) -> auto& { return c.user_name; },
               kMaxTextBytes, /*allow_empty=*/true, /*multiline=*/false),
           // The protocol is a record people rely on later, and files from
           // customers land where the technician looks for them: both go
           // where the technician can name, not relative to wherever the
           // app started.
           config::FolderField<C>(
               "protocol_dir", [](auto& c) -> auto& { return c.protocol_dir; }),
           config::FolderField<C>(
               "download_dir", [](auto& c) -> auto& { return c.download_dir; }),
       }},
      protocol::RelaySection<C>(folder),
  };
}

}  // namespace

std::filesystem::path DefaultProtocolDir() {
  return UserDir("DOCUMENTS", "Documents") / "Tether sessions";
}

std::filesystem::path DefaultDownloadDir() {
  return UserDir("DOWNLOAD", "Downloads");
}

std::vector<std::filesystem::path> SupporterConfigCandidates() {
  return {config::ProgramFolder() / kSupporterConfigName,
          ConfigHomeDir() / "tether" / kSupporterConfigName};
}

Result<SupporterConfig> ParseSupporterConfig(
    std::string_view toml_text,
    std::string_view source_name,
    const std::filesystem::path& folder) {
  SupporterConfig defaults;
  defaults.protocol_dir = DefaultProtocolDir();
  defaults.download_dir = DefaultDownloadDir();
  return config::ParseConfig<SupporterConfig>(
      toml_text, source_name, {kMaxSupporterConfigBytes, kMaxReportedProblems},
      MakeSchema(folder), std::move(defaults),
      [](const SupporterConfig& config, const config::KeyLines& lines,
         config::Problems& problems) {
        protocol::CheckRelayEndpoint(config.relay, lines, problems);
      });
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
  TETHER_TRY(text, config::ReadSmallFile(file, kMaxSupporterConfigBytes,
                                         "config file"));
  std::error_code ignored;
  const std::filesystem::path folder =
      std::filesystem::absolute(file, ignored).parent_path();
  return ParseSupporterConfig(*text, file.string(), folder);
}

}  // namespace tether::supporter
