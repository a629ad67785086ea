#include "bench/e2e/screen_script.h"

#include <sys/ipc.h>
#include <sys/shm.h>
#include <xcb/shm.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace tether::bench::e2e {
namespace {

using std::chrono::milliseconds;

// What the "user" types and what the scrolled document shows: ordinary
// prose, so the glyph mix is that of real text.
constexpr char kProse[] =
    "Hello Maria, thanks for the call this morning. The quarterly report is "
    "attached; please check the figures in section three before Friday's "
    "meeting and send your comments to the team. The printer on the second "
    "floor is fixed now, and the new VPN profile is installed on your laptop. "
    "If anything else comes up, just open a ticket or call the help desk. ";
constexpr size_t kProseLength = sizeof(kProse) - 1;

constexpr uint32_t kDesktop = 0x2F6F9F;
constexpr uint32_t kTitleBar = 0xD0D0D0;
constexpr uint32_t kPaper = 0xFFFFFF;
constexpr uint32_t kInk = 0x202020;
constexpr int kCharWidth = 6;  // "fixed" is 6x13
constexpr int kLineHeight = 15;
constexpr int kTitleHeight = 24;
constexpr int kDialogWidth = 360;
constexpr int kDialogHeight = 200;

// Free()s an xcb reply.
template <typename T>
struct XcbReply {
  T* reply;
  explicit XcbReply(T* r) : reply(r) {}
  ~XcbReply() { free(reply); }
  XcbReply(const XcbReply&) = delete;
  XcbReply& operator=(const XcbReply&) = delete;
};

}  // namespace

Result<std::unique_ptr<XcbCanvas>> XcbCanvas::Connect(
    const std::string& display) {
  std::unique_ptr<XcbCanvas> canvas(new XcbCanvas());
  canvas->c_ = xcb_connect(display.c_str(), nullptr);
  if (xcb_connection_has_error(canvas->c_))
    return MakeError("cannot connect to X display " + display);
  const xcb_screen_t* screen =
      xcb_setup_roots_iterator(xcb_get_setup(canvas->c_)).data;
  canvas->root_ = screen->root;
  canvas->width_ = screen->width_in_pixels;
  canvas->height_ = screen->height_in_pixels;
  // No GraphicsExpose/NoExpose events for CopyArea: nobody reads them.
  const uint32_t no_exposures = 0;
  canvas->gc_ = xcb_generate_id(canvas->c_);
  xcb_create_gc(canvas->c_, canvas->gc_, canvas->root_,
                XCB_GC_GRAPHICS_EXPOSURES, &no_exposures);
  const xcb_font_t font = xcb_generate_id(canvas->c_);
  const char kFontName[] = "fixed";
  XcbReply<xcb_generic_error_t> error(xcb_request_check(
      canvas->c_, xcb_open_font_checked(canvas->c_, font,
                                        std::strlen(kFontName), kFontName)));
  if (error.reply)
    return MakeError("the X server has no \"fixed\" font");
  const uint32_t text_values[] = {font, 0};
  canvas->text_gc_ = xcb_generate_id(canvas->c_);
  xcb_create_gc(canvas->c_, canvas->text_gc_, canvas->root_,
                XCB_GC_FONT | XCB_GC_GRAPHICS_EXPOSURES, text_values);
  xcb_close_font(canvas->c_, font);  // the GC keeps it
  if (!canvas->Sync())
    return MakeError("X display " + display + " did not answer");
  return canvas;
}

XcbCanvas::~XcbCanvas() {
  DetachSharedMemory();
  xcb_disconnect(c_);
}

void XcbCanvas::Fill(int x, int y, int w, int h, uint32_t rgb) {
  xcb_change_gc(c_, gc_, XCB_GC_FOREGROUND, &rgb);
  const xcb_rectangle_t r{static_cast<int16_t>(x), static_cast<int16_t>(y),
                          static_cast<uint16_t>(std::max(w, 0)),
                          static_cast<uint16_t>(std::max(h, 0))};
  xcb_poly_fill_rectangle(c_, root_, gc_, 1, &r);
}

