#include "protocol/framing.h"

#include <algorithm>

namespace tether::protocol {
namespace {

uint32_t ReadBigEndian32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 |
         uint32_t{p[3]};
}

std::string OversizeMessage(size_t size, size_t limit) {
  return "frame of " + std::to_string(size) + " bytes exceeds the limit of " +
         std::to_string(limit) + " bytes";
}

}  // namespace

Result<void> AppendFrame(ByteSpan payload, size_t limit, Bytes& out) {
  // The header holds 32 bits whatever the configured limit.
  if (payload.size() > limit || payload.size() > UINT32_MAX) {
    return MakeError(OversizeMessage(payload.size(), limit));
  }
  const auto size = static_cast<uint32_t>(payload.size());
  const uint8_t header[kFrameHeaderSize] = {
      static_cast<uint8_t>(size >> 24), static_cast<uint8_t>(size >> 16),
      static_cast<uint8_t>(size >> 8), static_cast<uint8_t>(size)};
  out.insert(out.end(), header, header + kFrameHeaderSize);
  out.insert(out.end(), payload.begin(), payload.end());
  return {};
}

FrameDecoder::FrameDecoder(size_t max_payload_size, FrameMemoryBudget* budget)
    : max_payload_size_(max_payload_size), budget_(budget) {}

FrameDecoder::~FrameDecoder() {
  if (budget_ != nullptr)
    budget_->Return(reserved_);
}

void FrameDecoder::Fail(std::string message) {
  error_ = std::move(message);
  Bytes().swap(buffer_);
  read_offset_ = unchecked_offset_ = 0;
  if (budget_ != nullptr)
    budget_->Return(reserved_);
  reserved_ = 0;
}

Result<void> FrameDecoder::Feed(ByteSpan data) {
  if (error_)
    return MakeError(*error_);
  buffer_.insert(buffer_.end(), data.begin(), data.end());
  // Check each header as soon as it is complete, before its payload is
  // waited for.
  while (buffer_.size() >= kFrameHeaderSize &&
         unchecked_offset_ <= buffer_.size() - kFrameHeaderSize) {
    const size_t frame_size =
        ReadBigEndian32(buffer_.data() + unchecked_offset_);
    if (frame_size > max_payload_size_) {
      Fail(OversizeMessage(frame_size, max_payload_size_));
      return MakeError(*error_);
    }
    if (budget_ != nullptr && frame_size > FrameMemoryBudget::kLargeFrame) {
      if (!budget_->Reserve(frame_size)) {
        Fail("no memory left for a frame of " + std::to_string(frame_size) +
             " bytes right now (all connections together are at their "
             "limit)");
        return MakeError(*error_);
      }
      reserved_ += frame_size;
    }
    unchecked_offset_ += kFrameHeaderSize + frame_size;
  }
  return {};
}

std::optional<Bytes> FrameDecoder::Next() {
  if (error_ || buffered_bytes() < kFrameHeaderSize)
    return std::nullopt;
  const size_t frame_size = ReadBigEndian32(buffer_.data() + read_offset_);
  if (buffered_bytes() < kFrameHeaderSize + frame_size)
    return std::nullopt;
  const auto begin =
      buffer_.begin() + static_cast<ptrdiff_t>(read_offset_ + kFrameHeaderSize);
  Bytes payload(begin, begin + static_cast<ptrdiff_t>(frame_size));
  read_offset_ += kFrameHeaderSize + frame_size;
  if (budget_ != nullptr && frame_size > FrameMemoryBudget::kLargeFrame) {
    budget_->Return(frame_size);
    reserved_ -= frame_size;
  }
  Compact();
  return payload;
}

Result<void> FrameDecoder::Finish() const {
  if (error_)
    return MakeError(*error_);
  const size_t pending = buffered_bytes();
  if (pending == 0)
    return {};
  if (pending < kFrameHeaderSize) {
    return MakeError("stream ended inside a frame header (" +
                     std::to_string(pending) + " of 4 bytes)");
  }
  const size_t frame_size = ReadBigEndian32(buffer_.data() + read_offset_);
  if (pending >= kFrameHeaderSize + frame_size)
    return {};  // unread frames
  return MakeError("stream ended inside a frame (" +
                   std::to_string(pending - kFrameHeaderSize) + " of " +
                   std::to_string(frame_size) + " bytes)");
}

void FrameDecoder::Compact() {
  if (read_offset_ == buffer_.size()) {
    ClearAndRelease(buffer_);
    read_offset_ = unchecked_offset_ = 0;
    return;
  }
  // Drop consumed bytes once they are the larger part of the buffer, so
  // the cost stays linear in the bytes fed.
  if (read_offset_ == 0 || read_offset_ < buffer_.size() / 2)
    return;
  buffer_.erase(buffer_.begin(),
                buffer_.begin() + static_cast<ptrdiff_t>(read_offset_));
  unchecked_offset_ -= read_offset_;
  read_offset_ = 0;
  // What is left is small next to what a large frame made room for.
  if (buffer_.capacity() > kKeptBufferCapacity &&
      buffer_.size() < buffer_.capacity() / 4) {
    buffer_.shrink_to_fit();
  }
}

}  // namespace tether::protocol
