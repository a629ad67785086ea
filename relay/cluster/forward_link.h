#pragma once

// A customer handed over to the relay of the cluster that holds its code,
// seen from the relay the customer reached: one mutual-TLS 1.3 connection
// to that relay's cluster listener, which opens with a ClusterHello and
// then carries the customer's frames there and that relay's frames back,
// unparsed (the session inside is end-to-end encrypted).
//
// Frames for the other relay wait in a queue of our own and enter the TLS
// connection only while it holds less than `watermark` bytes, so that an
// End (STOP) can jump the queue: SendFirst() drops the frames still waiting
// and sends the End next, behind at most one watermark of ciphertext.
//
// Ownership (as protocol::TlsConnection's): the link owns itself. The owner
// calls Close() when done with it, after which no callback runs; if the
// other relay or the network ends it first, `on_closed` is the last call.
// Either way it deletes itself. Loop thread only.

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "protocol/tls_connection.h"

namespace tether::crypto {
class TlsConfig;
}

namespace tether::relay {

class ForwardLink final : public protocol::TlsConnection::Delegate {
 public:
  struct Callbacks {
    // A frame from the other relay, for the customer.
    std::function<void(Bytes payload)> on_frame;
    // Everything queued went out: the customer may be read again.
    std::function<void()> on_drained;
    // The other relay or the network ended the link. `reached`: the TLS
    // handshake had completed (false: the relay could not be reached).
    std::function<void(const std::string& reason, bool reached)> on_closed;
  };
  struct Options {
    size_t watermark = 256 << 10;
    size_t max_frame_size = 8 << 20;
    // Connect and handshake, together.
    std::chrono::milliseconds connect_timeout{3000};
    // Closed when the other relay sends nothing this long (it forwards the
    // technician's heartbeats).
    std::chrono::milliseconds idle_timeout{45000};
    protocol::FrameMemoryBudget* frame_budget = nullptr;
  };

  // Dials `address` ("ip:port"); `hello` (a serialized ClusterHello) and
  // then whatever Send() queued go out once the handshake is done.
  static Result<ForwardLink*> Open(uv_loop_s* loop,
                                   const std::string& address,
                                   std::shared_ptr<const crypto::TlsConfig> tls,
                                   const Options& options,
                                   Callbacks callbacks,
                                   Bytes hello);

  // Queues a frame of the customer's.
  void Send(Bytes payload);
  // Drops what is still queued and sends `payload` next (the customer's End).
  void SendFirst(Bytes payload);
  // Ends the link after what is queued (at most a moment); no callback runs
  // from now on.
  void Close(const std::string& reason);

  void PauseReading();
  void ResumeReading();
  void set_max_frame_size(size_t limit);
  // Bytes queued here and in the TLS connection.
  size_t pending() const;
  bool reached() const { return reached_; }
  uint64_t bytes_received() const;
  uint64_t bytes_sent() const;

  // protocol::TlsConnection::Delegate:
  void OnTlsReady(protocol::TlsConnection& connection) override;
  void OnFrame(protocol::TlsConnection& connection, Bytes payload) override;
  void OnDrained(protocol::TlsConnection& connection) override;
  void OnClosed(protocol::TlsConnection& connection,
                const std::string& reason) override;

 private:
  ForwardLink(const Options& options, Callbacks callbacks);
  ~ForwardLink() override = default;
  void Feed();

  Options options_;
  Callbacks callbacks_;
  protocol::TlsConnection* connection_ = nullptr;  // until OnClosed
  std::deque<Bytes> queue_;
  size_t queued_bytes_ = 0;
  bool reached_ = false;
  bool detached_ = false;  // the owner closed it: no more callbacks
  bool urgent_ = false;    // SendFirst() was called: the watermark is off
  uint64_t bytes_received_ = 0;
  uint64_t bytes_sent_ = 0;
};

}  // namespace tether::relay