void XcbCanvas::Text(int x,
                     int y,
                     const std::string& text,
                     uint32_t rgb,
                     uint32_t background) {
  const uint32_t colours[] = {rgb, background};
  xcb_change_gc(c_, text_gc_, XCB_GC_FOREGROUND | XCB_GC_BACKGROUND, colours);
  const size_t n = std::min<size_t>(text.size(), 255);
  xcb_image_text_8(c_, static_cast<uint8_t>(n), root_, text_gc_,
                   static_cast<int16_t>(x), static_cast<int16_t>(y),
                   text.data());
}

void XcbCanvas::Copy(int x, int y, int w, int h, int to_x, int to_y) {
  xcb_copy_area(c_, root_, root_, gc_, static_cast<int16_t>(x),
                static_cast<int16_t>(y), static_cast<int16_t>(to_x),
                static_cast<int16_t>(to_y), static_cast<uint16_t>(w),
                static_cast<uint16_t>(h));
}

void XcbCanvas::Flush() {
  xcb_flush(c_);
}

bool XcbCanvas::Sync() {
  XcbReply<xcb_get_input_focus_reply_t> reply(
      xcb_get_input_focus_reply(c_, xcb_get_input_focus(c_), nullptr));
  return reply.reply != nullptr;
}

void XcbCanvas::PutRows(const uint8_t* bgrx, int width, int y, int rows) {
  xcb_put_image(c_, XCB_IMAGE_FORMAT_Z_PIXMAP, root_, gc_,
                static_cast<uint16_t>(width), static_cast<uint16_t>(rows), 0,
                static_cast<int16_t>(y), 0, 24,
                static_cast<uint32_t>(width * rows * 4), bgrx);
}

bool XcbCanvas::ReadRow(int x, int y, int width, std::vector<uint32_t>* out) {
  XcbReply<xcb_get_image_reply_t> image(xcb_get_image_reply(
      c_,
      xcb_get_image(c_, XCB_IMAGE_FORMAT_Z_PIXMAP, root_,
                    static_cast<int16_t>(x), static_cast<int16_t>(y),
                    static_cast<uint16_t>(width), 1, ~0u),
      nullptr));
  if (!image.reply)
    return false;
  // Depth 24 at 32 bits per pixel, little endian: B, G, R, X.
  const int length = xcb_get_image_data_length(image.reply);
  if (length < width * 4)
    return false;
  const uint8_t* data = xcb_get_image_data(image.reply);
  out->resize(static_cast<size_t>(width));
  for (int i = 0; i < width; ++i) {
    const uint8_t* p = data + i * 4;
    (*out)[static_cast<size_t>(i)] =
        (uint32_t{p[2]} << 16) | (uint32_t{p[1]} << 8) | p[0];
  }
  return true;
}

bool XcbCanvas::UseSharedMemory(size_t size) {
  if (shm_failed_)
    return false;
  if (shm_ && shm_size_ >= size)
    return true;
  DetachSharedMemory();
  const xcb_query_extension_reply_t* extension =
      xcb_get_extension_data(c_, &xcb_shm_id);
  if (!extension || !extension->present) {
    shm_failed_ = true;
    return false;
  }
  const int id = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600);
  if (id < 0) {
    shm_failed_ = true;
    return false;
  }
  void* memory = shmat(id, nullptr, 0);
  const uint32_t segment = xcb_generate_id(c_);
  XcbReply<xcb_generic_error_t> error(
      memory == reinterpret_cast<void*>(-1)
          ? nullptr
          : xcb_request_check(c_, xcb_shm_attach_checked(
                                      c_, segment, static_cast<uint32_t>(id),
                                      /*read_only=*/0)));
  // Removed once both sides detach: nothing is left behind, whatever ends
  // this process.
  shmctl(id, IPC_RMID, nullptr);
  if (memory == reinterpret_cast<void*>(-1) || error.reply) {
    if (memory != reinterpret_cast<void*>(-1))
      shmdt(memory);
    shm_failed_ = true;
    return false;
  }
  shm_segment_ = segment;
  shm_ = static_cast<uint8_t*>(memory);
  shm_size_ = size;
  return true;
}

