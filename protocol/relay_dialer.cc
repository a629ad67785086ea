#include "protocol/relay_dialer.h"

#include <netdb.h>
#include <netinet/in.h>
#include <uv.h>

#include <cstring>
#include <utility>

#include "base/log.h"
#include "protocol/http_connect.h"

namespace tether::protocol {
namespace {

constexpr size_t kReadBufferSize = 4096;

std::string UvError(int code) {
  return std::string(uv_err_name(code)) + ": " + uv_strerror(code);
}

std::string AddressText(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (address.ss_family == AF_INET6) {
    uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(&address), text,
                sizeof(text));
    return std::string("[") + text + "]";
  }
  uv_ip4_name(reinterpret_cast<const sockaddr_in*>(&address), text,
              sizeof(text));
  return text;
}

}  // namespace

struct RelayDialer::Uv {
  uv_getaddrinfo_t resolve{};
  // Bounds each TCP connect and the wait for the proxy's answer.
  uv_timer_t attempt_timer{};
  uv_write_t write{};
  std::string request;  // the CONNECT request, alive until written
  std::vector<sockaddr_storage> addresses;
};

RelayDialer* RelayDialer::Start(uv_loop_s* loop,
                                Target target,
                                Callback callback,
                                std::string* error) {
  auto* dialer = new RelayDialer(loop, std::move(target), std::move(callback));
  if (int ret = dialer->Resolve(); ret != 0) {
    *error = "cannot resolve " + dialer->dial_host() + ": " + UvError(ret);
    delete dialer;
    return nullptr;
  }
  uv_timer_init(loop, &dialer->uv_->attempt_timer);
  dialer->uv_->attempt_timer.data = dialer;
  dialer->timer_initialized_ = true;
  return dialer;
}

RelayDialer::RelayDialer(uv_loop_s* loop, Target target, Callback callback)
    : loop_(loop),
      target_(std::move(target)),
      callback_(std::move(callback)),
      uv_(std::make_unique<Uv>()),
      read_buffer_(kReadBufferSize) {
  if (target_.attempt_timeout.count() <= 0)
    target_.attempt_timeout = std::chrono::milliseconds(3000);
}

RelayDialer::~RelayDialer() = default;

const std::string& RelayDialer::dial_host() const {
  return target_.proxy ? target_.proxy->host : target_.relay_host;
}

uint16_t RelayDialer::dial_port() const {
  return target_.proxy ? target_.proxy->port : target_.relay_port;
}

int RelayDialer::Resolve() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  uv_->resolve.data = this;
  const std::string port = std::to_string(dial_port());
  int ret = uv_getaddrinfo(
      loop_, &uv_->resolve,
      [](uv_getaddrinfo_t* request, int status, addrinfo* result) {
        static_cast<RelayDialer*>(request->data)->OnResolved(status, result);
      },
      dial_host().c_str(), port.c_str(), &hints);
  if (ret == 0) {
    resolving_ = true;
    ++outstanding_;
  }
  return ret;
}

void RelayDialer::OnResolved(int status, addrinfo* result) {
  --outstanding_;
  resolving_ = false;
  for (addrinfo* a = result; status == 0 && a != nullptr; a = a->ai_next) {
    if (a->ai_family != AF_INET && a->ai_family != AF_INET6)
      continue;
    sockaddr_storage address{};
    std::memcpy(&address, a->ai_addr, a->ai_addrlen);
    uv_->addresses.push_back(address);
  }
  if (result != nullptr)
    uv_freeaddrinfo(result);
  if (!cancelled_) {
    if (status != 0 || uv_->addresses.empty()) {
      Fail(Failure::kResolve,
           "cannot resolve " + dial_host() + ": " +
               (status != 0 ? UvError(status) : "no IPv4 or IPv6 address"));
    } else {
      TryNextAddress();
    }
  }
  MaybeDelete();
}

