#pragma once

// Process plumbing for the glass-to-glass bench: the peers (x11vnc, a VNC
// viewer, freerdp's shadow server and client) run as child programs
// (test::ChildProcess), and whatever happens the bench must not leave any
// of them, or a temporary directory, behind.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace tether::bench::e2e {

// The end of a child program's log (tests/support/child_process.h), for
// error messages about a program that failed.
std::string LogTail(const std::filesystem::path& log, size_t max_bytes = 600);

// A private directory under /tmp, removed (with its contents) by the
// destructor and, if the bench is cut short, by the watchdog.
class TempDir {
 public:
  static Result<std::unique_ptr<TempDir>> Create(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  explicit TempDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

// The bench ends by itself: `seconds` after Arm(), or on SIGINT, SIGTERM or
// SIGHUP, a watchdog thread SIGKILLs every direct child of this process
// (relay, Xvfb servers, peers: whoever started them), removes the
// registered directories and exits with status 124. Disarm() before a
// normal exit.
void ArmWatchdog(std::chrono::seconds limit);
void DisarmWatchdog();
void RegisterTempDir(const std::filesystem::path& dir);
void ForgetTempDir(const std::filesystem::path& dir);

// CPU time (user + system) a process, or a thread of this process, has
// used so far, from /proc (clock ticks, usually 10 ms); nullopt once it is
// gone.
std::optional<double> ProcessCpuSeconds(pid_t pid);
std::optional<double> ThreadCpuSeconds(pid_t tid);
// The ids of this process's threads now (/proc/self/task).
std::vector<pid_t> ThreadsOfThisProcess();

// Whether something accepts connections on 127.0.0.1:`port` within
// `timeout` (polled every 50 ms).
bool WaitForListening(uint16_t port, std::chrono::milliseconds timeout);

}  // namespace tether::bench::e2e
