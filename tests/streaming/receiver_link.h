#pragma once

// The sender's end of a VideoReceiver's link in the streaming tests: what
// the receiver sends back (acks, key frame requests) and how often it
// announced a picture, with bounded waits; a test may hold the receiver's
// sends to stall its decode thread.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <vector>

#include "streaming/video_receiver.h"

namespace tether::streaming::test {

class ReceiverLink {
 public:
  // For VideoReceiver's `send` and `picture_ready`; `this` must outlive
  // the receiver.
  VideoReceiver::SendFunction SendFunction() {
    return [this](proto::PeerMessage m) { return Send(std::move(m)); };
  }
  VideoReceiver::ReadyFunction ReadyFunction() {
    return [this] { Ready(); };
  }

  bool Send(proto::PeerMessage message) {
    std::unique_lock lock(mutex_);
    // A test may hold the decode thread (or Receive's caller) here.
    if (hold_) {
      ++blocked_;
      changed_.notify_all();
      held_.wait(lock, [this] { return !hold_; });
      --blocked_;
    }
    if (message.has_frame_ack())
      acks_.push_back(message.frame_ack());
    if (message.has_key_frame_request())
      ++key_frame_requests_;
    changed_.notify_all();
    return true;
  }
  void Ready() {
    std::lock_guard lock(mutex_);
    ++ready_;
    changed_.notify_all();
  }
  void Hold(bool hold) {
    std::lock_guard lock(mutex_);
    hold_ = hold;
    held_.notify_all();
  }
  bool WaitForBlocked(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kTimeout, [&] { return blocked_ >= n; });
  }
  bool WaitForAcks(size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kTimeout, [&] { return acks_.size() >= n; });
  }
  bool WaitForKeyFrameRequest() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kTimeout,
                             [&] { return key_frame_requests_ > 0; });
  }
  std::vector<proto::FrameAck> acks() {
    std::lock_guard lock(mutex_);
    return acks_;
  }
  int key_frame_requests() {
    std::lock_guard lock(mutex_);
    return key_frame_requests_;
  }
  int ready() {
    std::lock_guard lock(mutex_);
    return ready_;
  }

 private:
  static constexpr std::chrono::seconds kTimeout{10};
  std::mutex mutex_;
  std::condition_variable changed_;
  std::condition_variable held_;
  bool hold_ = false;
  int blocked_ = 0;
  std::vector<proto::FrameAck> acks_;
  int key_frame_requests_ = 0;
  int ready_ = 0;
};

}  // namespace tether::streaming::test
