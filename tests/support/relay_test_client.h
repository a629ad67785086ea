#pragma once

// A blocking TLS client for tests: a plain socket, crypto::TlsEngine and
// the frame codec, so tests speak to a real relay the way an app would,
// with deadlines on every wait.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "protocol/framing.h"
#include "protocol/relay.pb.h"

namespace tether::crypto {
class TlsEngine;
}

namespace tether::test {

class RelayTestClient {
 public:
  // `source_ip`, when set, is the local address to connect from (any of
  // 127.0.0.0/8 works on Linux): how a test plays a second client network.
  static Result<std::unique_ptr<RelayTestClient>> Connect(
      uint16_t port,
      const std::string& fingerprint,
      std::chrono::milliseconds timeout = std::chrono::seconds(5),
      const std::string& source_ip = "",
      // The ALPN ids offered: Tether's by default, as the apps; "http/1.1"
      // plays a browser, none an app before 0.3.
      const std::vector<std::string>& alpn = {"tether/1"});
  ~RelayTestClient();
  RelayTestClient(const RelayTestClient&) = delete;
  RelayTestClient& operator=(const RelayTestClient&) = delete;

  Result<void> Send(const proto::ClientMessage& message);
  // Like Send, but gives up once the socket has taken nothing for `timeout`
  // (the relay stopped reading); what was not sent yet stays queued.
  Result<void> Send(const proto::ClientMessage& message,
                    std::chrono::milliseconds timeout);
  // Sends `payload` as one frame, whatever it holds (not a valid message,
  // for instance).
  Result<void> SendPayload(ByteSpan payload);
  // Sends only the first `prefix` bytes of the message's frame (header
  // included), as a slow or hostile sender would; the rest never follows.
  Result<void> SendPrefix(const proto::ClientMessage& message, size_t prefix);
  // Plaintext as it is, unframed (a browser's HTTP), and what arrives.
  Result<void> SendBytes(ByteSpan bytes);
  // Some plaintext (at least one byte); an error on timeout or close.
  Result<Bytes> ReceiveBytes(
      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // The ALPN id the handshake agreed on; empty if none.
  std::string alpn() const;

  // The next message other than a Heartbeat; an error on timeout or close.
  Result<proto::RelayMessage> Receive(
      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // True once the relay closed the connection (draining what it sent).
  bool WaitClosed(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Conveniences for the common openings.
  Result<proto::RelayMessage> Hello(proto::Role role);
  Result<proto::RelayMessage> Login(const std::string& user,
                                    const std::string& password,
                                    const std::string& totp = "");

  int fd() const { return fd_; }
  // "TLSv1.3 TLS1-3-AES-256-GCM-SHA384": what the handshake agreed on.
  std::string tls_description() const;

 private:
  RelayTestClient() = default;
  // Reads from the socket into the engine; false on close/timeout/error.
  Result<void> Pump(std::chrono::steady_clock::time_point deadline);
  // Sends what the engine produced, after anything left over. Blocks until
  // all is sent, or with a deadline gives up when the socket stays full.
  Result<void> Flush(
      std::optional<std::chrono::steady_clock::time_point> deadline = {});

  int fd_ = -1;
  std::unique_ptr<crypto::TlsEngine> engine_;
  protocol::FrameDecoder decoder_{protocol::kDefaultRelayedFrameLimit + 64};
  bool closed_ = false;
  Bytes unsent_;  // ciphertext a bounded Flush could not hand over
};

}  // namespace tether::test
