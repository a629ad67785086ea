#include "desktop/portal/session_bus.h"

namespace tether::desktop::portal {

std::string TakeMessage(GError* error) {
  std::string message = error ? error->message : "unknown error";
  if (error)
    g_error_free(error);
  return message;
}

Result<BusConnection> ConnectToBus(const std::string& address) {
  GError* error = nullptr;
  std::string bus_address = address;
  if (bus_address.empty()) {
    gchar* found =
        g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SESSION, nullptr, &error);
    if (!found) {
      return MakeError("no desktop session bus (" + TakeMessage(error) +
                       "): this is not a desktop session");
    }
    bus_address = found;
    g_free(found);
  }
  GDBusConnection* connection = g_dbus_connection_new_for_address_sync(
      bus_address.c_str(),
      static_cast<GDBusConnectionFlags>(
          G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
          G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION),
      nullptr, nullptr, &error);
  if (!connection) {
    return MakeError("cannot reach the desktop session bus: " +
                     TakeMessage(error));
  }
  return BusConnection(connection);
}

}  // namespace tether::desktop::portal
