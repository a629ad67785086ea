#pragma once

// Length-prefixed framing: every frame on a Tether stream is a 4-byte
// big-endian payload length followed by the payload (one protobuf message).
// A frame over the stream's limit ends the connection: the limit is checked
// as soon as the length arrives, before its payload is waited for, so besides
// complete frames not yet taken, a decoder holds at most one partial frame of
// at most `max_payload_size + 4` bytes.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"

namespace tether::protocol {

inline constexpr size_t kFrameHeaderSize = 4;
// Client ↔ relay control messages are small.
inline constexpr size_t kDefaultControlFrameLimit = 1 << 20;
// Relayed peer frames carry video key frames and file chunks.
inline constexpr size_t kDefaultRelayedFrameLimit = 8 << 20;

// Appends header + payload to `out`. Fails if the payload exceeds `limit`.
Result<void> AppendFrame(ByteSpan payload, size_t limit, Bytes& out);

// Reassembles frames from a byte stream, whatever way it is split.
// Single-threaded. After an error, every call fails with the same error.
class FrameDecoder {
 public:
  explicit FrameDecoder(size_t max_payload_size);

  // Adds stream bytes. Fails when a header announces an oversize frame.
  Result<void> Feed(ByteSpan data);

  // Removes and returns the next complete payload, if one is buffered.
  std::optional<Bytes> Next();

  // Call when the stream ends: fails if it ended inside a frame.
  Result<void> Finish() const;

  size_t max_payload_size() const { return max_payload_size_; }
  // Applies to frames whose header has not arrived yet (e.g. the relay
  // raises the limit once a connection is authenticated and paired).
  void set_max_payload_size(size_t limit) { max_payload_size_ = limit; }
  size_t buffered_bytes() const { return buffer_.size() - read_offset_; }

 private:
  void Compact();

  size_t max_payload_size_;
  Bytes buffer_;
  size_t read_offset_ = 0;       // start of the next frame to return
  size_t unchecked_offset_ = 0;  // start of the first header not yet checked
  std::optional<std::string> error_;
};

}  // namespace tether::protocol
