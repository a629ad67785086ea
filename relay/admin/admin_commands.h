#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "relay/config/relay_config.h"

namespace tether::relay {

// The local administration subcommands of tether-relay (user, audit,
// events, cert, config). Registers them on `app` at construction; Run()
// executes whichever was parsed and returns the exit code.
class AdminCommands {
 public:
  AdminCommands(CLI::App& app, const std::string& config_path);
  int Run(const RelayConfig& config);

 private:
  CLI::App& app_;
  const std::string& config_path_;
  CLI::App* cert_show_ = nullptr;
  CLI::App* cert_init_ = nullptr;
  CLI::App* config_check_ = nullptr;
};

}  // namespace tether::relay
