#include "protocol/tls_connection.h"

#include <arpa/inet.h>
#include <google/protobuf/message_lite.h>
#include <netinet/in.h>
#include <uv.h>

#include <cstring>
#include <utility>

#include "crypto/tls_engine.h"
#include "protocol/messages.h"

namespace tether::protocol {
namespace {

constexpr size_t kReadBufferSize = 64 * 1024;

// Scratch space for one read, shared by every connection on the thread:
// what lands in it is copied into the TLS engine (ciphertext) or the frame
// decoder (plaintext) before anything else runs. Buffers of their own would
// cost 128 KiB per connection, most of it for sockets that never send a
// byte (tests/relay/relay_limits_test.cc, SlowlorisAndIdleSockets...).
Bytes& CiphertextScratch() {
  thread_local Bytes scratch(kReadBufferSize);
  return scratch;
}
Bytes& PlaintextScratch() {
  thread_local Bytes scratch(kReadBufferSize);
  return scratch;
}
// Close() waits this long for queued bytes (and close_notify) to drain.
constexpr std::chrono::milliseconds kCloseGracePeriod{2000};

std::string DescribeAddress(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (address.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
    uv_ip4_name(in, host, sizeof(host));
    port = ntohs(in->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    uv_ip6_name(in6, host, sizeof(host));
    port = ntohs(in6->sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return "unknown";
}

std::string UvError(int code) {
  return std::string(uv_err_name(code)) + ": " + uv_strerror(code);
}

}  // namespace

// A write carries its own buffer until libuv calls back.
struct TlsConnection::WriteRequest {
  uv_write_t request;
  Bytes data;
};

TlsConnection::TlsConnection(uv_loop_s* /*loop*/,
                             std::shared_ptr<const crypto::TlsConfig> config,
                             const Options& options,
                             Delegate* delegate)
    : config_(std::move(config)),
      options_(options),
      delegate_(delegate),
      decoder_(options.max_frame_size, options.frame_budget) {}

TlsConnection::~TlsConnection() {
  delete tcp_;
  delete timer_;
}

Result<void> TlsConnection::Init(uv_loop_s* loop,
                                 uv_tcp_s* adopted,
                                 bool engine_on_first_byte) {
  // Handles first: from here on, Abort() is the one way out.
  tcp_ = adopted != nullptr ? adopted : new uv_tcp_t;
  timer_ = new uv_timer_t;
  if (adopted == nullptr)
    uv_tcp_init(loop, tcp_);
  uv_timer_init(loop, timer_);
  tcp_->data = this;
  timer_->data = this;
  open_handles_ = 2;

  SetDeadline(options_.handshake_timeout, "TLS handshake timed out");
  // An accepted socket gets its TLS state (~30 KB in mbedTLS) with its
  // first byte: sockets that never speak cost the relay next to nothing.
  if (engine_on_first_byte)
    return {};
  return CreateEngine();
}

Result<void> TlsConnection::CreateEngine() {
  auto engine = crypto::TlsEngine::Create(config_);
  if (!engine)
    return MakeError(engine.error().message);
  engine_ = std::move(*engine);
  return {};
}

TlsConnection* TlsConnection::Accept(
    uv_stream_s* server,
    std::shared_ptr<const crypto::TlsConfig> config,
    const Options& options,
    Delegate* delegate,
    std::string* error) {
  auto* connection =
      new TlsConnection(server->loop, std::move(config), options, delegate);
  auto init =
      connection->Init(server->loop, nullptr, /*engine_on_first_byte=*/true);
  // Accept even when Init failed, so the socket leaves the backlog.
  int ret = uv_accept(server, reinterpret_cast<uv_stream_t*>(connection->tcp_));
  if (!init || ret != 0) {
    *error = !init ? init.error().message : "accept failed: " + UvError(ret);
    connection->delegate_ = nullptr;  // the caller never saw it
    connection->Abort(*error);
    return nullptr;
  }
  uv_tcp_nodelay(connection->tcp_, 1);
  sockaddr_storage peer{};
  int length = sizeof(peer);
  if (uv_tcp_getpeername(connection->tcp_, reinterpret_cast<sockaddr*>(&peer),
                         &length) == 0) {
    connection->peer_address_ = DescribeAddress(peer);
  }
  connection->StartReading();
  return connection;
}

TlsConnection* TlsConnection::Connect(
    uv_loop_s* loop,
    const sockaddr* address,
    std::shared_ptr<const crypto::TlsConfig> config,
    const Options& options,
    Delegate* delegate,
    std::string* error) {
  auto* connection =
      new TlsConnection(loop, std::move(config), options, delegate);
  if (auto init = connection->Init(loop); !init) {
    *error = init.error().message;
    connection->delegate_ = nullptr;  // the caller never saw it
    connection->Abort(*error);
    return nullptr;
  }
  sockaddr_storage copy{};
  std::memcpy(&copy, address,
              address->sa_family == AF_INET6 ? sizeof(sockaddr_in6)
                                             : sizeof(sockaddr_in));
  connection->peer_address_ = DescribeAddress(copy);
  auto* request = new uv_connect_t;
  request->data = connection;
  int ret = uv_tcp_connect(
      request, connection->tcp_, address, [](uv_connect_t* req, int status) {
        auto* self = static_cast<TlsConnection*>(req->data);
        delete req;
        self->OnConnected(status);
      });
  if (ret != 0) {
    delete request;
    *error =
        "cannot connect to " + connection->peer_address_ + ": " + UvError(ret);
    connection->delegate_ = nullptr;
    connection->Abort(*error);
    return nullptr;
  }
  return connection;
}

TlsConnection* TlsConnection::ConnectOver(
    uv_tcp_s* tcp,
    Bytes received,
    std::shared_ptr<const crypto::TlsConfig> config,
    const Options& options,
    Delegate* delegate,
    std::string* error) {
  auto* connection =
      new TlsConnection(tcp->loop, std::move(config), options, delegate);
  // Init adopts the handle first, so a failure below still closes it.
  if (auto init = connection->Init(tcp->loop, tcp); !init) {
    *error = init.error().message;
    connection->delegate_ = nullptr;  // the caller never saw it
    connection->Abort(*error);
    return nullptr;
  }
  sockaddr_storage peer{};
  int length = sizeof(peer);
  if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&peer), &length) ==
      0) {
    connection->peer_address_ = DescribeAddress(peer);
  }
  uv_tcp_nodelay(tcp, 1);
  if (!received.empty()) {
    connection->bytes_received_ += received.size();
    connection->engine_->FeedIncoming(received);
  }
  connection->StartReading();
  // The client speaks first: ClientHello. No delegate call can come from
  // this: the server has not answered yet, and failures close
  // asynchronously.
  if (connection->state_ == State::kOpen)
    connection->ProcessIncoming();
  return connection;
}

void TlsConnection::OnConnected(int status) {
  if (state_ != State::kOpen)
    return;
  if (status != 0) {
    Abort("cannot connect to " + peer_address_ + ": " + UvError(status));
    return;
  }
  uv_tcp_nodelay(tcp_, 1);
  StartReading();
  // The client speaks first: ClientHello.
  ProcessIncoming();
}

void TlsConnection::AllocCallback(uv_handle_s* handle,
                                  size_t /*suggested*/,
                                  uv_buf_t* buf) {
  static_cast<void>(handle);
  // libuv reads into it and calls OnRead at once, which copies it out.
  Bytes& scratch = CiphertextScratch();
  buf->base = reinterpret_cast<char*>(scratch.data());
  buf->len = scratch.size();
}

void TlsConnection::StartReading() {
  if (reading_ || paused_ || state_ != State::kOpen)
    return;
  int ret = uv_read_start(
      reinterpret_cast<uv_stream_t*>(tcp_), &TlsConnection::AllocCallback,
      [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
        static_cast<TlsConnection*>(stream->data)->OnRead(nread, buf);
      });
  if (ret != 0) {
    Abort("cannot read: " + UvError(ret));
    return;
  }
  reading_ = true;
}

void TlsConnection::PauseReading() {
  paused_ = true;
  if (reading_) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(tcp_));
    reading_ = false;
  }
}

