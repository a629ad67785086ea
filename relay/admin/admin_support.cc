#include "relay/admin/admin_support.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <span>
#include <vector>

#include "crypto/random.h"
#include "relay/store/open_store.h"

namespace tether::relay::admin {
namespace {

// Turns terminal echo off for its lifetime.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (tcgetattr(fd_, &saved_) != 0)
      return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    active_ = tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (active_)
      tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

std::optional<std::string> ReadLine() {
  std::string line;
  if (!std::getline(std::cin, line))
    return std::nullopt;
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  return line;
}

std::optional<std::string> Prompt(const char* text) {
  std::fprintf(stderr, "%s", text);
  std::fflush(stderr);
  EchoOff echo_off(STDIN_FILENO);
  auto line = ReadLine();
  std::fprintf(stderr, "\n");
  return line;
}

}  // namespace

int Fail(std::string_view message) {
  std::fprintf(stderr, "tether-relay: %.*s\n", static_cast<int>(message.size()),
               message.data());
  return kExitFailure;
}

std::string CliActor() {
  const uid_t uid = geteuid();
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 &&
      found != nullptr && found->pw_name != nullptr &&
      found->pw_name[0] != '\0') {
    return std::string("cli:") + found->pw_name;
  }
  return "cli:uid" + std::to_string(uid);
}

Result<std::unique_ptr<Store>> OpenStore(const RelayConfig& config) {
  return relay::OpenStore(config.store, Clock::System(),
                          StoreUser::kAdminCommand);
}

Result<std::string> ReadNewPassword(std::string_view user_name) {
  if (isatty(STDIN_FILENO)) {
    const std::string first_prompt =
        "New password for " + std::string(user_name) + ": ";
    auto first = Prompt(first_prompt.c_str());
    if (!first || first->empty())
      return MakeError("no password entered");
    auto second = Prompt("Repeat it: ");
    if (!second || *second != *first) {
      return MakeError("the two passwords differ");
    }
    return *first;
  }
  auto line = ReadLine();
  if (!line || line->empty()) {
    return MakeError(
        "no password on standard input (pipe one line, or use --generate)");
  }
  return *line;
}

Result<void> WriteOutput(
    const std::filesystem::path& path,
    const std::function<Result<void>(std::ostream&)>& write) {
  if (path.empty()) {
    auto written = write(std::cout);
    std::cout.flush();
    if (written && !std::cout) {
      return MakeError("cannot write to standard output");
    }
    return written;
  }
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return MakeError("cannot create " + path.string() + ": " +
                     std::strerror(errno));
  }
  // An existing file keeps its mode on open(); exports stay owner-only.
  const bool private_mode = fchmod(fd, 0600) == 0;
  close(fd);
  if (!private_mode) {
    return MakeError("cannot make " + path.string() +
                     " owner-only: " + std::strerror(errno));
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out)
    return MakeError("cannot open " + path.string());
  auto written = write(out);
  out.close();
  if (written && !out)
    return MakeError("cannot write " + path.string());
  return written;
}

std::string PrintableText(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f)
      c = '?';
  }
  return out;
}

}  // namespace tether::relay::admin
