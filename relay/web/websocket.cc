#include "relay/web/websocket.h"

#include <algorithm>

#include "base/ascii.h"
#include "crypto/digest.h"
#include "protocol/framing.h"

namespace tether::relay::web {
namespace {

constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr size_t kMaxControlPayload = 125;
constexpr size_t kMaxHeader = 14;  // 2 + 8 (length) + 4 (mask)

// Whether a comma-separated header value lists `token` (any case).
bool HasToken(const std::string* value, std::string_view token) {
  if (value == nullptr)
    return false;
  std::string_view rest(*value);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ')
      item.remove_suffix(1);
    if (EqualsIgnoreAsciiCase(item, token))
      return true;
    if (comma == std::string_view::npos)
      break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

Result<std::string> WebSocketHandshakeAnswer(const HttpRequest& request) {
  if (request.method != "GET")
    return MakeError("a WebSocket opens with GET");
  if (!HasToken(request.Header("upgrade"), "websocket") ||
      !HasToken(request.Header("connection"), "upgrade")) {
    return MakeError("not a WebSocket upgrade");
  }
  const std::string* version = request.Header("sec-websocket-version");
  if (version == nullptr || *version != "13")
    return MakeError("WebSocket version 13 is required");
  const std::string* key = request.Header("sec-websocket-key");
  // 16 random bytes in base64: 24 characters ending in "==".
  if (key == nullptr || key->size() != 24 || !key->ends_with("==")) {
    return MakeError("the WebSocket key is missing or malformed");
  }
  const std::string joined = *key + std::string(kAcceptGuid);
  const auto digest = crypto::Sha1(
      ByteSpan(reinterpret_cast<const uint8_t*>(joined.data()), joined.size()));
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
         "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
         crypto::Base64Encode(digest) + "\r\n\r\n";
}

Bytes WebSocketFrame(WebSocketOpcode opcode, ByteSpan payload) {
  Bytes frame;
  frame.reserve(payload.size() + 10);
  frame.push_back(static_cast<uint8_t>(0x80 | static_cast<uint8_t>(opcode)));
  const uint64_t n = payload.size();
  if (n < 126) {
    frame.push_back(static_cast<uint8_t>(n));
  } else if (n <= 0xFFFF) {
    frame.push_back(126);
    frame.push_back(static_cast<uint8_t>(n >> 8));
    frame.push_back(static_cast<uint8_t>(n));
  } else {
    frame.push_back(127);
    for (int shift = 56; shift >= 0; shift -= 8)
      frame.push_back(static_cast<uint8_t>(n >> shift));
  }
  frame.insert(frame.end(), payload.begin(), payload.end());
  return frame;
}

Bytes WebSocketCloseFrame(WebSocketClose code) {
  const auto value = static_cast<uint16_t>(code);
  const uint8_t payload[2] = {static_cast<uint8_t>(value >> 8),
                              static_cast<uint8_t>(value)};
  return WebSocketFrame(WebSocketOpcode::kClose, ByteSpan(payload, 2));
}

WebSocketReader::WebSocketReader(size_t max_message,
                                 protocol::FrameMemoryBudget* budget)
    : max_message_(max_message), budget_(budget) {}

WebSocketReader::~WebSocketReader() {
  ReturnReservation();
}

void WebSocketReader::ReturnReservation() {
  if (budget_ != nullptr && reserved_ > 0)
    budget_->Return(reserved_);
  reserved_ = 0;
}

Error WebSocketReader::Fail(WebSocketClose code, std::string message) {
  if (!failed_) {
    failed_ = true;
    error_ = code;
    error_message_ = std::move(message);
    buffer_.clear();
    buffer_.shrink_to_fit();
    message_.clear();
    message_.shrink_to_fit();
    ReturnReservation();
  }
  return Error{error_message_};
}

Result<void> WebSocketReader::Feed(ByteSpan bytes) {
  if (failed_)
    return Unexpected(Error{error_message_});
  // At most one whole frame ahead: a client cannot make us hold more than
  // the message it may send.
  if (buffer_.size() + bytes.size() > max_message_ + kMaxHeader) {
    return Unexpected(
        Fail(WebSocketClose::kTooBig, "WebSocket data over the size limit"));
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  return {};
}

Result<std::optional<WebSocketReader::Event>> WebSocketReader::Next() {
  if (failed_)
    return Unexpected(Error{error_message_});
  for (;;) {
    if (buffer_.size() < 2)
      return std::optional<Event>();
    const uint8_t b0 = buffer_[0];
    const uint8_t b1 = buffer_[1];
    const bool fin = (b0 & 0x80) != 0;
    const auto opcode = static_cast<WebSocketOpcode>(b0 & 0x0F);
    if ((b0 & 0x70) != 0) {
      return Unexpected(
          Fail(WebSocketClose::kProtocolError, "WebSocket extension bits set"));
    }
    if ((b1 & 0x80) == 0) {
      return Unexpected(Fail(WebSocketClose::kProtocolError,
                             "a client's WebSocket frame must be masked"));
    }
    size_t header = 2;
    uint64_t length = b1 & 0x7F;
    if (length == 126) {
      if (buffer_.size() < 4)
        return std::optional<Event>();
      length = (uint64_t{buffer_[2]} << 8) | buffer_[3];
      header = 4;
    } else if (length == 127) {
      if (buffer_.size() < 10)
        return std::optional<Event>();
      length = 0;
      for (int i = 2; i < 10; ++i)
        length = (length << 8) | buffer_[i];
      header = 10;
    }
    const bool control = (static_cast<uint8_t>(opcode) & 0x08) != 0;
    if (control && (!fin || length > kMaxControlPayload)) {
      return Unexpected(Fail(WebSocketClose::kProtocolError,
                             "a WebSocket control frame over 125 bytes or "
                             "fragmented"));
    }
    if (!control) {
      if (opcode == WebSocketOpcode::kText)
        return Unexpected(Fail(WebSocketClose::kUnsupportedData,
                               "only binary WebSocket messages are served"));
      const bool continues = opcode == WebSocketOpcode::kContinuation;
      if (continues != in_message_ ||
          (opcode != WebSocketOpcode::kBinary && !continues)) {
        return Unexpected(Fail(WebSocketClose::kProtocolError,
                               "WebSocket fragments out of order"));
      }
      if (length > max_message_ - std::min(max_message_, message_.size())) {
        return Unexpected(
            Fail(WebSocketClose::kTooBig, "WebSocket message too large"));
      }
      // A large message reserves its memory before it is received.
      const size_t total = message_.size() + static_cast<size_t>(length);
      if (budget_ != nullptr &&
          total > protocol::FrameMemoryBudget::kLargeFrame &&
          total > reserved_) {
        if (!budget_->Reserve(total - reserved_)) {
          return Unexpected(Fail(WebSocketClose::kTooBig,
                                 "the relay's memory for large messages is "
                                 "in use"));
        }
        reserved_ = total;
      }
    }
    header += 4;  // the mask
    if (buffer_.size() < header + length)
      return std::optional<Event>();
    const uint8_t* mask = buffer_.data() + header - 4;
    Bytes payload(
        buffer_.begin() + static_cast<std::ptrdiff_t>(header),
        buffer_.begin() + static_cast<std::ptrdiff_t>(header + length));
    for (size_t i = 0; i < payload.size(); ++i)
      payload[i] ^= mask[i % 4];
    buffer_.erase(
        buffer_.begin(),
        buffer_.begin() + static_cast<std::ptrdiff_t>(header + length));

    switch (opcode) {
      case WebSocketOpcode::kPing:
        return std::optional<Event>(
            Event{Event::Kind::kPing, std::move(payload)});
      case WebSocketOpcode::kPong:
        return std::optional<Event>(
            Event{Event::Kind::kPong, std::move(payload)});
      case WebSocketOpcode::kClose: {
        Event close{Event::Kind::kClose, {}};
        if (payload.size() >= 2)
          close.close_code =
              static_cast<uint16_t>((payload[0] << 8) | payload[1]);
        return std::optional<Event>(std::move(close));
      }
      default:
        break;
    }
    message_.insert(message_.end(), payload.begin(), payload.end());
    in_message_ = !fin;
    if (fin) {
      Event done{Event::Kind::kMessage, std::move(message_)};
      message_ = Bytes();  // the capacity goes with the message
      ReturnReservation();
      return std::optional<Event>(std::move(done));
    }
  }
}

}  // namespace tether::relay::web
