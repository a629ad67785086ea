#include "tests/support/relay_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "base/clock.h"
#include "crypto/password_hash.h"
#include "crypto/random.h"
#include "relay/store/sqlite_store.h"

namespace tether::test {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

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
  // Everything the child needs is made before fork: the test's other
  // threads may hold the allocator's lock at that moment, and a child that
  // allocates before exec would wait for it forever (seen under ASan).
  const std::string binary = Binary().string();
  const std::string config = (dir_ / "relay.toml").string();
  pid_ = fork();
  if (pid_ < 0)
    return MakeError("fork failed");
  if (pid_ == 0) {
    // Child: only async-signal-safe calls until exec.
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    execl(binary.c_str(), "tether-relay", "-c", config.c_str(), "serve",
          nullptr);
    _exit(127);
  }
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
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return MakeError("relay exited during start-up:\n" + text);
    }
    // Polling a log file: the relay offers no other start-up signal.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return MakeError("relay did not start listening within 15 s:\n" + log());
}

Result<int> RelayProcess::Stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0)
    return MakeError("relay not running");
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Kill();
  return MakeError("relay did not exit within the timeout after SIGTERM");
}

void RelayProcess::Kill() {
  if (pid_ <= 0)
    return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

RelayProcess::CommandResult RelayProcess::RunCommand(
    const std::vector<std::string>& args,
    const std::string& stdin_text) const {
  const fs::path out_path = dir_ / "command.out";
  const fs::path in_path = dir_ / "command.in";
  std::ofstream(in_path) << stdin_text;
  // Made before fork, as in Start().
  const std::string binary = Binary().string();
  std::vector<std::string> all = {"tether-relay", "-c",
                                  (dir_ / "relay.toml").string()};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    int in = open(in_path.c_str(), O_RDONLY);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in, STDIN_FILENO);
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.output = ReadFile(out_path);
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
  TETHER_TRY(store, relay::SqliteStore::Open(database(), Clock::System()));
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
