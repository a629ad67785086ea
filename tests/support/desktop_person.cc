#include "tests/support/desktop_person.h"

#include <gio/gio.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>
#include <vector>

#include "desktop/portal/pipewire_stream.h"

namespace tether::test {
namespace {

constexpr char kRemoteDesktop[] = "org.gnome.Mutter.RemoteDesktop";
constexpr char kScreenCast[] = "org.gnome.Mutter.ScreenCast";
constexpr int kBtnLeft = 0x110;
constexpr uint32_t kShiftLeft = 0xFFE1;  // XK_Shift_L

std::string TakeMessage(GError* error) {
  std::string message = error ? error->message : "unknown error";
  if (error)
    g_error_free(error);
  return message;
}

}  // namespace

struct DesktopPerson::Impl {
  GDBusConnection* bus = nullptr;
  GMainContext* context = g_main_context_new();
  std::string remote_desktop;  // session object paths
  std::string screen_cast;
  std::string stream_path;
  uint32_t node = 0;
  std::unique_ptr<desktop::portal::PipeWireStream> eyes;
  bool keyboard_warm = false;  // the warm-up Shift tap happened

  ~Impl() {
    eyes.reset();
    if (bus) {
      if (auto stopped =
              Call(kRemoteDesktop, remote_desktop,
                   "org.gnome.Mutter.RemoteDesktop.Session", "Stop", nullptr)) {
        g_variant_unref(*stopped);
      }
      g_dbus_connection_close_sync(bus, nullptr, nullptr);
      g_object_unref(bus);
    }
    g_main_context_unref(context);
  }

  Result<GVariant*> Call(const char* name,
                         const std::string& path,
                         const char* interface,
                         const char* method,
                         GVariant* parameters) {
    GError* error = nullptr;
    GVariant* reply = g_dbus_connection_call_sync(
        bus, name, path.c_str(), interface, method, parameters, nullptr,
        G_DBUS_CALL_FLAGS_NONE, 5000, nullptr, &error);
    if (!reply)
      return MakeError(std::string(method) + ": " + TakeMessage(error));
    return reply;
  }

