#include "streaming/screen_sender.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "base/clock.h"
#include "base/log.h"
#include "codec/frame_pacer.h"
#include "codec/lossless_image.h"
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
  std::unique_ptr<PicturePlanner> planner;  // the viewer has an exact layer
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
    planner.reset();
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
            codec::VpxEncoderConfig config;
            config.codec = loop.codec;
            if (exact_pictures_) {
              PicturePlannerOptions planner;
              planner.changes_as_video = recorded_;
              loop.planner = std::make_unique<PicturePlanner>(planner);
              // The lossless top-off sharpens still areas instead.
              config.top_off = false;
            }
            auto encoder = codec::VpxEncoder::Create(config);
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
          loop.key_frame_owed = true;
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
    const auto now = clock.SteadyNow();
    std::optional<PicturePlan> plan;
    bool changes = false;
    if (loop.planner) {
      plan = loop.planner->Plan(*loop.frame, now, loop.key_frame_owed);
      changes = !plan->empty();
    } else {
      changes = !loop.frame->dirty_rects().empty() ||
                loop.encoder->NeedsTopOff() || loop.key_frame_owed;
    }
    if (!loop.pacer->OnFrameCaptured(changes))
      continue;
    proto::PeerMessage message;
    proto::VideoFrame* v = message.mutable_video_frame();
    if (auto encoded = Encode(loop, plan ? &*plan : nullptr, now, v);
        !encoded) {
      loop.pacer->OnFrameEncoded(false);
      fail(encoded.error());
      continue;
    }
    const bool key_frame = v->key_frame();
    const bool sent = SendIfActive(std::move(message));
    loop.pacer->OnFrameEncoded(sent);
    if (sent) {
      ++frames_sent_;
      if (key_frame)
        loop.key_frame_owed = false;
    } else {
      // The viewer misses this frame; the next must not depend on it.
      loop.encoder->RequestKeyFrame();
      loop.key_frame_owed = true;
    }
  }
  loop.Reset();
}

Result<void> EncodeCapture(desktop::DesktopFrame& frame,
                           const PicturePlan* plan,
                           codec::VideoEncoder& encoder,
                           const codec::EncodeParams& params,
                           proto::VideoFrame* v) {
  v->set_width(static_cast<uint32_t>(frame.size().width));
  v->set_height(static_cast<uint32_t>(frame.size().height));
  if (plan) {
    for (const PictureMove& move : plan->moves) {
      proto::PictureMove* m = v->add_moves();
      SetRect(m->mutable_source(), move.source);
      m->set_dx(move.dx);
      m->set_dy(move.dy);
    }
    // The encoder codes these tiles only (the others are the exact
    // layer's, or unchanged).
    frame.mutable_dirty_rects() = plan->video;
    if (plan->key_frame)
      encoder.RequestKeyFrame();
  }
  if (!plan || plan->key_frame || !plan->video.empty()) {
    auto encoded = encoder.Encode(frame, params);
    if (!encoded) {
      return MakeError("the screen could not be encoded: " +
                       encoded.error().message);
    }
    v->set_key_frame(encoded->key_frame);
    v->set_data(encoded->data.data(), encoded->data.size());
    for (const desktop::DesktopRect& r : frame.dirty_rects())
      SetRect(v->add_dirty(), r.ClippedTo(frame.size()));
  }
  if (!plan)
    return {};
  for (const desktop::DesktopRect& rect : plan->lossless) {
    auto picture = codec::EncodeLossless(frame, rect);
    if (!picture) {
      return MakeError("the screen could not be encoded: " +
                       picture.error().message);
    }
    proto::PicturePatch* patch = v->add_patches();
    SetRect(patch->mutable_rect(), rect);
    patch->set_webp(picture->data(), picture->size());
  }
  return {};
}

Result<void> ScreenSender::Encode(Loop& loop,
                                  const PicturePlan* plan,
                                  Clock::SteadyTime now,
                                  proto::VideoFrame* v) {
  const desktop::DesktopFrame& frame = *loop.frame;
  v->set_frame_id(++loop.frame_id);
  v->set_codec(ToWire(loop.codec));
  v->set_capture_time_us(std::chrono::duration_cast<std::chrono::microseconds>(
                             now.time_since_epoch())
                             .count());
  SetRect(v->mutable_screen_origin(),
          {frame.top_left().x, frame.top_left().y, frame.size().width,
           frame.size().height});
  codec::EncodeParams params;
  if (loop.last_encode != Clock::SteadyTime{}) {
    params.duration_ms = static_cast<int>(std::clamp<int64_t>(
        std::chrono::duration_cast<milliseconds>(now - loop.last_encode)
            .count(),
        1, 1000));
  }
  TETHER_RETURN_IF_ERROR(
      EncodeCapture(*loop.frame, plan, *loop.encoder, params, v));
  if (!v->data().empty())
    loop.last_encode = now;
  return {};
}

}  // namespace tether::streaming
