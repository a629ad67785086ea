#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "relay/web/http_request.h"
#include "relay/web/http_response.h"

namespace tether::protocol {
class TlsConnection;
}

namespace tether::relay::web {

// HTTP/1.1 on one TLS connection whose handshake agreed on http/1.1: cuts
// requests out of the byte stream, hands them to the handler one at a
// time (not reading meanwhile: no pipelined request piles up), writes each
// answer and keeps the connection for the next request.
//
// Deadlines that talking does not renew (slowloris): a connection has
// `first_request` to send a whole request, and after each answer
// `keep_alive` to send the next whole one; a download must keep a minimal
// pace. A bad request is answered with its status and the connection ends.
// Loop thread only. Owned by whoever owns the TlsConnection's delegate,
// which forwards OnTlsReady/OnBytes/OnDrained here.
class WebConnection {
 public:
  // Answers a request exactly once, now or later, on the loop thread; the
  // answer of a connection that closed meanwhile is dropped.
  using Respond = std::function<void(HttpResponse)>;
  using Handler = std::function<void(HttpRequest, Respond)>;

  struct Options {
    std::chrono::milliseconds first_request{10'000};
    std::chrono::milliseconds keep_alive{30'000};
    uint32_t max_requests = 1000;  // then the connection closes
    HttpLimits limits;
    // Takes an Upgrade request (a WebSocket) with the bytes that came after
    // it, and from then on this object reads nothing more; or refuses it
    // with the answer to send (the connection then ends). Unset: 501.
    std::function<std::optional<HttpResponse>(HttpRequest, Bytes)> on_upgrade;
  };

  WebConnection(protocol::TlsConnection& connection,
                Handler handler,
                const Options& options);
  ~WebConnection();
  WebConnection(const WebConnection&) = delete;
  WebConnection& operator=(const WebConnection&) = delete;

  void Start();
  void OnBytes(ByteSpan bytes);
  void OnDrained();

 private:
  void Pump();
  void Answer(HttpResponse response, bool keep_alive);
  void SendFileChunks();
  void FinishAnswer();

  protocol::TlsConnection& connection_;
  Handler handler_;
  Options options_;
  HttpRequestParser parser_;
  Bytes buffer_;           // received, not yet parsed (bounded)
  bool busy_ = false;      // a request is being answered
  bool upgraded_ = false;  // the stream belongs to another protocol now
  bool keep_alive_ = false;
  uint32_t requests_ = 0;
  // A download being streamed.
  int file_ = -1;
  uint64_t file_left_ = 0;
  // Cleared when this object goes, so a late Respond does nothing.
  std::shared_ptr<bool> alive_;
};

}  // namespace tether::relay::web
