#include "bench/e2e/bench_processes.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

extern char** environ;

namespace tether::bench::e2e {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::atomic<int> g_signal{0};
std::atomic<bool> g_armed{false};
std::mutex g_dirs_mutex;
std::set<fs::path>* g_dirs = new std::set<fs::path>();  // never destroyed:
                                                        // the watchdog may
                                                        // run during exit

void OnSignal(int signal) {
  g_signal.store(signal);  // async-signal-safe; the watchdog thread acts
}

// Every direct child of this process, whichever thread forked it (the
// relay and Xvfb helpers fork on their own).
std::vector<pid_t> DirectChildren() {
  std::vector<pid_t> pids;
  for (pid_t tid : ThreadsOfThisProcess()) {
    std::ifstream children("/proc/self/task/" + std::to_string(tid) +
                           "/children");
    pid_t pid = 0;
    while (children >> pid)
      pids.push_back(pid);
  }
  return pids;
}

[[noreturn]] void KillEverythingAndExit(const char* why) {
  for (pid_t pid : DirectChildren())
    kill(pid, SIGKILL);
  for (pid_t pid : DirectChildren())
    waitpid(pid, nullptr, 0);  // SIGKILLed: returns promptly
  {
    std::lock_guard lock(g_dirs_mutex);
    for (const fs::path& dir : *g_dirs) {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  }
  std::fprintf(stderr, "bench: %s; children killed\n", why);
  std::fflush(stderr);
  _exit(124);
}

}  // namespace

Result<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    const std::vector<std::string>& argv,
    const Environment& env,
    const fs::path& log_path) {
  if (argv.empty())
    return MakeError("no program");
  // Everything the child needs is prepared here: between fork and exec in
  // a threaded process only async-signal-safe calls are allowed.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    bool overridden = false;
    for (const auto& [key, value] : env)
      overridden = overridden || entry.rfind(key + "=", 0) == 0;
    if (!overridden)
      env_strings.push_back(entry);
  }
  for (const auto& [key, value] : env)
    env_strings.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (std::string& e : env_strings)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argvp;
  for (std::string& a : args)
    argvp.push_back(a.data());
  argvp.push_back(nullptr);

  const int log_fd =
      open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) {
    if (log_fd >= 0)
      close(log_fd);
    if (null_fd >= 0)
      close(null_fd);
    return MakeError("cannot open " + log_path.string());
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    // If the bench dies without cleaning up (SIGKILL from outside), the
    // peers go with it instead of serving a screen forever.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(127);
    dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execvpe(argvp[0], argvp.data(), envp.data());
    _exit(127);
  }
  close(log_fd);
  close(null_fd);
  if (pid < 0)
    return MakeError("fork failed for " + argv[0]);
  return std::unique_ptr<ChildProcess>(
      new ChildProcess(pid, argv[0], log_path));
}

ChildProcess::~ChildProcess() {
  if (!Running())
    return;
  kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  while (Clock::now() < deadline) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);  // SIGKILLed: returns promptly
}

bool ChildProcess::Running() {
  if (pid_ <= 0)
    return false;
  int status = 0;
  const pid_t done = waitpid(pid_, &status, WNOHANG);
  if (done == pid_ || done < 0) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string ChildProcess::LogTail(size_t max_bytes) const {
  std::ifstream in(log_);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  if (s.size() > max_bytes)
    s = "..." + s.substr(s.size() - max_bytes);
  return s;
}

Result<std::unique_ptr<TempDir>> TempDir::Create(const std::string& prefix) {
  std::string pattern = "/tmp/" + prefix + "-XXXXXX";
  if (!mkdtemp(pattern.data()))
    return MakeError("mkdtemp failed for " + pattern);
  RegisterTempDir(pattern);
  return std::unique_ptr<TempDir>(new TempDir(pattern));
}

TempDir::~TempDir() {
  ForgetTempDir(path_);
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void ArmWatchdog(std::chrono::seconds limit) {
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP})
    sigaction(sig, &action, nullptr);
  g_armed = true;
  // Not a signal handler: listing /proc and removing directories need a
  // thread. It polls every 100 ms, so a signal is acted on within that.
  std::thread([deadline = Clock::now() + limit] {
    while (g_armed.load()) {
      if (g_signal.load() != 0)
        KillEverythingAndExit("signal");
      if (Clock::now() >= deadline)
        KillEverythingAndExit("time limit reached");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }).detach();
}

void DisarmWatchdog() {
  g_armed = false;
}

void RegisterTempDir(const fs::path& dir) {
  std::lock_guard lock(g_dirs_mutex);
  g_dirs->insert(dir);
}

void ForgetTempDir(const fs::path& dir) {
  std::lock_guard lock(g_dirs_mutex);
  g_dirs->erase(dir);
}

namespace {

std::optional<double> CpuSecondsFromStat(const std::string& path) {
  std::ifstream in(path);
  std::string stat;
  std::getline(in, stat);  // one line
  // The name (field 2) is in parentheses and may hold spaces: count the
  // fields after its closing one. utime and stime are fields 14 and 15.
  const size_t name_end = stat.rfind(')');
  if (name_end == std::string::npos)
    return std::nullopt;
  std::istringstream fields(stat.substr(name_end + 1));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14)
      utime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 15) {
      stime = std::strtoull(field.c_str(), nullptr, 10);
      return static_cast<double>(utime + stime) /
             static_cast<double>(sysconf(_SC_CLK_TCK));
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<double> ProcessCpuSeconds(pid_t pid) {
  if (pid <= 0)
    return std::nullopt;
  return CpuSecondsFromStat("/proc/" + std::to_string(pid) + "/stat");
}

std::optional<double> ThreadCpuSeconds(pid_t tid) {
  if (tid <= 0)
    return std::nullopt;
  return CpuSecondsFromStat("/proc/self/task/" + std::to_string(tid) + "/stat");
}

std::vector<pid_t> ThreadsOfThisProcess() {
  std::vector<pid_t> tids;
  DIR* tasks = opendir("/proc/self/task");
  if (!tasks)
    return tids;
  while (const dirent* task = readdir(tasks)) {
    if (task->d_name[0] != '.')
      tids.push_back(static_cast<pid_t>(std::atoi(task->d_name)));
  }
  closedir(tasks);
  return tids;
}

uint16_t PickFreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

bool WaitForListening(uint16_t port, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
      return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    const bool ok =
        connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(fd);
    if (ok)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace tether::bench::e2e
