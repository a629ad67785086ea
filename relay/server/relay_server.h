#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "relay/config/relay_config.h"

namespace tether::relay {

// The running relay: one libuv loop on the calling thread serving the TLS
// listeners, the metrics listener, signals and the broker's ticks.
//
//   auto server = RelayServer::Create(config);   // opens store, loads cert
//   return (*server)->Run();                     // until SIGTERM / SIGINT
class RelayServer {
 public:
  // Creates the certificate on first use (and logs its fingerprint), opens
  // the store, purges old events and binds every listener. Nothing is
  // served until Run().
  static Result<std::unique_ptr<RelayServer>> Create(const RelayConfig& config);

  virtual ~RelayServer() = default;
  RelayServer(const RelayServer&) = delete;
  RelayServer& operator=(const RelayServer&) = delete;

  // Serves until SIGTERM or SIGINT, then stops accepting, tells every
  // client, flushes the store and returns the process exit code.
  virtual int Run() = 0;

  // "127.0.0.1:8443", with the real port when the config said 0.
  virtual std::vector<std::string> listening_addresses() const = 0;

 protected:
  RelayServer() = default;
};

// Loads the relay's certificate and key, creating both when neither file
// exists yet. Returns the public-key fingerprint clients pin ("sha256:…").
Result<std::string> EnsureRelayCertificate(const RelayConfig& config);

}  // namespace tether::relay
