#include "streaming/video_receiver.h"

#include <algorithm>
#include <utility>

#include "base/bytes.h"
#include "base/log.h"
#include "codec/vpx_decoder.h"
#include "streaming/exact_layer.h"
#include "streaming/wire_codec.h"

namespace tether::streaming {
namespace {

using Clock = std::chrono::steady_clock;

// What a frame weighs in the queue and the statistics: video and patches.
size_t FrameBytes(const proto::VideoFrame& frame) {
  size_t bytes = frame.data().size();
  for (const proto::PicturePatch& patch : frame.patches())
    bytes += patch.webp().size();
  return bytes;
}

}  // namespace

struct VideoReceiver::DecoderState {
  std::unique_ptr<codec::VideoDecoder> decoder;
  proto::Codec codec = proto::CODEC_UNSPECIFIED;
  bool waiting_for_key = false;
  std::optional<Clock::time_point> key_frame_asked;
  bool error_logged = false;
  int failures_in_a_row = 0;
  bool given_up = false;
  ExactLayer layer;
  // The last picture offered: a frame with patches only starts from it.
  std::shared_ptr<const desktop::DesktopFrame> last;
};

VideoReceiver::VideoReceiver(VideoReceiverOptions options,
                             SendFunction send,
                             ReadyFunction picture_ready,
                             FailFunction stream_failed)
    : options_(options),
      send_(std::move(send)),
      picture_ready_(std::move(picture_ready)),
      stream_failed_(std::move(stream_failed)),
      period_start_(Clock::now()),
      decoder_(std::make_unique<DecoderState>()),
      thread_([this] { Run(); }) {}

VideoReceiver::~VideoReceiver() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void VideoReceiver::Receive(proto::VideoFrame frame) {
  const size_t size = FrameBytes(frame);
  std::vector<uint64_t> thrown_away;
  {
    std::lock_guard lock(mutex_);
    if (stop_)
      return;
    period_bytes_ += size;
    if (queue_.size() >= options_.max_queued_frames ||
        queued_bytes_ + size > options_.max_queued_bytes) {
      // The sender sends more than its pacer allows, or decoding fell far
      // behind: start over from the next key frame.
      for (const Queued& queued : queue_)
        thrown_away.push_back(queued.frame.frame_id());
      queue_.clear();
      queued_bytes_ = 0;
      chain_broken_ = true;
      if (!frame.key_frame())
        thrown_away.push_back(frame.frame_id());
    }
    if (thrown_away.empty() || frame.key_frame()) {
      queued_bytes_ += size;
      queue_.push_back({std::move(frame), std::exchange(chain_broken_, false)});
    }
  }
  if (!thrown_away.empty()) {
    log::Warn("video: {} undecoded frames thrown away; waiting for a key frame",
              thrown_away.size());
  }
  wake_.notify_all();
  // Acknowledged all the same: the sender's pacer counts frames in
  // flight, and these will never be decoded.
  for (uint64_t id : thrown_away)
    Ack(id, 0);
}

std::optional<RemotePicture> VideoReceiver::TakePicture() {
  std::lock_guard lock(mutex_);
  return std::exchange(slot_, std::nullopt);
}

void VideoReceiver::OnPeerStats(const proto::Stats& stats) {
  std::lock_guard lock(mutex_);
  round_trip_ms_ = stats.round_trip_ms();
}

VideoStats VideoReceiver::TakeStats() {
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  const double seconds = std::max(
      1e-3, std::chrono::duration<double>(now - period_start_).count());
  VideoStats stats;
  stats.frames_per_second = static_cast<double>(period_frames_) / seconds;
  stats.kilobits_per_second =
      static_cast<double>(period_bytes_) * 8.0 / 1000.0 / seconds;
  stats.decode_ms = period_frames_ > 0 ? period_decode_ms_ /
                                             static_cast<double>(period_frames_)
                                       : 0.0;
  stats.round_trip_ms = round_trip_ms_;
  stats.frames_dropped = frames_dropped_;
  stats.decode_errors = decode_errors_;
  period_start_ = now;
  period_frames_ = 0;
  period_bytes_ = 0;
  period_decode_ms_ = 0;
  return stats;
}

uint64_t VideoReceiver::frames_decoded() const {
  std::lock_guard lock(mutex_);
  return frames_decoded_;
}

uint64_t VideoReceiver::decode_errors() const {
  std::lock_guard lock(mutex_);
  return decode_errors_;
}

uint64_t VideoReceiver::frames_dropped() const {
  std::lock_guard lock(mutex_);
  return frames_dropped_;
}

// ---- the decode thread ----------------------------------------------------

void VideoReceiver::Run() {
  while (true) {
    Queued queued;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_)
        return;
      queued = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= std::min(queued_bytes_, FrameBytes(queued.frame));
    }
    Decode(std::move(queued));
  }
}

