#include "tests/fakes/xvfb_display.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <xcb/xcb.h>

#include <chrono>
#include <thread>

#include "tests/support/child_process.h"

namespace tether::test {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kStartTimeout = std::chrono::seconds(15);
constexpr auto kStopTimeout = std::chrono::seconds(5);

}  // namespace

bool XvfbDisplay::Available() {
  return !ChildProcess::FindProgram("Xvfb").empty();
}

Result<std::unique_ptr<XvfbDisplay>> XvfbDisplay::Start(
    const XvfbOptions& options) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return MakeError("pipe failed");
  const std::string screen = std::to_string(options.width) + "x" +
                             std::to_string(options.height) + "x24";
  std::vector<std::string> args = {"Xvfb", "-displayfd", "3",   "-screen", "0",
                                   screen, "-nolisten",  "tcp", "-noreset"};
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  // A test that crashes or is killed takes its display with it (an
  // orphaned Xvfb would keep whatever it inherited, e.g. a build lock).
  auto process =
      ChildProcess::Start({.argv = std::move(args), .pass_fds = {{3, fds[1]}}});
  close(fds[1]);
  if (!process) {
    close(fds[0]);
    return Unexpected(std::move(process).error());
  }

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
  if (!done || number.empty())
    return MakeError("Xvfb did not start");
  auto display = std::unique_ptr<XvfbDisplay>(
      new XvfbDisplay(std::move(*process), ":" + number));

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

XvfbDisplay::XvfbDisplay(std::unique_ptr<ChildProcess> process,
                         std::string name)
    : process_(std::move(process)), name_(std::move(name)) {}

XvfbDisplay::~XvfbDisplay() {
  process_->Kill(kStopTimeout);
}

}  // namespace tether::test
