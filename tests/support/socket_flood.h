#pragma once

// Sockets that keep a relay's accept loop busy without ever signing in, for
// the abuse test and the soak bench: `idle` TCP connections that never send
// a byte (five from each address of 127.10.0.0/16) and `slowloris` ones
// that trickle the start of a ClientHello at one byte every 9 s (five from
// each address of 127.20.0.0/16).

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "base/result.h"

namespace tether::test {

class SocketFlood {
 public:
  static Result<std::unique_ptr<SocketFlood>> Open(uint16_t port,
                                                   int idle,
                                                   int slowloris);
  // Stops the trickle and closes every socket.
  ~SocketFlood();
  SocketFlood(const SocketFlood&) = delete;
  SocketFlood& operator=(const SocketFlood&) = delete;

 private:
  SocketFlood() = default;

  std::vector<int> idle_;
  std::vector<int> slowloris_;
  std::atomic<bool> stop_{false};
  std::thread trickle_;
};

}  // namespace tether::test
