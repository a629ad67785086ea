#pragma once

// One framed TLS connection over a libuv TCP handle: the stream the relay
// serves and both apps use to reach it. Ciphertext moves between the socket
// and a crypto::TlsEngine; plaintext is cut into frames (protocol/framing.h)
// and handed to a Delegate one payload at a time.
//
// Threading: everything, including every Delegate call, on the thread of
// the loop the connection was created on.
//
// Ownership (Node's HandleWrap): a connection owns itself from Accept() or
// Connect() until its handles have closed. Close() is idempotent; once it
// is called the delegate gets no further calls except exactly one
// OnClosed(), after which the connection deletes itself. Keep the pointer
// only until OnClosed().

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "protocol/framing.h"

struct sockaddr;
struct uv_loop_s;
struct uv_stream_s;
struct uv_tcp_s;
struct uv_timer_s;
struct uv_write_s;
struct uv_connect_s;
struct uv_handle_s;
struct uv_buf_t;

namespace google::protobuf {
class MessageLite;
}

namespace tether::crypto {
class TlsConfig;
class TlsEngine;
}  // namespace tether::crypto

namespace tether::protocol {

class TlsConnection {
 public:
  class Delegate {
   public:
    virtual ~Delegate() = default;
    // The TLS handshake completed; frames may be sent.
    virtual void OnTlsReady(TlsConnection& connection) = 0;
    // One complete frame payload arrived.
    virtual void OnFrame(TlsConnection& connection, Bytes payload) = 0;
    // Plaintext as it arrived, once the connection carries a byte stream
    // (UseAsByteStream). `bytes` is valid only during the call.
    virtual void OnBytes(TlsConnection& /*connection*/, ByteSpan /*bytes*/) {}
    // Every queued byte was handed to the kernel (backpressure release).
    virtual void OnDrained(TlsConnection& /*connection*/) {}
    // The last call. `reason` says why, in plain words, for the log.
    virtual void OnClosed(TlsConnection& connection,
                          const std::string& reason) = 0;
  };

  struct Options {
    size_t max_frame_size = kDefaultControlFrameLimit;
    // The connection closes itself when the handshake is not done by then.
    std::chrono::milliseconds handshake_timeout{10000};
    // Shared by the connections of one loop; must outlive the connection.
    FrameMemoryBudget* frame_budget = nullptr;
  };

  // Accepts a pending connection on `server` (call from its connection
  // callback). Returns nullptr, with the reason in `*error`, if accept fails.
  static TlsConnection* Accept(uv_stream_s* server,
                               std::shared_ptr<const crypto::TlsConfig> config,
                               const Options& options,
                               Delegate* delegate,
                               std::string* error);

  // Connects to `address` and starts the handshake as a client.
  static TlsConnection* Connect(uv_loop_s* loop,
                                const sockaddr* address,
                                std::shared_ptr<const crypto::TlsConfig> config,
                                const Options& options,
                                Delegate* delegate,
                                std::string* error);

  // Starts the client handshake on a TCP connection the caller opened
  // itself, e.g. a tunnel through an HTTP proxy (protocol/relay_dialer.h).
  // Takes ownership of `tcp` in every case, failure included: it must come
  // from `new uv_tcp_t`, be connected, and not be reading. `received` holds
  // bytes already read from it that belong to the TLS stream (what a proxy
  // sent right after its answer).
  static TlsConnection* ConnectOver(
      uv_tcp_s* tcp,
      Bytes received,
      std::shared_ptr<const crypto::TlsConfig> config,
      const Options& options,
      Delegate* delegate,
      std::string* error);

  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  // Queues one frame. Fails (without closing) if the message is over the
  // frame limit, or if the handshake is not complete or the connection is
  // closing.
  Result<void> SendFrame(const google::protobuf::MessageLite& message);

