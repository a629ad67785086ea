#include "desktop/x11/x11_backend.h"

#include "desktop/capture/cursor_monitor.h"

#include <sys/ipc.h>
#include <sys/shm.h>
#include <xcb/damage.h>
#include <xcb/randr.h>
#include <xcb/shm.h>
#include <xcb/xcb.h>
#include <xcb/xfixes.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

#include "base/log.h"
#include "desktop/x11/x11_connection.h"

namespace tether::desktop::internal {
namespace {

using x11::XcbError;
using x11::XcbReply;

constexpr int kBpp = DesktopFrame::kBytesPerPixel;
// More damage rectangles than this are read as their bounding box.
constexpr size_t kMaxDamageRects = 16;

// A System V shared memory segment attached by us and by the X server.
class ShmSegment {
 public:
  static std::unique_ptr<ShmSegment> Create(xcb_connection_t* c, size_t size) {
    const int id = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600);
    if (id < 0)
      return nullptr;
    void* address = shmat(id, nullptr, 0);
    if (address == reinterpret_cast<void*>(-1)) {
      shmctl(id, IPC_RMID, nullptr);
      return nullptr;
    }
    auto segment = std::unique_ptr<ShmSegment>(
        new ShmSegment(c, static_cast<uint8_t*>(address), size));
    segment->seg_ = xcb_generate_id(c);
    // Fails (BadAccess) when the server cannot see our memory, e.g. over ssh
    // forwarding or TCP.
    XcbError error(xcb_request_check(
        c, xcb_shm_attach_checked(c, segment->seg_, static_cast<uint32_t>(id),
                                  0)));
    // Removed now; it lives until both sides have detached.
    shmctl(id, IPC_RMID, nullptr);
    if (error) {
      segment->attached_ = false;
      return nullptr;
    }
    return segment;
  }

  ~ShmSegment() {
    if (attached_)
      xcb_shm_detach(c_, seg_);
    shmdt(address_);
  }
  ShmSegment(const ShmSegment&) = delete;
  ShmSegment& operator=(const ShmSegment&) = delete;

  xcb_shm_seg_t seg() const { return seg_; }
  const uint8_t* data() const { return address_; }
  size_t size() const { return size_; }

 private:
  ShmSegment(xcb_connection_t* c, uint8_t* address, size_t size)
      : c_(c), address_(address), size_(size) {}

  xcb_connection_t* c_;
  uint8_t* address_;
  size_t size_;
  xcb_shm_seg_t seg_ = 0;
  bool attached_ = true;
};

bool IsBgrx32(const xcb_setup_t* setup, const xcb_screen_t* screen) {
  if (setup->image_byte_order != XCB_IMAGE_ORDER_LSB_FIRST)
    return false;
  bool format_ok = false;
  for (auto it = xcb_setup_pixmap_formats_iterator(setup); it.rem;
       xcb_format_next(&it)) {
    if (it.data->depth == screen->root_depth) {
      format_ok = it.data->bits_per_pixel == 32;
    }
  }
  if (!format_ok)
    return false;
  for (auto d = xcb_screen_allowed_depths_iterator(screen); d.rem;
       xcb_depth_next(&d)) {
    for (auto v = xcb_depth_visuals_iterator(d.data); v.rem;
         xcb_visualtype_next(&v)) {
      if (v.data->visual_id == screen->root_visual) {
        return v.data->red_mask == 0xff0000 && v.data->green_mask == 0x00ff00 &&
               v.data->blue_mask == 0x0000ff;
      }
    }
  }
  return false;
}

bool HasExtension(xcb_connection_t* c, xcb_extension_t* ext) {
  const xcb_query_extension_reply_t* data = xcb_get_extension_data(c, ext);
  return data != nullptr && data->present;
}

class X11ScreenCapturer final : public ScreenCapturer {
 public:
  X11ScreenCapturer(x11::X11Display display, const CaptureOptions& options)
      : display_(std::move(display)), options_(options) {}

  ~X11ScreenCapturer() override {
    xcb_connection_t* c = display_.get();
    shm_.reset();
    if (damage_ != 0)
      xcb_damage_destroy(c, damage_);
    if (region_ != 0)
      xcb_xfixes_destroy_region(c, region_);
    xcb_flush(c);
  }