void VideoReceiver::Decode(Queued queued) {
  DecoderState& state = *decoder_;
  if (state.given_up) {
    // Never decoded, acknowledged all the same like a thrown-away frame.
    Ack(queued.frame.frame_id(), 0);
    return;
  }
  const proto::VideoFrame& frame = queued.frame;
  if (queued.chain_broken && !state.waiting_for_key) {
    state.waiting_for_key = true;
    state.key_frame_asked.reset();
  }
  if (state.waiting_for_key && !frame.key_frame()) {
    // Without the frames before it this one cannot be decoded.
    const auto now = Clock::now();
    if (!state.key_frame_asked ||
        now - *state.key_frame_asked >= options_.key_frame_retry) {
      AskForKeyFrame();
    }
    Ack(frame.frame_id(), 0);
    return;
  }

  const auto started = Clock::now();
  Result<desktop::DesktopFrame> picture = Compose(frame);
  const auto decode_time = Clock::now() - started;
  const auto decode_us =
      std::chrono::duration_cast<std::chrono::microseconds>(decode_time)
          .count();

  if (!picture) {
    if (picture.error().temporary()) {
      // A packet that shows no frame (libvpx keeps it for the next one).
      Ack(frame.frame_id(), static_cast<uint32_t>(decode_us));
      return;
    }
    if (!state.error_logged) {
      log::Warn("video: frame {} not decoded: {}", frame.frame_id(),
                picture.error().message);
      state.error_logged = true;
    }
    {
      std::lock_guard lock(mutex_);
      ++decode_errors_;
    }
    if (++state.failures_in_a_row >= options_.max_failed_decodes) {
      state.given_up = true;
      log::Warn("video: {} frames in a row not decoded; the stream is given up",
                state.failures_in_a_row);
      Ack(frame.frame_id(), static_cast<uint32_t>(decode_us));
      if (stream_failed_)
        stream_failed_(picture.error().message);
      return;
    }
    state.waiting_for_key = true;
    state.key_frame_asked.reset();
    Ack(frame.frame_id(), static_cast<uint32_t>(decode_us));
    AskForKeyFrame();
    return;
  }

  state.waiting_for_key = false;
  state.key_frame_asked.reset();
  state.failures_in_a_row = 0;
  picture->set_top_left({frame.screen_origin().x(), frame.screen_origin().y()});

  RemotePicture remote;
  remote.frame_id = frame.frame_id();
  remote.screen_origin = {frame.screen_origin().x(), frame.screen_origin().y(),
                          picture->size().width, picture->size().height};
  remote.frame =
      std::make_shared<const desktop::DesktopFrame>(std::move(*picture));
  state.last = remote.frame;
  {
    std::lock_guard lock(mutex_);
    ++frames_decoded_;
    ++period_frames_;
    period_decode_ms_ += static_cast<double>(decode_us) / 1000.0;
  }
  // The picture is handed over before the ack: once the sender (or a
  // test) hears of the frame, the UI can have it.
  const uint64_t frame_id = frame.frame_id();
  Offer(std::move(remote));
  Ack(frame_id, static_cast<uint32_t>(decode_us));
}

