#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "relay/config/relay_config.h"

namespace tether::relay::admin {

// `tether-relay audit export|verify` and `events export`: what the relay
// keeps, read out of its store by a separate connection (works while the
// relay is serving). Exports are themselves audited.
//
// Registers the subcommands at construction (CLI11 keeps pointers to the
// members, so an instance must stay where it was built).
class RecordCommands {
 public:
  explicit RecordCommands(CLI::App& app);
  RecordCommands(const RecordCommands&) = delete;
  RecordCommands& operator=(const RecordCommands&) = delete;

  // The exit code of the parsed subcommand; nullopt when none of these was.
  std::optional<int> Run(const RelayConfig& config);

 private:
  int Export(const RelayConfig& config, bool audit);
  int Verify(const RelayConfig& config);

  CLI::App* audit_export_ = nullptr;
  CLI::App* audit_verify_ = nullptr;
  CLI::App* events_export_ = nullptr;

  std::string format_ = "csv";
  std::string since_;
  std::string out_;
};

}  // namespace tether::relay::admin
