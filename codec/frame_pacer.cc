#include "codec/frame_pacer.h"

#include <cstdlib>

namespace tether::codec {

FramePacer::FramePacer(const Clock& clock, FramePacerLimits limits)
    : clock_(clock), limits_(limits) {}

bool FramePacer::CanCapture() const {
  return encoding_ < limits_.max_encoding && unacked_ < limits_.max_unacked &&
         clock_.SteadyNow() >= NextCaptureTime();
}

Clock::SteadyTime FramePacer::NextCaptureTime() const {
  if (!captured_before_)
    return Clock::SteadyTime::min();
  return last_capture_ + limits_.min_capture_interval;
}

void FramePacer::OnCaptureStarted() {
  captured_before_ = true;
  last_capture_ = clock_.SteadyNow();
}

bool FramePacer::OnFrameCaptured(bool has_changes) {
  // The frame was captured while a slot was free; it may only have filled
  // up since if the caller broke the loop's order.
  if (encoding_ >= limits_.max_encoding)
    std::abort();
  if (!has_changes && sent_before_)
    return false;
  ++encoding_;
  return true;
}

void FramePacer::OnFrameEncoded(bool sent) {
  if (encoding_ <= 0)
    std::abort();  // more encodes finished than started
  --encoding_;
  if (sent) {
    ++unacked_;
    sent_before_ = true;
  }
}

void FramePacer::OnFrameAcked() {
  if (unacked_ > 0)
    --unacked_;
}

}  // namespace tether::codec
