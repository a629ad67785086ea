#include "streaming/screen_sender.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "base/clock.h"
#include "base/log.h"
#include "codec/frame_pacer.h"
#include "codec/vpx_encoder.h"
#include "desktop/backend.h"
#include "desktop/capture/cursor_monitor.h"
#include "streaming/wire_codec.h"

namespace tether::streaming {
namespace {

using std::chrono::milliseconds;
// How often to look again when the link or the viewer holds us back.
constexpr milliseconds kBackoff{10};

void SetRect(proto::Rect* out, const desktop::DesktopRect& r) {
  out->set_x(r.x);
  out->set_y(r.y);
  out->set_width(r.width);
  out->set_height(r.height);
}

}  // namespace

// Everything that lives on the sender's thread.
struct ScreenSender::Loop {
  std::unique_ptr<desktop::ScreenCapturer> capturer;
  std::unique_ptr<codec::VideoEncoder> encoder;
  std::unique_ptr<codec::FramePacer> pacer;
  std::unique_ptr<desktop::CursorMonitor> cursor;
  std::unique_ptr<desktop::DesktopFrame> frame;
  desktop::CaptureStatus status = desktop::CaptureStatus::kSuccess;
  std::optional<desktop::DesktopPoint> cursor_position;
  uint64_t cursor_shape_id = 0;
  uint64_t frame_id = 0;
  Clock::SteadyTime last_encode{};
  bool running = false;
  // A key frame is owed (the viewer asked, or a frame did not go out):
  // encode the next capture even if the screen did not change, since
  // nothing else would be sent on a static screen.
  bool key_frame_owed = false;
  codec::Codec codec = codec::Codec::kVp8;  // of the running stream

