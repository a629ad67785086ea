#pragma once

// The other side's screen: received VideoFrames are decoded on a thread of
// this class (never the UI thread), each one is acknowledged (FrameAck with
// the decode time, which the sender's pacer waits for), a decode error asks
// for a key frame, and the newest picture waits in a one-picture slot for
// the UI. A picture the UI has not taken when the next one is ready is
// replaced and counted as dropped: a slow UI shows fewer pictures, never
// older ones, and nothing queues without bound. Compressed frames are never
// dropped one by one (each depends on the one before); past the queue's
// bound the whole backlog goes, a key frame is asked for (again every
// key_frame_retry), and frames are skipped until it comes. A sender whose
// frames keep failing to decode is given up (stream_failed).
//
// Both apps receive with it: the technician the customer's screen, the
// customer the technician's during a view switch.
//
// Threads: Receive(), TakePicture(), OnPeerStats() and TakeStats() may be
// called from any thread. `picture_ready` and `stream_failed` run on the
// decode thread; `send` there too, and in Receive() for frames thrown
// away. None runs after the destructor returns.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/result.h"
#include "desktop/desktop_frame.h"
#include "protocol/peer.pb.h"

namespace tether::streaming {

struct RemotePicture {
  std::shared_ptr<const desktop::DesktopFrame> frame;  // BGRX
  desktop::DesktopRect screen_origin;  // where it sits on the remote desktop
  uint64_t frame_id = 0;
};

struct VideoStats {
  double frames_per_second = 0;
  double kilobits_per_second = 0;
  double round_trip_ms = 0;     // from the sender's Stats / acks
  double decode_ms = 0;         // mean over the last second
  uint64_t frames_dropped = 0;  // decoded but replaced before shown
  uint64_t decode_errors = 0;
};

struct VideoReceiverOptions {
  // The sender keeps at most a few frames unacknowledged (codec/
  // frame_pacer.h), so an honest stream never comes near these.
  size_t max_queued_frames = 16;
  size_t max_queued_bytes = 32 << 20;
  // Larger pictures are refused before the decoder allocates for them.
  desktop::DesktopSize max_size{8192, 8192};
  // While frames are skipped for a missing key frame, ask again this often.
  std::chrono::milliseconds key_frame_retry{1000};
  // Undecodable frames in a row (the first bad one, then the key frames
  // asked for after it) before the stream is given up: an honest sender's
  // key frame always decodes, so this is a broken or hostile one.
  int max_failed_decodes = 3;
};

class VideoReceiver {
 public:
  // One message to the sender (FrameAck, KeyFrameRequest). False when
  // the link refused it (it is not retried: the next frame acks again).
  using SendFunction = std::function<bool(proto::PeerMessage)>;
  // The slot went from empty to full: call TakePicture() (on the UI's
  // thread). Not called again until the picture was taken.
  using ReadyFunction = std::function<void()>;
  // The stream was given up (max_failed_decodes): why, in words. Called
  // once, on the decode thread; nothing is decoded after it (frames are
  // still acknowledged, never shown).
  using FailFunction = std::function<void(const std::string& why)>;

  VideoReceiver(VideoReceiverOptions options,
                SendFunction send,
                ReadyFunction picture_ready,
                FailFunction stream_failed = {});
  ~VideoReceiver();  // stops and joins the decode thread
  VideoReceiver(const VideoReceiver&) = delete;
  VideoReceiver& operator=(const VideoReceiver&) = delete;

  void Receive(proto::VideoFrame frame);
  // The newest picture not taken yet.
  std::optional<RemotePicture> TakePicture();
  // The sender's own view of the link (round trip).
  void OnPeerStats(const proto::Stats& stats);
  // Numbers for the time since the previous call (fps, kbit/s, decode ms)
  // and totals (drops, errors).
  VideoStats TakeStats();

  // Totals, for tests and the session log.
  uint64_t frames_decoded() const;
  uint64_t decode_errors() const;
  uint64_t frames_dropped() const;

 private:
  struct Queued {
    proto::VideoFrame frame;
    bool chain_broken = false;  // frames before it were thrown away
  };

  void Run();
  void Decode(Queued queued);
  // The frame's picture: the decoded video (if any) with the exact layer
  // over it (streaming/exact_layer.h), dirty where either changed.
  Result<desktop::DesktopFrame> Compose(const proto::VideoFrame& frame);
  void Ack(uint64_t frame_id, uint32_t decode_time_us);
  void AskForKeyFrame();
  void Offer(RemotePicture picture);

  const VideoReceiverOptions options_;
  const SendFunction send_;
  const ReadyFunction picture_ready_;
  const FailFunction stream_failed_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Queued> queue_;
  size_t queued_bytes_ = 0;
  bool chain_broken_ = false;
  bool stop_ = false;

  // The slot and the numbers, under mutex_ too.
  std::optional<RemotePicture> slot_;
  uint64_t frames_decoded_ = 0;
  uint64_t decode_errors_ = 0;
  uint64_t frames_dropped_ = 0;
  uint64_t period_frames_ = 0;
  uint64_t period_bytes_ = 0;
  double period_decode_ms_ = 0;
  uint32_t round_trip_ms_ = 0;
  std::chrono::steady_clock::time_point period_start_;

  // Decode thread only.
  struct DecoderState;
  std::unique_ptr<DecoderState> decoder_;

  std::thread thread_;  // last: started once everything above exists
};

}  // namespace tether::streaming
