#include "tests/fakes/xvfb_display.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xcb/xcb.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <thread>

namespace tether::test {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kStartTimeout = std::chrono::seconds(15);
constexpr auto kStopTimeout = std::chrono::seconds(5);

void StopProcess(pid_t pid) {
  kill(pid, SIGTERM);
  const auto deadline = Clock::now() + kStopTimeout;
  while (Clock::now() < deadline) {
    if (waitpid(pid, nullptr, WNOHANG) == pid)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

}  // namespace

bool XvfbDisplay::Available() {
  const char* path = std::getenv("PATH");
  if (path == nullptr)
    return false;
  std::string_view rest(path);
  while (!rest.empty()) {
    const size_t colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    if (!dir.empty() && access((dir + "/Xvfb").c_str(), X_OK) == 0)
      return true;
    if (colon == std::string_view::npos)
      break;
    rest.remove_prefix(colon + 1);
  }
  return false;
}

Result<std::unique_ptr<XvfbDisplay>> XvfbDisplay::Start(
    const XvfbOptions& options) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return MakeError("pipe failed");
  const std::string fd_arg = std::to_string(fds[1]);
  const std::string screen = std::to_string(options.width) + "x" +
                             std::to_string(options.height) + "x24";
  std::vector<std::string> args = {"Xvfb", "-displayfd", fd_arg, "-screen", "0",
                                   screen, "-nolisten",  "tcp",  "-noreset"};
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  std::vector<char*> argv;
  for (std::string& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return MakeError("fork failed");
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    // A test that crashes or is killed takes its display with it (an
    // orphaned Xvfb would keep whatever it inherited, e.g. a build lock).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(127);
    fcntl(fds[1], F_SETFD, 0);  // keep the display fd across exec
    const int null_fd = open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
      dup2(null_fd, STDIN_FILENO);
      dup2(null_fd, STDOUT_FILENO);
      dup2(null_fd, STDERR_FILENO);
    }
    execvp("Xvfb", argv.data());
    _exit(127);
  }
  close(fds[1]);

  // Xvfb writes "N\n" once it accepts connections.
  std::string number;
  const auto deadline = Clock::now() + kStartTimeout;
  bool done = false;
  while (!done) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    if (left.count() <= 0)
      break;
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0)
      continue;
    char buf[16];
    const ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n <= 0)
      break;  // Xvfb exited
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] == '\n') {
        done = true;
        break;
      }
      number.push_back(buf[i]);
    }
  }
  close(fds[0]);
  if (!done || number.empty()) {
    StopProcess(pid);
    return MakeError("Xvfb did not start");
  }
  auto display =
      std::unique_ptr<XvfbDisplay>(new XvfbDisplay(pid, ":" + number));

  // Belt and braces: make sure a client can connect.
  while (true) {
    xcb_connection_t* c = xcb_connect(display->name().c_str(), nullptr);
    const bool ok = xcb_connection_has_error(c) == 0;
    xcb_disconnect(c);
    if (ok)
      break;
    if (Clock::now() > deadline)
      return MakeError("Xvfb refuses connections");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return display;
}

XvfbDisplay::~XvfbDisplay() {
  StopProcess(pid_);
}

}  // namespace tether::test
