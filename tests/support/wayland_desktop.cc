#include "tests/support/wayland_desktop.h"

#include <fcntl.h>
#include <gio/gio.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "desktop/portal/session_bus.h"
#include "tests/support/child_process.h"

namespace tether::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr auto kStartTimeout = std::chrono::seconds(20);
constexpr auto kStopTimeout = std::chrono::seconds(5);
// How often a start-up step looks again for what it waits for (a socket
// that accepts, a bus name): these programs announce readiness nowhere else.
constexpr auto kPollInterval = std::chrono::milliseconds(10);

constexpr char kPortalBinary[] = "/usr/libexec/xdg-desktop-portal";
constexpr char kPortalGnomeBinary[] = "/usr/libexec/xdg-desktop-portal-gnome";
constexpr char kPortalName[] = "org.freedesktop.portal.Desktop";
constexpr char kPortalPath[] = "/org/freedesktop/portal/desktop";

// What we set ourselves, or what would point a child at another session
// (the machine's, or another fixture's): no child inherits them.
const std::vector<std::string> kSessionVariables = {
    "DBUS_SESSION_BUS_ADDRESS",
    "DBUS_STARTER_ADDRESS",
    "DBUS_STARTER_BUS_TYPE",
    "DISPLAY",
    "GDK_BACKEND",
    "GTK_A11Y",
    "NO_AT_BRIDGE",
    "PIPEWIRE_REMOTE",
    "PIPEWIRE_RUNTIME_DIR",
    "QT_QPA_PLATFORM",
    "WAYLAND_DISPLAY",
    "WAYLAND_SOCKET",
    "XAUTHORITY",
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_CURRENT_DESKTOP",
    "XDG_DATA_HOME",
    "XDG_RUNTIME_DIR",
    "XDG_SESSION_DESKTOP",
    "XDG_SESSION_TYPE",
    "XDG_STATE_HOME",
};

// Every program the desktop runs, and the GNOME portal backend the bus
// starts: without it the portal offers neither RemoteDesktop nor ScreenCast.
const std::vector<std::string>& RequiredPrograms() {
  static const std::vector<std::string> programs = {
      "dbus-daemon", "pipewire",    "wireplumber",
      "mutter",      kPortalBinary, kPortalGnomeBinary};
  return programs;
}

std::string ReadTail(const fs::path& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return "(no log)\n";
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff start =
      size > static_cast<std::streamoff>(max_bytes)
          ? size - static_cast<std::streamoff>(max_bytes)
          : 0;
  in.seekg(start);
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  if (start > 0)
    text = "[...]" + text;
  if (text.empty())
    return "(empty)\n";
  if (text.back() != '\n')
    text += "\n";
  return text;
}

// An exit status as ChildProcess::Wait() gives it, in words.
std::string DescribeStatus(int status) {
  if (status > 128)
    return "killed by signal " + std::to_string(status - 128);
  return "exit code " + std::to_string(status);
}

bool SocketAccepts(const fs::path& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string p = path.string();
  if (p.size() >= sizeof(address.sun_path))
    return false;
  std::memcpy(address.sun_path, p.c_str(), p.size() + 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  const bool ok =
      connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return ok;
}

bool IsMountPoint(const fs::path& path) {
  std::ifstream in("/proc/self/mountinfo");
  const std::string needle = " " + path.string() + " ";
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(needle) != std::string::npos)
      return true;
  }
  return false;
}

using desktop::portal::ConnectToBus;
using VariantPtr = desktop::portal::Variant;

// One method call; `parameters` may be floating (it is consumed). Never
// starts a service: a name nobody owns yet is an error, not an activation
// that would race with the process we start ourselves.
Result<VariantPtr> CallMethod(GDBusConnection* bus,
                              const char* destination,
                              const char* path,
                              const char* interface,
                              const char* method,
                              GVariant* parameters,
                              const char* reply_type,
                              Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - Clock::now());
  const int timeout_ms =
      static_cast<int>(std::clamp<int64_t>(left.count(), 100, 5000));
  GError* error = nullptr;
  GVariant* reply = g_dbus_connection_call_sync(
      bus, destination, path, interface, method, parameters,
      G_VARIANT_TYPE(reply_type), G_DBUS_CALL_FLAGS_NO_AUTO_START, timeout_ms,
      nullptr, &error);
  if (reply == nullptr) {
    std::string message = error->message;
    g_error_free(error);
    return MakeError(std::string(method) + ": " + message);
  }
  return VariantPtr(reply);
}

