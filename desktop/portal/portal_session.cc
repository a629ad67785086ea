#include "desktop/portal/portal_session.h"

#include <gio/gio.h>
#include <gio/gunixfdlist.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include "base/log.h"
#include "desktop/portal/session_bus.h"

namespace tether::desktop::portal {
namespace {

constexpr char kPortalName[] = "org.freedesktop.portal.Desktop";
constexpr char kPortalPath[] = "/org/freedesktop/portal/desktop";
constexpr char kScreenCast[] = "org.freedesktop.portal.ScreenCast";
constexpr char kRemoteDesktop[] = "org.freedesktop.portal.RemoteDesktop";
constexpr char kSession[] = "org.freedesktop.portal.Session";

// ScreenCast source types and cursor modes, RemoteDesktop device types.
constexpr uint32_t kSourceMonitor = 1;
constexpr uint32_t kSourceWindow = 2;
constexpr uint32_t kCursorEmbedded = 2;
constexpr uint32_t kCursorMetadata = 4;
constexpr uint32_t kDeviceKeyboard = 1;
constexpr uint32_t kDevicePointer = 2;

std::string NextToken() {
  static std::atomic<uint32_t> counter{0};
  return "tether" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

}  // namespace

// The private connection and the main context its signals arrive on.
// Whoever waits for a signal iterates the context, one at a time.
struct PortalSession::Bus {
  BusConnection connection;
  GMainContext* context = g_main_context_new();
  std::string sender;  // unique name as the portal spells it in paths
  std::mutex pump_mutex;

  ~Bus() {
    connection.reset();  // closed before its context goes
    g_main_context_unref(context);
  }

  static Result<std::unique_ptr<Bus>> Connect() {
    TETHER_TRY(connected, ConnectToBus());
    auto bus = std::make_unique<Bus>();
    bus->connection = std::move(*connected);
    // ":1.42" -> "1_42" (the portal's request object paths).
    std::string name = g_dbus_connection_get_unique_name(bus->connection.get());
    if (!name.empty() && name[0] == ':')
      name.erase(0, 1);
    for (char& c : name) {
      if (c == '.')
        c = '_';
    }
    bus->sender = name;
    return bus;
  }

  Result<Variant> Call(const char* interface,
                       const char* method,
                       GVariant* parameters,
                       const GVariantType* reply_type,
                       std::chrono::milliseconds timeout,
                       GUnixFDList** out_fds = nullptr) {
    GError* error = nullptr;
    GVariant* reply = g_dbus_connection_call_with_unix_fd_list_sync(
        connection.get(), kPortalName, kPortalPath, interface, method,
        parameters, reply_type, G_DBUS_CALL_FLAGS_NONE,
        static_cast<int>(timeout.count()), nullptr, out_fds, nullptr, &error);
    if (!reply) {
      return MakeError(std::string(method) + " failed: " + TakeMessage(error));
    }
    return Variant(reply);
  }

  Result<uint32_t> Property(const char* interface, const char* name) {
    GError* error = nullptr;
    GVariant* reply = g_dbus_connection_call_sync(
        connection.get(), kPortalName, kPortalPath,
        "org.freedesktop.DBus.Properties", "Get",
        g_variant_new("(ss)", interface, name), G_VARIANT_TYPE("(v)"),
        G_DBUS_CALL_FLAGS_NONE, 5000, nullptr, &error);
    if (!reply)
      return MakeError(TakeMessage(error));
    GVariant* value = nullptr;
    g_variant_get(reply, "(v)", &value);
    g_variant_unref(reply);
    if (!g_variant_is_of_type(value, G_VARIANT_TYPE_UINT32)) {
      g_variant_unref(value);
      return MakeError(std::string(name) + " is not a number");
    }
    const uint32_t result = g_variant_get_uint32(value);
    g_variant_unref(value);
    return result;
  }