  Result<void> Init() {
    xcb_connection_t* c = display_.get();
    if (!IsBgrx32(xcb_get_setup(c), display_.screen)) {
      return MakeError(
          "unsupported X pixel format (need 24/32-bit depth, 32 bits per "
          "pixel, little-endian RGB)");
    }
    xcb_prefetch_extension_data(c, &xcb_shm_id);
    xcb_prefetch_extension_data(c, &xcb_damage_id);
    xcb_prefetch_extension_data(c, &xcb_xfixes_id);
    xcb_prefetch_extension_data(c, &xcb_randr_id);

    if (options_.shared_memory != FeatureMode::kOff) {
      XcbReply<xcb_shm_query_version_reply_t> v;
      if (HasExtension(c, &xcb_shm_id)) {
        v.reset(
            xcb_shm_query_version_reply(c, xcb_shm_query_version(c), nullptr));
      }
      use_shm_ = v != nullptr;
      if (!use_shm_ && options_.shared_memory == FeatureMode::kRequired) {
        return MakeError("X display has no MIT-SHM extension");
      }
    }

    if (options_.damage != FeatureMode::kOff) {
      if (auto result = InitDamage(); !result) {
        if (options_.damage == FeatureMode::kRequired)
          return result;
        log::Info("screen capture without XDamage: {}", result.error().message);
      }
    }

    if (HasExtension(c, &xcb_randr_id)) {
      XcbReply<xcb_randr_query_version_reply_t> v(xcb_randr_query_version_reply(
          c, xcb_randr_query_version(c, 1, 5), nullptr));
      if (v) {
        randr_event_base_ =
            xcb_get_extension_data(c, &xcb_randr_id)->first_event;
        has_monitors_ = v->major_version > 1 ||
                        (v->major_version == 1 && v->minor_version >= 5);
        xcb_randr_select_input(c, display_.root(),
                               XCB_RANDR_NOTIFY_MASK_SCREEN_CHANGE);
      }
    }
    const uint32_t mask = XCB_EVENT_MASK_STRUCTURE_NOTIFY;
    xcb_change_window_attributes(c, display_.root(), XCB_CW_EVENT_MASK, &mask);

    root_size_ = {display_.screen->width_in_pixels,
                  display_.screen->height_in_pixels};
    if (auto result = SelectSource(options_.source); !result)
      return result;

    if (use_shm_) {
      // Probe now, so a display that cannot share memory with us (remote)
      // falls back before the first frame.
      if (!EnsureShm(static_cast<size_t>(root_size_.width) * kBpp)) {
        use_shm_ = false;
        if (options_.shared_memory == FeatureMode::kRequired) {
          return MakeError("X display cannot attach MIT-SHM segments");
        }
        log::Info("screen capture without MIT-SHM: attach failed");
      }
    }
    log::Info("X11 screen capture: {}x{}, shm={}, damage={}", root_size_.width,
              root_size_.height, use_shm_, damage_ != 0);
    return {};
  }

  void Start(FrameCallback callback) override {
    if (callback_ || !callback)
      std::abort();  // a bug in the caller
    callback_ = std::move(callback);
  }

  void CaptureFrame() override {
    if (!callback_)
      std::abort();  // Start() first
    CaptureStatus status = CaptureStatus::kSuccess;
    auto frame = Capture(&status);
    callback_(status, std::move(frame));
  }

  Result<void> SelectSource(const CaptureSource& source) override {
    if (source.kind == CaptureSource::Kind::kMonitor) {
      auto monitors = ListMonitors();
      if (!monitors)
        return Unexpected(monitors.error());
      monitors_ = std::move(*monitors);
    }
    const CaptureSource previous = source_;
    source_ = source;
    // A window that is merely hidden right now is a valid source.
    if (auto rect = ResolveSourceRect(); !rect && !rect.error().temporary()) {
      source_ = previous;
      return Unexpected(rect.error());
    }
    need_full_frame_ = true;
    return {};
  }

  Result<std::vector<MonitorInfo>> ListMonitors() override {
    xcb_connection_t* c = display_.get();
    std::vector<MonitorInfo> monitors;
    if (has_monitors_) {
      XcbReply<xcb_randr_get_monitors_reply_t> reply(
          xcb_randr_get_monitors_reply(
              c, xcb_randr_get_monitors(c, display_.root(), 1), nullptr));
      if (!reply)
        return MakeTemporaryError("RandR GetMonitors failed");
      for (auto it = xcb_randr_get_monitors_monitors_iterator(reply.get());
           it.rem; xcb_randr_monitor_info_next(&it)) {
        MonitorInfo info;
        info.id = it.data->name;
        info.name = x11::AtomName(c, it.data->name);
        info.rect = {it.data->x, it.data->y, it.data->width, it.data->height};
        info.primary = it.data->primary != 0;
        monitors.push_back(std::move(info));
      }
    }
    if (monitors.empty()) {
      monitors.push_back(
          {0, "screen", {0, 0, root_size_.width, root_size_.height}, true});
    }
    return monitors;
  }