void RelayDialer::TryNextAddress() {
  if (next_address_ >= uv_->addresses.size()) {
    Fail(Failure::kConnect, "cannot connect to " + dial_host() + ":" +
                                std::to_string(dial_port()) + ": " +
                                last_error_);
    return;
  }
  const sockaddr_storage& address = uv_->addresses[next_address_++];
  address_text_ = AddressText(address);
  tcp_ = new uv_tcp_t;
  uv_tcp_init(loop_, tcp_);
  tcp_->data = this;
  // One request per attempt: a timed-out attempt's request is still
  // pending (it calls back with UV_ECANCELED once its socket is closed)
  // while the next one runs.
  auto* connect = new uv_connect_t;
  connect->data = this;
  int ret =
      uv_tcp_connect(connect, tcp_, reinterpret_cast<const sockaddr*>(&address),
                     [](uv_connect_t* request, int status) {
                       auto* self = static_cast<RelayDialer*>(request->data);
                       uv_stream_t* stream = request->handle;
                       delete request;
                       self->OnTcpConnected(status, stream);
                     });
  if (ret != 0) {
    delete connect;
    last_error_ = UvError(ret);
    CloseSocket();
    TryNextAddress();
    return;
  }
  ++outstanding_;
  tcp_connecting_ = true;
  StartAttemptTimer();
}

void RelayDialer::OnTcpConnected(int status, uv_stream_s* stream) {
  --outstanding_;
  // After a failure, a timeout or Cancel() the socket was closed, which
  // cancels the request: nothing to do for it.
  const bool current =
      tcp_ != nullptr && stream == reinterpret_cast<uv_stream_t*>(tcp_);
  if (!cancelled_ && !finished_ && current) {
    tcp_connecting_ = false;
    uv_timer_stop(&uv_->attempt_timer);
    if (status != 0) {
      last_error_ = UvError(status);
      log::Info("TCP connect to {} ({}:{}) failed: {}", dial_host(),
                address_text_, dial_port(), last_error_);
      CloseSocket();
      TryNextAddress();
    } else if (target_.proxy) {
      SendConnectRequest();
      if (!finished_)
        StartAttemptTimer();  // for the proxy's answer
    } else {
      HandOver();
    }
  }
  MaybeDelete();
}

void RelayDialer::StartAttemptTimer() {
  uv_timer_start(
      &uv_->attempt_timer,
      [](uv_timer_t* timer) {
        auto* self = static_cast<RelayDialer*>(timer->data);
        self->OnAttemptTimeout();
        self->MaybeDelete();
      },
      static_cast<uint64_t>(target_.attempt_timeout.count()), 0);
}

void RelayDialer::OnAttemptTimeout() {
  if (cancelled_ || finished_)
    return;
  const std::string waited = "no answer within " +
                             std::to_string(target_.attempt_timeout.count()) +
                             " ms";
  if (tcp_connecting_) {
    tcp_connecting_ = false;
    last_error_ = waited;
    log::Info("TCP connect to {} ({}:{}) failed: {}", dial_host(),
              address_text_, dial_port(), waited);
    CloseSocket();
    TryNextAddress();
    return;
  }
  // Connected to the proxy, which has not answered CONNECT in time.
  Fail(Failure::kConnect,
       "the proxy " + dial_host() + ":" + std::to_string(dial_port()) +
           " did not open the tunnel to " + target_.relay_host + ":" +
           std::to_string(target_.relay_port) + ": " + waited);
}

void RelayDialer::CloseTimer() {
  if (timer_closed_ || !timer_initialized_)
    return;
  timer_closed_ = true;
  ++outstanding_;
  uv_close(reinterpret_cast<uv_handle_t*>(&uv_->attempt_timer),
           [](uv_handle_t* handle) {
             auto* self = static_cast<RelayDialer*>(handle->data);
             --self->outstanding_;
             self->MaybeDelete();
           });
}

void RelayDialer::SendConnectRequest() {
  uv_->request = BuildConnectRequest(target_.relay_host, target_.relay_port);
  uv_buf_t bytes = uv_buf_init(uv_->request.data(),
                               static_cast<unsigned>(uv_->request.size()));
  uv_->write.data = this;
  int ret = uv_write(
      &uv_->write, reinterpret_cast<uv_stream_t*>(tcp_), &bytes, 1,
      [](uv_write_t* request, int status) {
        static_cast<RelayDialer*>(request->data)->OnRequestWritten(status);
      });
  if (ret != 0) {
    Fail(Failure::kConnect, "cannot send to the proxy: " + UvError(ret));
    return;
  }
  ++outstanding_;
  ret = uv_read_start(
      reinterpret_cast<uv_stream_t*>(tcp_),
      [](uv_handle_t* handle, size_t, uv_buf_t* buf) {
        auto* self = static_cast<RelayDialer*>(handle->data);
        buf->base = self->read_buffer_.data();
        buf->len = self->read_buffer_.size();
      },
      [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
        auto* self = static_cast<RelayDialer*>(stream->data);
        self->OnRead(nread, buf);
        self->MaybeDelete();
      });
  if (ret != 0) {
    Fail(Failure::kConnect, "cannot read from the proxy: " + UvError(ret));
  }
}

