#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"

struct uv_loop_s;
struct uv_tcp_s;

namespace tether::relay {

// Serves GET /metrics (Prometheus text) over plain HTTP/1.1. Binds to
// 127.0.0.1 by default: the numbers are harmless, but nothing on the
// outside needs them. Requests are read up to 8 KiB and 5 s, then the
// connection closes. Loop thread only.
class MetricsListener {
 public:
  using Render = std::function<std::string()>;

  static Result<std::unique_ptr<MetricsListener>> Create(
      uv_loop_s* loop,
      const std::string& host,
      uint16_t port,
      Render render);
  ~MetricsListener();
  MetricsListener(const MetricsListener&) = delete;
  MetricsListener& operator=(const MetricsListener&) = delete;

  // Stops listening; open requests finish. Call before the loop ends.
  void Close();
  std::string address() const { return address_; }

 private:
  struct Request;
  MetricsListener(uv_loop_s* loop, Render render);
  void OnConnection();

  uv_loop_s* loop_;
  Render render_;
  uv_tcp_s* listener_ = nullptr;
  std::string address_;
};

// The response to one HTTP request head (exposed for tests and the fuzzer).
std::string MetricsHttpResponse(const std::string& request_head,
                                const std::string& metrics_text);

}  // namespace tether::relay