  Result<void> Notify(const char* method, GVariant* parameters) {
    TETHER_TRY(reply, Call(kRemoteDesktop, remote_desktop,
                           "org.gnome.Mutter.RemoteDesktop.Session", method,
                           parameters));
    g_variant_unref(*reply);
    return {};
  }
};

DesktopPerson::DesktopPerson(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
DesktopPerson::~DesktopPerson() = default;

Result<std::unique_ptr<DesktopPerson>> DesktopPerson::Start() {
  auto impl = std::make_unique<Impl>();
  GError* error = nullptr;
  gchar* address =
      g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SESSION, nullptr, &error);
  if (!address)
    return MakeError("no session bus: " + TakeMessage(error));
  impl->bus = g_dbus_connection_new_for_address_sync(
      address,
      static_cast<GDBusConnectionFlags>(
          G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
          G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION),
      nullptr, nullptr, &error);
  g_free(address);
  if (!impl->bus)
    return MakeError("cannot reach the session bus: " + TakeMessage(error));

  TETHER_TRY(rd, impl->Call(kRemoteDesktop, "/org/gnome/Mutter/RemoteDesktop",
                            kRemoteDesktop, "CreateSession", nullptr));
  const gchar* path = nullptr;
  g_variant_get(*rd, "(&o)", &path);
  impl->remote_desktop = path;
  g_variant_unref(*rd);

  TETHER_TRY(id, impl->Call(kRemoteDesktop, impl->remote_desktop,
                            "org.freedesktop.DBus.Properties", "Get",
                            g_variant_new("(ss)",
                                          "org.gnome.Mutter.RemoteDesktop."
                                          "Session",
                                          "SessionId")));
  GVariant* value = nullptr;
  g_variant_get(*id, "(v)", &value);
  const std::string session_id = g_variant_get_string(value, nullptr);
  g_variant_unref(value);
  g_variant_unref(*id);

  GVariantBuilder properties;
  g_variant_builder_init(&properties, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add(&properties, "{sv}", "remote-desktop-session-id",
                        g_variant_new_string(session_id.c_str()));
  TETHER_TRY(
      sc, impl->Call(kScreenCast, "/org/gnome/Mutter/ScreenCast", kScreenCast,
                     "CreateSession", g_variant_new("(a{sv})", &properties)));
  g_variant_get(*sc, "(&o)", &path);
  impl->screen_cast = path;
  g_variant_unref(*sc);

  // The first (virtual) monitor, as the display configuration names it.
  TETHER_TRY(state, impl->Call("org.gnome.Mutter.DisplayConfig",
                               "/org/gnome/Mutter/DisplayConfig",
                               "org.gnome.Mutter.DisplayConfig",
                               "GetCurrentState", nullptr));
  GVariant* monitors = g_variant_get_child_value(*state, 1);
  if (g_variant_n_children(monitors) == 0)
    return MakeError("the desktop has no monitor");
  GVariant* first = g_variant_get_child_value(monitors, 0);
  const gchar* connector = nullptr;
  g_variant_get_child(first, 0, "(&ssss)", &connector, nullptr, nullptr,
                      nullptr);
  const std::string monitor = connector;
  g_variant_unref(first);
  g_variant_unref(monitors);
  g_variant_unref(*state);

  GVariantBuilder record;
  g_variant_builder_init(&record, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add(&record, "{sv}", "cursor-mode",
                        g_variant_new_uint32(1));  // drawn into the picture
  TETHER_TRY(stream,
             impl->Call(kScreenCast, impl->screen_cast,
                        "org.gnome.Mutter.ScreenCast.Session", "RecordMonitor",
                        g_variant_new("(sa{sv})", monitor.c_str(), &record)));
  g_variant_get(*stream, "(&o)", &path);
  impl->stream_path = path;
  g_variant_unref(*stream);

  // The stream's PipeWire node comes as a signal once the session starts.
  g_main_context_push_thread_default(impl->context);
  const guint subscription = g_dbus_connection_signal_subscribe(
      impl->bus, kScreenCast, "org.gnome.Mutter.ScreenCast.Stream",
      "PipeWireStreamAdded", impl->stream_path.c_str(), nullptr,
      G_DBUS_SIGNAL_FLAGS_NONE,
      [](GDBusConnection*, const gchar*, const gchar*, const gchar*,
         const gchar*, GVariant* parameters, gpointer data) {
        g_variant_get(parameters, "(u)", static_cast<uint32_t*>(data));
      },
      &impl->node, nullptr);
  auto started = impl->Notify("Start", nullptr);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (started && impl->node == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    if (!g_main_context_iteration(impl->context, FALSE))
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  g_dbus_connection_signal_unsubscribe(impl->bus, subscription);
  g_main_context_pop_thread_default(impl->context);
  if (!started)
    return Unexpected(std::move(started).error());
  if (impl->node == 0)
    return MakeError("the desktop's own screen cast never started");

  TETHER_TRY(eyes, desktop::portal::PipeWireStream::Connect(-1, impl->node));
  impl->eyes = std::move(*eyes);
  auto person =
      std::unique_ptr<DesktopPerson>(new DesktopPerson(std::move(impl)));
  const auto first_deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!person->Look()) {
    if (auto failure = person->impl_->eyes->failure())
      return MakeError("the desktop's own screen cast failed: " + *failure);
    if (std::chrono::steady_clock::now() > first_deadline)
      return MakeError("the desktop's own screen cast sent no picture");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return person;
}

std::unique_ptr<desktop::DesktopFrame> DesktopPerson::Look() {
  return impl_->eyes->Take({});
}

Result<void> DesktopPerson::WritePng(const std::string& path) {
  auto frame = Look();
  if (!frame)
    return MakeError("nothing seen yet");
  const std::string ppm = path + ".ppm";
  {
    std::ofstream out(ppm, std::ios::binary);
    out << "P6\n"
        << frame->size().width << " " << frame->size().height << "\n255\n";
    for (int y = 0; y < frame->size().height; ++y) {
      for (int x = 0; x < frame->size().width; ++x) {
        const uint8_t* p = frame->PixelAt(x, y);
        const char rgb[3] = {static_cast<char>(p[2]), static_cast<char>(p[1]),
                             static_cast<char>(p[0])};
        out.write(rgb, 3);
      }
    }
  }
  const std::string command = "convert '" + ppm + "' '" + path + "'";
  const int status = std::system(command.c_str());
  std::remove(ppm.c_str());
  if (status != 0)
    return MakeError("convert failed for " + path);
  return {};
}

Result<void> DesktopPerson::MoveTo(int x, int y) {
  return impl_->Notify(
      "NotifyPointerMotionAbsolute",
      g_variant_new("(sdd)", impl_->stream_path.c_str(), static_cast<double>(x),
                    static_cast<double>(y)));
}

Result<void> DesktopPerson::Click(int x, int y) {
  TETHER_RETURN_IF_ERROR(MoveTo(x, y));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  TETHER_RETURN_IF_ERROR(impl_->Notify("NotifyPointerButton",
                                       g_variant_new("(ib)", kBtnLeft, TRUE)));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  return impl_->Notify("NotifyPointerButton",
                       g_variant_new("(ib)", kBtnLeft, FALSE));
}

Result<void> DesktopPerson::PressKey(uint32_t keysym) {
  auto tap = [&](uint32_t key) -> Result<void> {
    TETHER_RETURN_IF_ERROR(impl_->Notify("NotifyKeyboardKeysym",
                                         g_variant_new("(ub)", key, TRUE)));
    return impl_->Notify("NotifyKeyboardKeysym",
                         g_variant_new("(ub)", key, FALSE));
  };
  if (!impl_->keyboard_warm) {
    // The seat may swallow a new keyboard's first key: a Shift tap types
    // nothing wherever the focus is.
    TETHER_RETURN_IF_ERROR(tap(kShiftLeft));
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    impl_->keyboard_warm = true;
  }
  return tap(keysym);
}

Result<void> DesktopPerson::Type(const std::string& text) {
  for (const char c : text) {
    const auto code = static_cast<unsigned char>(c);
    if (code < 0x20 || code > 0x7E)
      return MakeError("Type() takes printable ASCII only");
    // Printable ASCII's keysyms are its character codes.
    TETHER_RETURN_IF_ERROR(PressKey(code));
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
  }
  return {};
}

namespace {

// Adwaita's "suggested action" blue: the Share button of GNOME's portal
// dialogs, the only such blue on a desktop that shows nothing else.
bool IsShareBlue(const uint8_t* bgrx) {
  return std::abs(bgrx[2] - 53) <= 30 && std::abs(bgrx[1] - 132) <= 30 &&
         std::abs(bgrx[0] - 228) <= 30;
}

// The dialog's header bar and its buttons: light, colourless greys.
bool IsDialogChrome(const uint8_t* bgrx) {
  const int low = std::min({bgrx[0], bgrx[1], bgrx[2]});
  const int high = std::max({bgrx[0], bgrx[1], bgrx[2]});
  return low >= 160 && high - low <= 12;
}

// The Share button's bounding box; empty while no dialog shows. The first
// band of blue rows from the top: the header bar's button (the switch below
// turns the same blue when on).
desktop::DesktopRect FindShareButton(const desktop::DesktopFrame& frame) {
  int left = frame.size().width, top = -1, right = -1, bottom = -1, count = 0;
  for (int y = 0; y < frame.size().height; ++y) {
    int in_row = 0;
    for (int x = 0; x < frame.size().width; ++x) {
      if (!IsShareBlue(frame.PixelAt(x, y)))
        continue;
      ++in_row;
      left = std::min(left, x);
      right = std::max(right, x);
    }
    if (in_row == 0 && top >= 0)
      break;  // the band ended
    if (in_row == 0)
      continue;
    if (top < 0)
      top = y;
    bottom = y;
    count += in_row;
  }
  if (count < 400)
    return {};
  return {left, top, right - left + 1, bottom - top + 1};
}

// The "Allow remote interaction" switch's track: grey when off, the Share
// button's blue when on.
bool IsSwitchOff(const uint8_t* bgrx) {
  return bgrx[0] >= 195 && bgrx[0] <= 228 && bgrx[0] == bgrx[1] &&
         bgrx[1] == bgrx[2];
}

// The switch, when the dialog has one, in the state `looks` tells: a track
// right below-left of Share, some rows tall (darker than the list rows when
// grey). Empty when there is none in that state.
std::optional<desktop::DesktopPoint> FindSwitch(
    const desktop::DesktopFrame& frame,
    const desktop::DesktopRect& share,
    bool (*looks)(const uint8_t* bgrx)) {
  const int x0 = std::max(0, share.x - 40);
  const int x1 = std::min(frame.size().width, share.right());
  int run_start = -1, best_start = -1, best_length = 0;
  long sum_x = 0, count = 0, best_sum_x = 0, best_count = 0;
  for (int y = share.bottom() + 20; y < frame.size().height; ++y) {
    int in_row = 0;
    long row_sum = 0;
    for (int x = x0; x < x1; ++x) {
      if (looks(frame.PixelAt(x, y))) {
        ++in_row;
        row_sum += x;
      }
    }
    if (in_row >= 10) {
      if (run_start < 0) {
        run_start = y;
        sum_x = count = 0;
      }
      sum_x += row_sum;
      count += in_row;
      if (y - run_start + 1 > best_length) {
        best_length = y - run_start + 1;
        best_start = run_start;
        best_sum_x = sum_x;
        best_count = count;
      }
    } else {
      run_start = -1;
    }
  }
  if (best_length < 12)
    return std::nullopt;
  return desktop::DesktopPoint{static_cast<int32_t>(best_sum_x / best_count),
                               best_start + best_length / 2};
}

}  // namespace

Result<void> DesktopPerson::SetSwitch(
    const desktop::DesktopRect& share,
    bool on,
    std::chrono::steady_clock::time_point deadline) {
  auto wanted = on ? IsShareBlue : IsSwitchOff;
  auto other = on ? IsSwitchOff : IsShareBlue;
  while (true) {
    auto frame = Look();
    if (!frame)
      return MakeError("the desktop shows nothing");
    if (FindSwitch(*frame, share, wanted))
      return {};
    auto toggle = FindSwitch(*frame, share, other);
    if (!toggle)
      return {};  // a dialog without the switch (sharing the screen only)
    if (std::chrono::steady_clock::now() > deadline)
      return MakeError("the dialog's remote-interaction switch did not move");
    TETHER_RETURN_IF_ERROR(Click(toggle->x, toggle->y));
    // Like a person: look until it has moved; a click the desktop dropped
    // (seen on a loaded machine) is clicked again.
    for (int i = 0; i < 15; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      frame = Look();
      if (frame && FindSwitch(*frame, share, wanted)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        return {};
      }
    }
  }
}

Result<void> DesktopPerson::AnswerSharingDialog(
    bool share,
    bool allow_interaction,
    std::chrono::milliseconds timeout,
    const std::function<void()>& before_click) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  desktop::DesktopRect button;
  std::unique_ptr<desktop::DesktopFrame> frame;
  // Like a person: wait until the dialog is there and has stopped moving
  // (it fades in), then act.
  desktop::DesktopRect seen;
  while (true) {
    frame = Look();
    button = frame ? FindShareButton(*frame) : desktop::DesktopRect{};
    if (!button.is_empty() && button == seen)
      break;
    seen = button;
    if (std::chrono::steady_clock::now() > deadline)
      return MakeError("no sharing dialog showed");
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  const int row = button.y + button.height / 2;
  if (share) {
    // Set to what is asked whatever it showed: a person answering the
    // dialog a second time does not turn it off again.
    TETHER_RETURN_IF_ERROR(SetSwitch(button, allow_interaction, deadline));
    if (before_click)
      before_click();
    return ClickUntilClosed(button.x + button.width / 2, row, button, deadline);
  }
  if (before_click)
    before_click();
  // Cancel is the header bar's first button: from the dialog's left edge
  // (where its grey header bar ends, going left from Share), half a button
  // in. Along the buttons' top rows: no text there.
  int edge = button.x - 1;
  while (edge > 0 && IsDialogChrome(frame->PixelAt(edge - 1, button.y + 3)))
    --edge;
  return ClickUntilClosed(edge + 45, row, button, deadline);
}

Result<void> DesktopPerson::ClickUntilClosed(
    int x,
    int y,
    const desktop::DesktopRect& share,
    std::chrono::steady_clock::time_point deadline) {
  while (true) {
    TETHER_RETURN_IF_ERROR(Click(x, y));
    // Like a person: a dialog still there a while later did not get the
    // click (seen on a loaded machine), so it is clicked again.
    for (int i = 0; i < 20; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      auto frame = Look();
      if (frame && !(FindShareButton(*frame) == share))
        return {};
    }
    if (std::chrono::steady_clock::now() > deadline)
      return MakeError("the sharing dialog stayed open after its answer");
  }
}

}  // namespace tether::test