  bool UsesSharedMemory() const override { return use_shm_; }
  bool UsesDamage() const override { return damage_ != 0; }

  Result<std::unique_ptr<CursorMonitor>> CreateCursorMonitor() override {
    return CursorMonitor::Create(options_.display);
  }

 private:
  Result<void> InitDamage() {
    xcb_connection_t* c = display_.get();
    if (!HasExtension(c, &xcb_damage_id)) {
      return MakeError("X display has no DAMAGE extension");
    }
    if (!HasExtension(c, &xcb_xfixes_id)) {
      return MakeError("X display has no XFIXES extension");
    }
    XcbReply<xcb_damage_query_version_reply_t> dv(
        xcb_damage_query_version_reply(c, xcb_damage_query_version(c, 1, 1),
                                       nullptr));
    XcbReply<xcb_xfixes_query_version_reply_t> fv(
        xcb_xfixes_query_version_reply(c, xcb_xfixes_query_version(c, 2, 0),
                                       nullptr));
    if (!dv || !fv || fv->major_version < 2) {
      return MakeError("XDamage 1.1 / XFixes 2 not available");
    }
    const xcb_damage_damage_t damage = xcb_generate_id(c);
    XcbError error(xcb_request_check(
        c, xcb_damage_create_checked(c, damage, display_.root(),
                                     XCB_DAMAGE_REPORT_LEVEL_NON_EMPTY)));
    if (error)
      return MakeError("XDamage create failed");
    damage_ = damage;
    region_ = xcb_generate_id(c);
    error.reset(xcb_request_check(
        c, xcb_xfixes_create_region_checked(c, region_, 0, nullptr)));
    if (error) {
      region_ = 0;
      xcb_damage_destroy(c, damage_);
      damage_ = 0;
      return MakeError("XFixes create region failed");
    }
    return {};
  }

  // The source's rectangle in root coordinates, clipped to the screen.
  // Temporary error: a window that is not viewable right now. Permanent: the
  // source is gone.
  Result<DesktopRect> ResolveSourceRect() {
    const DesktopRect screen{0, 0, root_size_.width, root_size_.height};
    switch (source_.kind) {
      case CaptureSource::Kind::kWholeScreen:
        return screen;
      case CaptureSource::Kind::kMonitor:
        for (const MonitorInfo& m : monitors_) {
          if (m.id == source_.id) {
            DesktopRect r = m.rect.Intersect(screen);
            if (r.is_empty())
              return MakeError("monitor is off screen");
            return r;
          }
        }
        return MakeError("monitor not found");
      case CaptureSource::Kind::kWindow:
        return ResolveWindowRect(screen);
    }
    return MakeError("unknown capture source");
  }

  Result<DesktopRect> ResolveWindowRect(const DesktopRect& screen) {
    xcb_connection_t* c = display_.get();
    const xcb_window_t w = source_.id;
    auto attrs_cookie = xcb_get_window_attributes(c, w);
    auto geometry_cookie = xcb_get_geometry(c, w);
    auto translate_cookie =
        xcb_translate_coordinates(c, w, display_.root(), 0, 0);
    XcbReply<xcb_get_window_attributes_reply_t> attrs(
        xcb_get_window_attributes_reply(c, attrs_cookie, nullptr));
    XcbReply<xcb_get_geometry_reply_t> geometry(
        xcb_get_geometry_reply(c, geometry_cookie, nullptr));
    XcbReply<xcb_translate_coordinates_reply_t> position(
        xcb_translate_coordinates_reply(c, translate_cookie, nullptr));
    if (!attrs || !geometry || !position)
      return MakeError("window is gone");
    // Never show what lies under an unmapped window.
    if (attrs->map_state != XCB_MAP_STATE_VIEWABLE) {
      return MakeTemporaryError("window is not viewable");
    }
    DesktopRect r = DesktopRect{position->dst_x, position->dst_y,
                                geometry->width, geometry->height}
                        .Intersect(screen);
    if (r.is_empty())
      return MakeTemporaryError("window is off screen");
    return r;
  }

  void ProcessEvents() {
    xcb_connection_t* c = display_.get();
    while (xcb_generic_event_t* event = xcb_poll_for_event(c)) {
      const uint8_t type = event->response_type & 0x7f;
      if (type == XCB_CONFIGURE_NOTIFY) {
        auto* configure =
            reinterpret_cast<xcb_configure_notify_event_t*>(event);
        if (configure->window == display_.root())
          root_changed_ = true;
      } else if (randr_event_base_ != 0 &&
                 type == randr_event_base_ + XCB_RANDR_SCREEN_CHANGE_NOTIFY) {
        root_changed_ = true;
      }
      std::free(event);
    }
  }

