#pragma once

// Capture -> encode -> send, on a thread of its own: the screen capturer,
// the VP8/VP9 encoder, the frame pacer and (optionally) the cursor monitor.
// Both apps send with it: the customer's screen while the customer allows
// the view, the technician's own screen during a view switch. Runs only
// between Start() and Stop(); after Stop() returns, no VideoFrame, cursor
// or anything else of the screen is sent. A slow link drops frames (pacer:
// at most a few unacknowledged frames, nothing captured while the link's
// send queue is long), never queues them.
//
// Threads: every method from any thread; the capturer, encoder and pacer
// live on the sender's thread.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/clock.h"
#include "codec/video_encoder.h"
#include "desktop/capture/screen_capturer.h"
#include "protocol/peer.pb.h"
#include "streaming/picture_planner.h"

namespace tether::streaming {

class ScreenSender {
 public:
  // Sends one message; false when the link's queue is full.
  using SendFunction = std::function<bool(proto::PeerMessage)>;
  // Bytes waiting to go out (PeerSession::pending_bytes()).
  using PendingFunction = std::function<size_t()>;
  // A capture that cannot go on (display gone, source vanished, or on
  // Wayland the desktop's dialog cancelled: a declined error); called on
  // the sender's thread, after which the sender is stopped.
  using FailureFunction = std::function<void(const Error& error)>;

  struct Options {
    std::string display;  // empty: this session's desktop (X11 or Wayland)
    codec::Codec codec = codec::Codec::kVp8;
    // Nothing is captured while more than this waits to be sent.
    size_t max_pending_bytes = 512 * 1024;
    // CursorShape/CursorPosition too (the technician draws the customer's
    // pointer; the customer's window shows the technician's picture only).
    bool send_cursor = true;
    // Called on the sender's thread with true before the desktop's own
    // sharing dialog opens (Wayland) and false once it was answered.
    std::function<void(bool asking)> desktop_asking;
  };

  ScreenSender(Options options,
               SendFunction send,
               PendingFunction pending,
               FailureFunction failed);
  ~ScreenSender();  // stops and joins
  ScreenSender(const ScreenSender&) = delete;
  ScreenSender& operator=(const ScreenSender&) = delete;

  // Starts sending `source` (or switches to it): the next frame is a
  // keyframe of the new source.
  void Start(const desktop::CaptureSource& source);
  // Nothing more is sent once this returns.
  void Stop();
  void OnFrameAck();
  void RequestKeyFrame();
  // The codec for the next Start() (what the viewer's app decodes, agreed
  // with it); a running stream keeps its own.
  void SetCodec(codec::Codec codec) { codec_ = codec; }
  // For the next Start(): the viewer's app keeps an exact layer
  // (SessionTerms.exact_pictures): moves, lossless patches and the
  // lossless top-off besides the video. `recorded`: every change still
  // goes as video, which is all a recording keeps.
  void SetExactPictures(bool on, bool recorded) {
    exact_pictures_ = on;
    recorded_ = recorded;
  }

  bool active() const { return active_.load(); }
  uint64_t frames_sent() const { return frames_sent_.load(); }

 private:
  enum class Command { kStart, kStop, kAck, kKeyFrame };
  struct Loop;

  void Post(Command command,
            std::optional<desktop::CaptureSource> source = std::nullopt);
  void Run();
  // Sends unless stopped; the check and the send are one step for Stop().
  bool SendIfActive(proto::PeerMessage message);
  // The captured frame into `out`: as the planner says (moves, video,
  // patches), or video only when there is no planner.
  Result<void> Encode(Loop& loop,
                      const PicturePlan* plan,
                      Clock::SteadyTime now,
                      proto::VideoFrame* out);

  Options options_;
  SendFunction send_;
  PendingFunction pending_;
  FailureFunction failed_;

  std::mutex mutex_;  // guards commands_, quit_
  std::condition_variable wake_;
  std::deque<std::pair<Command, std::optional<desktop::CaptureSource>>>
      commands_;
  bool quit_ = false;

  std::mutex send_mutex_;  // held around "if active: send"
  std::atomic<bool> active_{false};
  std::atomic<codec::Codec> codec_;
  std::atomic<bool> exact_pictures_{false};
  std::atomic<bool> recorded_{false};
  std::atomic<uint64_t> frames_sent_{0};
  std::thread thread_;
};

// One capture as it goes on the wire (size, moves, video, patches; the
// caller sets id, codec, times and origin): the video codes the plan's
// tiles, or the frame's dirty rects when there is no plan; no video data
// when the plan has none for it.
Result<void> EncodeCapture(desktop::DesktopFrame& capture,
                           const PicturePlan* plan,
                           codec::VideoEncoder& encoder,
                           const codec::EncodeParams& params,
                           proto::VideoFrame* out);

}  // namespace tether::streaming
