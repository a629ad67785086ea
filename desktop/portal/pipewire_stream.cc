#include "desktop/portal/pipewire_stream.h"

#include <pipewire/pipewire.h>
#include <spa/buffer/meta.h>
#include <spa/param/video/format-utils.h>
#include <spa/pod/builder.h>
#include <spa/utils/result.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "base/log.h"

namespace tether::desktop::portal {
namespace {

constexpr int kMaxDamageRegions = 16;
constexpr int kMaxCursorSide = 512;

constexpr int CursorMetaSize(int side) {
  return static_cast<int>(sizeof(spa_meta_cursor) + sizeof(spa_meta_bitmap)) +
         side * side * 4;
}

void InitPipeWireOnce() {
  static std::once_flag once;
  std::call_once(once, [] { pw_init(nullptr, nullptr); });
}

// Whether the format has red first in memory (RGBx/RGBA): such frames are
// swapped into our BGRX while copied.
bool RedFirst(spa_video_format format) {
  return format == SPA_VIDEO_FORMAT_RGBx || format == SPA_VIDEO_FORMAT_RGBA;
}

void CopyRow(uint8_t* to, const uint8_t* from, int32_t pixels, bool swap) {
  if (!swap) {
    std::memcpy(to, from, static_cast<size_t>(pixels) * 4);
    return;
  }
  for (int32_t i = 0; i < pixels; ++i, to += 4, from += 4) {
    to[0] = from[2];
    to[1] = from[1];
    to[2] = from[0];
    to[3] = from[3];
  }
}

}  // namespace

struct PipeWireStream::Impl {
  pw_thread_loop* loop = nullptr;
  pw_context* context = nullptr;
  pw_core* core = nullptr;
  pw_stream* stream = nullptr;
  spa_hook core_listener{};
  spa_hook stream_listener{};

  // Guarded by `mutex` (PipeWire's thread writes, Take() reads).
  mutable std::mutex mutex;
  spa_video_format format = SPA_VIDEO_FORMAT_UNKNOWN;
  DesktopSize size;
  std::shared_ptr<std::vector<uint8_t>> pixels;  // complete image, BGRX
  DesktopSize pixels_size;                       // what `pixels` holds
  std::vector<DesktopRect> damage;               // since the last Take()
  bool fresh = false;                            // a frame since Take()
  std::optional<DesktopPoint> cursor_position;
  std::unique_ptr<CursorShape> cursor_shape;  // new since TakeCursor()
  std::optional<std::string> failure;
  uint64_t frames = 0;
  std::chrono::nanoseconds busy{0};

  ~Impl() {
    if (loop)
      pw_thread_loop_stop(loop);
    if (stream)
      pw_stream_destroy(stream);
    if (core)
      pw_core_disconnect(core);
    if (context)
      pw_context_destroy(context);
    if (loop)
      pw_thread_loop_destroy(loop);
  }

  void Fail(std::string reason) {
    std::lock_guard lock(mutex);
    if (!failure) {
      log::Warn("pipewire: {}", reason);
      failure = std::move(reason);
    }
  }

