// tether-relay: the on-premise relay. `serve` runs it; every other
// subcommand administers it locally (nothing can be set up over the network).

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>

#include "base/log.h"
#include "protocol/messages.h"
#include "protocol/version.h"
#include "relay/admin/admin_commands.h"
#include "relay/config/relay_config.h"
#include "relay/server/relay_server.h"
#include "relay/store/sqlite_backup.h"

namespace {

constexpr char kDefaultConfig[] = "/etc/tether/relay.toml";

}  // namespace

int main(int argc, char** argv) {
  using namespace tether;
  // A peer that vanishes mid-write must not kill the relay.
  std::signal(SIGPIPE, SIG_IGN);

  CLI::App app{
      "Tether relay: pairs technicians and customers inside your "
      "network; cannot read their sessions."};
  app.set_version_flag("--version", protocol::VersionLine("tether-relay"));
  app.require_subcommand(1);
  // `tether-relay user list -c relay.toml` works as well as `-c` first.
  app.fallthrough();
  std::string config_path = kDefaultConfig;
  app.add_option("-c,--config", config_path,
                 "Configuration file (TOML); every key is documented in the "
                 "shipped relay.toml")
      ->capture_default_str();

  auto* serve = app.add_subcommand("serve", "Run the relay until SIGTERM");
  relay::AdminCommands admin(app, config_path);

  // Exit codes: 0 ok (and --help, --version), 1 failure, 2 usage error.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  // A config that does not load is a failure of the command, whichever it
  // is (`config check` included), not a usage error.
  auto config = relay::LoadRelayConfig(config_path);
  if (!config) {
    std::fprintf(stderr, "tether-relay: %s\n", config.error().message.c_str());
    return 1;
  }
  log::Init("tether-relay", config->log_level);
  protocol::RouteProtobufLogs();

  if (serve->parsed()) {
    auto server = relay::RelayServer::Create(*config);
    if (!server) {
      log::Error("cannot start: {}", server.error().message);
      return 1;
    }
    // One relay per database; `restore` takes the same lock.
    auto lock = relay::ServingLock::Acquire(config->store.database);
    if (!lock) {
      log::Error("cannot start: {}", lock.error().message);
      return 1;
    }
    return (*server)->Run();
  }
  return admin.Run(*config);
}
