#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "relay/config/relay_config.h"

namespace tether::relay::admin {

// `tether-relay user add|list|disable|enable|unlock|reset-password|
// set-role|totp-enroll`: local account administration. Every change
// appends an audit row by "cli:<unix user>". The first admin can only be
// created here; nothing can create accounts over the network.
//
// Registers the subcommands at construction (CLI11 keeps pointers to the
// members, so an instance must stay where it was built).
class UserCommands {
 public:
  explicit UserCommands(CLI::App& app);
  UserCommands(const UserCommands&) = delete;
  UserCommands& operator=(const UserCommands&) = delete;

  // The exit code of the parsed `user` subcommand; nullopt when none was.
  std::optional<int> Run(const RelayConfig& config);

 private:
  int Add(const RelayConfig& config);
  int List(const RelayConfig& config);
  int SetDisabled(const RelayConfig& config, bool disabled);
  int Unlock(const RelayConfig& config);
  int ResetPassword(const RelayConfig& config);
  int SetRole(const RelayConfig& config);
  int TotpEnroll(const RelayConfig& config);

  CLI::App* user_ = nullptr;
  CLI::App* add_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* disable_ = nullptr;
  CLI::App* enable_ = nullptr;
  CLI::App* unlock_ = nullptr;
  CLI::App* reset_password_ = nullptr;
  CLI::App* set_role_ = nullptr;
  CLI::App* totp_enroll_ = nullptr;

  // Parsed values; each subcommand binds the ones it takes.
  std::string name_;
  std::string role_;
  std::string display_name_;
  std::string format_ = "table";
  bool generate_ = false;
  bool remove_ = false;
};

}  // namespace tether::relay::admin
