#include "tests/support/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string_view>

extern char** environ;

namespace tether::test {
namespace {

using Clock = std::chrono::steady_clock;

// Closes its descriptor when it goes.
class ScopedFd {
 public:
  explicit ScopedFd(int fd = -1) : fd_(fd) {}
  ScopedFd(ScopedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ScopedFd& operator=(ScopedFd&&) = delete;
  ~ScopedFd() { reset(); }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0)
      close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

// One NULL-terminated array for execve, over strings of its own, pinned in
// place (the pointers point into it).
class ExecArray {
 public:
  explicit ExecArray(std::vector<std::string> strings)
      : strings_(std::move(strings)) {
    for (std::string& s : strings_)
      pointers_.push_back(s.data());
    pointers_.push_back(nullptr);
  }
  ExecArray(const ExecArray&) = delete;
  ExecArray& operator=(const ExecArray&) = delete;
  char* const* get() const { return pointers_.data(); }

 private:
  std::vector<std::string> strings_;
  std::vector<char*> pointers_;
};

// This process's environment with `options`' changes, as "NAME=value".
std::vector<std::string> ChildEnvironment(
    const ChildProcess::Options& options) {
  auto replaced = [&](std::string_view name) {
    return std::ranges::any_of(
               options.environment,
               [&](const auto& v) { return v.first == name; }) ||
           std::ranges::find(options.unset_environment, name) !=
               options.unset_environment.end();
  };
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const size_t eq = entry.find('=');
    if (eq != std::string_view::npos && !replaced(entry.substr(0, eq)))
      env.emplace_back(entry);
  }
  for (const auto& [name, value] : options.environment)
    env.push_back(name + "=" + value);
  return env;
}

// The exit status a shell would report.
int ExitStatus(const siginfo_t& info) {
  return info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
}

// In the child: `fd` as `number`, kept across exec.
void MoveTo(int fd, int number) {
  if (fd == number)
    fcntl(fd, F_SETFD, 0);
  else
    dup2(fd, number);
}

}  // namespace

Result<std::unique_ptr<ChildProcess>> ChildProcess::Start(Options options) {
  if (options.argv.empty())
    return MakeError("no program to start");
  std::string name = options.argv[0];
  const std::string program = FindProgram(name);
  if (program.empty())
    return MakeError("cannot start " + name + ": no such executable file");

  // Everything the child needs is made before fork: another thread may
  // hold the allocator's lock at that moment, and a child that allocated
  // before exec would wait for it forever (seen under ASan).
  const ExecArray envp(ChildEnvironment(options));
  const ExecArray argv(std::move(options.argv));
  const std::string working_dir = options.working_dir.string();
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigset_t no_signals;
  sigemptyset(&no_signals);

  ScopedFd null_fd(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (null_fd.get() < 0)
    return MakeError("cannot open /dev/null: " + std::string(strerror(errno)));
  ScopedFd output_read;
  ScopedFd output_write;
  int output = null_fd.get();
  if (options.output == Output::kLines) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
      return MakeError("pipe failed: " + std::string(strerror(errno)));
    output_read.reset(fds[0]);
    output_write.reset(fds[1]);
  } else if (options.output == Output::kAppendToFile) {
    output_write.reset(open(options.output_file.c_str(),
                            O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    if (output_write.get() < 0)
      return MakeError("cannot open " + options.output_file.string());
  }
  if (output_write.get() >= 0)
    output = output_write.get();
  // Each passed descriptor is first copied above every number one is given
  // as, so that setting one up in the child never overwrites another.
  int highest = STDERR_FILENO;
  for (const PassedFd& passed : options.pass_fds)
    highest = std::max(highest, passed.number);
  std::vector<ScopedFd> copies;
  std::vector<PassedFd> moves;
  for (const PassedFd& passed : options.pass_fds) {
    copies.emplace_back(fcntl(passed.fd, F_DUPFD_CLOEXEC, highest + 1));
    if (copies.back().get() < 0)
      return MakeError("cannot pass descriptor " + std::to_string(passed.fd));
    moves.push_back({passed.number, copies.back().get()});
  }

  const pid_t group = options.process_group;
  const int death_signal = options.death_signal;
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    setpgid(0, group);
    prctl(PR_SET_PDEATHSIG, death_signal);
    if (getppid() != parent)
      _exit(127);  // the parent died before prctl
    // Nothing blocked or ignored by the thread that started it is passed on.
    sigprocmask(SIG_SETMASK, &no_signals, nullptr);
    sigaction(SIGPIPE, &default_action, nullptr);
    MoveTo(null_fd.get(), STDIN_FILENO);
    MoveTo(output, STDOUT_FILENO);
    MoveTo(output, STDERR_FILENO);
    for (const PassedFd& move : moves)
      MoveTo(move.fd, move.number);
    // Nothing else of this process's (sockets, a build lock) goes with it.
    for (int fd = STDERR_FILENO + 1; fd <= highest; ++fd) {
      if (std::ranges::none_of(
              moves, [fd](const PassedFd& m) { return m.number == fd; }))
        close(fd);
    }
    close_range(static_cast<unsigned>(highest) + 1, ~0U, 0);
    if (!working_dir.empty() && chdir(working_dir.c_str()) != 0)
      _exit(127);
    execve(program.c_str(), argv.get(), envp.get());
    _exit(127);
  }
  if (pid < 0)
    return MakeError("fork failed for " + name + ": " + strerror(errno));
  // Also from here, so the group exists when Start() returns, whichever of
  // the two ran first.
  setpgid(pid, group != 0 ? group : pid);
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  std::unique_ptr<ChildProcess> child(new ChildProcess(
      std::move(name), pid, group == 0, pidfd, output_read.release()));
  if (options.output == Output::kLines)
    child->reader_ = std::thread([c = child.get()] { c->ReadOutput(); });
  return child;
}

std::string ChildProcess::FindProgram(const std::string& name) {
  if (name.find('/') != std::string::npos)
    return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::string_view rest(path != nullptr ? path : "/usr/bin:/bin");
  while (!name.empty() && !rest.empty()) {
    const size_t colon = rest.find(':');
    const std::string dir(rest.substr(0, colon));
    if (!dir.empty()) {
      const std::string candidate = dir + "/" + name;
      if (access(candidate.c_str(), X_OK) == 0)
        return candidate;
    }
    if (colon == std::string_view::npos)
      break;
    rest.remove_prefix(colon + 1);
  }
  return "";
}

ChildProcess::ChildProcess(std::string name,
                           pid_t pid,
                           bool leads_group,
                           int pidfd,
                           int output_fd)
    : name_(std::move(name)),
      pid_(pid),
      leads_group_(leads_group),
      pidfd_(pidfd),
      output_fd_(output_fd) {}

ChildProcess::~ChildProcess() {
  Kill();
  if (reader_.joinable()) {
    stop_reading_ = true;
    reader_.join();
  }
  if (output_fd_ >= 0)
    close(output_fd_);
  if (pidfd_ >= 0)
    close(pidfd_);
}

void ChildProcess::Signal(int signal) {
  if (!reaped_)
    kill(leads_group_ ? -pid_ : pid_, signal);
}

bool ChildProcess::Running() {
  return !WaitForExit(Clock::now());
}

Result<int> ChildProcess::Wait(Duration timeout) {
  const auto deadline = Clock::now() + timeout;
  if (!WaitForExit(deadline)) {
    return MakeTemporaryError(name_ + " still runs after " +
                              std::to_string(timeout.count()) + " ms");
  }
  if (output_fd_ >= 0) {
    std::unique_lock lock(mutex_);
    changed_.wait_until(lock, deadline, [&] { return output_ended_; });
  }
  return status_;
}

int ChildProcess::Kill(Duration grace) {
  if (!exited_ && grace > Duration(0)) {
    Signal(SIGTERM);
    Signal(SIGCONT);  // a stopped program acts on SIGTERM only once woken
    WaitForExit(Clock::now() + grace);
  }
  if (!exited_) {
    Signal(SIGKILL);
    WaitForExit(Clock::time_point::max());
  }
  Reap();
  return status_;
}

std::optional<std::string> ChildProcess::WaitForLine(const std::string& word,
                                                     Duration timeout) {
  if (output_fd_ < 0)
    std::abort();  // a bug: its output is not read (Output::kLines)
  const std::string prefix = word + " ";
  std::optional<std::string> found;
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] {
    for (const std::string& line : lines_) {
      if (line == word || line.starts_with(prefix)) {
        found = line.substr(std::min(line.size(), prefix.size()));
        return true;
      }
    }
    return output_ended_;
  });
  return found;
}