  void OnParamChanged(uint32_t id, const spa_pod* param) {
    if (id != SPA_PARAM_Format || !param)
      return;
    spa_video_info_raw info{};
    if (spa_format_video_raw_parse(param, &info) < 0) {
      Fail("the screen stream's format cannot be read");
      return;
    }
    {
      std::lock_guard lock(mutex);
      format = info.format;
      size = {static_cast<int32_t>(info.size.width),
              static_cast<int32_t>(info.size.height)};
    }
    log::Info("pipewire: stream format {}x{}", info.size.width,
              info.size.height);

    // Shared memory only (what the compositor has without a GPU; DMA-BUF
    // would need mapping through the GPU), with damage and cursor metadata.
    uint8_t storage[1024];
    spa_pod_builder b = SPA_POD_BUILDER_INIT(storage, sizeof(storage));
    const spa_pod* params[4];
    params[0] = static_cast<const spa_pod*>(spa_pod_builder_add_object(
        &b, SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers,
        SPA_PARAM_BUFFERS_dataType,
        SPA_POD_CHOICE_FLAGS_Int((1 << SPA_DATA_MemFd) |
                                 (1 << SPA_DATA_MemPtr))));
    params[1] = static_cast<const spa_pod*>(spa_pod_builder_add_object(
        &b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta, SPA_PARAM_META_type,
        SPA_POD_Id(SPA_META_Header), SPA_PARAM_META_size,
        SPA_POD_Int(sizeof(spa_meta_header))));
    params[2] = static_cast<const spa_pod*>(spa_pod_builder_add_object(
        &b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta, SPA_PARAM_META_type,
        SPA_POD_Id(SPA_META_VideoDamage), SPA_PARAM_META_size,
        SPA_POD_CHOICE_RANGE_Int(sizeof(spa_meta_region) * kMaxDamageRegions,
                                 sizeof(spa_meta_region) * 1,
                                 sizeof(spa_meta_region) * kMaxDamageRegions)));
    // A range: the producer fixes the size (mutter asks for 384x384).
    params[3] = static_cast<const spa_pod*>(spa_pod_builder_add_object(
        &b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta, SPA_PARAM_META_type,
        SPA_POD_Id(SPA_META_Cursor), SPA_PARAM_META_size,
        SPA_POD_CHOICE_RANGE_Int(CursorMetaSize(64), CursorMetaSize(1),
                                 CursorMetaSize(kMaxCursorSide))));
    pw_stream_update_params(stream, params, 4);
  }

  void ReadCursor(spa_buffer* buffer) {
    auto* cursor = static_cast<spa_meta_cursor*>(spa_buffer_find_meta_data(
        buffer, SPA_META_Cursor, sizeof(spa_meta_cursor)));
    if (!cursor || !spa_meta_cursor_is_valid(cursor))
      return;
    std::lock_guard lock(mutex);
    cursor_position = DesktopPoint{cursor->position.x, cursor->position.y};
    if (cursor->bitmap_offset < sizeof(spa_meta_cursor))
      return;  // no new shape
    const auto* bitmap =
        SPA_PTROFF(cursor, cursor->bitmap_offset, const spa_meta_bitmap);
    const int32_t w = static_cast<int32_t>(bitmap->size.width);
    const int32_t h = static_cast<int32_t>(bitmap->size.height);
    auto shape = std::make_unique<CursorShape>();
    shape->hotspot = {cursor->hotspot.x, cursor->hotspot.y};
    const auto bitmap_format = static_cast<spa_video_format>(bitmap->format);
    const bool known = bitmap_format == SPA_VIDEO_FORMAT_BGRA ||
                       bitmap_format == SPA_VIDEO_FORMAT_RGBA;
    // Offset 0 or an empty size: an invisible pointer (an empty shape).
    if (bitmap->offset >= sizeof(spa_meta_bitmap) && known && w > 0 && h > 0 &&
        w <= kMaxCursorSide && h <= kMaxCursorSide && bitmap->stride >= w * 4) {
      shape->size = {w, h};
      shape->pixels.resize(static_cast<size_t>(w) * h * 4);
      const auto* from = SPA_PTROFF(bitmap, bitmap->offset, const uint8_t);
      for (int32_t y = 0; y < h; ++y) {
        CopyRow(shape->pixels.data() + static_cast<size_t>(y) * w * 4,
                from + static_cast<size_t>(y) * bitmap->stride, w,
                bitmap_format == SPA_VIDEO_FORMAT_RGBA);
      }
    }
    cursor_shape = std::move(shape);
  }

