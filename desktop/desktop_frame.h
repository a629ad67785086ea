#pragma once

// Geometry and THE frame type of Tether: what the capturers produce, what
// the encoders read and what the decoders write. Header-only and free of
// X11 (CMake target `tether_desktop_frame`), so codec/ uses it without
// linking xcb -- as Chromium's remoting/codec uses webrtc::DesktopFrame.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

namespace tether::desktop {

struct DesktopPoint {
  int32_t x = 0;
  int32_t y = 0;
  bool operator==(const DesktopPoint&) const = default;
};

struct DesktopSize {
  int32_t width = 0;
  int32_t height = 0;
  bool is_empty() const { return width <= 0 || height <= 0; }
  bool operator==(const DesktopSize&) const = default;
};

// Left/top inclusive, right()/bottom() exclusive.
struct DesktopRect {
  int32_t x = 0;
  int32_t y = 0;
  int32_t width = 0;
  int32_t height = 0;

  static DesktopRect FromSize(DesktopSize size) {
    return {0, 0, size.width, size.height};
  }

  int32_t right() const { return x + width; }
  int32_t bottom() const { return y + height; }
  bool is_empty() const { return width <= 0 || height <= 0; }
  int64_t area() const {
    return is_empty() ? 0 : int64_t{width} * int64_t{height};
  }
  DesktopSize size() const { return {width, height}; }
  DesktopPoint origin() const { return {x, y}; }
  DesktopRect Translated(int32_t dx, int32_t dy) const {
    return {x + dx, y + dy, width, height};
  }
  // This rectangle grown by `pixels` on every side (not clipped).
  DesktopRect Grown(int32_t pixels) const {
    return {x - pixels, y - pixels, width + 2 * pixels, height + 2 * pixels};
  }
  // The common part of both rectangles; empty ({0,0,0,0}) if none.
  DesktopRect Intersect(const DesktopRect& o) const {
    const int32_t l = std::max(x, o.x), t = std::max(y, o.y);
    const int32_t r = std::min(right(), o.right());
    const int32_t b = std::min(bottom(), o.bottom());
    if (r <= l || b <= t)
      return {};
    return {l, t, r - l, b - t};
  }
  // The part inside a frame of `bounds`; empty ({0,0,0,0}) if none.
  DesktopRect ClippedTo(DesktopSize bounds) const {
    return Intersect(FromSize(bounds));
  }
  bool Contains(const DesktopRect& o) const {
    return o.x >= x && o.y >= y && o.right() <= right() &&
           o.bottom() <= bottom();
  }
  bool operator==(const DesktopRect&) const = default;
};

// One image of a screen, monitor or window: 4 bytes per pixel in memory
// order B, G, R, X (libyuv's "ARGB"; the fourth byte is undefined, not
// alpha -- converters must ignore it), rows `stride()` bytes apart
// (stride >= width * 4).
//
// Pixels, two kinds of ownership:
// - Shared (capturers): the frame shares the capturer's buffer read-only,
//   so a captured frame reaches the encoder without a pixel copy. Keep such
//   a frame only as long as needed: if it is still alive at the next
//   capture, the capturer copies its buffer first (copy-on-write, ~1 ms for
//   1080p). `is_writable()` is false.
// - Owned (decoder output, synthetic content in tests and benches):
//   `DesktopFrame(size)` allocates a zeroed, tightly packed buffer that
//   `mutable_data()` may write. `Clone()` makes an owned deep copy of any
//   frame.
//
// The frame always holds the complete image of its source. `dirty_rects()`
// (frame coordinates, i.e. (0, 0) is the frame's top-left pixel; may
// overlap; may reach outside the frame, consumers clip) say which parts
// changed since the previous frame of the same producer; no dirty rect
// means the picture is unchanged. A capturer's first frame, and any frame
// with a new size, has the whole frame as dirty rect. `top_left()` is where
// the frame's top-left pixel is on the whole X screen (root); encoders
// ignore it, input mapping needs it.
//
// Not thread-safe; one thread uses a frame at a time (it may be handed
// from the capture thread to the encode thread).
class DesktopFrame {
 public:
  static constexpr int kBytesPerPixel = 4;