void XcbCanvas::DetachSharedMemory() {
  if (!shm_)
    return;
  xcb_shm_detach(c_, shm_segment_);
  xcb_flush(c_);
  shmdt(shm_);
  shm_ = nullptr;
  shm_size_ = 0;
}

bool XcbCanvas::ReadRect(int x,
                         int y,
                         int w,
                         int h,
                         std::vector<uint8_t>* bgrx) {
  const size_t size = static_cast<size_t>(w) * static_cast<size_t>(h) * 4;
  if (UseSharedMemory(size)) {
    XcbReply<xcb_shm_get_image_reply_t> image(xcb_shm_get_image_reply(
        c_,
        xcb_shm_get_image(c_, root_, static_cast<int16_t>(x),
                          static_cast<int16_t>(y), static_cast<uint16_t>(w),
                          static_cast<uint16_t>(h), ~0u,
                          XCB_IMAGE_FORMAT_Z_PIXMAP, shm_segment_, 0),
        nullptr));
    if (image.reply && image.reply->size >= size) {
      bgrx->resize(size);
      std::memcpy(bgrx->data(), shm_, size);
      return true;
    }
    // Not through shared memory then, from now on.
    DetachSharedMemory();
    shm_failed_ = true;
  }
  XcbReply<xcb_get_image_reply_t> image(xcb_get_image_reply(
      c_,
      xcb_get_image(c_, XCB_IMAGE_FORMAT_Z_PIXMAP, root_,
                    static_cast<int16_t>(x), static_cast<int16_t>(y),
                    static_cast<uint16_t>(w), static_cast<uint16_t>(h), ~0u),
      nullptr));
  if (!image.reply)
    return false;
  // Depth 24 at 32 bits per pixel: rows need no padding.
  if (static_cast<size_t>(xcb_get_image_data_length(image.reply)) < size)
    return false;
  bgrx->resize(size);
  std::memcpy(bgrx->data(), xcb_get_image_data(image.reply), size);
  return true;
}

TimestampPattern::TimestampPattern(int screen_width)
    : block_(std::clamp((screen_width - 2 * kLeft) / kBlocks, 8, 40)),
      screen_width_(screen_width) {}

void TimestampPattern::Draw(XcbCanvas& canvas, uint16_t sequence) {
  Draw([&canvas](int x, int y, int w, int h,
                 uint32_t rgb) { canvas.Fill(x, y, w, h, rgb); },
       sequence);
}

void TimestampPattern::Draw(const FillFunction& fill, uint16_t sequence) {
  for (int i = 0; i < kBlocks; ++i) {
    bool white;
    if (i < 2) {
      white = i == 0;
    } else if (i < 2 + kBits) {
      white = (sequence >> (kBits - 1 - (i - 2))) & 1;
    } else {
      white = !((sequence >> (kBits - 1 - (i - 2 - kBits))) & 1);
    }
    fill(kLeft + i * block_, kTop, block_, block_, white ? 0xFFFFFF : 0x000000);
  }
  // A box that moves and changes colour: the rest of the picture changes
  // too, as it would with a real application (and the encoders cannot
  // get away with a few blocks).
  constexpr int kBox = 160;
  const int span = std::max(screen_width_ - 2 * kLeft - kBox, 1);
  const int y = kTop + block_ + 40;
  if (box_x_ >= 0)
    fill(box_x_, y, kBox, kBox, 0x808080);
  box_x_ = kLeft + (sequence * 12) % span;
  const uint32_t colour =
      (static_cast<uint32_t>(sequence) * 0x3F1D57u) & 0xFFFFFFu;
  fill(box_x_, y, kBox, kBox, colour);
}