  Result<void> RefreshRoot() {
    xcb_connection_t* c = display_.get();
    XcbReply<xcb_get_geometry_reply_t> geometry(xcb_get_geometry_reply(
        c, xcb_get_geometry(c, display_.root()), nullptr));
    if (!geometry)
      return MakeTemporaryError("cannot read the screen size");
    root_size_ = {geometry->width, geometry->height};
    if (source_.kind == CaptureSource::Kind::kMonitor) {
      auto monitors = ListMonitors();
      if (!monitors)
        return Unexpected(monitors.error());
      monitors_ = std::move(*monitors);
    }
    need_full_frame_ = true;
    return {};
  }

  // Damaged rectangles in root coordinates since the last call; clears them.
  std::vector<DesktopRect> TakeDamage() {
    xcb_connection_t* c = display_.get();
    xcb_damage_subtract(c, damage_, XCB_NONE, region_);
    XcbReply<xcb_xfixes_fetch_region_reply_t> reply(
        xcb_xfixes_fetch_region_reply(c, xcb_xfixes_fetch_region(c, region_),
                                      nullptr));
    std::vector<DesktopRect> rects;
    if (!reply) {
      // Unknown damage: treat everything as changed.
      need_full_frame_ = true;
      return rects;
    }
    const xcb_rectangle_t* r = xcb_xfixes_fetch_region_rectangles(reply.get());
    const int n = xcb_xfixes_fetch_region_rectangles_length(reply.get());
    rects.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      rects.push_back({r[i].x, r[i].y, r[i].width, r[i].height});
    }
    return rects;
  }

  bool EnsureShm(size_t bytes) {
    if (shm_ && shm_->size() >= bytes)
      return true;
    shm_.reset();
    shm_ = ShmSegment::Create(display_.get(), bytes);
    return shm_ != nullptr;
  }

  // Makes buffer_ hold source_rect_'s size and be ours alone (a frame the
  // consumer still holds keeps the old pixels).
  void PrepareBuffer() {
    const size_t bytes = static_cast<size_t>(source_rect_.width) * kBpp *
                         static_cast<size_t>(source_rect_.height);
    if (!buffer_ || buffer_->size() != bytes) {
      buffer_ = std::make_shared<std::vector<uint8_t>>(bytes);
      return;
    }
    if (buffer_.use_count() > 1) {
      buffer_ = std::make_shared<std::vector<uint8_t>>(*buffer_);
    } else {
      // Pairs with the release in the consumer's shared_ptr decrement.
      std::atomic_thread_fence(std::memory_order_acquire);
    }
  }

  // Reads `r` (root coordinates, inside source_rect_) into buffer_.
  Result<void> ReadRect(const DesktopRect& r) {
    xcb_connection_t* c = display_.get();
    const size_t row_bytes = static_cast<size_t>(r.width) * kBpp;
    const uint8_t* src = nullptr;
    XcbReply<xcb_get_image_reply_t> image;
    if (use_shm_) {
      if (!EnsureShm(row_bytes * static_cast<size_t>(r.height))) {
        return MakeTemporaryError("MIT-SHM segment allocation failed");
      }
      XcbError error;
      xcb_generic_error_t* raw_error = nullptr;
      XcbReply<xcb_shm_get_image_reply_t> reply(xcb_shm_get_image_reply(
          c,
          xcb_shm_get_image(c, display_.root(), static_cast<int16_t>(r.x),
                            static_cast<int16_t>(r.y),
                            static_cast<uint16_t>(r.width),
                            static_cast<uint16_t>(r.height), ~0u,
                            XCB_IMAGE_FORMAT_Z_PIXMAP, shm_->seg(), 0),
          &raw_error));
      error.reset(raw_error);
      if (!reply)
        return MakeTemporaryError("ShmGetImage failed");
      src = shm_->data();
    } else {
      xcb_generic_error_t* raw_error = nullptr;
      image.reset(xcb_get_image_reply(
          c,
          xcb_get_image(c, XCB_IMAGE_FORMAT_Z_PIXMAP, display_.root(),
                        static_cast<int16_t>(r.x), static_cast<int16_t>(r.y),
                        static_cast<uint16_t>(r.width),
                        static_cast<uint16_t>(r.height), ~0u),
          &raw_error));
      std::free(raw_error);
      if (!image)
        return MakeTemporaryError("GetImage failed");
      if (static_cast<size_t>(xcb_get_image_data_length(image.get())) <
          row_bytes * static_cast<size_t>(r.height)) {
        return MakeTemporaryError("GetImage returned a short image");
      }
      src = xcb_get_image_data(image.get());
    }
    const size_t stride = static_cast<size_t>(source_rect_.width) * kBpp;
    uint8_t* dst = buffer_->data() +
                   static_cast<size_t>(r.y - source_rect_.y) * stride +
                   static_cast<size_t>(r.x - source_rect_.x) * kBpp;
    for (int32_t row = 0; row < r.height; ++row) {
      std::memcpy(dst + row * stride, src + row * row_bytes, row_bytes);
    }
    return {};
  }