Result<VariantPtr> BusCall(GDBusConnection* bus,
                           const char* method,
                           GVariant* parameters,
                           const char* reply_type,
                           Clock::time_point deadline) {
  return CallMethod(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                    "org.freedesktop.DBus", method, parameters, reply_type,
                    deadline);
}

bool HasOwner(GDBusConnection* bus,
              const char* name,
              Clock::time_point deadline) {
  auto reply =
      BusCall(bus, "NameHasOwner", g_variant_new("(s)", name), "(b)", deadline);
  if (!reply)
    return false;
  gboolean has = FALSE;
  g_variant_get(reply->get(), "(b)", &has);
  return has;
}

}  // namespace

std::vector<pid_t> LiveProcessesInGroup(pid_t group) {
  std::vector<pid_t> live;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit))
      continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    if (!std::getline(in, stat))
      continue;  // it ended meanwhile
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and ')'.
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos)
      continue;
    std::istringstream fields(stat.substr(paren + 1));
    char state = 0;
    pid_t ppid = 0, pgrp = 0;
    if (!(fields >> state >> ppid >> pgrp))
      continue;
    if (pgrp == group && state != 'Z' && state != 'X')
      live.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return live;
}

bool WaylandDesktop::Available() {
  return MissingPrograms().empty();
}

std::string WaylandDesktop::MissingPrograms() {
  std::string missing;
  for (const std::string& program : RequiredPrograms()) {
    if (ChildProcess::FindProgram(program).empty())
      missing += (missing.empty() ? "" : ", ") + program;
  }
  return missing;
}

