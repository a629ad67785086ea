#pragma once

// A real tether-relay process for tests: its own config, certificate and
// database in a temporary directory, listening on 127.0.0.1 on a port the
// kernel picks (read back from the relay's log).

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace tether::test {

class ChildProcess;

// A passphrase the relay's password policy accepts: the technicians the
// tests add sign in with it.
inline constexpr char kPassword[] = "quartz lemon harbour seventy";

class RelayProcess {
 public:
  // `extra_toml` is appended to the generated config (override sections).
  explicit RelayProcess(std::string extra_toml = "");
  // The shipped packaging/relay.toml as IT gets it, with only what must
  // differ in a test changed: addresses (127.0.0.1, free ports), the files
  // (in the temporary directory), and `changes` ("section.key" -> TOML
  // value, e.g. {"tls.min_version", "\"1.2\""}) on top.
  struct Shipped {
    std::vector<std::pair<std::string, std::string>> changes;
  };
  explicit RelayProcess(const Shipped& shipped);
  ~RelayProcess();  // SIGKILLs the relay if still running; removes the dir
  RelayProcess(const RelayProcess&) = delete;
  RelayProcess& operator=(const RelayProcess&) = delete;

  // Starts `tether-relay serve` and waits (bounded) until it listens. May be
  // called again after Stop() or Kill(): the same directory, a new port.
  Result<void> Start();
  // SIGTERM and wait for exit; returns the exit status (or an error).
  Result<int> Stop(
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // SIGKILL, as a crash would.
  void Kill();

  // Writes a technician account straight into the relay's database, with
  // cheap argon2id parameters: real ones cost most of a test's time (the
  // relay upgrades the hash at the first login). How IT creates accounts,
  // with `tether-relay user add`, is tested by the relay tests. Call before
  // Start() or while the relay runs (SQLite WAL).
  Result<void> AddTechnician(const std::string& user_name,
                             const std::string& display_name,
                             const std::string& password) const;
  // The same for any role, optionally with a TOTP secret (raw bytes).
  Result<void> AddAccount(const std::string& user_name,
                          const std::string& role,
                          const std::string& password,
                          const Bytes& totp_secret = {}) const;

  // Runs `tether-relay -c <config> <args...>`; returns exit code and output.
  struct CommandResult {
    int exit_code = -1;
    std::string output;  // stdout and stderr together
  };
  CommandResult RunCommand(const std::vector<std::string>& args,
                           const std::string& stdin_text = "") const;

  pid_t pid() const;  // -1 when not running
  uint16_t port() const { return port_; }
  uint16_t metrics_port() const { return metrics_port_; }
  const std::string& fingerprint() const { return fingerprint_; }
  std::filesystem::path dir() const { return dir_; }
  std::filesystem::path database() const { return dir_ / "relay.db"; }
  std::filesystem::path config_path() const { return dir_ / "relay.toml"; }
  // Everything the relay logged so far.
  std::string log() const;

  static std::filesystem::path Binary();

 private:
  Result<void> AddAccountNamed(const std::string& user_name,
                               const std::string& display_name,
                               const std::string& role,
                               const std::string& password,
                               const Bytes& totp_secret) const;

  std::filesystem::path dir_;
  std::string setup_error_;                // reported by Start()
  std::unique_ptr<ChildProcess> process_;  // while it runs
  uint16_t port_ = 0;
  uint16_t metrics_port_ = 0;
  std::string fingerprint_;
};

}  // namespace tether::test
