#pragma once

// The technician's screen on the customer's side, while the customer lets
// the technician show it (view switch): received VideoFrames are decoded
// on a thread of this class (never the app thread), each one is
// acknowledged (FrameAck, which the technician's pacer waits for), a
// decode error asks for a key frame, and the newest picture waits in a
// one-picture slot for the UI. A picture not taken before the next one is
// ready is replaced: a slow UI shows fewer pictures, never older ones.
// Past a small queue bound the backlog is thrown away (acked all the
// same), a key frame is asked for, and frames are skipped until it comes.
//
// The approach of supporter-app/core/video_receiver.h, kept small and on
// this side because the customer core must not depend on the supporter's.
//
// Threads: Receive() and TakePicture() from any thread. `send` and
// `picture_ready` run on the decode thread (`send` also in Receive() for
// thrown-away frames); neither runs after the destructor returns.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "desktop/desktop_frame.h"
#include "protocol/peer.pb.h"

namespace tether::customer {

class TechnicianScreenReceiver {
 public:
  // One message to the technician (FrameAck, KeyFrameRequest). False when
  // the link refused it (not retried: the next frame acks again).
  using SendFunction = std::function<bool(proto::PeerMessage)>;
  // The slot went from empty to full: call TakePicture(). Not called again
  // until the picture was taken.
  using ReadyFunction = std::function<void()>;

  struct Options {
    // The technician keeps at most a few frames unacknowledged, so an
    // honest stream never comes near these.
    size_t max_queued_frames = 16;
    size_t max_queued_bytes = 32 << 20;
    // Larger pictures are refused before the decoder allocates for them.
    desktop::DesktopSize max_size{8192, 8192};
  };

  TechnicianScreenReceiver(Options options,
                           SendFunction send,
                           ReadyFunction picture_ready);
  ~TechnicianScreenReceiver();  // stops and joins the decode thread
  TechnicianScreenReceiver(const TechnicianScreenReceiver&) = delete;
  TechnicianScreenReceiver& operator=(const TechnicianScreenReceiver&) = delete;

  void Receive(proto::VideoFrame frame);
  // The newest picture not taken yet (null: none).
  std::shared_ptr<const desktop::DesktopFrame> TakePicture();

  uint64_t frames_decoded() const;

 private:
  struct Queued {
    proto::VideoFrame frame;
    bool chain_broken = false;  // frames before it were thrown away
  };
  struct DecoderState;

  void Run();
  void Decode(Queued queued);
  void Ack(uint64_t frame_id, uint32_t decode_time_us);
  void AskForKeyFrame();

  const Options options_;
  const SendFunction send_;
  const ReadyFunction picture_ready_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Queued> queue_;
  size_t queued_bytes_ = 0;
  bool chain_broken_ = false;
  bool stop_ = false;
  std::shared_ptr<const desktop::DesktopFrame> slot_;
  uint64_t frames_decoded_ = 0;

  std::unique_ptr<DecoderState> decoder_;  // decode thread only
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace tether::customer