void TlsConnection::ResumeReading() {
  if (!paused_)
    return;
  paused_ = false;
  StartReading();
}

void TlsConnection::OnRead(long nread, const uv_buf_t* buf) {
  if (nread == 0)
    return;  // EAGAIN
  if (nread < 0) {
    if (nread == UV_EOF) {
      Abort(engine_ && engine_->handshake_complete()
                ? "peer closed the connection"
                : "peer closed during handshake");
    } else {
      Abort("read failed: " + UvError(static_cast<int>(nread)));
    }
    return;
  }
  bytes_received_ += static_cast<uint64_t>(nread);
  if (!engine_) {
    if (auto created = CreateEngine(); !created) {
      Close("TLS setup failed: " + created.error().message);
      return;
    }
  }
  engine_->FeedIncoming(ByteSpan(reinterpret_cast<const uint8_t*>(buf->base),
                                 static_cast<size_t>(nread)));
  ProcessIncoming();
}

void TlsConnection::ProcessIncoming() {
  if (!engine_)
    return;  // nothing received yet
  if (!engine_->handshake_complete()) {
    auto done = engine_->Handshake();
    FlushEngine();
    if (!done) {
      Close("TLS handshake failed: " + done.error().message);
      return;
    }
    if (!*done)
      return;
  }
  if (!ready_notified_) {
    ready_notified_ = true;
    ClearDeadline();
    delegate_->OnTlsReady(*this);
    if (state_ != State::kOpen)
      return;
  }
  // Drain every record the engine holds, frame by frame.
  while (state_ == State::kOpen) {
    Bytes& plaintext = PlaintextScratch();
    auto read = engine_->Read(plaintext);
    if (!read) {
      FlushEngine();
      Close("TLS error: " + read.error().message);
      return;
    }
    if (*read == 0)
      break;
    if (byte_stream_) {
      delegate_->OnBytes(*this, ByteSpan(plaintext).first(*read));
      continue;
    }
    // Copied into the decoder before any delegate call can reuse the
    // scratch buffer.
    if (auto fed = decoder_.Feed(ByteSpan(plaintext).first(*read)); !fed) {
      Close("protocol error: " + fed.error().message);
      return;
    }
    while (state_ == State::kOpen) {
      auto payload = decoder_.Next();
      if (!payload)
        break;
      delegate_->OnFrame(*this, std::move(*payload));
    }
  }
  FlushEngine();
  if (state_ == State::kOpen && engine_->peer_closed()) {
    Close("peer ended the TLS session");
  }
}

