#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "relay/config/relay_config.h"

namespace tether::relay::admin {

// `tether-relay backup`, `restore` and `customer-config`: what IT runs to
// keep the relay's data safe and to hand out a preconfigured customer app.
// Each is audited (restore after the fact, in the restored database).
//
// Registers the subcommands at construction (CLI11 keeps pointers to the
// members, so an instance must stay where it was built).
class OpsCommands {
 public:
  explicit OpsCommands(CLI::App& app);
  OpsCommands(const OpsCommands&) = delete;
  OpsCommands& operator=(const OpsCommands&) = delete;

  // The exit code of the parsed subcommand; nullopt when none of these was.
  std::optional<int> Run(const RelayConfig& config);

 private:
  int Backup(const RelayConfig& config);
  int Restore(const RelayConfig& config);
  int CustomerConfig(const RelayConfig& config);

  CLI::App* backup_ = nullptr;
  CLI::App* restore_ = nullptr;
  CLI::App* customer_config_ = nullptr;

  std::string backup_to_;
  bool scheduled_ = false;
  std::string restore_from_;
  std::vector<std::string> hosts_;
  uint16_t port_ = 0;
  std::string out_;
};

}  // namespace tether::relay::admin
