#pragma once

// "Show my screen": the technician's own display, captured, encoded and
// sent to the customer while the customer allowed the view switch. The
// same shape as the customer's ScreenSender (customer-app/core/
// screen_sender.h), kept small and separate because supporter-app must not
// depend on customer-app: capture -> encode -> send on a thread of its own,
// at most a few unacknowledged frames in flight (codec::FramePacer and the
// customer's FrameAcks), nothing captured while the link's queue is long.
// Frames are dropped, never queued. No cursor shapes: the customer's
// window shows the picture only.
//
// Threads: every method from any thread; the capturer, encoder and pacer
// live on the sender's thread. After Stop() returns no VideoFrame is sent.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "codec/video_encoder.h"
#include "protocol/peer.pb.h"

namespace tether::supporter {

class OwnScreenSender {
 public:
  // Sends one message; false when the link's queue is full.
  using SendFunction = std::function<bool(proto::PeerMessage)>;
  // Bytes waiting to go out (PeerSession::pending_bytes()).
  using PendingFunction = std::function<size_t()>;
  // The display cannot be captured or encoded; called on the sender's
  // thread, after which the sender is stopped.
  using FailureFunction = std::function<void(const std::string& reason)>;

  struct Options {
    std::string display;  // empty: $DISPLAY
    codec::Codec codec = codec::Codec::kVp8;
    // Nothing is captured while more than this waits to be sent.
    size_t max_pending_bytes = 512 * 1024;
  };

  OwnScreenSender(Options options,
                  SendFunction send,
                  PendingFunction pending,
                  FailureFunction failed);
  ~OwnScreenSender();  // stops and joins
  OwnScreenSender(const OwnScreenSender&) = delete;
  OwnScreenSender& operator=(const OwnScreenSender&) = delete;

  // Starts sending the whole display; the first frame is a key frame.
  void Start();
  // Nothing more is sent once this returns.
  void Stop();
  void OnFrameAck();
  void RequestKeyFrame();

  bool active() const { return active_.load(); }
  uint64_t frames_sent() const { return frames_sent_.load(); }

 private:
  enum class Command { kStart, kStop, kAck, kKeyFrame };
  struct Loop;

  void Post(Command command);
  void Run();
  // Sends unless stopped; the check and the send are one step for Stop().
  bool SendIfActive(proto::PeerMessage message);

  const Options options_;
  const SendFunction send_;
  const PendingFunction pending_;
  const FailureFunction failed_;

  std::mutex mutex_;  // guards commands_, quit_
  std::condition_variable wake_;
  std::deque<Command> commands_;
  bool quit_ = false;

  std::mutex send_mutex_;  // held around "if active: send"
  std::atomic<bool> active_{false};
  std::atomic<uint64_t> frames_sent_{0};
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace tether::supporter