  std::unique_ptr<DesktopFrame> Capture(CaptureStatus* status) {
    auto fail = [&](const Error& error) -> std::unique_ptr<DesktopFrame> {
      *status = error.temporary() ? CaptureStatus::kErrorTemporary
                                  : CaptureStatus::kErrorPermanent;
      log::Debug("screen capture failed: {}", error.message);
      return nullptr;
    };
    if (xcb_connection_has_error(display_.get())) {
      return fail(Error{"X connection lost", Error::Kind::kPermanent});
    }
    ProcessEvents();
    if (root_changed_) {
      if (auto result = RefreshRoot(); !result)
        return fail(result.error());
      root_changed_ = false;
    }
    auto rect = ResolveSourceRect();
    if (!rect)
      return fail(rect.error());
    if (*rect != source_rect_) {
      source_rect_ = *rect;
      need_full_frame_ = true;
    }

    std::vector<DesktopRect> damage;
    if (damage_ != 0)
      damage = TakeDamage();
    if (damage_ == 0)
      need_full_frame_ = true;

    std::vector<DesktopRect> dirty;  // root coordinates
    std::vector<DesktopRect> reads;  // root coordinates
    if (need_full_frame_) {
      dirty = reads = {source_rect_};
    } else {
      DesktopRect bounds;
      int64_t area = 0;
      for (const DesktopRect& d : damage) {
        const DesktopRect r = d.Intersect(source_rect_);
        if (r.is_empty())
          continue;
        dirty.push_back(r);
        area += r.area();
        bounds =
            bounds.is_empty()
                ? r
                : DesktopRect{std::min(bounds.x, r.x), std::min(bounds.y, r.y),
                              std::max(bounds.right(), r.right()) -
                                  std::min(bounds.x, r.x),
                              std::max(bounds.bottom(), r.bottom()) -
                                  std::min(bounds.y, r.y)};
      }
      if (dirty.size() > kMaxDamageRects) {
        reads = {bounds};
        area = bounds.area();
      } else {
        reads = dirty;
      }
      if (static_cast<double>(area) >
          options_.max_partial_capture_share *
              static_cast<double>(source_rect_.area())) {
        reads = {source_rect_};
      }
    }

    PrepareBuffer();
    for (const DesktopRect& r : reads) {
      if (auto result = ReadRect(r); !result) {
        need_full_frame_ = true;  // the buffer may be partly stale now
        return fail(result.error());
      }
    }
    need_full_frame_ = false;
    for (DesktopRect& d : dirty)
      d = d.Translated(-source_rect_.x, -source_rect_.y);
    return std::make_unique<DesktopFrame>(
        source_rect_.size(), source_rect_.width * kBpp, buffer_,
        source_rect_.origin(), std::move(dirty));
  }

  x11::X11Display display_;
  CaptureOptions options_;
  FrameCallback callback_;

  bool use_shm_ = false;
  std::unique_ptr<ShmSegment> shm_;
  xcb_damage_damage_t damage_ = 0;
  xcb_xfixes_region_t region_ = 0;
  uint8_t randr_event_base_ = 0;
  bool has_monitors_ = false;

  DesktopSize root_size_;
  bool root_changed_ = false;
  CaptureSource source_;
  std::vector<MonitorInfo> monitors_;
  DesktopRect source_rect_;
  bool need_full_frame_ = true;
  std::shared_ptr<std::vector<uint8_t>> buffer_;
};

}  // namespace

Result<std::unique_ptr<ScreenCapturer>> CreateX11ScreenCapturer(
    const CaptureOptions& options) {
  auto display = x11::ConnectToDisplay(options.display);
  if (!display)
    return Unexpected(display.error());
  auto capturer =
      std::make_unique<X11ScreenCapturer>(std::move(*display), options);
  if (auto result = capturer->Init(); !result) {
    return Unexpected(result.error());
  }
  return std::unique_ptr<ScreenCapturer>(std::move(capturer));
}

}  // namespace tether::desktop::internal
