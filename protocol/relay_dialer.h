#pragma once

// Opens the TCP stream an app speaks TLS over to the relay: resolves the
// name, connects (trying each address in turn, each for at most
// `attempt_timeout`) and, with a proxy, asks the proxy for a tunnel to the
// relay (HTTP CONNECT, protocol/http_connect.h), whose answer must also come
// within `attempt_timeout`. One dialer reaches one relay; whoever holds a
// list of relays starts the next dialer when one fails.
// The result is a connected uv_tcp_t for TlsConnection::ConnectOver, plus
// any bytes the proxy sent after its answer (the start of the TLS stream).
//
// Loop thread only. A dialer owns itself from Start() until its last libuv
// callback: exactly one Callback call, unless Cancel() comes first (no call
// then). The pointer is dead once the callback has run or Cancel() returned.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "protocol/proxy_settings.h"

struct uv_loop_s;
struct uv_tcp_s;
struct uv_buf_t;
struct uv_stream_s;
struct addrinfo;

namespace tether::protocol {

class RelayDialer {
 public:
  struct Target {
    std::string relay_host;
    uint16_t relay_port = 0;
    std::optional<ProxyAddress> proxy;  // nullopt: connect directly
    // For each TCP connect, and for the proxy's answer: a relay that is
    // down behind a firewall that drops packets costs this, not the OS's
    // two minutes.
    std::chrono::milliseconds attempt_timeout{3000};
  };

  struct Connected {
    uv_tcp_s* tcp = nullptr;  // the receiver owns it (a `new uv_tcp_t`)
    Bytes received;           // TLS bytes that came with the proxy's answer
  };

  enum class Failure {
    kResolve,       // the name (relay's, or proxy's) did not resolve
    kConnect,       // no address accepted the TCP connection
    kProxyRefused,  // the proxy answered, but not with 2xx
    kProxyGarbled,  // the proxy's answer is not HTTP, too long, or cut off
  };
  struct DialError {
    Failure failure = Failure::kConnect;
    std::string detail;  // for the log
    int status = 0;      // kProxyRefused: the HTTP status and reason phrase
    std::string reason;
  };

  using Callback = std::function<void(Result<Connected, DialError>)>;

  // Returns nullptr, with the reason in `*error` and no callback, if the
  // lookup cannot even start. The callback never runs inside Start().
  static RelayDialer* Start(uv_loop_s* loop,
                            Target target,
                            Callback callback,
                            std::string* error);

  // No callback after this; handles close and the dialer deletes itself.
  // Not from inside the callback (the dialer is finished then anyway).
  void Cancel();

  RelayDialer(const RelayDialer&) = delete;
  RelayDialer& operator=(const RelayDialer&) = delete;

 private:
  // libuv requests (which must outlive their callbacks) and the resolved
  // addresses, kept out of this header with the C types they need.
  struct Uv;

  RelayDialer(uv_loop_s* loop, Target target, Callback callback);
  ~RelayDialer();

  // The host and port the TCP connection goes to: the proxy's, if any.
  const std::string& dial_host() const;
  uint16_t dial_port() const;

  int Resolve();
  void OnResolved(int status, addrinfo* result);
  void TryNextAddress();
  void OnTcpConnected(int status, uv_stream_s* stream);
  void StartAttemptTimer();
  void OnAttemptTimeout();
  void CloseTimer();
  void SendConnectRequest();
  void OnRequestWritten(int status);
  void OnRead(long nread, const uv_buf_t* buf);
  void HandOver();
  void Finish(Result<Connected, DialError> result);
  void Fail(Failure failure, std::string detail);
  void CloseSocket();
  // Deletes the dialer once no libuv callback is outstanding and it is
  // finished or cancelled. Called last in every entry point.
  void MaybeDelete();

  uv_loop_s* loop_;
  Target target_;
  Callback callback_;
  std::unique_ptr<Uv> uv_;
  size_t next_address_ = 0;
  uv_tcp_s* tcp_ = nullptr;
  Bytes response_;
  std::vector<char> read_buffer_;
  std::string last_error_;
  std::string address_text_;  // the address being tried, for the log
  int outstanding_ = 0;       // libuv callbacks still to come
  bool resolving_ = false;
  bool tcp_connecting_ = false;  // a TCP connect of tcp_ is pending
  bool timer_initialized_ = false;
  bool timer_closed_ = false;
  bool finished_ = false;
  bool cancelled_ = false;
  bool request_written_ = false;
  bool tunnel_ready_ = false;  // the proxy said 2xx; waiting for the write
};

}  // namespace tether::protocol