Result<std::unique_ptr<WaylandDesktop>> WaylandDesktop::Start(
    const WaylandDesktopOptions& options) {
  if (const std::string missing = MissingPrograms(); !missing.empty()) {
    return MakeError(
        "the Wayland test desktop needs " + missing +
        ", not installed here (scripts/setup installs " +
        (missing.find(',') == std::string::npos ? "it)" : "them)"));
  }
  const auto deadline = Clock::now() + kStartTimeout;
  auto desktop = std::unique_ptr<WaylandDesktop>(new WaylandDesktop);

  // Folders. The runtime folder holds every socket, so its path must fit
  // in sockaddr_un with the longest name we put there.
  std::error_code ec;
  std::string pattern =
      (fs::temp_directory_path(ec) / "tether-wayland-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr)
    return MakeError("cannot create " + pattern + ": " + std::strerror(errno));
  desktop->dir_ = pattern;
  desktop->runtime_dir_ = desktop->dir_ / "run";
  desktop->log_dir_ = desktop->dir_ / "logs";
  for (const char* sub : {"run", "logs", "config", "data", "cache", "state"}) {
    if (mkdir((desktop->dir_ / sub).c_str(), 0700) != 0)
      return MakeError("cannot create a folder in " + pattern);
  }
  static std::atomic<int> counter{0};
  desktop->wayland_display_ = "tether-wayland-" + std::to_string(getpid()) +
                              "-" + std::to_string(counter++);
  if ((desktop->runtime_dir_ / desktop->wayland_display_).string().size() +
          sizeof(".lock") >
      sizeof(sockaddr_un{}.sun_path)) {
    return MakeError("the temporary folder's path is too long for sockets: " +
                     pattern);
  }

  // What every process gets: private XDG folders (WirePlumber's state,
  // the permission store, dconf: parallel desktops must not share them),
  // no accessibility bus (GTK would start at-spi and a second dbus-daemon
  // for nothing), and none of this machine's session.
  ChildProcess::Environment env = {
      {"XDG_RUNTIME_DIR", desktop->runtime_dir_.string()},
      {"XDG_CONFIG_HOME", (desktop->dir_ / "config").string()},
      {"XDG_DATA_HOME", (desktop->dir_ / "data").string()},
      {"XDG_CACHE_HOME", (desktop->dir_ / "cache").string()},
      {"XDG_STATE_HOME", (desktop->dir_ / "state").string()},
      {"NO_AT_BRIDGE", "1"},
      {"GTK_A11Y", "none"},
  };

  // `last_error`, when given, says what the last look found.
  auto wait_until =
      [&](const std::string& what, const std::function<bool()>& ready,
          const std::string* last_error = nullptr) -> Result<void> {
    while (true) {
      if (ready())
        return {};
      TETHER_RETURN_IF_ERROR(desktop->CheckRunning());
      if (Clock::now() >= deadline) {
        return MakeError(
            what + " within " + std::to_string(kStartTimeout.count()) + " s" +
            (last_error != nullptr ? " (last: " + *last_error + ")" : "") +
            "\n" + desktop->LogTails());
      }
      std::this_thread::sleep_for(kPollInterval);
    }
  };

  // The bus, on a socket in the runtime folder (no abstract socket, nothing
  // in /tmp); it prints its address once it accepts connections.
  std::string bus_config = "--session";
  if (options.bus_for_any_user) {
    // The session bus's own configuration, and every user allowed in.
    const fs::path config = desktop->dir_ / "bus.conf";
    std::ofstream(config)
        << "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus "
           "Configuration 1.0//EN\"\n"
           " \"http://www.freedesktop.org/standards/dbus/1.0/"
           "busconfig.dtd\">\n"
           "<busconfig>\n"
           "  <include>/usr/share/dbus-1/session.conf</include>\n"
           "  <policy context=\"default\"><allow user=\"*\"/></policy>\n"
           "</busconfig>\n";
    bus_config = "--config-file=" + config.string();
  }
  int address_pipe[2];
  if (pipe2(address_pipe, O_CLOEXEC) != 0)
    return MakeError("pipe failed");
  auto spawned = desktop->Spawn(
      "dbus-daemon",
      {"dbus-daemon", bus_config, "--nofork",
       "--address=unix:path=" + (desktop->runtime_dir_ / "bus").string(),
       "--print-address=3"},
      env, address_pipe[1]);
  close(address_pipe[1]);
  if (!spawned) {
    close(address_pipe[0]);
    return Unexpected(std::move(spawned).error());
  }
  std::string address;
  while (address.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    pollfd p{address_pipe[0], POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) == 0) {
      close(address_pipe[0]);
      return MakeError("dbus-daemon printed no address within " +
                       std::to_string(kStartTimeout.count()) + " s\n" +
                       desktop->LogTails());
    }
    char buf[256];
    const ssize_t n = read(address_pipe[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      close(address_pipe[0]);
      TETHER_RETURN_IF_ERROR(desktop->CheckRunning());
      return MakeError("dbus-daemon closed its address pipe\n" +
                       desktop->LogTails());
    }
    address.append(buf, static_cast<size_t>(n));
  }
  close(address_pipe[0]);
  desktop->bus_address_ = address.substr(0, address.find('\n'));
  TETHER_TRY(connection, ConnectToBus(desktop->bus_address_));
  GDBusConnection* const bus = connection->get();

  // The session's own programs see the bus and the desktop's name, as in a
  // GNOME session; only the portal needs the compositor (below).
  env.emplace_back("DBUS_SESSION_BUS_ADDRESS", desktop->bus_address_);
  env.emplace_back("XDG_CURRENT_DESKTOP", "GNOME");
  env.emplace_back("XDG_SESSION_TYPE", "wayland");

  TETHER_RETURN_IF_ERROR(desktop->Spawn("pipewire", {"pipewire"}, env));
  TETHER_RETURN_IF_ERROR(wait_until("pipewire did not accept connections", [&] {
    return SocketAccepts(desktop->runtime_dir_ / "pipewire-0");
  }));
  // WirePlumber announces nowhere that it is ready. What it does (link
  // nodes, grant a portal client access to the nodes the portal allowed)
  // is needed only once a screen cast stream is opened, long after Start();
  // CheckRunning() at the end catches one that failed at once.
  TETHER_RETURN_IF_ERROR(desktop->Spawn("wireplumber", {"wireplumber"}, env));

  const std::string monitor =
      std::to_string(options.width) + "x" + std::to_string(options.height);
  TETHER_RETURN_IF_ERROR(desktop->Spawn(
      "mutter",
      {"mutter", "--headless", "--virtual-monitor", monitor, "--no-x11",
       "--wayland-display=" + desktop->wayland_display_},
      env));
  // xdg-desktop-portal-gnome needs both the Wayland socket and mutter's
  // ScreenCast and RemoteDesktop services (the portals are built on them).
  TETHER_RETURN_IF_ERROR(wait_until(
      "mutter did not offer its Wayland display and its "
      "ScreenCast and RemoteDesktop services",
      [&] {
        return SocketAccepts(desktop->runtime_dir_ /
                             desktop->wayland_display_) &&
               HasOwner(bus, "org.gnome.Mutter.ScreenCast", deadline) &&
               HasOwner(bus, "org.gnome.Mutter.RemoteDesktop", deadline);
      }));

  // The services the bus starts on demand (xdg-desktop-portal-gnome first
  // of all) inherit the bus's environment, which was made before the
  // compositor existed: tell the bus, as gnome-shell does once it is up.
  // Without it xdg-desktop-portal-gnome fails with "cannot open display".
  const std::vector<std::pair<std::string, std::string>> session =
      desktop->Environment();
  GVariantBuilder vars;
  g_variant_builder_init(&vars, G_VARIANT_TYPE("a{ss}"));
  for (const auto& [name, value] : session)
    g_variant_builder_add(&vars, "{ss}", name.c_str(), value.c_str());
  if (auto updated = BusCall(bus, "UpdateActivationEnvironment",
                             g_variant_new("(a{ss})", &vars), "()", deadline);
      !updated) {
    return MakeError("the bus refused the session's environment: " +
                     updated.error().message);
  }

  env.emplace_back("WAYLAND_DISPLAY", desktop->wayland_display_);
  // -r: should the bus have started a portal on demand meanwhile, ours
  // takes the name over and that one quits.
  TETHER_RETURN_IF_ERROR(
      desktop->Spawn("xdg-desktop-portal", {kPortalBinary, "-r"}, env));
  const pid_t portal_pid = desktop->children_.back().process->pid();
  // Ours, not another instance, must own the name: then its interfaces are
  // exported (it exports them before it asks for the name).
  std::string last_error = "no answer yet";
  TETHER_RETURN_IF_ERROR(wait_until(
      "xdg-desktop-portal did not answer the RemoteDesktop version property",
      [&] {
        auto owner =
            BusCall(bus, "GetConnectionUnixProcessID",
                    g_variant_new("(s)", kPortalName), "(u)", deadline);
        if (!owner) {
          last_error = owner.error().message;
          return false;
        }
        guint32 pid = 0;
        g_variant_get(owner->get(), "(u)", &pid);
        if (static_cast<pid_t>(pid) != portal_pid) {
          last_error = std::string(kPortalName) + " is owned by pid " +
                       std::to_string(pid) + ", not ours";
          return false;
        }
        auto version = CallMethod(
            bus, kPortalName, kPortalPath, "org.freedesktop.DBus.Properties",
            "Get",
            g_variant_new("(ss)", "org.freedesktop.portal.RemoteDesktop",
                          "version"),
            "(v)", deadline);
        if (!version) {
          last_error = version.error().message;
          return false;
        }
        return true;
      },
      &last_error));
  TETHER_RETURN_IF_ERROR(desktop->CheckRunning());
  return desktop;
}

WaylandDesktop::~WaylandDesktop() {
  Stop();
}

Result<void> WaylandDesktop::Spawn(const std::string& name,
                                   std::vector<std::string> argv,
                                   const ChildProcess::Environment& environment,
                                   int address_fd) {
  ChildProcess::Options options = {
      .argv = std::move(argv),
      .environment = environment,
      .unset_environment = kSessionVariables,
      .output = ChildProcess::Output::kAppendToFile,
      .output_file = log_dir_ / (name + ".log"),
      // One process group for the whole desktop, the services the bus
      // starts included: the destructor signals the group, so nothing is
      // left.
      .process_group = std::max<pid_t>(process_group_, 0),
      // A test that crashes or is killed takes the desktop with it; the
      // services the bus started quit once the bus is gone.
      .death_signal = SIGTERM,
  };
  if (address_fd >= 0)
    options.pass_fds = {{3, address_fd}};
  auto process = ChildProcess::Start(std::move(options));
  if (!process)
    return MakeError(name + ": " + process.error().message);
  if (process_group_ <= 0)
    process_group_ = (*process)->pid();
  children_.push_back(Child{name, std::move(*process)});
  return {};
}

Result<void> WaylandDesktop::CheckChild(Child& child) {
  auto status = child.process->Wait(std::chrono::milliseconds(0));
  if (!status)
    return {};  // still runs
  return MakeError(child.name + " exited (" + DescribeStatus(*status) + "); " +
                   child.name + ".log ends:\n" + Tail(child.name, 3000));
}

Result<void> WaylandDesktop::CheckRunning() {
  for (Child& child : children_)
    TETHER_RETURN_IF_ERROR(CheckChild(child));
  return {};
}

std::vector<pid_t> WaylandDesktop::pids() const {
  std::vector<pid_t> pids;
  for (const Child& child : children_)
    pids.push_back(child.process->pid());
  return pids;
}

std::string WaylandDesktop::Tail(const std::string& name,
                                 size_t max_bytes) const {
  return ReadTail(log_dir_ / (name + ".log"), max_bytes);
}

std::string WaylandDesktop::LogTails(size_t max_bytes_per_log) const {
  std::vector<fs::path> logs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(log_dir_, ec))
    logs.push_back(entry.path());
  std::sort(logs.begin(), logs.end());
  std::string text;
  for (const fs::path& log : logs) {
    text += "---- " + log.string() + " ----\n";
    text += ReadTail(log, max_bytes_per_log);
  }
  return text;
}

