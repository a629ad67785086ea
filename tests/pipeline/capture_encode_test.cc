// The screen pipeline end to end, with real parts only: text drawn with X
// core fonts on a private Xvfb, captured by the real X11 capturer (MIT-SHM,
// XDamage), encoded by libvpx, decoded by libvpx, compared with what was
// captured. Captured frames go to the encoder as they are (one frame type,
// the capturer's own pixels: no copy in between).

#include <gtest/gtest.h>
#include <xcb/xcb.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "codec/vpx_decoder.h"
#include "codec/vpx_encoder.h"
#include "desktop/capture/screen_capturer.h"
#include "desktop/desktop_frame.h"
#include "tests/desktop/x11_test_util.h"

namespace tether {
namespace {

using codec::Codec;
using codec::EncodedFrame;
using codec::VpxDecoder;
using codec::VpxEncoder;
using desktop::CaptureOptions;
using desktop::CaptureStatus;
using desktop::DesktopFrame;
using desktop::DesktopRect;
using desktop::DesktopSize;
using desktop::FeatureMode;
using desktop::ScreenCapturer;

constexpr DesktopSize kScreenSize{1280, 720};
// The "terminal": a white window full of 6x13 "fixed" text.
constexpr DesktopRect kTerminal{40, 40, 1000, 600};
constexpr int kCharWidth = 6;
constexpr int kLineHeight = 13;
constexpr int kLines = 44;
// Top-off ends after at most 30 frames (codec/vpx_encoder.cc); a margin.
constexpr int kMaxTopOffFrames = 40;
// An idle 1280x720 frame: vs ~70-90 kB for the keyframe of the text.
constexpr size_t kTinyFrameBytes = 512;

// Luma (BT.601) PSNR of `rect` between two frames of the same size, in dB;
// 99 for identical pixels. The fourth byte (undefined in captures) is
// ignored.
double LumaPsnr(const DesktopFrame& a,
                const DesktopFrame& b,
                const DesktopRect& rect) {
  const DesktopRect r = rect.ClippedTo(a.size());
  double squared_error = 0;
  for (int32_t y = r.y; y < r.bottom(); ++y) {
    for (int32_t x = r.x; x < r.right(); ++x) {
      const uint8_t* p = a.PixelAt(x, y);
      const uint8_t* q = b.PixelAt(x, y);
      const double la = 0.114 * p[0] + 0.587 * p[1] + 0.299 * p[2];
      const double lb = 0.114 * q[0] + 0.587 * q[1] + 0.299 * q[2];
      squared_error += (la - lb) * (la - lb);
    }
  }
  const double mse = squared_error / static_cast<double>(r.area());
  return mse < 1e-10 ? 99.0 : 10.0 * std::log10(255.0 * 255.0 / mse);
}

// Draws text with the server's "fixed" core font, black on white, into one
// window; every call returns once the server has drawn it.
class TerminalWindow {
 public:
  TerminalWindow(xcb_connection_t* c, xcb_screen_t* screen)
      : c_(c),
        window_(desktop::test::CreateWindow(c,
                                            screen,
                                            kTerminal,
                                            0xFFFFFF,
                                            "terminal")) {
    const xcb_font_t font = xcb_generate_id(c_);
    const char kFontName[] = "fixed";
    desktop::x11::XcbReply<xcb_generic_error_t> error(xcb_request_check(
        c_,
        xcb_open_font_checked(c_, font, std::strlen(kFontName), kFontName)));
    EXPECT_EQ(error, nullptr) << "the X server has no \"fixed\" font";
    gc_ = xcb_generate_id(c_);
    const uint32_t values[] = {0x000000, 0xFFFFFF, font};
    xcb_create_gc(c_, gc_, window_,
                  XCB_GC_FOREGROUND | XCB_GC_BACKGROUND | XCB_GC_FONT, values);
    xcb_close_font(c_, font);  // the GC keeps it
  }
  ~TerminalWindow() {
    xcb_free_gc(c_, gc_);
    xcb_destroy_window(c_, window_);
    desktop::x11::Sync(c_);
  }
  TerminalWindow(const TerminalWindow&) = delete;
  TerminalWindow& operator=(const TerminalWindow&) = delete;

  // `text` at column `column` of line `line` (0-based).
  void Print(int line, int column, const std::string& text) {
    xcb_image_text_8(c_, static_cast<uint8_t>(text.size()), window_, gc_,
                     static_cast<int16_t>(4 + column * kCharWidth),
                     static_cast<int16_t>(11 + line * kLineHeight),
                     text.c_str());
    xcb_flush(c_);
    // A round trip: the server has drawn (and raised the damage) when the
    // reply arrives.
    ASSERT_TRUE(desktop::x11::Sync(c_));
  }

