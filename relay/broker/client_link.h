#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/bytes.h"

namespace tether::proto {
class RelayMessage;
}

namespace tether::relay {

// What the broker needs of one client connection. The server implements it
// over protocol::TlsConnection; tests and the fuzzer implement it in memory.
// Loop thread only. The link stays valid until Broker::OnDisconnected().
class ClientLink {
 public:
  virtual ~ClientLink() = default;

  // Queues a message; dropped silently once the link is closing.
  virtual void Send(const proto::RelayMessage& message) = 0;
  // The same for a message serialized elsewhere (a relay of the cluster
  // sent it for this client), passed on as it is.
  virtual void SendPayload(ByteSpan payload) = 0;
  // Ends the connection after what is queued; OnDisconnected follows later.
  virtual void Close(std::string reason) = 0;

  virtual void PauseReading() = 0;
  virtual void ResumeReading() = 0;
  virtual size_t pending_output() const = 0;
  virtual void set_max_frame_size(size_t limit) = 0;

  // Closes the link with `reason` unless renewed within `timeout`.
  virtual void SetDeadline(std::chrono::milliseconds timeout,
                           std::string reason) = 0;

  virtual const std::string& peer_address() const = 0;  // "ip:port"
  virtual uint64_t bytes_received() const = 0;
  virtual uint64_t bytes_sent() const = 0;
};

}  // namespace tether::relay
