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

// Memory for large frames shared by many decoders (the relay's
// `limits.frame_memory`): a decoder reserves a large frame's size when its
// header arrives and returns it when the frame is taken or the decoder
// goes, so what all connections hold in partly received large frames stays
// under one bound. Single-threaded (one loop).
class FrameMemoryBudget {
 public:
  // Frames up to this size need no reservation: they are what control
  // traffic and most video is made of.
  static constexpr size_t kLargeFrame = 64 << 10;

  explicit FrameMemoryBudget(size_t bytes) : available_(bytes) {}
  FrameMemoryBudget(const FrameMemoryBudget&) = delete;
  FrameMemoryBudget& operator=(const FrameMemoryBudget&) = delete;

  bool Reserve(size_t bytes) {
    if (bytes > available_) {
      ++refused_;
      return false;
    }
    available_ -= bytes;
    return true;
  }
  void Return(size_t bytes) { available_ += bytes; }
  size_t available() const { return available_; }
  uint64_t refused() const { return refused_; }

 private:
  size_t available_;
  uint64_t refused_ = 0;
};

// Reassembles frames from a byte stream, whatever way it is split.
// Single-threaded. After an error, every call fails with the same error.
// Its buffer shrinks back once a large frame has been taken.
class FrameDecoder {
 public:
  // With a `budget`, frames over FrameMemoryBudget::kLargeFrame must fit in
  // it (Feed fails otherwise); the budget must outlive the decoder.
  explicit FrameDecoder(size_t max_payload_size,
                        FrameMemoryBudget* budget = nullptr);
  ~FrameDecoder();
  FrameDecoder(const FrameDecoder&) = delete;
  FrameDecoder& operator=(const FrameDecoder&) = delete;

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
  size_t buffer_capacity() const { return buffer_.capacity(); }

 private:
  void Compact();
  void Fail(std::string message);

  size_t max_payload_size_;
  FrameMemoryBudget* budget_;
  size_t reserved_ = 0;  // from budget_, for large frames not yet taken
  Bytes buffer_;
  size_t read_offset_ = 0;       // start of the next frame to return
  size_t unchecked_offset_ = 0;  // start of the first header not yet checked
  std::optional<std::string> error_;
};

}  // namespace tether::protocol
