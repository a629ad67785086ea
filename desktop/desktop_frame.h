#pragma once

// Geometry and the captured frame type of desktop/. codec/ has its own frame
// type; the app converts between the two (both are plain BGRX buffers).

#include <algorithm>
#include <cstdint>
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

struct DesktopRect {
  int32_t x = 0;
  int32_t y = 0;
  int32_t width = 0;
  int32_t height = 0;

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
  // The common part of both rectangles; empty ({0,0,0,0}) if none.
  DesktopRect Intersect(const DesktopRect& o) const {
    const int32_t l = std::max(x, o.x), t = std::max(y, o.y);
    const int32_t r = std::min(right(), o.right());
    const int32_t b = std::min(bottom(), o.bottom());
    if (r <= l || b <= t)
      return {};
    return {l, t, r - l, b - t};
  }
  bool Contains(const DesktopRect& o) const {
    return o.x >= x && o.y >= y && o.right() <= right() &&
           o.bottom() <= bottom();
  }
  bool operator==(const DesktopRect&) const = default;
};

// One captured image: 4 bytes per pixel in memory order B, G, R, X (the
// fourth byte is undefined, not alpha), rows `stride` bytes apart.
//
// The frame always holds the complete image of its source (screen, monitor
// or window); `dirty_rects` (frame coordinates, non-overlapping not
// guaranteed) say which parts changed since the previous frame of the same
// capturer. A frame with a new size has the whole frame as dirty rect.
// Pixels are shared read-only with the capturer: keep a frame only as long
// as needed (the capturer copies its buffer if a frame is still alive at the
// next capture).
class DesktopFrame {
 public:
  static constexpr int kBytesPerPixel = 4;

  DesktopFrame(DesktopSize size,
               int32_t stride,
               std::shared_ptr<const std::vector<uint8_t>> pixels,
               DesktopPoint top_left,
               std::vector<DesktopRect> dirty_rects)
      : size_(size),
        stride_(stride),
        pixels_(std::move(pixels)),
        top_left_(top_left),
        dirty_rects_(std::move(dirty_rects)) {}

  DesktopFrame(const DesktopFrame&) = delete;
  DesktopFrame& operator=(const DesktopFrame&) = delete;

  DesktopSize size() const { return size_; }
  int32_t stride() const { return stride_; }
  const uint8_t* data() const { return pixels_->data(); }
  // Where the frame's top-left pixel is on the whole X screen (root).
  DesktopPoint top_left() const { return top_left_; }
  const std::vector<DesktopRect>& dirty_rects() const { return dirty_rects_; }

  // The pixel at (x, y) as 0xRRGGBB.
  uint32_t RgbAt(int32_t x, int32_t y) const {
    const uint8_t* p = data() + static_cast<size_t>(y) * stride_ +
                       static_cast<size_t>(x) * kBytesPerPixel;
    return (uint32_t{p[2]} << 16) | (uint32_t{p[1]} << 8) | p[0];
  }

 private:
  DesktopSize size_;
  int32_t stride_;
  std::shared_ptr<const std::vector<uint8_t>> pixels_;
  DesktopPoint top_left_;
  std::vector<DesktopRect> dirty_rects_;
};

}  // namespace tether::desktop
