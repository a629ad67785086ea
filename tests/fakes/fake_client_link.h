#pragma once

// An in-memory relay::ClientLink for broker unit tests and the broker
// fuzzer: records what the broker sends and how it steers the link (pause,
// close, deadlines) instead of touching a socket. The test plays the server:
// it delivers frames with Broker::OnFrame and, once a link is closed, calls
// Broker::OnDisconnected itself.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "protocol/relay.pb.h"
#include "relay/broker/client_link.h"

namespace tether::test {

class FakeClientLink final : public relay::ClientLink {
 public:
  // Framing adds a 4-byte length to every payload.
  static constexpr size_t kFrameHeader = 4;

  explicit FakeClientLink(std::string peer_address)
      : peer_address_(std::move(peer_address)) {}

  // relay::ClientLink:
  void Send(const proto::RelayMessage& message) override {
    if (closed_)
      return;  // like the real link once it is closing
    std::string wire = message.SerializeAsString();
    const size_t frame = wire.size() + kFrameHeader;
    bytes_sent_ += frame;
    if (stalled_)
      pending_output_ += frame;
    if (keep_messages_) {
      sent_.push_back(message);
      wire_.push_back(std::move(wire));
    }
  }
  void SendPayload(ByteSpan payload) override {
    proto::RelayMessage message;
    if (message.ParseFromArray(payload.data(),
                               static_cast<int>(payload.size())))
      Send(message);
  }
  void Close(std::string reason) override {
    if (closed_)
      return;
    closed_ = true;
    close_reason_ = std::move(reason);
  }
  void PauseReading() override {
    if (!paused_)
      ++pauses_;
    paused_ = true;
  }
  void ResumeReading() override { paused_ = false; }
  size_t pending_output() const override { return pending_output_; }
  void set_max_frame_size(size_t limit) override { max_frame_size_ = limit; }
  void SetDeadline(std::chrono::milliseconds timeout,
                   std::string reason) override {
    deadline_ = timeout;
    deadline_reason_ = std::move(reason);
  }
  const std::string& peer_address() const override { return peer_address_; }
  uint64_t bytes_received() const override { return bytes_received_; }
  uint64_t bytes_sent() const override { return bytes_sent_; }

  // The test's side.
  // A stalled peer reads nothing: everything sent stays pending.
  void set_stalled(bool stalled) { stalled_ = stalled; }
  // The peer read everything; the caller then tells the broker OnDrained().
  void Drain() { pending_output_ = 0; }
  void CountReceived(size_t frame_bytes) { bytes_received_ += frame_bytes; }
  // The fuzzer sends thousands of messages and reads none of them.
  void set_keep_messages(bool keep) { keep_messages_ = keep; }

  bool closed() const { return closed_; }
  const std::string& close_reason() const { return close_reason_; }
  bool paused() const { return paused_; }
  int pauses() const { return pauses_; }
  size_t max_frame_size() const { return max_frame_size_; }
  std::chrono::milliseconds deadline() const { return deadline_; }
  const std::string& deadline_reason() const { return deadline_reason_; }

  // Everything sent so far, oldest first, and the same as serialized.
  const std::vector<proto::RelayMessage>& sent() const { return sent_; }
  const std::vector<std::string>& sent_wire() const { return wire_; }
  // Returns and forgets what was sent.
  std::vector<proto::RelayMessage> Take() {
    wire_.clear();
    return std::exchange(sent_, {});
  }
  size_t Count(proto::RelayMessage::BodyCase body) const {
    size_t n = 0;
    for (const auto& m : sent_)
      n += m.body_case() == body;
    return n;
  }

  // Bookkeeping for the test that plays the server.
  bool disconnected = false;

 private:
  std::string peer_address_;
  bool closed_ = false;
  std::string close_reason_;
  bool paused_ = false;
  int pauses_ = 0;
  bool stalled_ = false;
  bool keep_messages_ = true;
  size_t pending_output_ = 0;
  size_t max_frame_size_ = 0;
  std::chrono::milliseconds deadline_{0};
  std::string deadline_reason_;
  uint64_t bytes_received_ = 0;
  uint64_t bytes_sent_ = 0;
  std::vector<proto::RelayMessage> sent_;
  std::vector<std::string> wire_;
};

}  // namespace tether::test
