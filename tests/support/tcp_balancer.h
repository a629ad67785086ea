#pragma once

// A round-robin TCP load balancer for tests, as IT puts one in front of a
// relay cluster: it listens on 127.0.0.1 and a port the kernel picks, hands
// each accepted connection to the next backend (127.0.0.1:port) and copies
// bytes both ways, without looking at them (TLS passes through), until both
// sides have closed. A backend that refuses is skipped for the next one.
//
// One poll(2) loop on its own thread; the accessors are thread-safe.

#include <cstdint>
#include <memory>
#include <vector>

#include "base/result.h"

namespace tether::test {

class TcpBalancer {
 public:
  static Result<std::unique_ptr<TcpBalancer>> Start(
      const std::vector<uint16_t>& backend_ports);
  // Stops the loop (within about a tenth of a second) and closes every
  // connection, abruptly.
  ~TcpBalancer();
  TcpBalancer(const TcpBalancer&) = delete;
  TcpBalancer& operator=(const TcpBalancer&) = delete;

  uint16_t port() const;
  // Connections handed to each backend so far (in the order given).
  std::vector<int> connections_per_backend() const;
  // Connections open right now (client and backend side count as one).
  int connections_open() const;

 private:
  class Impl;
  explicit TcpBalancer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tether::test
