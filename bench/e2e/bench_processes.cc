#include "bench/e2e/bench_processes.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
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

std::string LogTail(const fs::path& log, size_t max_bytes) {
  std::ifstream in(log);
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
