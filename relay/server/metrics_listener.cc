#include "relay/server/metrics_listener.h"

#include <uv.h>

#include <memory>

#include "base/log.h"
#include "protocol/host_port.h"

namespace tether::relay {
namespace {

constexpr size_t kMaxRequestBytes = 8 * 1024;
constexpr uint64_t kRequestTimeoutMs = 5000;

std::string Response(const std::string& status,
                     const std::string& body,
                     const std::string& type) {
  return "HTTP/1.1 " + status + "\r\nContent-Type: " + type +
         "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace

std::string MetricsHttpResponse(const std::string& request_head,
                                const std::string& metrics_text) {
  const size_t line_end = request_head.find("\r\n");
  const std::string line = request_head.substr(0, line_end);
  if (line.rfind("GET /metrics ", 0) == 0 || line == "GET /metrics") {
    return Response("200 OK", metrics_text,
                    "text/plain; version=0.0.4; charset=utf-8");
  }
  if (line.rfind("GET ", 0) == 0) {
    return Response("404 Not Found", "only /metrics is served here\n",
                    "text/plain");
  }
  return Response("405 Method Not Allowed", "use GET /metrics\n", "text/plain");
}

// One HTTP exchange: owns its TCP and timer handles until both close.
struct MetricsListener::Request {
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_write_t write;
  const Render* render = nullptr;  // the listener outlives the loop's run
  std::string head;
  std::string response;
  char buffer[1024];
  int open_handles = 2;
  bool answered = false;

  void CloseAll() {
    auto done = [](uv_handle_t* h) {
      auto* self = static_cast<Request*>(h->data);
      if (--self->open_handles == 0)
        delete self;
    };
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&tcp))) {
      uv_close(reinterpret_cast<uv_handle_t*>(&tcp), done);
    }
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&timer))) {
      uv_close(reinterpret_cast<uv_handle_t*>(&timer), done);
    }
  }
};

MetricsListener::MetricsListener(uv_loop_s* loop, Render render)
    : loop_(loop), render_(std::move(render)) {}

MetricsListener::~MetricsListener() {
  Close();
}

Result<std::unique_ptr<MetricsListener>> MetricsListener::Create(
    uv_loop_s* loop,
    const std::string& host,
    uint16_t port,
    Render render) {
  std::unique_ptr<MetricsListener> self(
      new MetricsListener(loop, std::move(render)));
  sockaddr_storage address{};
  const bool v6 = host.find(':') != std::string::npos;
  int ret = v6 ? uv_ip6_addr(host.c_str(), port,
                             reinterpret_cast<sockaddr_in6*>(&address))
               : uv_ip4_addr(host.c_str(), port,
                             reinterpret_cast<sockaddr_in*>(&address));
  if (ret != 0)
    return MakeError("metrics: bad address " + host);
  self->listener_ = new uv_tcp_t;
  uv_tcp_init(loop, self->listener_);
  self->listener_->data = self.get();
  ret = uv_tcp_bind(self->listener_, reinterpret_cast<sockaddr*>(&address), 0);
  if (ret == 0) {
    ret = uv_listen(
        reinterpret_cast<uv_stream_t*>(self->listener_), 16,
        [](uv_stream_t* server, int status) {
          if (status == 0) {
            static_cast<MetricsListener*>(server->data)->OnConnection();
          }
        });
  }
  if (ret != 0) {
    self->Close();
    return MakeError("metrics: cannot listen on " + host + ":" +
                     std::to_string(port) + ": " + uv_strerror(ret));
  }
  sockaddr_storage bound{};
  int length = sizeof(bound);
  uv_tcp_getsockname(self->listener_, reinterpret_cast<sockaddr*>(&bound),
                     &length);
  const int bound_port =
      ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  self->address_ = protocol::JoinHostPort(host, bound_port);
  return self;
}

void MetricsListener::Close() {
  if (listener_ == nullptr)
    return;
  uv_close(reinterpret_cast<uv_handle_t*>(listener_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
  listener_ = nullptr;
}

void MetricsListener::OnConnection() {
  auto* request = new Request;
  uv_tcp_init(loop_, &request->tcp);
  uv_timer_init(loop_, &request->timer);
  request->tcp.data = request;
  request->timer.data = request;
  request->write.data = request;
  if (uv_accept(reinterpret_cast<uv_stream_t*>(listener_),
                reinterpret_cast<uv_stream_t*>(&request->tcp)) != 0) {
    request->CloseAll();
    return;
  }
  uv_timer_start(
      &request->timer,
      [](uv_timer_t* t) { static_cast<Request*>(t->data)->CloseAll(); },
      kRequestTimeoutMs, 0);
  request->render = &render_;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&request->tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* self = static_cast<Request*>(h->data);
        buf->base = self->buffer;
        buf->len = sizeof(self->buffer);
      },
      [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
        auto* self = static_cast<Request*>(stream->data);
        if (nread < 0) {
          self->CloseAll();
          return;
        }
        if (self->answered)
          return;
        self->head.append(buf->base, static_cast<size_t>(nread));
        if (self->head.size() > kMaxRequestBytes) {
          self->CloseAll();
          return;
        }
        if (self->head.find("\r\n\r\n") == std::string::npos)
          return;
        self->answered = true;
        self->response = MetricsHttpResponse(self->head, (*self->render)());
        uv_buf_t out =
            uv_buf_init(self->response.data(),
                        static_cast<unsigned>(self->response.size()));
        uv_read_stop(stream);
        if (uv_write(&self->write, stream, &out, 1, [](uv_write_t* w, int) {
              static_cast<Request*>(w->data)->CloseAll();
            }) != 0) {
          self->CloseAll();
        }
      });
}

}  // namespace tether::relay
