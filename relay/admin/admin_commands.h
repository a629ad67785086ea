#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "relay/admin/ops_commands.h"
#include "relay/admin/record_commands.h"
#include "relay/admin/user_commands.h"
#include "relay/config/relay_config.h"

namespace tether::relay {

// The local administration subcommands of tether-relay (user, audit,
// events, cert, config, backup, restore, customer-config). Registers them on
// `app` at construction; Run() executes whichever was parsed and returns the
// exit code: 0 ok, 1 failure, 2 usage error. Must stay where it was built
// (CLI11 keeps pointers into it).
class AdminCommands {
 public:
  AdminCommands(CLI::App& app, const std::string& config_path);
  AdminCommands(const AdminCommands&) = delete;
  AdminCommands& operator=(const AdminCommands&) = delete;

  int Run(const RelayConfig& config);

 private:
  CLI::App& app_;
  const std::string& config_path_;
  admin::UserCommands users_;
  admin::RecordCommands records_;
  admin::OpsCommands ops_;
  CLI::App* cert_show_ = nullptr;
  CLI::App* cert_init_ = nullptr;
  CLI::App* config_check_ = nullptr;
};

}  // namespace tether::relay
