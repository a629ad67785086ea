#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace tether::codec {

// Width and height in pixels. desktop/ converts its own geometry to these.
struct Size {
  int width = 0;
  int height = 0;

  bool empty() const { return width <= 0 || height <= 0; }
  friend bool operator==(const Size&, const Size&) = default;
};

// A rectangle in pixels: left/top inclusive, width and height.
struct Rect {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;

  int right() const { return x + width; }    // exclusive
  int bottom() const { return y + height; }  // exclusive
  bool empty() const { return width <= 0 || height <= 0; }

  // This rectangle grown by `pixels` on every side, then clipped to `bounds`.
  Rect Padded(int pixels, Size bounds) const {
    return Rect{x - pixels, y - pixels, width + 2 * pixels, height + 2 * pixels}
        .ClippedTo(bounds);
  }
  // The part of this rectangle inside (0, 0, bounds); empty if none.
  Rect ClippedTo(Size bounds) const {
    const int left = std::max(x, 0);
    const int top = std::max(y, 0);
    const int r = std::min(right(), bounds.width);
    const int b = std::min(bottom(), bounds.height);
    if (r <= left || b <= top)
      return Rect{};
    return Rect{left, top, r - left, b - top};
  }
  friend bool operator==(const Rect&, const Rect&) = default;
};

// One captured screen image: 32-bit BGRA pixels (byte order B, G, R, A;
// libyuv calls this "ARGB"), rows `stride` bytes apart, plus the rectangles
// that changed since the previous frame. A frame with no dirty rectangles
// is identical to its predecessor.
class DesktopFrame {
 public:
  static constexpr int kBytesPerPixel = 4;

  // A frame of `size`, all pixels 0 (transparent black), tightly packed.
  explicit DesktopFrame(Size size)
      : size_(size),
        stride_(std::max(size.width, 0) * kBytesPerPixel),
        data_(static_cast<size_t>(stride_) *
              static_cast<size_t>(std::max(size.height, 0))) {}

  DesktopFrame(const DesktopFrame&) = default;
  DesktopFrame& operator=(const DesktopFrame&) = default;
  DesktopFrame(DesktopFrame&&) = default;
  DesktopFrame& operator=(DesktopFrame&&) = default;

  Size size() const { return size_; }
  int stride() const { return stride_; }
  uint8_t* data() { return data_.data(); }
  const uint8_t* data() const { return data_.data(); }
  size_t data_size() const { return data_.size(); }

  uint8_t* PixelAt(int x, int y) {
    return data_.data() + static_cast<size_t>(y) * stride_ +
           static_cast<size_t>(x) * kBytesPerPixel;
  }
  const uint8_t* PixelAt(int x, int y) const {
    return data_.data() + static_cast<size_t>(y) * stride_ +
           static_cast<size_t>(x) * kBytesPerPixel;
  }

  // Rectangles changed since the previous frame (may overlap).
  std::vector<Rect>& dirty_rects() { return dirty_rects_; }
  const std::vector<Rect>& dirty_rects() const { return dirty_rects_; }
  void MarkAllDirty() {
    dirty_rects_ = {Rect{0, 0, size_.width, size_.height}};
  }

 private:
  Size size_;
  int stride_;
  std::vector<uint8_t> data_;
  std::vector<Rect> dirty_rects_;
};

}  // namespace tether::codec