  // An owned, writable frame of `size` (negative sizes count as 0), all
  // bytes 0, stride width * 4, no dirty rects, top_left (0, 0).
  explicit DesktopFrame(DesktopSize size)
      : size_(size),
        stride_(std::max(size.width, 0) * kBytesPerPixel),
        owned_(static_cast<size_t>(stride_) *
               static_cast<size_t>(std::max(size.height, 0))) {}

  // A frame sharing `pixels` read-only with its producer (a capturer).
  DesktopFrame(DesktopSize size,
               int32_t stride,
               std::shared_ptr<const std::vector<uint8_t>> pixels,
               DesktopPoint top_left,
               std::vector<DesktopRect> dirty_rects)
      : size_(size),
        stride_(stride),
        shared_(std::move(pixels)),
        top_left_(top_left),
        dirty_rects_(std::move(dirty_rects)) {}

  // No accidental copies of megabytes; Clone() says it out loud.
  DesktopFrame(const DesktopFrame&) = delete;
  DesktopFrame& operator=(const DesktopFrame&) = delete;
  DesktopFrame(DesktopFrame&&) = default;
  DesktopFrame& operator=(DesktopFrame&&) = default;

  // An owned deep copy (pixels, dirty rects, top_left), tightly packed.
  DesktopFrame Clone() const {
    DesktopFrame copy(size_);
    const size_t row_bytes = static_cast<size_t>(copy.stride_);
    for (int32_t y = 0; y < size_.height && row_bytes > 0; ++y) {
      std::memcpy(copy.owned_.data() + y * row_bytes, PixelAt(0, y), row_bytes);
    }
    copy.top_left_ = top_left_;
    copy.dirty_rects_ = dirty_rects_;
    return copy;
  }

  DesktopSize size() const { return size_; }
  int32_t stride() const { return stride_; }
  const uint8_t* data() const {
    return shared_ ? shared_->data() : owned_.data();
  }
  // Bytes reachable from data(); at least stride * (height - 1) + width * 4.
  size_t data_size() const { return shared_ ? shared_->size() : owned_.size(); }
  bool is_writable() const { return !shared_; }
  // Only for owned frames: writing into a capturer's buffer would change
  // frames other consumers hold, a bug in our code (aborts).
  uint8_t* mutable_data() {
    if (shared_)
      std::abort();
    return owned_.data();
  }

  const uint8_t* PixelAt(int32_t x, int32_t y) const {
    return data() + static_cast<size_t>(y) * stride_ +
           static_cast<size_t>(x) * kBytesPerPixel;
  }
  uint8_t* MutablePixelAt(int32_t x, int32_t y) {
    return mutable_data() + static_cast<size_t>(y) * stride_ +
           static_cast<size_t>(x) * kBytesPerPixel;
  }
  // The pixel at (x, y) as 0xRRGGBB.
  uint32_t RgbAt(int32_t x, int32_t y) const {
    const uint8_t* p = PixelAt(x, y);
    return (uint32_t{p[2]} << 16) | (uint32_t{p[1]} << 8) | p[0];
  }

  DesktopPoint top_left() const { return top_left_; }
  void set_top_left(DesktopPoint top_left) { top_left_ = top_left; }

  const std::vector<DesktopRect>& dirty_rects() const { return dirty_rects_; }
  std::vector<DesktopRect>& mutable_dirty_rects() { return dirty_rects_; }
  void MarkAllDirty() { dirty_rects_ = {DesktopRect::FromSize(size_)}; }

 private:
  DesktopSize size_;
  int32_t stride_;
  std::shared_ptr<const std::vector<uint8_t>> shared_;  // capturer's pixels
  std::vector<uint8_t> owned_;                          // if !shared_
  DesktopPoint top_left_;
  std::vector<DesktopRect> dirty_rects_;
};

}  // namespace tether::desktop