Result<void> TlsConnection::SendFrame(
    const google::protobuf::MessageLite& message) {
  if (state_ != State::kOpen)
    return MakeError("connection is closing");
  if (!engine_ || !engine_->handshake_complete()) {
    return MakeError("TLS handshake not complete");
  }
  Bytes frame;
  if (auto appended =
          AppendMessageFrame(message, options_.max_frame_size, frame);
      !appended) {
    return appended;
  }
  return SendBytes(frame);
}

Result<void> TlsConnection::SendPayload(ByteSpan payload) {
  if (state_ != State::kOpen)
    return MakeError("connection is closing");
  Bytes frame;
  if (auto appended = AppendFrame(payload, options_.max_frame_size, frame);
      !appended) {
    return appended;
  }
  return SendBytes(frame);
}

void TlsConnection::UseAsByteStream(Delegate* delegate) {
  byte_stream_ = true;
  delegate_ = delegate;
}

Result<void> TlsConnection::SendBytes(ByteSpan bytes) {
  if (state_ != State::kOpen)
    return MakeError("connection is closing");
  if (!engine_ || !engine_->handshake_complete()) {
    return MakeError("TLS handshake not complete");
  }
  if (auto written = engine_->Write(bytes); !written) {
    std::string reason = "TLS error: " + written.error().message;
    Close(reason);
    return MakeError(reason);
  }
  FlushEngine();
  return {};
}

std::string TlsConnection::alpn() const {
  return engine_ ? engine_->alpn() : std::string();
}

void TlsConnection::FlushEngine() {
  if (state_ == State::kClosed || !engine_ || !engine_->HasOutgoing())
    return;
  Bytes out = engine_->TakeOutgoing();
  pending_bytes_ += out.size();
  queue_.push_back(std::move(out));
  WriteNext();
}

