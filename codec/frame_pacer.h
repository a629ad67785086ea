#pragma once

#include <chrono>

#include "base/clock.h"

namespace tether::codec {

struct FramePacerLimits {
  int max_encoding = 2;  // frames captured but not yet encoded
  int max_unacked = 4;   // frames sent but not yet acknowledged (FrameAck)
  std::chrono::milliseconds min_capture_interval{33};
  // No keep-alive: on a static screen nothing is sent after the first
  // frame (and the encoder's top-offs); the link's own heartbeat keeps
  // the connection alive and the viewer keeps its last picture.
};

// Decides when the capture -> encode -> send loop may take the next frame,
// so that a slow link or a slow encoder makes frames drop instead of queue.
// Pure bookkeeping on an injected clock; not thread-safe (the loop's owner
// serialises calls). The loop:
//   if (pacer.CanCapture()) { pacer.OnCaptureStarted(); capture... }
//   if (pacer.OnFrameCaptured(has_changes)) { encode... then
//       pacer.OnFrameEncoded(sent); }   else drop the frame
//   on FrameAck: pacer.OnFrameAcked();
class FramePacer {
 public:
  explicit FramePacer(const Clock& clock, FramePacerLimits limits = {});
  FramePacer(const FramePacer&) = delete;
  FramePacer& operator=(const FramePacer&) = delete;

  // True when fewer than max_encoding frames are encoding, fewer than
  // max_unacked are in flight, and min_capture_interval has passed since
  // the previous capture.
  bool CanCapture() const;
  // When CanCapture() may next turn true because of time alone (a time in
  // the past if it already is true; the counters may still block).
  Clock::SteadyTime NextCaptureTime() const;
  void OnCaptureStarted();

  // A capture finished. Returns whether to encode it: yes if something
  // changed (or the caller needs a frame anyway: a top-off, a key frame
  // the viewer asked for), or if no frame was sent yet. A `true` answer
  // counts the frame as encoding.
  bool OnFrameCaptured(bool has_changes);
  // The encode finished; `sent` if its packet went to the network.
  void OnFrameEncoded(bool sent);
  // The viewer acknowledged a frame. Extra acks (a confused or malicious
  // peer) are ignored.
  void OnFrameAcked();

  int frames_encoding() const { return encoding_; }
  int frames_unacked() const { return unacked_; }

 private:
  const Clock& clock_;
  FramePacerLimits limits_;
  int encoding_ = 0;
  int unacked_ = 0;
  bool captured_before_ = false;
  bool sent_before_ = false;
  Clock::SteadyTime last_capture_{};
};

}  // namespace tether::codec