std::optional<uint16_t> TimestampPattern::Read(
    const std::vector<uint32_t>& row) const {
  if (row.size() < static_cast<size_t>(row_width()))
    return std::nullopt;
  bool bits[kBlocks];
  for (int i = 0; i < kBlocks; ++i) {
    // Three pixels around the block's centre, far from its edges, where a
    // lossy codec's ringing does not reach.
    int luma = 0;
    for (int dx = -1; dx <= 1; ++dx) {
      const uint32_t p = row[static_cast<size_t>(i * block_ + block_ / 2 + dx)];
      luma += static_cast<int>((((p >> 16) & 0xFF) * 299 +
                                ((p >> 8) & 0xFF) * 587 + (p & 0xFF) * 114) /
                               1000);
    }
    luma /= 3;
    if (luma > 160) {
      bits[i] = true;
    } else if (luma < 96) {
      bits[i] = false;
    } else {
      return std::nullopt;  // neither black nor white: not the pattern
    }
  }
  if (!bits[0] || bits[1])
    return std::nullopt;
  uint16_t value = 0;
  for (int b = 0; b < kBits; ++b) {
    if (bits[2 + b] == bits[2 + kBits + b])
      return std::nullopt;  // a bit and its inverse disagree: torn picture
    value = static_cast<uint16_t>((value << 1) | (bits[2 + b] ? 1 : 0));
  }
  return value;
}

OfficeWorkload::OfficeWorkload(XcbCanvas& canvas, milliseconds length)
    : canvas_(canvas), length_(length) {
  const int w = canvas.width(), h = canvas.height();
  ed_x_ = 80;
  ed_y_ = 80;
  ed_w_ = std::max(std::min(w * 55 / 100, w - 160), 200);
  ed_h_ = std::max(h - 80 - 300, 200);
  text_x_ = ed_x_ + 8;
  text_y_ = ed_y_ + kTitleHeight + 4;
  cols_ = (ed_w_ - 16) / kCharWidth;
  rows_ = (ed_h_ - kTitleHeight - 8) / kLineHeight;
  dialog_y_ = std::max(h - 260, 0);
}

void OfficeWorkload::DrawScene() {
  canvas_.Fill(0, 0, canvas_.width(), canvas_.height(), kDesktop);
  canvas_.Fill(ed_x_, ed_y_, ed_w_, kTitleHeight, kTitleBar);
  canvas_.Text(ed_x_ + 8, ed_y_ + 16, "notes.txt - Editor", kInk, kTitleBar);
  canvas_.Fill(ed_x_, ed_y_ + kTitleHeight, ed_w_, ed_h_ - kTitleHeight,
               kPaper);
  // Half the editor already holds text; typing continues below it.
  for (int i = 0; i < rows_ / 2; ++i) {
    NewLine();
    const size_t start = (static_cast<size_t>(i) * cols_) % kProseLength;
    std::string line;
    for (int c = 0; c < cols_; ++c)
      line += kProse[(start + static_cast<size_t>(c)) % kProseLength];
    canvas_.Text(text_x_, text_y_ + (line_ - 1) * kLineHeight + 11, line, kInk,
                 kPaper);
  }
  canvas_.Flush();
  canvas_.Sync();
}

void OfficeWorkload::NewLine() {
  column_ = 0;
  if (line_ + 1 >= rows_) {
    ScrollLines(1);
  } else {
    ++line_;
  }
}

void OfficeWorkload::ScrollLines(int lines) {
  const int shift = lines * kLineHeight;
  const int height = rows_ * kLineHeight;
  canvas_.Copy(text_x_, text_y_ + shift, cols_ * kCharWidth, height - shift,
               text_x_, text_y_);
  canvas_.Fill(text_x_, text_y_ + height - shift, cols_ * kCharWidth, shift,
               kPaper);
}

void OfficeWorkload::TypeNext() {
  const char c = kProse[text_pos_++ % kProseLength];
  canvas_.Text(text_x_ + column_ * kCharWidth,
               text_y_ + line_ * kLineHeight + 11, std::string(1, c), kInk,
               kPaper);
  if (++column_ >= cols_)
    NewLine();
}