void TlsConnection::WriteNext() {
  if (in_flight_ != nullptr || queue_.empty() || state_ == State::kClosed) {
    return;
  }
  // Coalesce everything queued into one write.
  auto* request = new WriteRequest;
  if (queue_.size() == 1) {
    request->data = std::move(queue_.front());
  } else {
    for (const Bytes& chunk : queue_) {
      request->data.insert(request->data.end(), chunk.begin(), chunk.end());
    }
  }
  queue_.clear();
  request->request.data = this;
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(request->data.data()),
                             static_cast<unsigned>(request->data.size()));
  in_flight_ = request;
  int ret = uv_write(&request->request, reinterpret_cast<uv_stream_t*>(tcp_),
                     &buf, 1, [](uv_write_t* req, int status) {
                       auto* self = static_cast<TlsConnection*>(req->data);
                       self->OnWriteDone(status);
                     });
  if (ret != 0) {
    in_flight_ = nullptr;
    pending_bytes_ -= request->data.size();
    delete request;
    Abort("write failed: " + UvError(ret));
  }
}

void TlsConnection::OnWriteDone(int status) {
  WriteRequest* done = in_flight_;
  in_flight_ = nullptr;
  pending_bytes_ -= done->data.size();
  bytes_sent_ += done->data.size();
  delete done;
  if (status != 0) {
    if (status != UV_ECANCELED)
      Abort("write failed: " + UvError(status));
    return;
  }
  if (!queue_.empty()) {
    WriteNext();
    return;
  }
  if (state_ == State::kClosing) {
    Abort(close_reason_);  // drained: close the handles now
  } else if (state_ == State::kOpen) {
    delegate_->OnDrained(*this);
  }
}

void TlsConnection::SetDeadline(std::chrono::milliseconds timeout,
                                std::string reason) {
  if (state_ == State::kClosed)
    return;
  deadline_reason_ = std::move(reason);
  uv_timer_start(
      timer_,
      [](uv_timer_t* timer) {
        static_cast<TlsConnection*>(timer->data)->OnDeadline();
      },
      static_cast<uint64_t>(timeout.count()), 0);
}

void TlsConnection::ClearDeadline() {
  if (state_ != State::kClosed)
    uv_timer_stop(timer_);
}

void TlsConnection::OnDeadline() {
  if (state_ == State::kOpen) {
    Close(deadline_reason_);
  } else {
    Abort(close_reason_);  // the grace period for draining ran out
  }
}

void TlsConnection::Close(std::string reason) {
  if (state_ != State::kOpen)
    return;
  state_ = State::kClosing;
  close_reason_ = std::move(reason);
  PauseReading();
  if (engine_)
    engine_->Close();
  FlushEngine();
  if (in_flight_ == nullptr && queue_.empty()) {
    Abort(close_reason_);
    return;
  }
  // Give queued bytes a moment to reach the peer, then close regardless.
  deadline_reason_ = close_reason_;
  uv_timer_start(
      timer_,
      [](uv_timer_t* timer) {
        static_cast<TlsConnection*>(timer->data)->OnDeadline();
      },
      static_cast<uint64_t>(kCloseGracePeriod.count()), 0);
}

void TlsConnection::Abort(std::string reason) {
  if (state_ == State::kClosed)
    return;
  if (state_ == State::kOpen)
    close_reason_ = std::move(reason);
  state_ = State::kClosed;
  // Closing the TCP handle cancels an in-flight write (UV_ECANCELED).
  auto on_close = [](uv_handle_t* handle) {
    static_cast<TlsConnection*>(handle->data)->OnHandleClosed();
  };
  uv_close(reinterpret_cast<uv_handle_t*>(timer_), on_close);
  uv_close(reinterpret_cast<uv_handle_t*>(tcp_), on_close);
}

void TlsConnection::OnHandleClosed() {
  if (--open_handles_ > 0)
    return;
  Delegate* delegate = delegate_;
  delegate_ = nullptr;
  if (delegate)
    delegate->OnClosed(*this, close_reason_);
  delete this;
}

void TlsConnection::set_max_frame_size(size_t limit) {
  options_.max_frame_size = limit;
  decoder_.set_max_payload_size(limit);
}

bool TlsConnection::tls_ready() const {
  return engine_ && engine_->handshake_complete();
}

bool TlsConnection::certificate_rejected() const {
  return engine_ && engine_->certificate_rejected();
}

bool TlsConnection::protocol_refused() const {
  return engine_ && engine_->protocol_refused();
}

std::string TlsConnection::tls_description() const {
  if (!tls_ready())
    return "no TLS session";
  return engine_->protocol_version() + " " + engine_->cipher_suite();
}

}  // namespace tether::protocol
