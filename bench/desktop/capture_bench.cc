// Screen capture cost per frame on a private 1920x1080 Xvfb (or --display):
// whole-screen reads vs one damaged 64x64 rectangle, MIT-SHM vs plain
// GetImage. Only CaptureFrame() is timed; drawing the damage is not.
//
//   tether-bench-desktop-capture [--display :N] [--iterations N]

#include <xcb/xcb.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/log.h"
#include "desktop/capture/screen_capturer.h"
#include "tests/fakes/xvfb_display.h"

namespace {

using tether::desktop::CaptureOptions;
using tether::desktop::CaptureStatus;
using tether::desktop::DesktopFrame;
using tether::desktop::FeatureMode;
using tether::desktop::ScreenCapturer;
using Clock = std::chrono::steady_clock;

struct Drawer {
  xcb_connection_t* c = nullptr;
  xcb_window_t root = 0;
  xcb_gcontext_t gc = 0;
  uint32_t colour = 0;

  void FillAndSync(int16_t x, int16_t y, uint16_t w, uint16_t h) {
    colour = (colour + 0x010203) & 0xffffff;
    xcb_change_gc(c, gc, XCB_GC_FOREGROUND, &colour);
    const xcb_rectangle_t r{x, y, w, h};
    xcb_poly_fill_rectangle(c, root, gc, 1, &r);
    free(xcb_get_input_focus_reply(c, xcb_get_input_focus(c), nullptr));
  }
};

struct Stats {
  double mean_ms, p50_ms, p95_ms;
};

Stats Summarize(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  double sum = 0;
  for (double v : ms)
    sum += v;
  return {sum / static_cast<double>(ms.size()), ms[ms.size() / 2],
          ms[ms.size() * 95 / 100]};
}

enum class Case { kFull, kDamaged64, kDamaged64Held };

bool Run(const std::string& display,
         Drawer& drawer,
         FeatureMode shm,
         Case what,
         int iterations) {
  CaptureOptions options;
  options.display = display;
  options.shared_memory = shm;
  options.damage =
      what == Case::kFull ? FeatureMode::kOff : FeatureMode::kRequired;
  auto capturer = ScreenCapturer::Create(options);
  if (!capturer) {
    std::fprintf(stderr, "capturer: %s\n", capturer.error().message.c_str());
    return false;
  }
  std::unique_ptr<DesktopFrame> frame, held;
  bool ok = true;
  (*capturer)->Start(
      [&](CaptureStatus status, std::unique_ptr<DesktopFrame> f) {
        ok = ok && status == CaptureStatus::kSuccess;
        frame = std::move(f);
      });
  (*capturer)->CaptureFrame();  // the first, full frame
  std::vector<double> ms;
  for (int i = 0; i < iterations; ++i) {
    if (what != Case::kFull) {
      drawer.FillAndSync(static_cast<int16_t>((i * 64) % (1920 - 64)),
                         static_cast<int16_t>((i * 37) % (1080 - 64)), 64, 64);
    }
    if (what == Case::kDamaged64Held) {
      held = std::move(frame);  // the encoder still has the last frame
    } else {
      frame.reset();
    }
    const auto start = Clock::now();
    (*capturer)->CaptureFrame();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start)
                     .count());
  }
  if (!ok) {
    std::fprintf(stderr, "a capture failed\n");
    return false;
  }
  const Stats s = Summarize(ms);
  const char* name = what == Case::kFull        ? "full 1920x1080"
                     : what == Case::kDamaged64 ? "damaged 64x64"
                                                : "damaged 64x64, frame held";
  std::printf("| %-5s | %-26s | %8.3f | %8.3f | %8.3f |\n",
              shm == FeatureMode::kOff ? "plain" : "shm", name, s.mean_ms,
              s.p50_ms, s.p95_ms);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  tether::log::Init("tether-bench-desktop-capture", tether::log::Level::kWarn);
  std::string display;
  int iterations = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--display") == 0)
      display = argv[i + 1];
    if (std::strcmp(argv[i], "--iterations") == 0) {
      iterations = std::max(10, std::atoi(argv[i + 1]));
    }
  }
  std::unique_ptr<tether::test::XvfbDisplay> xvfb;
  if (display.empty()) {
    auto started = tether::test::XvfbDisplay::Start({1920, 1080, {}});
    if (!started) {
      std::fprintf(stderr, "%s\n", started.error().message.c_str());
      return 1;
    }
    xvfb = std::move(*started);
    display = xvfb->name();
  }
  Drawer drawer;
  drawer.c = xcb_connect(display.c_str(), nullptr);
  if (xcb_connection_has_error(drawer.c)) {
    std::fprintf(stderr, "cannot connect to %s\n", display.c_str());
    return 1;
  }
  drawer.root = xcb_setup_roots_iterator(xcb_get_setup(drawer.c)).data->root;
  drawer.gc = xcb_generate_id(drawer.c);
  xcb_create_gc(drawer.c, drawer.gc, drawer.root, 0, nullptr);

  std::printf("%d iterations per row, times in ms per CaptureFrame()\n\n",
              iterations);
  std::printf(
      "| path  | case                       |     mean |      p50 |      p95 "
      "|\n");
  std::printf(
      "|-------|----------------------------|----------|----------|----------|"
      "\n");
  bool ok = true;
  for (FeatureMode shm : {FeatureMode::kRequired, FeatureMode::kOff}) {
    for (Case what : {Case::kFull, Case::kDamaged64, Case::kDamaged64Held}) {
      ok = Run(display, drawer, shm, what, iterations) && ok;
    }
  }
  xcb_disconnect(drawer.c);
  return ok ? 0 : 1;
}
