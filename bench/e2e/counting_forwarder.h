#pragma once

// A TCP forwarder on 127.0.0.1 that counts the bytes it carries each way:
// put in front of a server (the relay, x11vnc, freerdp's shadow server), it
// tells what the viewer received, the same way for every product. It
// counts TCP payload (for Tether: TLS records), not IP or TCP headers.
//
// Threads: one of its own (poll), for every connection; the counters may
// be read from any thread.

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "base/result.h"

namespace tether::bench::e2e {

class CountingForwarder {
 public:
  // Listens on 127.0.0.1 (a port the kernel picks) and forwards every
  // connection to 127.0.0.1:`target_port`.
  static Result<std::unique_ptr<CountingForwarder>> Start(uint16_t target_port);
  ~CountingForwarder();  // closes every connection, joins the thread
  CountingForwarder(const CountingForwarder&) = delete;
  CountingForwarder& operator=(const CountingForwarder&) = delete;

  uint16_t port() const { return port_; }
  // Server -> client (what the viewer received) and client -> server.
  uint64_t bytes_to_client() const { return to_client_.load(); }
  uint64_t bytes_to_server() const { return to_server_.load(); }

 private:
  CountingForwarder(int listen_fd, uint16_t port, uint16_t target_port);
  void Run();

  int listen_fd_;
  uint16_t port_;
  uint16_t target_port_;
  int wake_fd_[2] = {-1, -1};  // a byte here ends Run()
  std::atomic<uint64_t> to_client_{0};
  std::atomic<uint64_t> to_server_{0};
  std::thread thread_;
};

}  // namespace tether::bench::e2e