Result<desktop::DesktopFrame> VideoReceiver::Compose(
    const proto::VideoFrame& frame) {
  DecoderState& state = *decoder_;
  ExactLayer& layer = state.layer;
  TETHER_RETURN_IF_ERROR(ExactLayer::Check(frame, options_.max_size));
  const bool layered = frame.moves_size() > 0 || frame.patches_size() > 0;
  std::optional<desktop::DesktopFrame> picture;
  std::vector<desktop::DesktopRect> dirty;
  if (frame.data().empty()) {
    // Moves and patches only: the last picture, changed where they say.
    const desktop::DesktopSize size{static_cast<int32_t>(frame.width()),
                                    static_cast<int32_t>(frame.height())};
    if (!layered)
      return MakeError("a frame with nothing in it");
    if (!state.last || state.last->size() != size || layer.size() != size)
      return MakeError("patches for a picture not shown yet");
    picture.emplace(state.last->Clone());
    layer.ApplyMoves(frame);
  } else {
    const std::optional<codec::Codec> codec = FromWire(frame.codec());
    if (!codec)
      return MakeError("unknown codec");
    if (!state.decoder || state.codec != frame.codec()) {
      state.decoder.reset();
      TETHER_TRY(created, codec::VpxDecoder::Create(codec::VpxDecoderConfig{
                              *codec, options_.max_size}));
      state.decoder = std::move(*created);
      state.codec = frame.codec();
    }
    Result<desktop::DesktopSize> size =
        state.decoder->Decode(AsBytes(frame.data()));
    if (!size && size.error().temporary() && layered)
      return MakeError("a frame with patches showed no picture");
    if (!size)
      return Unexpected(std::move(size).error());
    picture.emplace(*size);
    TETHER_RETURN_IF_ERROR(state.decoder->ConvertToBgra(*picture));
    if (frame.key_frame() || layer.size() != *size)
      layer.Reset(*size);
    layer.ApplyMoves(frame);
    // The sender marks what changed; a picture without marks is whole.
    const int dirty_count = std::min(frame.dirty_size(), 256);
    for (int i = 0; i < dirty_count; ++i) {
      dirty.push_back(ClipFromWire(frame.dirty(i), *size));
      layer.HandToVideo(dirty.back());
    }
    if (frame.dirty_size() > dirty_count || dirty.empty()) {
      dirty = {desktop::DesktopRect::FromSize(*size)};
      layer.HandToVideo(dirty.back());
    }
  }
  TETHER_RETURN_IF_ERROR(layer.ApplyPatches(frame));
  for (const proto::PictureMove& move : frame.moves())
    dirty.push_back(FromWire(move.source()).Translated(move.dx(), move.dy()));
  for (const proto::PicturePatch& patch : frame.patches())
    dirty.push_back(FromWire(patch.rect()));
  if (frame.data().empty()) {
    for (const desktop::DesktopRect& rect : dirty)
      layer.Paint(*picture, rect);
  } else {
    layer.Paint(*picture);
  }
  picture->mutable_dirty_rects() = std::move(dirty);
  return std::move(*picture);
}

void VideoReceiver::Ack(uint64_t frame_id, uint32_t decode_time_us) {
  proto::PeerMessage ack;
  ack.mutable_frame_ack()->set_frame_id(frame_id);
  ack.mutable_frame_ack()->set_decode_time_us(decode_time_us);
  send_(std::move(ack));
}

void VideoReceiver::AskForKeyFrame() {
  decoder_->key_frame_asked = Clock::now();
  proto::PeerMessage request;
  request.mutable_key_frame_request();
  send_(std::move(request));
}

void VideoReceiver::Offer(RemotePicture picture) {
  bool was_empty = false;
  {
    std::lock_guard lock(mutex_);
    if (slot_)
      ++frames_dropped_;
    was_empty = !slot_.has_value();
    slot_ = std::move(picture);
  }
  if (was_empty)
    picture_ready_();
}

}  // namespace tether::streaming