std::vector<std::pair<std::string, std::string>> WaylandDesktop::Environment()
    const {
  return {
      {"DBUS_SESSION_BUS_ADDRESS", bus_address_},
      {"XDG_RUNTIME_DIR", runtime_dir_.string()},
      {"WAYLAND_DISPLAY", wayland_display_},
      {"XDG_CURRENT_DESKTOP", "GNOME"},
      {"XDG_SESSION_TYPE", "wayland"},
  };
}

void WaylandDesktop::ApplyToThisProcess() const {
  for (const auto& [name, value] : Environment())
    setenv(name.c_str(), value.c_str(), 1);
  unsetenv("DISPLAY");
}

void WaylandDesktop::Stop() {
  const auto deadline = Clock::now() + kStopTimeout;
  // All at once: the portal, its backends, mutter, PipeWire and the bus
  // each shut down on SIGTERM, and nothing needs another to do so. The
  // bus leads the group, so the whole group hears it; each other child
  // too, in case its setpgid failed (the bus had already died).
  for (Child& child : children_)
    child.process->Signal(SIGTERM);
  for (Child& child : children_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    if (!child.process->Wait(std::max(left, std::chrono::milliseconds(0))))
      child.process->Kill(std::chrono::milliseconds(0));
  }
  // The services the bus started are not our children (the bus
  // double-forks them): wait for the group to empty, then kill what is left.
  if (process_group_ > 0) {
    while (!LiveProcessesInGroup(process_group_).empty() &&
           Clock::now() < deadline) {
      std::this_thread::sleep_for(kPollInterval);
    }
    if (!LiveProcessesInGroup(process_group_).empty()) {
      kill(-process_group_, SIGKILL);
      const auto kill_deadline = Clock::now() + std::chrono::seconds(2);
      while (!LiveProcessesInGroup(process_group_).empty() &&
             Clock::now() < kill_deadline) {
        std::this_thread::sleep_for(kPollInterval);
      }
    }
  }
  children_.clear();  // reaps them
  if (dir_.empty())
    return;
  // xdg-document-portal mounts a FUSE file system on <runtime>/doc; its
  // fusermount3 helper (in a session of its own) unmounts it once the
  // portal is gone. Removing the folder before that fails.
  const fs::path doc = runtime_dir_ / "doc";
  const auto unmount_deadline = Clock::now() + std::chrono::seconds(2);
  while (IsMountPoint(doc) && Clock::now() < unmount_deadline)
    std::this_thread::sleep_for(kPollInterval);
  if (IsMountPoint(doc))
    umount2(doc.c_str(), MNT_DETACH);
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

// ---- WaylandTestWindow ----

fs::path WaylandTestWindow::Binary() {
  const char* dir = std::getenv("TETHER_TEST_BIN_DIR");
  return fs::path(dir ? dir : "../build/release/bin") / "wayland_test_window";
}

Result<std::unique_ptr<WaylandTestWindow>> WaylandTestWindow::Start(
    const WaylandDesktop& desktop,
    const std::vector<std::string>& args) {
  const std::string binary = Binary().string();
  if (access(binary.c_str(), X_OK) != 0)
    return MakeError(binary + " is not built");
  auto window = std::unique_ptr<WaylandTestWindow>(new WaylandTestWindow);
  static std::atomic<int> counter{0};
  window->log_ = desktop.log_dir() /
                 ("wayland_test_window-" + std::to_string(counter++) + ".log");

  // Wayland or nothing: a test process that uses the offscreen platform
  // for its own widgets must not pass that on.
  ChildProcess::Environment env = desktop.Environment();
  env.emplace_back("QT_QPA_PLATFORM", "wayland");
  std::vector<std::string> argv = {binary};
  argv.insert(argv.end(), args.begin(), args.end());

  // One socket for stdin and stdout: a socket, unlike a pipe, can be
  // written with MSG_NOSIGNAL, so a window that died fails Send() instead
  // of killing the test with SIGPIPE.
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    return MakeError("socketpair failed");
  auto process = ChildProcess::Start({
      .argv = std::move(argv),
      .environment = std::move(env),
      .unset_environment = kSessionVariables,
      .output = ChildProcess::Output::kAppendToFile,
      .output_file = window->log_,  // its stderr: stdout is the socket
      .pass_fds = {{STDIN_FILENO, fds[1]}, {STDOUT_FILENO, fds[1]}},
      // In the desktop's group, so the desktop's destructor stops a window
      // a test forgot.
      .process_group = desktop.process_group(),
      .death_signal = SIGTERM,
  });
  close(fds[1]);
  if (!process) {
    close(fds[0]);
    return Unexpected(std::move(process).error());
  }
  window->process_ = std::move(*process);
  window->stdin_fd_ = fds[0];
  window->stdout_fd_ = fds[0];
  return window;
}

WaylandTestWindow::~WaylandTestWindow() {
  if (stdout_fd_ >= 0)
    shutdown(stdout_fd_, SHUT_WR);  // end of its stdin: it quits
  if (process_ && !process_->Wait(kStopTimeout))
    process_->Kill(std::chrono::milliseconds(0));
  process_.reset();
  if (stdout_fd_ >= 0)
    close(stdout_fd_);
}

pid_t WaylandTestWindow::pid() const {
  return process_->pid();
}

Result<std::string> WaylandTestWindow::ReadLine(Duration timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (const size_t nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    pollfd p{stdout_fd_, POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) == 0) {
      return MakeError("wayland_test_window printed no line within " +
                       std::to_string(timeout.count()) + " ms; its log:\n" +
                       Log());
    }
    char buf[4096];
    const ssize_t n = read(stdout_fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      return MakeError(
          "wayland_test_window closed its output (exited?); "
          "its log:\n" +
          Log());
    }
    buffer_.append(buf, static_cast<size_t>(n));
  }
}