 private:
  xcb_connection_t* c_;
  xcb_window_t window_;
  xcb_gcontext_t gc_ = 0;
};

// What a shell session looks like: prompts, listings, compiler output.
std::string TerminalLine(int n) {
  static const char* const kSamples[] = {
      "user@host:~/src/tether$ ls -l codec desktop",
      "-rw-r--r-- 1 user user  4123 Nov 23 10:39 vpx_encoder.cc",
      "drwxr-xr-x 2 user user  4096 Nov 23 10:40 capture",
      "[42/117] Building CXX object codec/CMakeFiles/tether_codec.dir/",
      "warning: unused variable 'stride' [-Wunused-variable]",
      "    const int stride = frame.stride();  // {}[]()<>|&*#@!?",
      "The quick brown fox jumps over the lazy dog 0123456789 ~^%$",
      "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG; i++ != j--;",
  };
  char prefix[16];
  std::snprintf(prefix, sizeof(prefix), "%03d ", n);
  return prefix + std::string(kSamples[n % 8]) +
         std::string(static_cast<size_t>(n % 5) * 7, '.');
}

// Capturer -> encoder -> decoder, as a customer host and a supporter would
// run them (here on one thread).
class Pipeline {
 public:
  bool Init(const std::string& display, Codec codec) {
    CaptureOptions options;
    options.display = display;
    options.damage = FeatureMode::kRequired;
    auto capturer = ScreenCapturer::Create(options);
    auto encoder = VpxEncoder::Create(codec);
    auto decoder = VpxDecoder::Create(codec);
    if (!capturer || !encoder || !decoder) {
      ADD_FAILURE() << "pipeline setup failed";
      return false;
    }
    capturer_ = std::move(*capturer);
    encoder_ = std::move(*encoder);
    decoder_ = std::move(*decoder);
    capturer_->Start(
        [this](CaptureStatus status, std::unique_ptr<DesktopFrame> frame) {
          EXPECT_EQ(status, CaptureStatus::kSuccess);
          captured_ = std::move(frame);
        });
    return true;
  }

  // Captures the screen into frame(); null if that failed. The previous
  // frame is released first, so the capturer reuses its buffer instead of
  // copying it.
  const DesktopFrame* Capture() {
    captured_.reset();
    capturer_->CaptureFrame();
    EXPECT_NE(captured_, nullptr) << "capture failed";
    return captured_.get();
  }

  // Encodes the last capture (the capturer's own pixels, no copy) and
  // decodes the packet into decoded().
  EncodedFrame EncodeAndDecode() {
    auto encoded = encoder_->Encode(*captured_, {});
    EXPECT_TRUE(encoded.has_value()) << encoded.error().message;
    if (!encoded)
      return {};
    auto size = decoder_->Decode(encoded->data);
    EXPECT_TRUE(size.has_value()) << size.error().message;
    if (!size)
      return *std::move(encoded);
    if (!decoded_ || decoded_->size() != *size)
      decoded_ = std::make_unique<DesktopFrame>(*size);
    auto converted = decoder_->ConvertToBgra(*decoded_);
    EXPECT_TRUE(converted.has_value()) << converted.error().message;
    return *std::move(encoded);
  }

  // Captures the unchanged screen and encodes it while the encoder asks to
  // sharpen (top-off); returns how many frames that took.
  int SettleTopOff() {
    int frames = 0;
    while (encoder_->NeedsTopOff() && frames < kMaxTopOffFrames) {
      if (Capture() == nullptr)
        break;
      EncodeAndDecode();
      ++frames;
    }
    EXPECT_FALSE(encoder_->NeedsTopOff());
    return frames;
  }

  ScreenCapturer& capturer() { return *capturer_; }
  const DesktopFrame& frame() const { return *captured_; }
  const DesktopFrame& decoded() const { return *decoded_; }

