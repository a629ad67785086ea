#pragma once

// Synthetic screen content for codec tests, the fuzzer's seeds and the
// codec bench: a desktop with a window of text-like glyphs, scrolling, a
// dragged window and a noisy "video" region. Deterministic (fixed seeds).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "desktop/desktop_frame.h"

namespace tether::codec::test {

using desktop::DesktopFrame;
using desktop::DesktopRect;
using desktop::DesktopSize;

struct Bgra {
  uint8_t b, g, r;
};

inline constexpr Bgra kDesktopBlue{140, 90, 40};
inline constexpr Bgra kWindowWhite{250, 250, 250};
inline constexpr Bgra kTitleBar{200, 120, 50};
inline constexpr Bgra kInk{30, 30, 30};

// xorshift32: tiny, deterministic, good enough for pixels.
class PixelRandom {
 public:
  explicit PixelRandom(uint32_t seed) : state_(seed ? seed : 1) {}
  uint32_t Next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return state_;
  }

 private:
  uint32_t state_;
};

inline void SetPixel(DesktopFrame& frame, int x, int y, Bgra c) {
  uint8_t* p = frame.MutablePixelAt(x, y);
  p[0] = c.b;
  p[1] = c.g;
  p[2] = c.r;
  p[3] = 0xFF;
}

inline void FillRect(DesktopFrame& frame, DesktopRect rect, Bgra c) {
  rect = rect.ClippedTo(frame.size());
  for (int y = rect.y; y < rect.bottom(); ++y) {
    for (int x = rect.x; x < rect.right(); ++x)
      SetPixel(frame, x, y, c);
  }
}

// One 5x7 glyph (1-px strokes, like small anti-alias-free text), chosen by
// `code`, drawn with its top-left at (x, y).
inline void DrawGlyph(DesktopFrame& frame,
                      int x,
                      int y,
                      uint32_t code,
                      Bgra ink) {
  PixelRandom bits(code * 2654435761u + 7);
  for (int row = 0; row < 7; ++row) {
    const uint32_t line = bits.Next();
    for (int col = 0; col < 5; ++col) {
      const bool stem = col == 0 && (code & 1);  // vertical strokes
      if (stem || (line >> col & 1)) {
        const DesktopRect px{x + col, y + row, 1, 1};
        if (!px.ClippedTo(frame.size()).is_empty()) {
          SetPixel(frame, x + col, y + row, ink);
        }
      }
    }
  }
}

// A line of `count` glyphs starting at (x, y); returns its rectangle.
inline DesktopRect DrawTextLine(DesktopFrame& frame,
                                int x,
                                int y,
                                uint32_t seed,
                                int count) {
  PixelRandom r(seed);
  int cx = x;
  for (int i = 0; i < count; ++i) {
    const uint32_t code = r.Next();
    if (code % 7 != 0)
      DrawGlyph(frame, cx, y, code % 96, kInk);  // spaces
    cx += 6;
  }
  return DesktopRect{x, y, cx - x, 8}.ClippedTo(frame.size());
}

// A desktop with one text window; all of it dirty.
struct Screen {
  explicit Screen(DesktopSize size) : frame(size), initial(size) {
    FillRect(frame, DesktopRect{0, 0, size.width, size.height}, kDesktopBlue);
    window = DesktopRect{8, 8, size.width - 16, size.height - 16};
    DrawWindow(window);
    frame.MarkAllDirty();
    initial = frame.Clone();
  }

  DesktopRect TextArea() const {
    return DesktopRect{window.x + 4, window.y + 18, window.width - 8,
                       window.height - 22};
  }

  void DrawWindow(DesktopRect w) {
    FillRect(frame, w, kWindowWhite);
    FillRect(frame, DesktopRect{w.x, w.y, w.width, 14}, kTitleBar);
    DrawTextLine(frame, w.x + 4, w.y + 3, 99, std::max(0, w.width / 12));
    const DesktopRect text{w.x + 4, w.y + 18, w.width - 8, w.height - 22};
    for (int y = text.y, line = 0; y + 8 <= text.bottom(); y += 10, ++line) {
      DrawTextLine(frame, text.x, y, 1000 + line, text.width / 6);
    }
  }

  // Typing: one more glyph at the cursor.
  void TypeGlyph(int n) {
    const DesktopRect text = TextArea();
    const int per_line = std::max(1, text.width / 6 - 1);
    const int lines = std::max(1, text.height / 10);
    const int x = text.x + (n % per_line) * 6;
    const int y = text.y + ((n / per_line) % lines) * 10;
    FillRect(frame, DesktopRect{x, y, 6, 8}, kWindowWhite);
    DrawGlyph(frame, x, y, static_cast<uint32_t>(n * 31 + 5) % 96, kInk);
    frame.mutable_dirty_rects() = {DesktopRect{x, y, 6, 8}};
  }