void OfficeWorkload::DrawDialog(int x, int y) {
  canvas_.Fill(x, y, kDialogWidth, kTitleHeight, 0x2F4F8F);
  canvas_.Text(x + 8, y + 16, "Copying files", 0xFFFFFF, 0x2F4F8F);
  canvas_.Fill(x, y + kTitleHeight, kDialogWidth, kDialogHeight - kTitleHeight,
               0xF0F0F0);
  canvas_.Text(x + 16, y + 52, "Copying 12 items to Documents", kInk, 0xF0F0F0);
  canvas_.Text(x + 16, y + 70, "Time remaining: about 2 minutes", kInk,
               0xF0F0F0);
  canvas_.Fill(x + 16, y + 90, kDialogWidth - 32, 16, 0xC8C8C8);
  canvas_.Fill(x + 16, y + 90, (kDialogWidth - 32) * 2 / 5, 16, 0x3C9A3C);
  canvas_.Fill(x + kDialogWidth - 100, y + kDialogHeight - 44, 84, 28,
               0xE0E0E0);
  canvas_.Text(x + kDialogWidth - 82, y + kDialogHeight - 26, "Cancel", kInk,
               0xE0E0E0);
}

namespace {
// Where each phase ends, in percent of the script's length.
constexpr int kPhaseEnds[OfficeWorkload::kPhases] = {30, 40, 55, 65, 80, 100};
}  // namespace

const char* OfficeWorkload::PhaseName(int phase) {
  static const char* const kNames[kPhases] = {"typing", "idle",     "scrolling",
                                              "idle",   "dragging", "idle"};
  return phase >= 0 && phase < kPhases ? kNames[phase] : "?";
}

int OfficeWorkload::Phase(milliseconds elapsed) const {
  for (int i = 0; i < kPhases; ++i) {
    if (elapsed < length_ * kPhaseEnds[i] / 100)
      return i;
  }
  return kPhases - 1;  // after the end: the idle tail
}

bool OfficeWorkload::Step(milliseconds elapsed) {
  const auto at = [&](int percent) { return length_ * percent / 100; };
  if (elapsed < at(30)) {
    // Typing, about 6 characters a second.
    while (next_key_ <= elapsed) {
      TypeNext();
      next_key_ += milliseconds(160);
    }
  } else if (elapsed >= at(40) && elapsed < at(55)) {
    // Scrolling: three lines per wheel notch, four notches a second.
    if (next_scroll_ < at(40))
      next_scroll_ = at(40);
    while (next_scroll_ <= elapsed) {
      ScrollLines(3);
      for (int i = 3; i >= 1; --i) {
        const size_t start =
            (static_cast<size_t>(scrolled_++) * 7 * cols_) % kProseLength;
        std::string line;
        for (int c = 0; c < cols_; ++c)
          line += kProse[(start + static_cast<size_t>(c)) % kProseLength];
        canvas_.Text(text_x_, text_y_ + (rows_ - i) * kLineHeight + 11, line,
                     kInk, kPaper);
      }
      next_scroll_ += milliseconds(250);
    }
  } else if (elapsed >= at(65) && elapsed < at(80)) {
    // A dialog dragged from left to right across the desktop.
    const int from = 40;
    const int to = std::max(canvas_.width() - kDialogWidth - 40, from);
    const auto span = std::max<int64_t>((at(80) - at(65)).count(), 1);
    const int x = from + static_cast<int>((to - from) *
                                          (elapsed - at(65)).count() / span);
    if (x != dialog_x_) {
      if (dialog_x_ >= 0)
        canvas_.Fill(dialog_x_, dialog_y_, kDialogWidth, kDialogHeight,
                     kDesktop);
      DrawDialog(x, dialog_y_);
      dialog_x_ = x;
    }
  }
  canvas_.Flush();
  return elapsed < length_;
}

}  // namespace tether::bench::e2e
