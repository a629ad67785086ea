#pragma once

// What a VideoReceiver sends back to the sender (acks, key frame
// requests), counted, with bounded waits: the sender's side of the link in
// the streaming tests.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "streaming/video_receiver.h"

namespace tether::streaming::test {

class ReceiverReplies {
 public:
  // For VideoReceiver's `send`; `this` must outlive the receiver.
  VideoReceiver::SendFunction Function() {
    return [this](proto::PeerMessage m) {
      std::lock_guard lock(mutex_);
      acks_ += m.has_frame_ack() ? 1 : 0;
      key_requests_ += m.has_key_frame_request() ? 1 : 0;
      changed_.notify_all();
      return true;
    };
  }
  uint64_t acks() {
    std::lock_guard lock(mutex_);
    return acks_;
  }
  int key_requests() {
    std::lock_guard lock(mutex_);
    return key_requests_;
  }
  bool WaitForAcks(uint64_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kTimeout, [&] { return acks_ >= n; });
  }
  bool WaitForKeyRequest() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kTimeout, [&] { return key_requests_ > 0; });
  }

 private:
  static constexpr std::chrono::seconds kTimeout{10};
  std::mutex mutex_;
  std::condition_variable changed_;
  uint64_t acks_ = 0;
  int key_requests_ = 0;
};

}  // namespace tether::streaming::test