 private:
  std::unique_ptr<ScreenCapturer> capturer_;
  std::unique_ptr<VpxEncoder> encoder_;
  std::unique_ptr<VpxDecoder> decoder_;
  std::unique_ptr<DesktopFrame> captured_;
  std::unique_ptr<DesktopFrame> decoded_;
};

class CaptureEncodeTest : public ::testing::TestWithParam<Codec> {};

TEST_P(CaptureEncodeTest, TerminalTextSurvivesCaptureEncodeDecode) {
  tether::test::XvfbOptions xvfb;
  xvfb.width = kScreenSize.width;
  xvfb.height = kScreenSize.height;
  xvfb.extra_args = {"-br"};  // a plain black desktop, not the 1-px weave
  TETHER_START_DISPLAY_OR_SKIP(display, xvfb);

  TerminalWindow terminal(display->c(), display->x.screen);
  for (int line = 0; line < kLines; ++line)
    terminal.Print(line, 0, TerminalLine(line));
  const std::string prompt = "user@host:~/src/tether$ ";
  terminal.Print(kLines, 0, prompt);

  Pipeline pipeline;
  ASSERT_TRUE(pipeline.Init(display->name(), GetParam()));
  ASSERT_TRUE(pipeline.capturer().UsesDamage());

  // 1. The first frame: the whole screen, a keyframe, then top-off frames
  //    on the unchanged screen until the text is sharp.
  ASSERT_NE(pipeline.Capture(), nullptr);
  const DesktopFrame& first = pipeline.frame();
  ASSERT_EQ(first.size(), kScreenSize);
  EXPECT_FALSE(first.is_writable()) << "the capturer's own buffer";
  EXPECT_EQ(first.dirty_rects(),
            (std::vector<DesktopRect>{DesktopRect::FromSize(kScreenSize)}));
  const EncodedFrame key = pipeline.EncodeAndDecode();
  EXPECT_TRUE(key.key_frame);
  const int top_off_frames = pipeline.SettleTopOff();
  const double text_psnr =
      LumaPsnr(pipeline.frame(), pipeline.decoded(), kTerminal);
  EXPECT_GE(text_psnr, 35.0) << "after " << top_off_frames << " top-off frames";
  RecordProperty("keyframe_bytes", static_cast<int>(key.data.size()));
  RecordProperty("top_off_frames", top_off_frames);
  RecordProperty("text_psnr_db", std::to_string(text_psnr));

  // 2. One more character at the prompt: damage gives a small dirty rect,
  //    the frame is small and decodes to what was captured.
  terminal.Print(kLines, static_cast<int>(prompt.size()), "l");
  ASSERT_NE(pipeline.Capture(), nullptr);
  const DesktopFrame& typed = pipeline.frame();
  ASSERT_FALSE(typed.dirty_rects().empty());
  int32_t left = kScreenSize.width, top = kScreenSize.height;
  int32_t right = 0, bottom = 0;
  int64_t dirty_area = 0;
  for (const DesktopRect& r : typed.dirty_rects()) {
    dirty_area += r.area();
    left = std::min(left, r.x);
    top = std::min(top, r.y);
    right = std::max(right, r.right());
    bottom = std::max(bottom, r.bottom());
  }
  const DesktopRect changed{left, top, right - left, bottom - top};
  EXPECT_LE(dirty_area, 32 * 32) << "one 6x13 character";
  const EncodedFrame typed_packet = pipeline.EncodeAndDecode();
  EXPECT_FALSE(typed_packet.key_frame);
  EXPECT_LT(typed_packet.data.size(), 2048u);
  const DesktopRect around = changed.Grown(16).ClippedTo(kScreenSize);
  EXPECT_GE(LumaPsnr(pipeline.frame(), pipeline.decoded(), around), 30.0);
  EXPECT_GE(LumaPsnr(pipeline.frame(), pipeline.decoded(), kTerminal), 35.0);
  RecordProperty("typed_bytes", static_cast<int>(typed_packet.data.size()));

  // 3. Nothing changes: no dirty rects, a tiny frame (the floor at 720p is
  //    ~240 B for VP8: one skip flag per macroblock). VP8 gets there at
  //    once. VP9's cyclic refresh (aq-mode=3) keeps re-encoding slices of
  //    the static picture for a while after a change (~20 frames of 1-5 kB
  //    here), with no dirty rect and no top-off asked for, so VP9 gets a
  //    bounded number of idle frames to settle.
  pipeline.SettleTopOff();
  const int max_idle_frames = GetParam() == Codec::kVp8 ? 1 : 60;
  int idle_frames = 0;
  size_t idle_bytes = 0;
  do {
    ASSERT_NE(pipeline.Capture(), nullptr);
    EXPECT_TRUE(pipeline.frame().dirty_rects().empty());
    const EncodedFrame idle_packet = pipeline.EncodeAndDecode();
    EXPECT_FALSE(idle_packet.key_frame);
    idle_bytes = idle_packet.data.size();
    ++idle_frames;
  } while (idle_bytes >= kTinyFrameBytes && idle_frames < max_idle_frames);
  EXPECT_LT(idle_bytes, kTinyFrameBytes)
      << "after " << idle_frames << " idle frames";
  EXPECT_GE(LumaPsnr(pipeline.frame(), pipeline.decoded(), kTerminal), 35.0);
  RecordProperty("idle_frames_until_tiny", idle_frames);
  RecordProperty("idle_bytes", static_cast<int>(idle_bytes));
}

INSTANTIATE_TEST_SUITE_P(Codecs,
                         CaptureEncodeTest,
                         ::testing::Values(Codec::kVp8, Codec::kVp9),
                         [](const auto& param_info) {
                           return std::string(
                               codec::CodecName(param_info.param));
                         });

}  // namespace
}  // namespace tether
