#include "tests/support/relay_process.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "base/clock.h"
#include "crypto/password_hash.h"
#include "crypto/random.h"
#include "relay/config/relay_config.h"
#include "relay/store/open_store.h"
#include "tests/support/child_process.h"
#include "tests/support/text_files.h"

namespace tether::test {
namespace {

namespace fs = std::filesystem;

using ::tether::test::ReadFile;

// The relay's folder: config, certificate, database and log.
fs::path MakeRelayDir() {
  char pattern[] = "/tmp/tether-relay-test-XXXXXX";
  return mkdtemp(pattern);
}

}  // namespace

fs::path RelayProcess::Binary() {
  const char* dir = std::getenv("TETHER_TEST_BIN_DIR");
  return fs::path(dir ? dir : "../build/release/bin") / "tether-relay";
}

RelayProcess::RelayProcess(std::string extra_toml) : dir_(MakeRelayDir()) {
  std::ofstream config(dir_ / "relay.toml");
  config << "[server]\nlisten = [\"127.0.0.1:0\"]\norganisation = \"Test "
            "IT\"\nsupport_terms = \"Test terms.\"\n"
         << "[tls]\ncertificate = \"" << (dir_ / "relay.crt").string()
         << "\"\nprivate_key = \"" << (dir_ / "relay.key").string() << "\"\n"
         << "[store]\ndatabase = \"" << (dir_ / "relay.db").string() << "\"\n"
         << "[metrics]\nlisten = \"127.0.0.1:0\"\n"
         << "[log]\nlevel = \"debug\"\n"
         << extra_toml;
}

RelayProcess::RelayProcess(const Shipped& shipped) : dir_(MakeRelayDir()) {
  auto quoted = [](const fs::path& path) {
    return "\"" + path.string() + "\"";
  };
  std::vector<std::pair<std::string, std::string>> changes = {
      {"server.listen", "[\"127.0.0.1:0\"]"},
      {"tls.certificate", quoted(dir_ / "relay.crt")},
      {"tls.private_key", quoted(dir_ / "relay.key")},
      {"store.database", quoted(dir_ / "relay.db")},
      {"metrics.listen", "\"127.0.0.1:0\""},
  };
  changes.insert(changes.end(), shipped.changes.begin(), shipped.changes.end());
  // Tests run in tests/; the file IT installs is packaging/relay.toml.
  std::ifstream in("../packaging/relay.toml");
  std::ofstream out(dir_ / "relay.toml");
  std::string line, section;
  while (std::getline(in, line)) {
    if (line.starts_with("[")) {
      section = line.substr(1, line.find(']') - 1);
    } else if (const size_t eq = line.find(" = ");
               eq != std::string::npos && !line.starts_with("#")) {
      const std::string key = section + "." + line.substr(0, eq);
      for (auto& [name, value] : changes) {
        if (name == key) {
          line = line.substr(0, eq) + " = " + value;
          name.clear();  // applied
        }
      }
    }
    out << line << "\n";
  }
  // A change the file has no line for would leave a test checking the
  // default while it believes otherwise.
  for (const auto& [name, value] : changes) {
    if (!name.empty())
      setup_error_ += "packaging/relay.toml has no " + name + "; ";
  }
}

RelayProcess::~RelayProcess() {
  Kill();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

Result<void> RelayProcess::Start() {
  if (!setup_error_.empty())
    return MakeError(setup_error_);
  const fs::path log_path = dir_ / "relay.log";
  // A restart appends to the log: look only at what this run writes.
  const size_t log_start = log().size();
  TETHER_TRY(process,
             ChildProcess::Start({.argv = {Binary().string(), "-c",
                                           config_path().string(), "serve"},
                                  .output = ChildProcess::Output::kAppendToFile,
                                  .output_file = log_path}));
  process_ = std::move(*process);
  // Wait, bounded, for the two "listening" lines.
  const std::regex listening(R"(listening on 127\.0\.0\.1:(\d+))");
  const std::regex metrics(R"(metrics on http://127\.0\.0\.1:(\d+)/)");
  const std::regex pin(R"(pin this\): (sha256:[0-9a-f]{64}))");
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = log().substr(log_start);
    std::smatch m1, m2, m3;
    if (std::regex_search(text, m1, listening) &&
        std::regex_search(text, m2, metrics) &&
        std::regex_search(text, m3, pin)) {
      port_ = static_cast<uint16_t>(std::stoi(m1[1]));
      metrics_port_ = static_cast<uint16_t>(std::stoi(m2[1]));
      fingerprint_ = m3[1];
      return {};
    }
    if (!process_->Running()) {
      process_.reset();
      return MakeError("relay exited during start-up:\n" + text);
    }
    // Polling a log file: the relay offers no other start-up signal.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Kill();
  return MakeError("relay did not start listening within 15 s:\n" + log());
}

Result<int> RelayProcess::Stop(std::chrono::milliseconds timeout) {
  if (!process_)
    return MakeError("relay not running");
  process_->Signal(SIGTERM);
  auto status = process_->Wait(timeout);
  Kill();  // reaps it; SIGKILLs it first if it still runs
  if (!status)
    return MakeError("relay did not exit within the timeout after SIGTERM");
  return *status;
}

void RelayProcess::Kill() {
  if (process_)
    process_->Kill(std::chrono::milliseconds(0));
  process_.reset();
}

pid_t RelayProcess::pid() const {
  return process_ ? process_->pid() : -1;
}

RelayProcess::CommandResult RelayProcess::RunCommand(
    const std::vector<std::string>& args,
    const std::string& stdin_text) const {
  const fs::path in_path = dir_ / "command.in";
  std::ofstream(in_path) << stdin_text;
  ChildProcess::Options options = {
      .argv = {Binary().string(), "-c", config_path().string()},
      .output = ChildProcess::Output::kLines};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  const int in = open(in_path.c_str(), O_RDONLY | O_CLOEXEC);
  options.pass_fds = {{STDIN_FILENO, in}};
  auto process = ChildProcess::Start(std::move(options));
  close(in);
  CommandResult result;
  if (!process) {
    result.output = process.error().message;
    return result;
  }
  // Seconds at most (argon2id at the real cost); bounded all the same.
  auto status = (*process)->Wait(std::chrono::minutes(2));
  result.exit_code = status.value_or(-1);
  result.output = (*process)->output();
  return result;
}

std::string RelayProcess::log() const {
  return ReadFile(dir_ / "relay.log");
}

Result<void> RelayProcess::AddTechnician(const std::string& user_name,
                                         const std::string& display_name,
                                         const std::string& password) const {
  return AddAccountNamed(user_name, display_name, "technician", password, {});
}

Result<void> RelayProcess::AddAccount(const std::string& user_name,
                                      const std::string& role,
                                      const std::string& password,
                                      const Bytes& totp_secret) const {
  return AddAccountNamed(user_name, user_name, role, password, totp_secret);
}

Result<void> RelayProcess::AddAccountNamed(const std::string& user_name,
                                           const std::string& display_name,
                                           const std::string& role,
                                           const std::string& password,
                                           const Bytes& totp_secret) const {
  TETHER_TRY(parsed_role, relay::ParseAccountRole(role));
  // The store the relay's config names: its SQLite file, or PostgreSQL.
  TETHER_TRY(config, relay::LoadRelayConfig(config_path()));
  TETHER_TRY(store, relay::OpenStore(config->store, Clock::System(),
                                     relay::StoreUser::kAdminCommand));
  auto hash = crypto::HashPassword(password, crypto::RandomGenerator::Default(),
                                   crypto::Argon2Params{1024, 1, 1});
  if (!hash)
    return Unexpected(std::move(hash).error());
  relay::Account account;
  account.user_name = user_name;
  account.display_name = display_name;
  account.role = *parsed_role;
  account.password_hash = *hash;
  if (!totp_secret.empty())
    account.totp_secret = totp_secret;
  account.must_change_password = false;
  TETHER_RETURN_IF_ERROR((*store)->CreateAccount(account));
  return {};
}

}  // namespace tether::test