  // Queues one frame holding `payload` as it is (a message serialized
  // elsewhere, passed on unparsed); fails as SendFrame does.
  Result<void> SendPayload(ByteSpan payload);
  // From now on plaintext goes to `delegate`'s OnBytes unframed (another
  // protocol, e.g. HTTP, agreed by ALPN), and every later call goes to
  // `delegate`. Call from OnTlsReady, before any plaintext was read.
  void UseAsByteStream(Delegate* delegate);
  // Queues plaintext on a byte stream; fails as SendFrame does.
  Result<void> SendBytes(ByteSpan bytes);
  // The ALPN id the handshake agreed on (crypto::kAlpnTether, ...); empty
  // when the client offered none.
  std::string alpn() const;

  // Stops reading from the socket (the peer's TCP window fills up) until
  // ResumeReading(): how a slow reader on one side slows the other side.
  void PauseReading();
  void ResumeReading();
  bool reading_paused() const { return paused_; }

  // Raises or lowers the frame limit, both ways, for frames not yet begun.
  void set_max_frame_size(size_t limit);

  // Ciphertext queued or in flight to the kernel.
  size_t pending_output() const { return pending_bytes_; }

  // Closes the connection unless the delegate calls this again within
  // `timeout` (replacing the earlier deadline). The handshake deadline from
  // Options is the first one.
  void SetDeadline(std::chrono::milliseconds timeout, std::string reason);
  void ClearDeadline();

  // Sends close_notify after what is already queued, then closes. Waits for
  // the queue to drain at most a moment, so a stuck peer cannot hold it.
  void Close(std::string reason);

  bool tls_ready() const;
  // Client side, once closing: the handshake failed because the server's
  // certificate was refused (pin mismatch, or failed verification against
  // the CA), not because of the network. Lets an app say which.
  bool certificate_rejected() const;
  // Client side, once closing: the server does not speak TLS 1.3 (see
  // TlsEngine::protocol_refused).
  bool protocol_refused() const;
  bool closing() const { return state_ != State::kOpen; }
  const std::string& peer_address() const { return peer_address_; }
  uint64_t bytes_received() const { return bytes_received_; }
  uint64_t bytes_sent() const { return bytes_sent_; }
  // E.g. "TLSv1.2 TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384".
  std::string tls_description() const;

 private:
  enum class State { kOpen, kClosing, kClosed };
  struct WriteRequest;

  TlsConnection(uv_loop_s* loop,
                std::shared_ptr<const crypto::TlsConfig> config,
                const Options& options,
                Delegate* delegate);
  ~TlsConnection();

  // Creates the handles; `adopted` is a connected TCP handle to use
  // instead of a new one.
  // `engine_on_first_byte`: create the TLS engine when the peer first
  // sends something (accepted sockets) instead of now.
  Result<void> Init(uv_loop_s* loop,
                    uv_tcp_s* adopted = nullptr,
                    bool engine_on_first_byte = false);
  Result<void> CreateEngine();
  void StartReading();
  void OnRead(long nread, const uv_buf_t* buf);
  void ProcessIncoming();
  void FlushEngine();
  void WriteNext();
  void OnWriteDone(int status);
  void OnConnected(int status);
  void OnDeadline();
  // Closes the handles now; the reason is kept for OnClosed().
  void Abort(std::string reason);
  void OnHandleClosed();

  static void AllocCallback(uv_handle_s* handle,
                            size_t suggested,
                            uv_buf_t* buf);

  std::shared_ptr<const crypto::TlsConfig> config_;
  std::unique_ptr<crypto::TlsEngine> engine_;
  Options options_;
  Delegate* delegate_;
  FrameDecoder decoder_;

  uv_tcp_s* tcp_ = nullptr;
  uv_timer_s* timer_ = nullptr;
  int open_handles_ = 0;

  State state_ = State::kOpen;
  bool paused_ = false;
  bool reading_ = false;
  bool ready_notified_ = false;
  bool byte_stream_ = false;
  std::string close_reason_;
  std::string deadline_reason_;

  std::deque<Bytes> queue_;
  WriteRequest* in_flight_ = nullptr;
  size_t pending_bytes_ = 0;

  std::string peer_address_;
  uint64_t bytes_received_ = 0;
  uint64_t bytes_sent_ = 0;
};

}  // namespace tether::protocol
