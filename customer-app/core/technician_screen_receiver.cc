#include "customer-app/core/technician_screen_receiver.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/log.h"
#include "codec/vpx_decoder.h"

namespace tether::customer {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::optional<codec::Codec> CodecOf(proto::Codec codec) {
  switch (codec) {
    case proto::CODEC_VP8:
      return codec::Codec::kVp8;
    case proto::CODEC_VP9:
      return codec::Codec::kVp9;
    default:
      return std::nullopt;
  }
}

}  // namespace

struct TechnicianScreenReceiver::DecoderState {
  std::unique_ptr<codec::VideoDecoder> decoder;
  proto::Codec codec = proto::CODEC_UNSPECIFIED;
  bool waiting_for_key = false;
  bool error_logged = false;
};

TechnicianScreenReceiver::TechnicianScreenReceiver(Options options,
                                                   SendFunction send,
                                                   ReadyFunction picture_ready)
    : options_(options),
      send_(std::move(send)),
      picture_ready_(std::move(picture_ready)),
      decoder_(std::make_unique<DecoderState>()),
      thread_([this] { Run(); }) {}

TechnicianScreenReceiver::~TechnicianScreenReceiver() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void TechnicianScreenReceiver::Receive(proto::VideoFrame frame) {
  const size_t size = frame.data().size();
  std::vector<uint64_t> thrown_away;
  {
    std::lock_guard lock(mutex_);
    if (stop_)
      return;
    if (queue_.size() >= options_.max_queued_frames ||
        queued_bytes_ + size > options_.max_queued_bytes) {
      // The technician sends more than its pacer allows, or decoding fell
      // far behind: start over from the next key frame.
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
  wake_.notify_all();
  if (!thrown_away.empty()) {
    log::Warn("technician screen: {} undecoded frames thrown away",
              thrown_away.size());
    AskForKeyFrame();
  }
  // Acknowledged all the same: the sender's pacer counts frames in flight.
  for (uint64_t id : thrown_away)
    Ack(id, 0);
}

std::shared_ptr<const desktop::DesktopFrame>
TechnicianScreenReceiver::TakePicture() {
  std::lock_guard lock(mutex_);
  return std::exchange(slot_, nullptr);
}

uint64_t TechnicianScreenReceiver::frames_decoded() const {
  std::lock_guard lock(mutex_);
  return frames_decoded_;
}

void TechnicianScreenReceiver::Run() {
  while (true) {
    Queued queued;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_)
        return;
      queued = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= std::min(queued_bytes_, queued.frame.data().size());
    }
    Decode(std::move(queued));
  }
}

void TechnicianScreenReceiver::Decode(Queued queued) {
  DecoderState& state = *decoder_;
  const proto::VideoFrame& frame = queued.frame;
  if (queued.chain_broken)
    state.waiting_for_key = true;
  if (state.waiting_for_key && !frame.key_frame()) {
    // Without the frames before it this one cannot be decoded.
    Ack(frame.frame_id(), 0);
    return;
  }

  const auto started = SteadyClock::now();
  Result<desktop::DesktopSize> size = MakeError("no decoder");
  std::optional<desktop::DesktopFrame> picture;
  if (const std::optional<codec::Codec> codec = CodecOf(frame.codec());
      !codec) {
    size = MakeError("unknown codec");
  } else {
    if (!state.decoder || state.codec != frame.codec()) {
      state.decoder.reset();
      auto created = codec::VpxDecoder::Create(
          codec::VpxDecoderConfig{*codec, options_.max_size});
      if (created) {
        state.decoder = std::move(*created);
        state.codec = frame.codec();
      } else {
        size = Unexpected(std::move(created).error());
      }
    }
    if (state.decoder) {
      size = state.decoder->Decode(AsBytes(frame.data()));
      if (size) {
        picture.emplace(*size);
        if (auto converted = state.decoder->ConvertToBgra(*picture);
            !converted) {
          size = Unexpected(std::move(converted).error());
          picture.reset();
        }
      }
    }
  }
  const auto decode_us = static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() -
                                                            started)
          .count());

  if (!size) {
    if (size.error().temporary()) {
      // A packet that shows no frame (libvpx keeps it for the next one).
      Ack(frame.frame_id(), decode_us);
      return;
    }
    if (!state.error_logged) {
      log::Warn("technician screen: frame {} not decoded: {}", frame.frame_id(),
                size.error().message);
      state.error_logged = true;
    }
    state.waiting_for_key = true;
    Ack(frame.frame_id(), decode_us);
    AskForKeyFrame();
    return;
  }

  state.waiting_for_key = false;
  picture->MarkAllDirty();
  bool was_empty = false;
  {
    std::lock_guard lock(mutex_);
    ++frames_decoded_;
    was_empty = slot_ == nullptr;
    slot_ = std::make_shared<const desktop::DesktopFrame>(std::move(*picture));
  }
  // The picture is handed over before the ack: once the technician (or a
  // test) hears of the frame, the UI can have it.
  if (was_empty)
    picture_ready_();
  Ack(frame.frame_id(), decode_us);
}

void TechnicianScreenReceiver::Ack(uint64_t frame_id, uint32_t decode_time_us) {
  proto::PeerMessage ack;
  ack.mutable_frame_ack()->set_frame_id(frame_id);
  ack.mutable_frame_ack()->set_decode_time_us(decode_time_us);
  send_(std::move(ack));
}

void TechnicianScreenReceiver::AskForKeyFrame() {
  proto::PeerMessage request;
  request.mutable_key_frame_request();
  send_(std::move(request));
}

}  // namespace tether::customer