std::string ChildProcess::output() const {
  std::lock_guard lock(mutex_);
  std::string all;
  for (const std::string& line : lines_)
    all += line + "\n";
  return all + partial_;
}

bool ChildProcess::WaitForExit(Clock::time_point deadline) {
  while (!exited_) {
    siginfo_t info{};
    if (waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
      if (errno == EINTR)
        continue;
      // Reaped by someone else (SIGCHLD ignored): nothing of it is ours.
      exited_ = reaped_ = true;
      break;
    }
    if (info.si_pid == pid_) {
      exited_ = true;
      status_ = ExitStatus(info);
      break;
    }
    const auto left =
        std::chrono::duration_cast<Duration>(deadline - Clock::now());
    if (left <= Duration(0))
      return false;
    if (pidfd_ >= 0) {
      pollfd p{pidfd_, POLLIN, 0};
      poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), INT_MAX)));
    } else {
      std::this_thread::sleep_for(std::min(left, Duration(5)));
    }
  }
  return true;
}

void ChildProcess::Reap() {
  if (reaped_)
    return;
  // Until waitpid its pid, and so its group's id, cannot be reused: what is
  // left of the group is ours to kill.
  if (leads_group_)
    kill(-pid_, SIGKILL);
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
}

void ChildProcess::ReadOutput() {
  char buffer[4096];
  while (!stop_reading_) {
    // Wakes up to look at stop_reading_: a program that left the group may
    // keep the pipe open after the group is gone.
    pollfd p{output_fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0)
      continue;
    const ssize_t n = read(output_fd_, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR)
      continue;
    std::lock_guard lock(mutex_);
    if (n <= 0) {
      output_ended_ = true;
      changed_.notify_all();
      return;
    }
    partial_.append(buffer, static_cast<size_t>(n));
    for (size_t end; (end = partial_.find('\n')) != std::string::npos;) {
      lines_.push_back(partial_.substr(0, end));
      partial_.erase(0, end + 1);
    }
    changed_.notify_all();
  }
}

}  // namespace tether::test