  // Scrolling: the text area moves up one line; a new line appears.
  void Scroll(int n) {
    const DesktopRect text = TextArea();
    const int line_height = 10;
    for (int y = text.y; y + line_height < text.bottom(); ++y) {
      std::memmove(frame.MutablePixelAt(text.x, y),
                   frame.PixelAt(text.x, y + line_height),
                   static_cast<size_t>(text.width) * 4);
    }
    const DesktopRect fresh{text.x, text.bottom() - line_height, text.width,
                            line_height};
    FillRect(frame, fresh, kWindowWhite);
    DrawTextLine(frame, text.x, fresh.y, 5000 + n, text.width / 6);
    frame.mutable_dirty_rects() = {text};
  }

  // Window drag: a small window moves `dx`,`dy`; old and new areas dirty.
  void DragWindow(int n, int dx, int dy) {
    const DesktopSize s = frame.size();
    const int w = std::max(16, s.width / 3);
    const int h = std::max(16, s.height / 3);
    DesktopRect old{16 + (n - 1) * dx, 24 + (n - 1) * dy, w, h};
    DesktopRect now{16 + n * dx, 24 + n * dy, w, h};
    if (n > 0) {
      // What was under the dragged window: the big window again.
      RedrawUnder(old);
    }
    FillRect(frame, now, Bgra{235, 235, 235});
    FillRect(frame, DesktopRect{now.x, now.y, now.width, 12},
             Bgra{60, 160, 60});
    for (int y = now.y + 16; y + 8 <= now.bottom(); y += 10) {
      DrawTextLine(frame, now.x + 3, y, 7000 + static_cast<uint32_t>(y - now.y),
                   (now.width - 6) / 6);
    }
    frame.mutable_dirty_rects() = {old.ClippedTo(s), now.ClippedTo(s)};
  }

  // "Video": a smooth moving gradient with grain in `area`.
  void PlayVideo(int n, DesktopRect area) {
    area = area.ClippedTo(frame.size());
    PixelRandom grain(static_cast<uint32_t>(n) * 7919u + 1);
    for (int y = area.y; y < area.bottom(); ++y) {
      for (int x = area.x; x < area.right(); ++x) {
        const double t = n * 0.2;
        const int base =
            static_cast<int>(128 + 60 * std::sin((x + 3 * n) * 0.05 + t) +
                             40 * std::cos((y - 2 * n) * 0.07));
        const int noise = static_cast<int>(grain.Next() % 9) - 4;
        const auto v = static_cast<uint8_t>(std::clamp(base + noise, 0, 255));
        SetPixel(frame, x, y,
                 Bgra{v, static_cast<uint8_t>(255 - v / 2),
                      static_cast<uint8_t>(v / 2 + 60)});
      }
    }
    frame.mutable_dirty_rects() = {area};
  }

  DesktopFrame frame;
  DesktopFrame initial;  // the screen as first drawn
  DesktopRect window;

 private:
  void RedrawUnder(DesktopRect area) {
    area = area.ClippedTo(frame.size());
    for (int y = area.y; y < area.bottom(); ++y) {
      std::memcpy(frame.MutablePixelAt(area.x, y), initial.PixelAt(area.x, y),
                  static_cast<size_t>(area.width) * 4);
    }
  }
};

// Luma (BT.601) PSNR between two BGRX frames of the same size, in dB;
// 99 for identical frames.
inline double LumaPsnr(const DesktopFrame& a, const DesktopFrame& b) {
  double squared_error = 0;
  const DesktopSize s = a.size();
  for (int y = 0; y < s.height; ++y) {
    for (int x = 0; x < s.width; ++x) {
      const uint8_t* p = a.PixelAt(x, y);
      const uint8_t* q = b.PixelAt(x, y);
      const double la = 0.114 * p[0] + 0.587 * p[1] + 0.299 * p[2];
      const double lb = 0.114 * q[0] + 0.587 * q[1] + 0.299 * q[2];
      squared_error += (la - lb) * (la - lb);
    }
  }
  const double mse = squared_error / (static_cast<double>(s.width) * s.height);
  if (mse < 1e-10)
    return 99.0;
  return 10.0 * std::log10(255.0 * 255.0 / mse);
}

}  // namespace tether::codec::test
