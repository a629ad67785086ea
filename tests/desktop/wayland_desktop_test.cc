// The private GNOME Wayland desktop the portal/PipeWire backend is tested
// on (tests/support/wayland_desktop.h): its portal offers what the backend
// needs, the test window runs on it, two run side by side, and nothing of
// one outlives it. These never skip: scripts/setup installs everything.

#include "tests/support/wayland_desktop.h"

#include <gio/gio.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "desktop/portal/session_bus.h"

namespace tether::test {
namespace {

// ScreenCast's AvailableSourceTypes and RemoteDesktop's
// AvailableDeviceTypes bits (org.freedesktop.portal.ScreenCast and
// .RemoteDesktop).
constexpr uint32_t kSourceMonitor = 1;
constexpr uint32_t kDeviceKeyboard = 1;
constexpr uint32_t kDevicePointer = 2;

// A portal property read as a client would, over the desktop's bus.
Result<uint32_t> PortalUint32(const WaylandDesktop& desktop,
                              const char* interface,
                              const char* property) {
  TETHER_TRY(connection, desktop::portal::ConnectToBus(desktop.bus_address()));
  GError* error = nullptr;
  GVariant* reply = g_dbus_connection_call_sync(
      connection->get(), "org.freedesktop.portal.Desktop",
      "/org/freedesktop/portal/desktop", "org.freedesktop.DBus.Properties",
      "Get", g_variant_new("(ss)", interface, property), G_VARIANT_TYPE("(v)"),
      G_DBUS_CALL_FLAGS_NONE, 5000, nullptr, &error);
  if (reply == nullptr) {
    return MakeError(std::string(interface) + "." + property + ": " +
                     desktop::portal::TakeMessage(error));
  }
  GVariant* value = nullptr;
  g_variant_get(reply, "(v)", &value);
  g_variant_unref(reply);
  if (!g_variant_is_of_type(value, G_VARIANT_TYPE_UINT32)) {
    std::string type = g_variant_get_type_string(value);
    g_variant_unref(value);
    return MakeError(std::string(property) + " is a " + type);
  }
  const uint32_t number = g_variant_get_uint32(value);
  g_variant_unref(value);
  return number;
}

bool ProcessGone(pid_t pid) {
  return kill(pid, 0) != 0 && errno == ESRCH;
}

TEST(WaylandDesktopTest, PortalOffersRemoteDesktopAndMonitorScreenCast) {
  auto desktop = WaylandDesktop::Start();
  ASSERT_TRUE(desktop.has_value()) << desktop.error().message;
  WaylandDesktop& d = **desktop;

  auto version =
      PortalUint32(d, "org.freedesktop.portal.RemoteDesktop", "version");
  ASSERT_TRUE(version.has_value()) << version.error().message << "\n"
                                   << d.LogTails();
  EXPECT_GE(*version, 1u);

  auto devices = PortalUint32(d, "org.freedesktop.portal.RemoteDesktop",
                              "AvailableDeviceTypes");
  ASSERT_TRUE(devices.has_value()) << devices.error().message;
  EXPECT_EQ(*devices & (kDeviceKeyboard | kDevicePointer),
            kDeviceKeyboard | kDevicePointer);

  auto sources = PortalUint32(d, "org.freedesktop.portal.ScreenCast",
                              "AvailableSourceTypes");
  ASSERT_TRUE(sources.has_value()) << sources.error().message << "\n"
                                   << d.LogTails();
  EXPECT_NE(*sources & kSourceMonitor, 0u)
      << "AvailableSourceTypes " << *sources;
  EXPECT_TRUE(d.CheckRunning().has_value());
}

TEST(WaylandDesktopTest, TestWindowSaysReadyOnceOnTheCompositor) {
  auto desktop = WaylandDesktop::Start();
  ASSERT_TRUE(desktop.has_value()) << desktop.error().message;

  auto window = WaylandTestWindow::Start(
      **desktop, {"--fullscreen", "--colour", "ff0000"});
  ASSERT_TRUE(window.has_value()) << window.error().message;
  auto ready = (*window)->WaitForLine("ready");
  EXPECT_TRUE(ready.has_value()) << ready.error().message << "\n"
                                 << (*desktop)->LogTails();
}

TEST(WaylandDesktopTest, TestWindowSaysFilledOnceAFillIsOnTheCompositor) {
  auto desktop = WaylandDesktop::Start();
  ASSERT_TRUE(desktop.has_value()) << desktop.error().message;
  auto window = WaylandTestWindow::Start(**desktop, {"--size", "200x100"});
  ASSERT_TRUE(window.has_value()) << window.error().message;
  auto ready = (*window)->WaitForLine("ready");
  ASSERT_TRUE(ready.has_value()) << ready.error().message;

  ASSERT_TRUE((*window)->Send("fill 10 10 50 50 00ff00").has_value());
  auto filled = (*window)->ReadLine();
  ASSERT_TRUE(filled.has_value()) << filled.error().message;
  EXPECT_EQ(*filled, "filled");
}

TEST(WaylandDesktopTest, TwoDesktopsRunAtOnce) {
  auto first = WaylandDesktop::Start();
  ASSERT_TRUE(first.has_value()) << first.error().message;
  auto second = WaylandDesktop::Start({.width = 800, .height = 600});
  ASSERT_TRUE(second.has_value()) << second.error().message;

  EXPECT_NE((*first)->bus_address(), (*second)->bus_address());
  EXPECT_NE((*first)->runtime_dir(), (*second)->runtime_dir());
  EXPECT_NE((*first)->wayland_display(), (*second)->wayland_display());
  EXPECT_NE((*first)->process_group(), (*second)->process_group());
  for (const auto* d : {first->get(), second->get()}) {
    auto version =
        PortalUint32(*d, "org.freedesktop.portal.RemoteDesktop", "version");
    EXPECT_TRUE(version.has_value()) << version.error().message;
    auto window = WaylandTestWindow::Start(*d, {"--fullscreen"});
    ASSERT_TRUE(window.has_value()) << window.error().message;
    auto ready = (*window)->WaitForLine("ready");
    EXPECT_TRUE(ready.has_value()) << ready.error().message;
  }
  EXPECT_TRUE((*first)->CheckRunning().has_value());
  EXPECT_TRUE((*second)->CheckRunning().has_value());
}

TEST(WaylandDesktopTest, DestructorLeavesNoProcessBehind) {
  auto desktop = WaylandDesktop::Start();
  ASSERT_TRUE(desktop.has_value()) << desktop.error().message;
  {
    // A client on it, and the portal's backends started by the bus.
    auto window = WaylandTestWindow::Start(**desktop, {"--fullscreen"});
    ASSERT_TRUE(window.has_value()) << window.error().message;
    ASSERT_TRUE((*window)->WaitForLine("ready").has_value());
  }
  const std::vector<pid_t> pids = (*desktop)->pids();
  const pid_t group = (*desktop)->process_group();
  const std::filesystem::path dir = (*desktop)->runtime_dir().parent_path();
  ASSERT_EQ(pids.size(), 5u);  // bus, pipewire, wireplumber, mutter, portal
  // More than ours: the ones the bus started (xdg-desktop-portal-gnome...)
  // are in the group too, and must go as well.
  ASSERT_GT(LiveProcessesInGroup(group).size(), pids.size());

  desktop->reset();

  for (pid_t pid : pids)
    EXPECT_TRUE(ProcessGone(pid)) << "pid " << pid << " still exists";
  EXPECT_TRUE(LiveProcessesInGroup(group).empty());
  EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
}

}  // namespace
}  // namespace tether::test
