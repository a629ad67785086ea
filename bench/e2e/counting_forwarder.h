#pragma once

// A TCP forwarder on 127.0.0.1 that counts the bytes it carries each way:
// put in front of a server (the relay, x11vnc, freerdp's shadow server), it
// tells what the viewer received, the same way for every product. It
// counts TCP payload (for Tether: TLS records), not IP or TCP headers.
//
// Optionally it is also a constrained link (LinkShape), for kernels without
// netem: each direction has a bottleneck queue drained by a token bucket
// at the link's rate, then a fixed one-way delay before the bytes are
// written on. A full queue stops the forwarder reading from that socket,
// so the sender meets TCP backpressure, as behind a full router buffer.
//
// Threads: one of its own (poll), for every connection; the counters may
// be read from any thread.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>

#include "base/result.h"

namespace tether::bench::e2e {

// The same for both directions. The default is no constraint: bytes go on
// as fast as the sockets take them (at most one 64 KiB chunk held).
struct LinkShape {
  uint64_t bits_per_second = 0;  // 0: no rate limit
  std::chrono::microseconds one_way_delay{0};
  // Bytes waiting for the rate limit, per direction; beyond it the
  // forwarder stops reading from the sender.
  size_t queue_bytes = 64 * 1024;
  // The socket receive buffer on the forwarder's side of each connection
  // when shaped (0: the kernel's autotuning): otherwise loopback's large
  // buffers hide megabytes of queue behind the emulated one. Shaped
  // sockets also announce a 1448-byte MSS, as on Ethernet. The senders'
  // own send buffers are theirs: the kernel sizes them for loopback.
  int receive_buffer = 16 * 1024;

  bool shaped() const {
    return bits_per_second > 0 || one_way_delay.count() > 0;
  }
};

class CountingForwarder {
 public:
  // Listens on 127.0.0.1 (a port the kernel picks) and forwards every
  // connection to 127.0.0.1:`target_port`, through `shape`.
  static Result<std::unique_ptr<CountingForwarder>> Start(
      uint16_t target_port,
      const LinkShape& shape = {});
  ~CountingForwarder();  // closes every connection, joins the thread
  CountingForwarder(const CountingForwarder&) = delete;
  CountingForwarder& operator=(const CountingForwarder&) = delete;

  uint16_t port() const { return port_; }
  // Server -> client (what the viewer received) and client -> server.
  uint64_t bytes_to_client() const { return to_client_.load(); }
  uint64_t bytes_to_server() const { return to_server_.load(); }
  // The forwarding thread's id (gettid), 0 until it runs: for telling its
  // CPU time apart from the rest of this process.
  pid_t thread_id() const { return thread_id_.load(); }

 private:
  CountingForwarder(int listen_fd,
                    uint16_t port,
                    uint16_t target_port,
                    const LinkShape& shape);
  void Run();

  int listen_fd_;
  uint16_t port_;
  uint16_t target_port_;
  LinkShape shape_;
  int wake_fd_[2] = {-1, -1};  // a byte here ends Run()
  std::atomic<uint64_t> to_client_{0};
  std::atomic<uint64_t> to_server_{0};
  std::atomic<pid_t> thread_id_{0};
  std::thread thread_;
};

}  // namespace tether::bench::e2e