  void Reset() {
    frame.reset();
    capturer.reset();
    encoder.reset();
    pacer.reset();
    cursor.reset();
    cursor_position.reset();
    last_encode = {};
    running = false;
  }
};

ScreenSender::ScreenSender(Options options,
                           SendFunction send,
                           PendingFunction pending,
                           FailureFunction failed)
    : options_(std::move(options)),
      send_(std::move(send)),
      pending_(std::move(pending)),
      failed_(std::move(failed)),
      codec_(options_.codec) {
  thread_ = std::thread([this] { Run(); });
}

ScreenSender::~ScreenSender() {
  Stop();
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ScreenSender::Start(const desktop::CaptureSource& source) {
  {
    std::lock_guard lock(send_mutex_);
    active_ = true;
  }
  Post(Command::kStart, source);
}

void ScreenSender::Stop() {
  {
    // Waits for a send in progress; none starts afterwards.
    std::lock_guard lock(send_mutex_);
    active_ = false;
  }
  Post(Command::kStop);
}

void ScreenSender::OnFrameAck() {
  Post(Command::kAck);
}

void ScreenSender::RequestKeyFrame() {
  Post(Command::kKeyFrame);
}

void ScreenSender::Post(Command command,
                        std::optional<desktop::CaptureSource> source) {
  {
    std::lock_guard lock(mutex_);
    // Acks only count; a flood of them must not grow the queue.
    if (commands_.size() >= 1024 &&
        (command == Command::kAck || command == Command::kKeyFrame)) {
      return;
    }
    commands_.emplace_back(command, std::move(source));
  }
  wake_.notify_all();
}

bool ScreenSender::SendIfActive(proto::PeerMessage message) {
  std::lock_guard lock(send_mutex_);
  if (!active_)
    return false;
  return send_(std::move(message));
}

void ScreenSender::Run() {
  const Clock& clock = Clock::System();
  Loop loop;
  bool link_full = false;
  const auto fail = [&](const Error& error) {
    log::Warn("screen: capture stopped: {}", error.message);
    loop.Reset();
    {
      std::lock_guard lock(send_mutex_);
      active_ = false;
    }
    failed_(error);
  };

  while (true) {
    std::deque<std::pair<Command, std::optional<desktop::CaptureSource>>>
        commands;
    {
      std::unique_lock lock(mutex_);
      const auto due = [&] { return quit_ || !commands_.empty(); };
      if (loop.running && active_) {
        const auto now = clock.SteadyNow();
        Clock::SteadyTime until;
        if (link_full) {
          until = now + kBackoff;
        } else if (loop.pacer->CanCapture()) {
          until = now;
        } else {
          // Held back by time, or by the counters (an ack wakes us).
          const auto next = loop.pacer->NextCaptureTime();
          until = next > now ? next : now + kBackoff;
        }
        wake_.wait_until(lock, until, due);
      } else {
        wake_.wait(lock, due);
      }
      if (quit_)
        break;
      commands.swap(commands_);
    }

    for (auto& [command, source] : commands) {
      switch (command) {
        case Command::kStart: {
          if (!loop.capturer) {
            desktop::CaptureOptions capture;
            capture.display = options_.display;
            capture.source = *source;
            // On Wayland the desktop's dialog is open meanwhile; Stop()
            // gives it up.
            capture.abandon = [this] { return !active_.load(); };
            const bool asks = options_.desktop_asking &&
                              desktop::SystemAsksToo(options_.display);
            if (asks)
              options_.desktop_asking(true);
            auto capturer = desktop::ScreenCapturer::Create(capture);
            if (asks)
              options_.desktop_asking(false);
            if (!capturer) {
              fail(capturer.error());
              break;
            }
            loop.capturer = std::move(*capturer);
            loop.capturer->Start(
                [&loop](desktop::CaptureStatus status,
                        std::unique_ptr<desktop::DesktopFrame> frame) {
                  loop.status = status;
                  loop.frame = std::move(frame);
                });
            loop.codec = codec_.load();
            auto encoder = codec::VpxEncoder::Create(loop.codec);
            if (!encoder) {
              fail(encoder.error());
              break;
            }
            loop.encoder = std::move(*encoder);
            if (options_.send_cursor) {
              auto cursor = loop.capturer->CreateCursorMonitor();
              if (cursor) {
                loop.cursor = std::move(*cursor);
              } else {
                log::Info("screen: no cursor updates: {}",
                          cursor.error().message);
              }
            }
          } else if (auto selected = loop.capturer->SelectSource(*source);
                     !selected) {
            fail(selected.error());
            break;
          }
          loop.encoder->RequestKeyFrame();
          loop.pacer = std::make_unique<codec::FramePacer>(clock);
          loop.cursor_position.reset();
          loop.cursor_shape_id = 0;
          loop.running = true;
          log::Info("screen: sending started");
          break;
        }
        case Command::kStop:
          if (loop.running)
            log::Info("screen: sending stopped after {} frames",
                      frames_sent_.load());
          loop.Reset();
          break;
        case Command::kAck:
          if (loop.pacer)
            loop.pacer->OnFrameAcked();
          break;
        case Command::kKeyFrame:
          if (loop.encoder) {
            loop.encoder->RequestKeyFrame();
            loop.key_frame_owed = true;
          }
          break;
      }
    }

    if (!loop.running || !active_ || !loop.pacer->CanCapture())
      continue;
    link_full = pending_() > options_.max_pending_bytes;
    if (link_full)
      continue;

    loop.pacer->OnCaptureStarted();
    loop.frame.reset();  // lets the capturer reuse its buffer
    loop.capturer->CaptureFrame();
    if (loop.status == desktop::CaptureStatus::kErrorPermanent) {
      fail(Error{"the screen can no longer be captured"});
      continue;
    }
    if (loop.cursor) {
      if (auto sample = loop.cursor->Capture()) {
        if (sample->shape) {
          proto::PeerMessage shape;
          proto::CursorShape* s = shape.mutable_cursor_shape();
          s->set_id(++loop.cursor_shape_id);
          s->set_width(static_cast<uint32_t>(sample->shape->size.width));
          s->set_height(static_cast<uint32_t>(sample->shape->size.height));
          s->set_hotspot_x(static_cast<uint32_t>(sample->shape->hotspot.x));
          s->set_hotspot_y(static_cast<uint32_t>(sample->shape->hotspot.y));
          s->set_bgra(sample->shape->pixels.data(),
                      sample->shape->pixels.size());
          SendIfActive(std::move(shape));
        }
        if (!loop.cursor_position ||
            *loop.cursor_position != sample->position) {
          proto::PeerMessage position;
          position.mutable_cursor_position()->set_x(sample->position.x);
          position.mutable_cursor_position()->set_y(sample->position.y);
          if (SendIfActive(std::move(position)))
            loop.cursor_position = sample->position;
        }
      }
    }
    if (!loop.frame || loop.status != desktop::CaptureStatus::kSuccess)
      continue;  // temporary: next time
    const bool changes = !loop.frame->dirty_rects().empty() ||
                         loop.encoder->NeedsTopOff() || loop.key_frame_owed;
    if (!loop.pacer->OnFrameCaptured(changes))
      continue;
    const auto now = clock.SteadyNow();
    codec::EncodeParams params;
    if (loop.last_encode != Clock::SteadyTime{}) {
      params.duration_ms = static_cast<int>(std::clamp<int64_t>(
          std::chrono::duration_cast<milliseconds>(now - loop.last_encode)
              .count(),
          1, 1000));
    }
    loop.last_encode = now;
    auto encoded = loop.encoder->Encode(*loop.frame, params);
    if (!encoded) {
      loop.pacer->OnFrameEncoded(false);
      fail(
          Error{"the screen could not be encoded: " + encoded.error().message});
      continue;
    }
    proto::PeerMessage message;
    proto::VideoFrame* v = message.mutable_video_frame();
    v->set_frame_id(++loop.frame_id);
    v->set_codec(ToWire(loop.codec));
    v->set_width(static_cast<uint32_t>(encoded->size.width));
    v->set_height(static_cast<uint32_t>(encoded->size.height));
    v->set_key_frame(encoded->key_frame);
    v->set_data(encoded->data.data(), encoded->data.size());
    v->set_capture_time_us(
        std::chrono::duration_cast<std::chrono::microseconds>(
            now.time_since_epoch())
            .count());
    for (const desktop::DesktopRect& r : loop.frame->dirty_rects())
      SetRect(v->add_dirty(), r.ClippedTo(loop.frame->size()));
    SetRect(v->mutable_screen_origin(),
            {loop.frame->top_left().x, loop.frame->top_left().y,
             loop.frame->size().width, loop.frame->size().height});
    const bool sent = SendIfActive(std::move(message));
    loop.pacer->OnFrameEncoded(sent);
    if (sent) {
      ++frames_sent_;
      if (encoded->key_frame)
        loop.key_frame_owed = false;
    } else {
      // The viewer misses this frame; the next must not depend on it.
      loop.encoder->RequestKeyFrame();
      loop.key_frame_owed = true;
    }
  }
  loop.Reset();
}

}  // namespace tether::streaming
