#include "relay/admin/admin_commands.h"

#include <cstdio>

#include "relay/admin/admin_support.h"
#include "relay/server/relay_server.h"

namespace tether::relay {

AdminCommands::AdminCommands(CLI::App& app, const std::string& config_path)
    : app_(app),
      config_path_(config_path),
      users_(app),
      records_(app),
      ops_(app) {
  auto* cert = app_.add_subcommand("cert", "The relay's TLS certificate");
  cert->require_subcommand(1);
  cert_init_ = cert->add_subcommand(
      "init", "Create the certificate and key if they do not exist yet");
  cert_show_ = cert->add_subcommand(
      "show", "Print the fingerprint clients pin (sha256:...)");
  auto* config = app_.add_subcommand("config", "The configuration file");
  config->require_subcommand(1);
  config_check_ = config->add_subcommand(
      "check",
      "Check the configuration and print the effective values (exit 1 and "
      "the problems when it is not valid)");
}

int AdminCommands::Run(const RelayConfig& config) {
  if (auto code = users_.Run(config))
    return *code;
  if (auto code = records_.Run(config))
    return *code;
  if (auto code = ops_.Run(config))
    return *code;
  if (cert_init_->parsed() || cert_show_->parsed()) {
    auto fingerprint = EnsureRelayCertificate(config);
    if (!fingerprint)
      return admin::Fail(fingerprint.error().message);
    std::printf("%s\n", fingerprint->c_str());
    return admin::kExitOk;
  }
  if (config_check_->parsed()) {
    std::printf("%s: ok\n%s", config_path_.c_str(),
                DescribeRelayConfig(config).c_str());
    return admin::kExitOk;
  }
  return admin::kExitUsage;
}

}  // namespace tether::relay
