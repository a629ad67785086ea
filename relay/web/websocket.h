#pragma once

// WebSocket (RFC 6455) on the relay's HTTPS port, server side: the
// handshake's answer, and frames in both directions. A browser customer
// carries the same framed messages over it as a native app carries over
// TLS (one binary message = one frame payload, protocol/framing.h), so the
// broker serves both alike.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "relay/web/http_request.h"

namespace tether::protocol {
class FrameMemoryBudget;
}

namespace tether::relay::web {

// Close codes (RFC 6455 section 7.4.1).
enum class WebSocketClose : uint16_t {
  kNormal = 1000,
  kGoingAway = 1001,
  kProtocolError = 1002,
  kUnsupportedData = 1003,  // a text message: we speak binary only
  kPolicyViolation = 1008,
  kTooBig = 1009,
  kInternalError = 1011,
};

// The 101 answer to a valid upgrade request, or why it is not one (the
// caller answers 400 with it). Checks method GET, Upgrade: websocket,
// Connection: upgrade, Sec-WebSocket-Version: 13 and a 16-byte base64 key.
Result<std::string> WebSocketHandshakeAnswer(const HttpRequest& request);

// One server frame (unmasked, FIN set).
enum class WebSocketOpcode : uint8_t {
  kContinuation = 0,
  kText = 1,
  kBinary = 2,
  kClose = 8,
  kPing = 9,
  kPong = 10,
};
Bytes WebSocketFrame(WebSocketOpcode opcode, ByteSpan payload);
// A close frame with its code (and no reason text).
Bytes WebSocketCloseFrame(WebSocketClose code);

// Reads client frames: masked (an unmasked one is a protocol error), no
// extensions (RSV bits zero), control frames at most 125 bytes and not
// fragmented, binary messages of at most `max_message` bytes across their
// fragments. Messages over FrameMemoryBudget::kLargeFrame reserve their
// size from the relay-wide budget while they arrive, as TLS frames do.
// After an error every call fails with the same close code.
class WebSocketReader {
 public:
  struct Event {
    enum class Kind { kMessage, kPing, kPong, kClose } kind;
    Bytes payload;            // message, ping or pong data
    uint16_t close_code = 0;  // kClose: what the client sent (0: none)
  };

  WebSocketReader(size_t max_message, protocol::FrameMemoryBudget* budget);
  ~WebSocketReader();
  WebSocketReader(const WebSocketReader&) = delete;
  WebSocketReader& operator=(const WebSocketReader&) = delete;

  // Buffers bytes (fails when more than one frame's worth is waiting).
  Result<void> Feed(ByteSpan bytes);
  // The next complete event, nullopt while more bytes are needed, or the
  // error (then error() is the close code to send).
  Result<std::optional<Event>> Next();
  // Applies to messages not yet begun.
  void set_max_message(size_t bytes) { max_message_ = bytes; }
  // The close code of the first error (kProtocolError, kTooBig, ...).
  WebSocketClose error() const { return error_; }

 private:
  Error Fail(WebSocketClose code, std::string message);
  void ReturnReservation();

  size_t max_message_;
  protocol::FrameMemoryBudget* budget_;
  Bytes buffer_;   // received, not yet cut into frames
  Bytes message_;  // fragments of the binary message so far
  bool in_message_ = false;
  size_t reserved_ = 0;  // from budget_, for message_
  bool failed_ = false;
  WebSocketClose error_ = WebSocketClose::kNormal;
  std::string error_message_;
};

}  // namespace tether::relay::web