Result<void> WaylandTestWindow::WaitForLine(const std::string& line,
                                            Duration timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string skipped;
  while (true) {
    const auto left =
        std::max(Duration(0),
                 std::chrono::duration_cast<Duration>(deadline - Clock::now()));
    auto next = ReadLine(left);
    if (!next) {
      return MakeError(
          "no \"" + line + "\" from wayland_test_window" +
          (skipped.empty() ? "" : " (it printed: " + skipped + ")") + ": " +
          next.error().message);
    }
    if (*next == line)
      return {};
    skipped += (skipped.empty() ? "" : " | ") + *next;
  }
}

std::string WaylandTestWindow::NextLineStartingWith(const std::string& prefix,
                                                    Duration timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    auto line =
        ReadLine(std::max(Duration(0), std::chrono::duration_cast<Duration>(
                                           deadline - Clock::now())));
    if (!line)
      return "";
    if (line->rfind(prefix, 0) == 0)
      return *line;
  }
  return "";
}

Result<void> WaylandTestWindow::Send(const std::string& line) {
  const std::string data = line + "\n";
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n =
        send(stdin_fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return MakeError("cannot write to wayland_test_window: " +
                       std::string(std::strerror(errno)));
    sent += static_cast<size_t>(n);
  }
  return {};
}

std::string WaylandTestWindow::Log() const {
  return ReadTail(log_, 4000);
}

}  // namespace tether::test
