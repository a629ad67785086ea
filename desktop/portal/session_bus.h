#pragma once

// A private connection to a desktop session's D-Bus (GDBus), the one way
// Tether and its tests open one. Private, not g_bus_get()'s shared one:
// closing it ends whatever the portal holds for us, and a shared
// connection would end this whole process when the bus goes away
// (exit-on-close).

#include <gio/gio.h>

#include <memory>
#include <string>

#include "base/result.h"

namespace tether::desktop::portal {

struct BusConnectionClose {
  void operator()(GDBusConnection* connection) const {
    g_dbus_connection_close_sync(connection, nullptr, nullptr);
    g_object_unref(connection);
  }
};
using BusConnection = std::unique_ptr<GDBusConnection, BusConnectionClose>;

struct VariantUnref {
  void operator()(GVariant* variant) const { g_variant_unref(variant); }
};
using Variant = std::unique_ptr<GVariant, VariantUnref>;

// `address` empty: this session's bus (DBUS_SESSION_BUS_ADDRESS). Fails
// with a sentence that says which.
Result<BusConnection> ConnectToBus(const std::string& address = "");

// A GError as a sentence; frees it.
std::string TakeMessage(GError* error);

}  // namespace tether::desktop::portal