  void OnProcess() {
    // Only the newest buffer matters; older ones go straight back.
    pw_buffer* newest = nullptr;
    while (pw_buffer* b = pw_stream_dequeue_buffer(stream)) {
      if (newest)
        pw_stream_queue_buffer(stream, newest);
      newest = b;
    }
    if (!newest)
      return;
    spa_buffer* buffer = newest->buffer;
    ReadCursor(buffer);
    const spa_data& d = buffer->datas[0];
    const bool has_pixels = d.data && d.chunk && d.chunk->size > 0 &&
                            !(d.chunk->flags & SPA_CHUNK_FLAG_CORRUPTED);
    if (has_pixels) {
      const auto start = std::chrono::steady_clock::now();
      StorePixels(buffer, d);
      std::lock_guard lock(mutex);
      busy += std::chrono::steady_clock::now() - start;
    }
    pw_stream_queue_buffer(stream, newest);
  }

  // The tiles of the incoming picture that differ from `old` (same size),
  // merged along each band of tiles: what the encoder needs to look at.
  std::vector<DesktopRect> Differences(const std::vector<uint8_t>& old,
                                       const uint8_t* from,
                                       int32_t stride,
                                       bool swap) const {
    constexpr int32_t kTile = 32;
    const int32_t row = size.width * 4;
    std::vector<DesktopRect> out;
    std::vector<uint8_t> converted(swap ? static_cast<size_t>(kTile) * 4 : 0);
    for (int32_t ty = 0; ty < size.height; ty += kTile) {
      const int32_t th = std::min(kTile, size.height - ty);
      // Whole rows first (one long compare each): most bands of a typical
      // change are untouched and cost no tile work.
      if (!swap) {
        bool band_differs = false;
        for (int32_t y = ty; y < ty + th && !band_differs; ++y) {
          band_differs = std::memcmp(old.data() + static_cast<size_t>(y) * row,
                                     from + static_cast<size_t>(y) * stride,
                                     static_cast<size_t>(row)) != 0;
        }
        if (!band_differs)
          continue;
      }
      for (int32_t tx = 0; tx < size.width; tx += kTile) {
        const int32_t tw = std::min(kTile, size.width - tx);
        bool differs = false;
        for (int32_t y = ty; y < ty + th && !differs; ++y) {
          const uint8_t* incoming = from + static_cast<size_t>(y) * stride +
                                    static_cast<size_t>(tx) * 4;
          if (swap) {
            CopyRow(converted.data(), incoming, tw, true);
            incoming = converted.data();
          }
          differs = std::memcmp(old.data() + static_cast<size_t>(y) * row +
                                    static_cast<size_t>(tx) * 4,
                                incoming, static_cast<size_t>(tw) * 4) != 0;
        }
        if (!differs)
          continue;
        if (!out.empty() && out.back().y == ty && out.back().right() == tx)
          out.back().width += tw;
        else
          out.push_back({tx, ty, tw, th});
      }
    }
    return out;
  }