  // A portal request: subscribes to its Response, makes the call (whose
  // options get a handle_token) and waits for the answer. `dialog`: the
  // person answers, so the wait is the dialog's and may be abandoned.
  Result<Variant> Request(const char* interface,
                          const char* method,
                          const std::optional<std::string>& session,
                          GVariantBuilder* options,
                          const PortalOptions& limits,
                          bool dialog) {
    const std::string token = NextToken();
    const std::string path =
        std::string(kPortalPath) + "/request/" + sender + "/" + token;
    g_variant_builder_add(options, "{sv}", "handle_token",
                          g_variant_new_string(token.c_str()));

    struct Answer {
      bool done = false;
      uint32_t response = 2;
      GVariant* results = nullptr;
    } answer;
    std::lock_guard pump(pump_mutex);
    g_main_context_push_thread_default(context);
    const guint subscription = g_dbus_connection_signal_subscribe(
        connection.get(), kPortalName, "org.freedesktop.portal.Request",
        "Response", path.c_str(), nullptr, G_DBUS_SIGNAL_FLAGS_NONE,
        [](GDBusConnection*, const gchar*, const gchar*, const gchar*,
           const gchar*, GVariant* parameters, gpointer data) {
          auto* a = static_cast<Answer*>(data);
          if (a->done)
            return;
          g_variant_get(parameters, "(u@a{sv})", &a->response, &a->results);
          a->done = true;
        },
        &answer, nullptr);

    // CreateSession (options), Select* (session, options), Start (session,
    // parent window, options).
    GVariant* parameters = nullptr;
    if (!session) {
      parameters = g_variant_new("(a{sv})", options);
    } else if (std::string_view(method) == "Start") {
      parameters = g_variant_new("(osa{sv})", session->c_str(), "", options);
    } else {
      parameters = g_variant_new("(oa{sv})", session->c_str(), options);
    }
    auto called = Call(interface, method, parameters, G_VARIANT_TYPE("(o)"),
                       limits.call_timeout);

    Result<Variant> result = MakeError("");
    if (!called) {
      result = Unexpected(std::move(called).error());
    } else {
      // Wake at least every 50 ms to look at the clock and `abandon`.
      GSource* tick = g_timeout_source_new(50);
      g_source_set_callback(
          tick, [](gpointer) -> gboolean { return G_SOURCE_CONTINUE; }, nullptr,
          nullptr);
      g_source_attach(tick, context);
      const auto deadline =
          std::chrono::steady_clock::now() +
          (dialog ? limits.dialog_timeout : limits.call_timeout);
      bool abandoned = false;
      while (!answer.done) {
        if (std::chrono::steady_clock::now() > deadline)
          break;
        if (dialog && limits.abandon && limits.abandon()) {
          abandoned = true;
          break;
        }
        g_main_context_iteration(context, TRUE);
      }
      g_source_destroy(tick);
      g_source_unref(tick);
      if (!answer.done) {
        const gchar* request = nullptr;
        g_variant_get(called->get(), "(&o)", &request);
        g_dbus_connection_call_sync(connection.get(), kPortalName, request,
                                    "org.freedesktop.portal.Request", "Close",
                                    nullptr, nullptr, G_DBUS_CALL_FLAGS_NONE,
                                    2000, nullptr, nullptr);
        result = abandoned
                     ? MakeDeclinedError("sharing was stopped")
                     : MakeError(std::string("the desktop did not answer ") +
                                 method + " in time");
      } else if (answer.response == 0) {
        result = Variant(answer.results ? answer.results
                                        : g_variant_new("a{sv}", nullptr));
        answer.results = nullptr;
      } else if (answer.response == 1) {
        result = MakeDeclinedError(
            "the request was cancelled in the "
            "system's dialog");
      } else {
        result = MakeError(std::string("the desktop refused ") + method);
      }
    }
    if (answer.results)
      g_variant_unref(answer.results);
    g_dbus_connection_signal_unsubscribe(connection.get(), subscription);
    g_main_context_pop_thread_default(context);
    return result;
  }

