#include "relay/backup/backup_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "config/fields.h"

extern char** environ;

namespace tether::relay {
namespace {

using Steady = std::chrono::steady_clock;

// How much of the command's output is kept for the error message.
constexpr size_t kOutputTail = 4096;
// After SIGTERM, how long the command may take to stop before SIGKILL.
constexpr std::chrono::seconds kStopGrace{5};
// How often an exited-or-not check runs once its output has ended.
constexpr std::chrono::milliseconds kExitPoll{20};

constexpr std::string_view kBackupWord = "{backup}";

// The pipe that carries the command's output, closed on every path.
class Pipe {
 public:
  Pipe() {
    if (::pipe2(fds_, O_CLOEXEC) != 0)
      fds_[0] = fds_[1] = -1;
  }
  ~Pipe() {
    CloseRead();
    CloseWrite();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  bool ok() const { return fds_[0] >= 0; }
  int read_end() const { return fds_[0]; }
  int write_end() const { return fds_[1]; }
  void CloseRead() { Close(fds_[0]); }
  void CloseWrite() { Close(fds_[1]); }

 private:
  static void Close(int& fd) {
    if (fd >= 0)
      ::close(fd);
    fd = -1;
  }
  int fds_[2];
};

// The last line the command printed, for the error message.
std::string LastLine(std::string output) {
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r' ||
                             output.back() == ' '))
    output.pop_back();
  const size_t start = output.find_last_of('\n');
  std::string line =
      start == std::string::npos ? output : output.substr(start + 1);
  for (char& c : line) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f)
      c = ' ';
  }
  if (line.size() > 300)
    line = line.substr(0, 300) + "...";
  return line;
}

// waitpid until `deadline`; true with `status` once it has exited.
bool WaitUntil(pid_t pid, Steady::time_point deadline, int& status) {
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid)
      return true;
    if (done < 0 && errno != EINTR)
      return true;  // not ours to wait for any more; treat as gone
    if (Steady::now() >= deadline)
      return false;
    ::poll(nullptr, 0, static_cast<int>(kExitPoll.count()));
  }
}

std::string Describe(const std::string& program, int status) {
  if (WIFEXITED(status))
    return program + " exited with status " +
           std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return program + " was killed by signal " +
           std::to_string(WTERMSIG(status)) + " (" +
           ::strsignal(WTERMSIG(status)) + ")";
  return program + " ended oddly (status " + std::to_string(status) + ")";
}

}  // namespace

std::vector<std::string> BackupCommandLine(
    const std::vector<std::string>& command,
    const std::filesystem::path& backup) {
  std::vector<std::string> argv = command;
  bool placed = false;
  for (std::string& word : argv) {
    if (word == kBackupWord) {
      word = backup.string();
      placed = true;
    }
  }
  if (!placed)
    argv.push_back(backup.string());
  return argv;
}

Result<void> RunBackupCommand(const std::vector<std::string>& argv,
                              std::chrono::milliseconds timeout) {
  if (argv.empty() || argv.front().empty())
    return MakeError("no command to run");
  const std::string& program = argv.front();

  Pipe output;
  if (!output.ok()) {
    return MakeError("cannot run " + program +
                     ": pipe: " + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, output.write_end(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, output.write_end(), STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // Its own group, so a timeout stops what it started too (rsync's ssh).
  // tether-relay ignores SIGPIPE; the command gets the usual default.
  sigset_t defaults, empty;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigemptyset(&empty);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setsigmask(&attributes, &empty);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP |
                                            POSIX_SPAWN_SETSIGDEF |
                                            POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> raw;
  raw.reserve(argv.size() + 1);
  for (const std::string& word : argv)
    raw.push_back(const_cast<char*>(word.c_str()));
  raw.push_back(nullptr);

  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, program.c_str(), &actions,
                                    &attributes, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0)
    return MakeError("cannot run " + program + ": " + std::strerror(spawned));
  output.CloseWrite();

  // Read its output until it closes it or time is up.
  const auto deadline = Steady::now() + timeout;
  std::string tail;
  bool timed_out = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Steady::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd readable{output.read_end(), POLLIN, 0};
    const int ready =
        ::poll(&readable, 1,
               static_cast<int>(std::min<int64_t>(left.count(), 60'000)));
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready <= 0)
      continue;  // the deadline check above ends the wait
    char buffer[4096];
    const ssize_t n = ::read(output.read_end(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;  // it closed its output: it has exited, or is about to
    tail.append(buffer, static_cast<size_t>(n));
    if (tail.size() > 2 * kOutputTail)
      tail.erase(0, tail.size() - kOutputTail);
  }
  output.CloseRead();

  int status = 0;
  if (!timed_out && WaitUntil(pid, deadline, status)) {
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
      return {};
    const std::string said = LastLine(tail);
    return MakeError(Describe(program, status) +
                     (said.empty() ? "" : ": " + said));
  }
  // Out of time: stop the whole group, gently first.
  ::kill(-pid, SIGTERM);
  if (!WaitUntil(pid, Steady::now() + kStopGrace, status)) {
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  return MakeError(
      program + " did not finish within " +
      config::FormatDuration(
          std::chrono::duration_cast<std::chrono::seconds>(timeout)) +
      " and was stopped");
}

}  // namespace tether::relay
