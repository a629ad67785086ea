#pragma once

// What the bench puts on the customer's screen, and how it reads it back
// on the viewer's side.
//
// - TimestampPattern: a sequence number as a row of large black and white
//   blocks (a white and a black guard block, 16 bits, then the same 16 bits
//   inverted), so a picture that is half old, half new, or blurred by a
//   lossy codec never reads as a wrong number: it reads as nothing.
// - OfficeWorkload: a scripted minute of office work on a desktop-like
//   scene: typing into an editor, scrolling it, dragging a dialog across
//   the desktop, and idle periods.

#include <xcb/xcb.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace tether::bench::e2e {

// An xcb connection to one display, drawing on its root window. Not
// thread-safe: one thread draws.
class XcbCanvas {
 public:
  static Result<std::unique_ptr<XcbCanvas>> Connect(const std::string& display);
  ~XcbCanvas();
  XcbCanvas(const XcbCanvas&) = delete;
  XcbCanvas& operator=(const XcbCanvas&) = delete;

  int width() const { return width_; }
  int height() const { return height_; }
  void Fill(int x, int y, int w, int h, uint32_t rgb);
  // Text in the server's "fixed" core font (6x13), `rgb` on `background`;
  // `y` is the baseline.
  void Text(int x,
            int y,
            const std::string& text,
            uint32_t rgb,
            uint32_t background);
  // Copies a rectangle of the root window onto itself (a scroll).
  void Copy(int x, int y, int w, int h, int to_x, int to_y);
  void Flush();
  // A round trip: when it returns, the server has executed everything
  // sent before.
  bool Sync();
  // Puts `rows` rows of BGRX pixels (tightly packed, `width` wide) at
  // (0, y), as a viewer paints a decoded picture; does not flush.
  void PutRows(const uint8_t* bgrx, int width, int y, int rows);
  // One row of the root window, `width` pixels from (x, y), as 0xRRGGBB;
  // false on error.
  bool ReadRow(int x, int y, int width, std::vector<uint32_t>* out);
  // A rectangle of the root window as BGRX, rows tightly packed (`w` * 4
  // bytes), into `bgrx` (resized); false on error. Through a shared memory
  // segment (MIT-SHM) when the server has it: the whole 1080p screen is
  // 8 MB, and over the X socket it costs both sides ~3 ms of CPU, through
  // shared memory the server ~0.4 ms.
  bool ReadRect(int x, int y, int w, int h, std::vector<uint8_t>* bgrx);

 private:
  XcbCanvas() = default;
  xcb_connection_t* c_ = nullptr;
  xcb_window_t root_ = 0;
  xcb_gcontext_t gc_ = 0;
  xcb_gcontext_t text_gc_ = 0;
  int width_ = 0;
  int height_ = 0;
  // ReadRect's MIT-SHM segment: attached at the first read, `shm_size_`
  // bytes at `shm_`; after a failure, plain GetImage.
  bool UseSharedMemory(size_t size);
  void DetachSharedMemory();
  uint32_t shm_segment_ = 0;
  uint8_t* shm_ = nullptr;
  size_t shm_size_ = 0;
  bool shm_failed_ = false;
};

class TimestampPattern {
 public:
  static constexpr int kBits = 16;
  static constexpr int kBlocks = 2 + 2 * kBits;

  // Blocks as large as the screen's width allows (at most 40 px).
  explicit TimestampPattern(int screen_width);

  // Fills one rectangle with 0xRRGGBB: an X canvas, or a Wayland test
  // window's "fill" command.
  using FillFunction =
      std::function<void(int x, int y, int w, int h, uint32_t rgb)>;

  // Draws `sequence` (and the moving box that makes the rest of the picture
  // change too); does not flush.
  void Draw(XcbCanvas& canvas, uint16_t sequence);
  void Draw(const FillFunction& fill, uint16_t sequence);
  // The row through the blocks' centres: where to read.
  int row_y() const { return kTop + block_ / 2; }
  int row_x() const { return kLeft; }
  int row_width() const { return kBlocks * block_; }
  // Reads a row of `row_width()` pixels (0xRRGGBB) starting at row_x().
  std::optional<uint16_t> Read(const std::vector<uint32_t>& row) const;

 private:
  static constexpr int kLeft = 64;
  static constexpr int kTop = 64;
  int block_;
  int screen_width_;
  int box_x_ = -1;
};

class OfficeWorkload {
 public:
  // The script runs over `length`: typing 30 %, idle 10 %, scrolling 15 %,
  // idle 10 %, dragging a dialog 15 %, idle 20 %.
  OfficeWorkload(XcbCanvas& canvas, std::chrono::milliseconds length);

  // The script's parts, in order, and which one runs at `elapsed`.
  static constexpr int kPhases = 6;
  static const char* PhaseName(int phase);
  // Whether the script changes the screen in `phase` (typing, scrolling,
  // dragging); in the others the screen stays as it is.
  static bool Moves(int phase) {
    return phase == 0 || phase == 2 || phase == 4;
  }
  int Phase(std::chrono::milliseconds elapsed) const;

  // The desktop before the workload: background, editor with some text.
  void DrawScene();
  // Does what the script says for `elapsed` (call about every 16 ms, with
  // increasing times); flushes. Returns false once the script is over.
  bool Step(std::chrono::milliseconds elapsed);

 private:
  void TypeNext();
  void ScrollLines(int lines);
  void NewLine();
  void DrawDialog(int x, int y);

  XcbCanvas& canvas_;
  std::chrono::milliseconds length_;
  // Editor geometry.
  int ed_x_, ed_y_, ed_w_, ed_h_, text_x_, text_y_, cols_, rows_;
  int line_ = 0, column_ = 0;
  size_t text_pos_ = 0;
  int scrolled_ = 0;
  std::chrono::milliseconds next_key_{0};
  std::chrono::milliseconds next_scroll_{0};
  // Dialog.
  int dialog_x_ = -1, dialog_y_ = 0;
};

}  // namespace tether::bench::e2e