  // Runs what is pending on the context (signals), without waiting;
  // skipped while another thread waits on it (that one runs them).
  void Pump() {
    std::unique_lock pump(pump_mutex, std::try_to_lock);
    if (!pump.owns_lock())
      return;
    while (g_main_context_iteration(context, FALSE)) {
    }
  }
};

namespace {
std::atomic<int> g_windows_viewed{0};
}  // namespace

int PortalSession::WindowsViewed() {
  return g_windows_viewed.load();
}

WindowViewed::WindowViewed(bool window) : window_(window) {
  if (window_)
    ++g_windows_viewed;
}

WindowViewed::~WindowViewed() {
  if (window_)
    --g_windows_viewed;
}

PortalSession::PortalSession() = default;

PortalSession::~PortalSession() {
  Close();
}

Result<std::unique_ptr<PortalSession>> PortalSession::Open(
    const PortalOptions& options) {
  TETHER_TRY(connected, Bus::Connect());
  std::unique_ptr<Bus> bus = std::move(*connected);
  if (!bus->Property(kScreenCast, "version")) {
    return MakeError(
        "this desktop offers no screen sharing service (xdg-desktop-portal "
        "with ScreenCast)");
  }
  if (options.remote_desktop && !bus->Property(kRemoteDesktop, "version")) {
    return MakeError(
        "this desktop does not let apps control it (it has no remote desktop "
        "service); the technician can only watch");
  }
  uint32_t cursor_mode = kCursorEmbedded;
  if (auto modes = bus->Property(kScreenCast, "AvailableCursorModes");
      modes && (*modes & kCursorMetadata)) {
    cursor_mode = kCursorMetadata;
  }

  auto session = std::unique_ptr<PortalSession>(new PortalSession());
  const char* creator = options.remote_desktop ? kRemoteDesktop : kScreenCast;

  GVariantBuilder create;
  g_variant_builder_init(&create, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add(&create, "{sv}", "session_handle_token",
                        g_variant_new_string(NextToken().c_str()));
  auto created = bus->Request(creator, "CreateSession", std::nullopt, &create,
                              options, false);
  if (!created && options.remote_desktop && !created.error().declined()) {
    // A desktop portal backend that D-Bus has just started (the first
    // request, or the next after it crashed: GNOME 43's does after a
    // cancelled dialog) offers RemoteDesktop only once it has found the
    // compositor: the first request fails; a second, a moment later, works.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    g_variant_builder_init(&create, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&create, "{sv}", "session_handle_token",
                          g_variant_new_string(NextToken().c_str()));
    created = bus->Request(creator, "CreateSession", std::nullopt, &create,
                           options, false);
  }
  if (!created)
    return Unexpected(std::move(created).error());
  const gchar* handle = nullptr;
  if (!g_variant_lookup(created->get(), "session_handle", "&s", &handle))
    return MakeError("the desktop made no sharing session");
  session->handle_ = handle;
  session->bus_ = std::move(bus);
  Bus& b = *session->bus_;

  // Closed: the person ended sharing in the desktop's own indicator.
  {
    std::lock_guard pump(b.pump_mutex);
    g_main_context_push_thread_default(b.context);
    g_dbus_connection_signal_subscribe(
        b.connection.get(), kPortalName, kSession, "Closed",
        session->handle_.c_str(), nullptr, G_DBUS_SIGNAL_FLAGS_NONE,
        [](GDBusConnection*, const gchar*, const gchar*, const gchar*,
           const gchar*, GVariant*, gpointer data) {
          static_cast<PortalSession*>(data)->closed_ = true;
        },
        session.get(), nullptr);
    g_main_context_pop_thread_default(b.context);
  }

  if (options.remote_desktop) {
    GVariantBuilder devices;
    g_variant_builder_init(&devices, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(
        &devices, "{sv}", "types",
        g_variant_new_uint32(kDeviceKeyboard | kDevicePointer));
    TETHER_RETURN_IF_ERROR(b.Request(kRemoteDesktop, "SelectDevices",
                                     session->handle_, &devices, options,
                                     false));
  }
  GVariantBuilder sources;
  g_variant_builder_init(&sources, G_VARIANT_TYPE_VARDICT);
  // Control needs a monitor (absolute pointer coordinates); a view may be
  // a window too.
  g_variant_builder_add(
      &sources, "{sv}", "types",
      g_variant_new_uint32(options.remote_desktop
                               ? kSourceMonitor
                               : kSourceMonitor | kSourceWindow));
  g_variant_builder_add(&sources, "{sv}", "multiple",
                        g_variant_new_boolean(FALSE));
  g_variant_builder_add(&sources, "{sv}", "cursor_mode",
                        g_variant_new_uint32(cursor_mode));
  TETHER_RETURN_IF_ERROR(b.Request(kScreenCast, "SelectSources",
                                   session->handle_, &sources, options, false));

  GVariantBuilder start;
  g_variant_builder_init(&start, G_VARIANT_TYPE_VARDICT);
  TETHER_TRY(started, b.Request(creator, "Start", session->handle_, &start,
                                options, true));
  if (options.remote_desktop) {
    // What the person allowed (keyboard 1, pointer 2).
    uint32_t devices = 0;
    g_variant_lookup(started->get(), "devices", "u", &devices);
    if ((devices & (kDeviceKeyboard | kDevicePointer)) !=
        (kDeviceKeyboard | kDevicePointer)) {
      return MakeDeclinedError(
          "remote interaction was not allowed in the system's dialog");
    }
  }

  GVariantIter* streams = nullptr;
  if (!g_variant_lookup(started->get(), "streams", "a(ua{sv})", &streams))
    return MakeError("the desktop shared no screen");
  uint32_t node = 0;
  GVariant* properties = nullptr;
  const bool one =
      g_variant_iter_next(streams, "(u@a{sv})", &node, &properties);
  g_variant_iter_free(streams);
  if (!one)
    return MakeError("the desktop shared no screen");
  PortalStream& stream = session->stream_;
  stream.node = node;
  int32_t x = 0, y = 0, w = 0, h = 0;
  if (g_variant_lookup(properties, "position", "(ii)", &x, &y))
    stream.position = {x, y};
  if (g_variant_lookup(properties, "size", "(ii)", &w, &h))
    stream.size = {w, h};
  uint32_t source_type = kSourceMonitor;
  g_variant_lookup(properties, "source_type", "u", &source_type);
  stream.window = source_type == kSourceWindow;
  g_variant_unref(properties);
  log::Info("portal: {} session started (stream {}, {}x{} at {},{}{})",
            options.remote_desktop ? "remote desktop" : "screen cast",
            stream.node, stream.size.width, stream.size.height,
            stream.position.x, stream.position.y,
            stream.window ? ", a window" : "");
  return session;
}

bool PortalSession::closed() {
  if (bus_ && !closed_.load())
    bus_->Pump();
  return closed_.load();
}

Result<int> PortalSession::OpenPipeWireRemote() {
  if (closed())
    return MakeError("the sharing session has ended");
  GUnixFDList* fds = nullptr;
  TETHER_TRY(reply,
             bus_->Call(kScreenCast, "OpenPipeWireRemote",
                        g_variant_new("(oa{sv})", handle_.c_str(), nullptr),
                        G_VARIANT_TYPE("(h)"),
                        std::chrono::milliseconds(10'000), &fds));
  gint32 index = -1;
  g_variant_get(reply->get(), "(h)", &index);
  GError* error = nullptr;
  const int fd = fds ? g_unix_fd_list_get(fds, index, &error) : -1;
  if (fds)
    g_object_unref(fds);
  if (fd < 0)
    return MakeError("no PipeWire connection: " + TakeMessage(error));
  return fd;
}

namespace {

Result<void> Notify(GDBusConnection* connection,
                    const char* method,
                    GVariant* parameters) {
  GError* error = nullptr;
  GVariant* reply = g_dbus_connection_call_sync(
      connection, kPortalName, kPortalPath, kRemoteDesktop, method, parameters,
      nullptr, G_DBUS_CALL_FLAGS_NONE, 2000, nullptr, &error);
  if (!reply)
    return MakeError(std::string(method) + ": " + TakeMessage(error));
  g_variant_unref(reply);
  return {};
}

}  // namespace

Result<void> PortalSession::PointerMotionAbsolute(double x, double y) {
  if (closed())
    return MakeError("the remote control session has ended");
  return Notify(bus_->connection.get(), "NotifyPointerMotionAbsolute",
                g_variant_new("(oa{sv}udd)", handle_.c_str(), nullptr,
                              stream_.node, x, y));
}

Result<void> PortalSession::PointerButton(int evdev_button, bool pressed) {
  if (closed())
    return MakeError("the remote control session has ended");
  return Notify(bus_->connection.get(), "NotifyPointerButton",
                g_variant_new("(oa{sv}iu)", handle_.c_str(), nullptr,
                              evdev_button, pressed ? 1u : 0u));
}

Result<void> PortalSession::PointerAxisDiscrete(int axis, int steps) {
  if (closed())
    return MakeError("the remote control session has ended");
  return Notify(bus_->connection.get(), "NotifyPointerAxisDiscrete",
                g_variant_new("(oa{sv}ui)", handle_.c_str(), nullptr,
                              static_cast<uint32_t>(axis), steps));
}

Result<void> PortalSession::KeyboardKeysym(uint32_t keysym, bool pressed) {
  if (closed())
    return MakeError("the remote control session has ended");
  return Notify(bus_->connection.get(), "NotifyKeyboardKeysym",
                g_variant_new("(oa{sv}iu)", handle_.c_str(), nullptr,
                              static_cast<int32_t>(keysym), pressed ? 1u : 0u));
}

void PortalSession::Close() {
  if (!bus_ || closed_.exchange(true))
    return;
  g_dbus_connection_call_sync(
      bus_->connection.get(), kPortalName, handle_.c_str(), kSession, "Close",
      nullptr, nullptr, G_DBUS_CALL_FLAGS_NONE, 5000, nullptr, nullptr);
  // Closing the connection ends anything the portal still holds for us.
  g_dbus_connection_close_sync(bus_->connection.get(), nullptr, nullptr);
  log::Info("portal: session closed");
}

}  // namespace tether::desktop::portal