void RelayDialer::OnRequestWritten(int status) {
  --outstanding_;
  request_written_ = true;
  if (!cancelled_ && !finished_) {
    if (status != 0) {
      Fail(Failure::kProxyGarbled,
           "the proxy closed the connection: " + UvError(status));
    } else if (tunnel_ready_) {
      HandOver();
    }
  }
  MaybeDelete();
}

void RelayDialer::OnRead(long nread, const uv_buf_t* buf) {
  if (cancelled_ || finished_ || tunnel_ready_ || nread == 0)
    return;
  if (nread < 0) {
    Fail(Failure::kProxyGarbled,
         nread == UV_EOF
             ? "the proxy closed the connection without answering"
             : "reading from the proxy: " + UvError(static_cast<int>(nread)));
    return;
  }
  response_.insert(response_.end(), buf->base, buf->base + nread);
  auto parsed = ParseConnectResponse(response_);
  if (!parsed) {
    Fail(Failure::kProxyGarbled, parsed.error().message);
    return;
  }
  if (!parsed->has_value())
    return;  // the head is not complete yet
  const ConnectResponse& answer = **parsed;
  if (!answer.success()) {
    DialError error;
    error.failure = Failure::kProxyRefused;
    error.status = answer.status;
    error.reason = answer.reason;
    error.detail = "the proxy answered CONNECT with " +
                   std::to_string(answer.status) + " " + answer.reason;
    CloseSocket();
    Finish(Unexpected(std::move(error)));
    return;
  }
  // What follows the head is the relay's TLS stream: keep it for TLS.
  uv_read_stop(reinterpret_cast<uv_stream_t*>(tcp_));
  response_.erase(response_.begin(),
                  response_.begin() + static_cast<ptrdiff_t>(answer.head_size));
  tunnel_ready_ = true;
  uv_timer_stop(&uv_->attempt_timer);
  // The write request must have called back before the handle changes
  // hands: it points at this dialer.
  if (request_written_)
    HandOver();
}

void RelayDialer::HandOver() {
  uv_tcp_t* tcp = std::exchange(tcp_, nullptr);
  tcp->data = nullptr;
  Finish(Connected{tcp, std::move(response_)});
}

void RelayDialer::Finish(Result<Connected, DialError> result) {
  if (finished_ || cancelled_)
    return;
  finished_ = true;
  Callback callback = std::move(callback_);
  callback_ = nullptr;
  callback(std::move(result));
}

void RelayDialer::Fail(Failure failure, std::string detail) {
  CloseSocket();
  DialError error;
  error.failure = failure;
  error.detail = std::move(detail);
  Finish(Unexpected(std::move(error)));
}

void RelayDialer::CloseSocket() {
  if (tcp_ == nullptr)
    return;
  uv_tcp_t* tcp = std::exchange(tcp_, nullptr);
  // A pending connect or write calls back first, with UV_ECANCELED.
  ++outstanding_;
  uv_close(reinterpret_cast<uv_handle_t*>(tcp), [](uv_handle_t* handle) {
    auto* self = static_cast<RelayDialer*>(handle->data);
    delete reinterpret_cast<uv_tcp_t*>(handle);
    --self->outstanding_;
    self->MaybeDelete();
  });
}

void RelayDialer::Cancel() {
  cancelled_ = true;
  callback_ = nullptr;
  // A lookup already running on the thread pool cannot be cancelled; its
  // callback then finds the dialer cancelled.
  if (resolving_)
    uv_cancel(reinterpret_cast<uv_req_t*>(&uv_->resolve));
  CloseSocket();
  MaybeDelete();
}

void RelayDialer::MaybeDelete() {
  if (!(finished_ || cancelled_))
    return;
  CloseTimer();
  if (outstanding_ == 0)
    delete this;
}

}  // namespace tether::protocol
