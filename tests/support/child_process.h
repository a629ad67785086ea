#pragma once

// One child program for a test or a bench (a relay, Xvfb, a proxy, node and
// Chromium, a peer's server), owned from fork to reaping: the one place
// that knows the steps between them.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/result.h"

namespace tether::test {

// A program started from argv, in a process group of its own (or one it is
// told to join), that dies with the thread that started it
// (PR_SET_PDEATHSIG) and is never left behind: the destructor stops it with
// Kill() and reaps it. Every wait has a deadline.
//
// One thread uses it; with Output::kLines a thread of its own reads the
// program's output. Start it from a thread that outlives it: the death
// signal follows the thread that forked, not the process.
class ChildProcess {
 public:
  using Environment = std::vector<std::pair<std::string, std::string>>;
  using Duration = std::chrono::milliseconds;

  // Where the program's stdout and stderr go (its stdin is /dev/null).
  enum class Output {
    kDiscard,       // /dev/null
    kLines,         // read by this object: WaitForLine(), output()
    kAppendToFile,  // Options::output_file, created if need be
  };

  // A descriptor of this process the child gets as `number`.
  struct PassedFd {
    int number;
    int fd;
  };

  // Written with designated initializers ({.argv = ..., .output = ...});
  // every field has a default, so any may be left out.
  struct Options {
    // argv[0] is the program: a path, or a name looked up on PATH.
    std::vector<std::string> argv = {};
    // Set in the child's environment, over what it inherits.
    Environment environment = {};
    // Names the child does not inherit (unless `environment` sets them).
    std::vector<std::string> unset_environment = {};
    // The child's working folder; empty: this process's.
    std::filesystem::path working_dir = {};
    Output output = Output::kDiscard;
    std::filesystem::path output_file = {};  // for kAppendToFile
    // Given after stdin, stdout and stderr are set up, so they may replace
    // them: {3, pipe} for a readiness pipe, {0, socket} for its input. The
    // child gets no other descriptor of this process.
    std::vector<PassedFd> pass_fds = {};
    // 0: a new group, which the child leads and which Signal() and Kill()
    // signal as a whole. Otherwise the group it joins (the leader's pid);
    // it is then signalled alone.
    pid_t process_group = 0;
    // Sent to it when the thread that started it ends.
    int death_signal = SIGKILL;
  };

  // How long Kill() waits after SIGTERM by default (the destructor's).
  static constexpr Duration kStopGrace = std::chrono::seconds(3);

  static Result<std::unique_ptr<ChildProcess>> Start(Options options);
  // Where exec would find `name`: `name` itself when it holds a '/', else
  // the first match on PATH; empty when it is not an executable file.
  static std::string FindProgram(const std::string& name);

  ~ChildProcess();  // Kill() unless Kill() already ran
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Sends `signal` to its group when it leads one, else to it alone;
  // nothing once Kill() has reaped it.
  void Signal(int signal);
  // False once it has exited.
  bool Running();
  // Its exit status once it has exited, waiting up to `timeout`: its exit
  // code, or 128 + the signal's number when a signal ended it (as a shell
  // says). With Output::kLines, also waits (within `timeout`) for its
  // output to end, so output() is complete. A temporary error when it still
  // runs: it is left running.
  Result<int> Wait(Duration timeout);
  // Stops it: SIGTERM, then SIGKILL if it has not exited after `grace`
  // (at once when `grace` is 0); then SIGKILLs what is left of its group
  // and reaps it. Its exit status, as Wait() says it.
  int Kill(Duration grace = kStopGrace);

  // Output::kLines only. The rest of the first line the program printed
  // that is `word`, or starts with `word` and a space; nothing when no such
  // line came within `timeout` or the output ended without one.
  std::optional<std::string> WaitForLine(const std::string& word,
                                         Duration timeout);
  // Everything it printed so far.
  std::string output() const;

 private:
  ChildProcess(std::string name,
               pid_t pid,
               bool leads_group,
               int pidfd,
               int output_fd);

  // True once it has exited (not reaped: its pid, and so its group's id,
  // stays ours until Reap()); false at `deadline`.
  bool WaitForExit(std::chrono::steady_clock::time_point deadline);
  void Reap();
  void ReadOutput();

  const std::string name_;  // argv[0], for messages
  const pid_t pid_;
  const bool leads_group_;
  const int pidfd_;  // -1 where pidfd_open is not available: polls then
  bool exited_ = false;
  bool reaped_ = false;
  int status_ = -1;

  // Output::kLines.
  const int output_fd_;
  std::atomic<bool> stop_reading_ = false;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
  std::string partial_;  // after the last newline
  bool output_ended_ = false;
  std::thread reader_;  // last: started once everything above exists
};

}  // namespace tether::test
