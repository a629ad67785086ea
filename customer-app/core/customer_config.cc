#include "customer-app/core/customer_config.h"

#include "base/byte_size.h"
#include "base/user_dirs.h"
#include "config/config_file.h"
#include "config/fields.h"
#include "config/schema.h"
#include "protocol/relay_endpoint_config.h"

namespace tether::customer {
namespace {

constexpr size_t kMaxTextBytes = 200;
// A customer's dialog, not a terminal: a few problems are enough to go on.
constexpr size_t kMaxReportedProblems = 20;

config::Schema<CustomerConfig> MakeSchema(const std::filesystem::path& folder) {
  using C = CustomerConfig;
  return {
      {"",
       {
           config::TextField<C>(
               "organisation", [](auto& c) -> auto& { return c.organisation; },
               kMaxTextBytes, /*allow_empty=*/true, /*multiline=*/false),
           config::FileBesideField<C>(
               "logo_path", [](auto& c) -> auto& { return c.logo_path; },
               folder),
           config::TextField<C>(
               "display", [](auto& c) -> auto& { return c.display; },
               kMaxTextBytes, /*allow_empty=*/true, /*multiline=*/false),
           config::FolderField<C>(
               "download_dir", [](auto& c) -> auto& { return c.download_dir; }),
           config::SizeField<C>(
               "max_file_size",
               [](auto& c) -> auto& { return c.max_file_size; }, kKiB,
               1024 * kGiB),
       }},
      protocol::RelaySection<C>(folder),
  };
}

}  // namespace

std::filesystem::path DefaultDownloadDir() {
  return UserDir("DOWNLOAD", "Downloads");
}

Result<CustomerConfig> ParseCustomerConfig(
    std::string_view toml_text,
    std::string_view source_name,
    const std::filesystem::path& folder) {
  CustomerConfig defaults;
  defaults.download_dir = DefaultDownloadDir().string();
  return config::ParseConfig<CustomerConfig>(
      toml_text, source_name, {kMaxCustomerConfigBytes, kMaxReportedProblems},
      MakeSchema(folder), std::move(defaults),
      [](const CustomerConfig& config, const config::KeyLines& lines,
         config::Problems& problems) {
        protocol::CheckRelayEndpoint(config.relay, lines, problems);
      });
}

Result<CustomerConfig> CustomerConfig::Load(const std::string& path) {
  const std::filesystem::path file =
      path.empty() ? config::ProgramFolder() / kCustomerConfigName
                   : std::filesystem::path(path);
  TETHER_TRY(text, config::ReadSmallFile(file, kMaxCustomerConfigBytes,
                                         "config file"));
  std::error_code ignored;
  const std::filesystem::path folder =
      std::filesystem::absolute(file, ignored).parent_path();
  return ParseCustomerConfig(*text, file.string(), folder);
}

}  // namespace tether::customer