  void StorePixels(spa_buffer* buffer, const spa_data& d) {
    std::lock_guard lock(mutex);
    if (size.is_empty())
      return;
    const int32_t row = size.width * 4;
    const int32_t stride = d.chunk->stride > 0 ? d.chunk->stride : row;
    const size_t needed = static_cast<size_t>(stride) * (size.height - 1) + row;
    const uint8_t* from = static_cast<const uint8_t*>(d.data) +
                          (d.chunk->offset % std::max<uint32_t>(d.maxsize, 1));
    if (stride < row || d.chunk->offset + needed > d.maxsize)
      return;  // a buffer that does not hold the frame it claims

    // Regions the compositor says changed (SPA_META_VideoDamage); mutter
    // 43 sends none, so then we find them ourselves, tile by tile.
    std::vector<DesktopRect> changed;
    bool told = false;
    if (auto* meta = spa_buffer_find_meta(buffer, SPA_META_VideoDamage)) {
      spa_meta_region* region = nullptr;
      spa_meta_for_each(region, meta) {
        if (!spa_meta_region_is_valid(region))
          break;
        told = true;
        changed.push_back(
            DesktopRect{region->region.position.x, region->region.position.y,
                        static_cast<int32_t>(region->region.size.width),
                        static_cast<int32_t>(region->region.size.height)}
                .ClippedTo(size));
      }
    }

    const size_t bytes = static_cast<size_t>(row) * size.height;
    const bool same_size = pixels && pixels_size == size;
    const bool swap = RedFirst(format);
    if (!same_size) {
      changed.assign(1, DesktopRect::FromSize(size));
    } else if (!told) {
      changed = Differences(*pixels, from, stride, swap);
    }
    if (changed.empty())
      return;  // the same picture again
    // Copy-on-write: a frame handed out still reads the old buffer.
    if (!same_size || pixels.use_count() > 1) {
      auto fresh_pixels = std::make_shared<std::vector<uint8_t>>(bytes);
      if (same_size)
        *fresh_pixels = *pixels;
      pixels = std::move(fresh_pixels);
      pixels_size = size;
    }
    for (const DesktopRect& r : changed) {
      for (int32_t y = r.y; y < r.bottom(); ++y) {
        CopyRow(pixels->data() + static_cast<size_t>(y) * row + r.x * 4,
                from + static_cast<size_t>(y) * stride + r.x * 4, r.width,
                swap);
      }
    }
    if (frames == 0)
      log::Info("pipewire: first frame");
    damage.insert(damage.end(), changed.begin(), changed.end());
    if (damage.size() > 64)
      damage.assign(1, DesktopRect::FromSize(size));
    fresh = true;
    ++frames;
  }
};

PipeWireStream::PipeWireStream(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

PipeWireStream::~PipeWireStream() = default;

Result<std::unique_ptr<PipeWireStream>> PipeWireStream::Connect(int fd,
                                                                uint32_t node) {
  InitPipeWireOnce();
  auto impl = std::make_unique<Impl>();
  impl->loop = pw_thread_loop_new("tether-pipewire", nullptr);
  if (!impl->loop) {
    close(fd);
    return MakeError("cannot start PipeWire's thread");
  }
  impl->context =
      pw_context_new(pw_thread_loop_get_loop(impl->loop), nullptr, 0);
  if (!impl->context) {
    close(fd);
    return MakeError("cannot make a PipeWire context");
  }
  if (pw_thread_loop_start(impl->loop) < 0) {
    close(fd);
    return MakeError("cannot start PipeWire's thread");
  }
  pw_thread_loop_lock(impl->loop);
  // From here the loop owns fd.
  impl->core = fd >= 0 ? pw_context_connect_fd(impl->context, fd, nullptr, 0)
                       : pw_context_connect(impl->context, nullptr, 0);
  if (!impl->core) {
    pw_thread_loop_unlock(impl->loop);
    return MakeError("cannot connect to PipeWire");
  }
  static const pw_core_events core_events = [] {
    pw_core_events e{};
    e.version = PW_VERSION_CORE_EVENTS;
    e.error = [](void* data, uint32_t id, int, int res, const char* message) {
      if (id == PW_ID_CORE) {
        static_cast<Impl*>(data)->Fail(std::string("PipeWire failed: ") +
                                       (message ? message : "") + " (" +
                                       spa_strerror(res) + ")");
      }
    };
    return e;
  }();
  pw_core_add_listener(impl->core, &impl->core_listener, &core_events,
                       impl.get());

  impl->stream = pw_stream_new(
      impl->core, "tether-screen",
      pw_properties_new(PW_KEY_MEDIA_TYPE, "Video", PW_KEY_MEDIA_CATEGORY,
                        "Capture", PW_KEY_MEDIA_ROLE, "Screen", nullptr));
  static const pw_stream_events stream_events = [] {
    pw_stream_events e{};
    e.version = PW_VERSION_STREAM_EVENTS;
    e.state_changed = [](void* data, pw_stream_state, pw_stream_state state,
                         const char* error) {
      auto* self = static_cast<Impl*>(data);
      if (state == PW_STREAM_STATE_ERROR) {
        self->Fail(std::string("the screen stream failed: ") +
                   (error ? error : "unknown error"));
      } else if (state == PW_STREAM_STATE_UNCONNECTED) {
        self->Fail("the screen stream ended");
      }
    };
    e.param_changed = [](void* data, uint32_t id, const spa_pod* param) {
      static_cast<Impl*>(data)->OnParamChanged(id, param);
    };
    e.process = [](void* data) { static_cast<Impl*>(data)->OnProcess(); };
    return e;
  }();
  pw_stream_add_listener(impl->stream, &impl->stream_listener, &stream_events,
                         impl.get());

  uint8_t storage[1024];
  spa_pod_builder b = SPA_POD_BUILDER_INIT(storage, sizeof(storage));
  const spa_rectangle default_size = SPA_RECTANGLE(1920, 1080);
  const spa_rectangle min_size = SPA_RECTANGLE(1, 1);
  const spa_rectangle max_size = SPA_RECTANGLE(16384, 16384);
  const spa_fraction default_rate = SPA_FRACTION(30, 1);
  const spa_fraction min_rate = SPA_FRACTION(0, 1);
  const spa_fraction max_rate = SPA_FRACTION(60, 1);
  const spa_pod* params[1] = {
      static_cast<const spa_pod*>(spa_pod_builder_add_object(
          &b, SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat,
          SPA_FORMAT_mediaType, SPA_POD_Id(SPA_MEDIA_TYPE_video),
          SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw),
          SPA_FORMAT_VIDEO_format,
          SPA_POD_CHOICE_ENUM_Id(5, SPA_VIDEO_FORMAT_BGRx,
                                 SPA_VIDEO_FORMAT_BGRx, SPA_VIDEO_FORMAT_BGRA,
                                 SPA_VIDEO_FORMAT_RGBx, SPA_VIDEO_FORMAT_RGBA),
          SPA_FORMAT_VIDEO_size,
          SPA_POD_CHOICE_RANGE_Rectangle(&default_size, &min_size, &max_size),
          SPA_FORMAT_VIDEO_framerate,
          SPA_POD_CHOICE_RANGE_Fraction(&default_rate, &min_rate, &max_rate)))};
  const int connected = pw_stream_connect(
      impl->stream, PW_DIRECTION_INPUT, node,
      static_cast<pw_stream_flags>(PW_STREAM_FLAG_AUTOCONNECT |
                                   PW_STREAM_FLAG_MAP_BUFFERS),
      params, 1);
  pw_thread_loop_unlock(impl->loop);
  if (connected < 0) {
    return MakeError(std::string("cannot read the screen stream: ") +
                     spa_strerror(connected));
  }
  return std::unique_ptr<PipeWireStream>(new PipeWireStream(std::move(impl)));
}

std::unique_ptr<DesktopFrame> PipeWireStream::Take(DesktopPoint top_left) {
  std::lock_guard lock(impl_->mutex);
  if (!impl_->pixels)
    return nullptr;
  std::vector<DesktopRect> dirty;
  if (impl_->fresh)
    dirty.swap(impl_->damage);
  impl_->fresh = false;
  const DesktopSize size = impl_->pixels_size;
  return std::make_unique<DesktopFrame>(size, size.width * 4, impl_->pixels,
                                        top_left, std::move(dirty));
}

std::optional<CursorSample> PipeWireStream::TakeCursor() {
  std::lock_guard lock(impl_->mutex);
  if (!impl_->cursor_position)
    return std::nullopt;
  CursorSample sample;
  sample.position = *impl_->cursor_position;
  sample.shape = std::move(impl_->cursor_shape);
  return sample;
}

std::optional<std::string> PipeWireStream::failure() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->failure;
}

std::chrono::nanoseconds PipeWireStream::busy_time() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->busy;
}

uint64_t PipeWireStream::frames_received() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->frames;
}

}  // namespace tether::desktop::portal
