#pragma once

// A private GNOME Wayland desktop for one test: its own session bus,
// PipeWire, WirePlumber, a headless mutter with one virtual monitor, and
// xdg-desktop-portal (with xdg-desktop-portal-gnome, which the bus starts on
// demand), so the portal/PipeWire backend is tested against the same
// RemoteDesktop and ScreenCast portals a GNOME user has. And the test window
// (tests/tools/wayland_test_window.cc) that runs on it and reports the input
// it receives.
//
// Nothing is shared between two desktops: each has its own temporary folder
// (XDG_RUNTIME_DIR, config, data, logs), a bus on a socket in it and its own
// Wayland display name, so test binaries can run them in parallel.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace tether::test {

class ChildProcess;

struct WaylandDesktopOptions {
  // The virtual monitor's size in pixels.
  int width = 1280;
  int height = 720;
  // Whether the bus lets in any user, not only the one it runs as (a
  // session bus's rule), for an app run as another user in another root
  // (scripts/bundle-test); the runtime folder (0700) still keeps everyone
  // out who is not given its sockets.
  bool bus_for_any_user = false;
};

// Start() returns once xdg-desktop-portal answers on the bus; the destructor
// stops every process the desktop started, the ones the bus started for it
// included, and removes its folder. Every wait is bounded.
//
// Its processes die with the thread that called Start() (PR_SET_PDEATHSIG
// follows the forking thread), so start it on a thread that outlives it,
// e.g. the test's own.
class WaylandDesktop {
 public:
  // Whether every program the desktop runs is installed.
  static bool Available();
  // The programs that are not ("mutter, wireplumber"), empty when none.
  static std::string MissingPrograms();

  static Result<std::unique_ptr<WaylandDesktop>> Start(
      const WaylandDesktopOptions& options = {});

  ~WaylandDesktop();
  WaylandDesktop(const WaylandDesktop&) = delete;
  WaylandDesktop& operator=(const WaylandDesktop&) = delete;

  // "unix:path=<runtime_dir>/bus,guid=...", for
  // g_dbus_connection_new_for_address_sync or DBUS_SESSION_BUS_ADDRESS.
  const std::string& bus_address() const { return bus_address_; }
  // Private, 0700; holds the bus, PipeWire's and the compositor's sockets.
  const std::filesystem::path& runtime_dir() const { return runtime_dir_; }
  // The compositor's socket name in runtime_dir(), for WAYLAND_DISPLAY.
  const std::string& wayland_display() const { return wayland_display_; }
  // One "<program>.log" per process (stdout and stderr). dbus-daemon.log
  // also has what the services the bus started wrote, e.g.
  // xdg-desktop-portal-gnome's. Removed by the destructor.
  const std::filesystem::path& log_dir() const { return log_dir_; }
  // The end of every log, each under its name: for a failing test's message.
  std::string LogTails(size_t max_bytes_per_log = 3000) const;

  // What the code under test needs to find this desktop: set each with
  // setenv() before creating it. DISPLAY is not in the list but must be
  // unset: the desktop has no X server (mutter runs with --no-x11), and a
  // DISPLAY inherited from the machine or left by an Xvfb fixture would make
  // Qt or GTK talk to that X server instead.
  std::vector<std::pair<std::string, std::string>> Environment() const;
  // Applies Environment() to this process and unsets DISPLAY. setenv is not
  // thread-safe: call it before starting threads that read the environment.
  // With two desktops, the last one applied wins.
  void ApplyToThisProcess() const;

  // The processes it started itself (dbus-daemon, pipewire, wireplumber,
  // mutter, xdg-desktop-portal), all in process_group(), with the ones the
  // bus starts for it (portal backends, permission store...).
  std::vector<pid_t> pids() const;
  pid_t process_group() const { return process_group_; }

  // Fails, naming it and with its log's end, when a process the desktop
  // started has exited.
  Result<void> CheckRunning();

 private:
  struct Child {
    std::string name;  // also its log's name
    std::unique_ptr<ChildProcess> process;
  };

  WaylandDesktop() = default;

  // Starts `argv` with `environment` on top of this process's (none of
  // this machine's session), its output in <name>.log; `address_fd`, if
  // any, is its fd 3.
  Result<void> Spawn(
      const std::string& name,
      std::vector<std::string> argv,
      const std::vector<std::pair<std::string, std::string>>& environment,
      int address_fd = -1);
  // Fails when the named process has exited (and reaps it).
  Result<void> CheckChild(Child& child);
  std::string Tail(const std::string& name, size_t max_bytes) const;
  void Stop();

  std::filesystem::path dir_;
  std::filesystem::path runtime_dir_;
  std::filesystem::path log_dir_;
  std::string bus_address_;
  std::string wayland_display_;
  pid_t process_group_ = -1;
  std::vector<Child> children_;
};

// The processes in process group `group` that still run (zombies, which
// only wait for their parent to reap them, are not counted), read from
// /proc: the desktop's left-overs, for instance.
std::vector<pid_t> LiveProcessesInGroup(pid_t group);

// The test window (tests/tools/wayland_test_window.cc) on a WaylandDesktop,
// talked to through its stdin and stdout. Lines it prints: "ready" once its
// first frame is on the compositor, then one per input event ("motion X Y",
// "button N pressed|released", "scroll DX DY", "key KEYSYM
// pressed|released", "text T") and "filled" once a fill it was sent is on
// the compositor.
class WaylandTestWindow {
 public:
  using Duration = std::chrono::milliseconds;

  // The program, from TETHER_TEST_BIN_DIR like the other test programs.
  static std::filesystem::path Binary();

  // Starts it with `args` (e.g. {"--fullscreen", "--colour", "ff0000"});
  // does not wait for "ready". Its stderr goes to the desktop's log_dir().
  static Result<std::unique_ptr<WaylandTestWindow>> Start(
      const WaylandDesktop& desktop,
      const std::vector<std::string>& args);
  ~WaylandTestWindow();  // closes its stdin (it quits), then stops it
  WaylandTestWindow(const WaylandTestWindow&) = delete;
  WaylandTestWindow& operator=(const WaylandTestWindow&) = delete;

  // The next line it printed, without the newline; fails after `timeout`
  // or when it exits.
  Result<std::string> ReadLine(Duration timeout = std::chrono::seconds(10));
  // Reads lines until one equals `line`; fails after `timeout`, with the
  // lines skipped.
  Result<void> WaitForLine(const std::string& line,
                           Duration timeout = std::chrono::seconds(10));
  // The next line that starts with `prefix` ("motion", "key 97"), the
  // others skipped; empty after `timeout` or when it exits.
  std::string NextLineStartingWith(const std::string& prefix,
                                   Duration timeout = std::chrono::seconds(5));
  // Sends one command line, e.g. "fill 0 0 100 100 00ff00".
  Result<void> Send(const std::string& line);

  pid_t pid() const;
  // Its stderr (Qt's warnings), for a failing test's message.
  std::string Log() const;

 private:
  WaylandTestWindow() = default;

  std::unique_ptr<ChildProcess> process_;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;  // read but not yet returned
  std::filesystem::path log_;
};

}  // namespace tether::test
