// Screen capture cost per frame on a private 1920x1080 Xvfb (or --display):
// whole-screen reads vs one damaged 64x64 rectangle, MIT-SHM vs plain
// GetImage. Only CaptureFrame() is timed; drawing the damage is not.
// Then the same two cases on a private headless GNOME Wayland desktop at
// 1920x1080 through xdg-desktop-portal and PipeWire (desktop/portal/), in
// the same run: a test window changes all of the screen or 64x64 of it;
// per frame, our own work (copy and compare, on PipeWire's thread), the
// compositor's CPU, and the time from the client's paint request to the
// picture in our hands.
//
//   tether-bench-desktop-capture [--display :N] [--iterations N]
//                                [--no-portal]

#include <unistd.h>
#include <xcb/xcb.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/log.h"
#include "desktop/capture/screen_capturer.h"
#include "desktop/portal/pipewire_stream.h"
#include "desktop/portal/portal_session.h"
#include "tests/fakes/xvfb_display.h"
#include "tests/support/desktop_person.h"
#include "tests/support/wayland_desktop.h"

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

// CPU seconds (user + system) of process `pid` so far, from /proc.
double CpuSeconds(pid_t pid) {
  std::FILE* f =
      std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (!f)
    return 0;
  char buffer[1024] = {};
  const size_t n = std::fread(buffer, 1, sizeof(buffer) - 1, f);
  std::fclose(f);
  // Fields 14 and 15 (utime, stime) come after the ")" that ends comm.
  const char* p = std::strrchr(buffer, ')');
  if (!p || n == 0)
    return 0;
  unsigned long utime = 0, stime = 0;
  std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
              &utime, &stime);
  return static_cast<double>(utime + stime) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

pid_t FindProcess(const std::vector<pid_t>& pids, const std::string& comm) {
  for (pid_t pid : pids) {
    std::FILE* f =
        std::fopen(("/proc/" + std::to_string(pid) + "/comm").c_str(), "r");
    if (!f)
      continue;
    char name[64] = {};
    const bool read = std::fgets(name, sizeof(name), f) != nullptr;
    std::fclose(f);
    if (read && std::string(name).rfind(comm, 0) == 0)
      return pid;
  }
  return -1;
}

// The portal rows: a headless GNOME desktop, the person shares the screen
// in the desktop's dialog, a full-screen test window paints.
bool RunPortal(int iterations) {
  namespace test = tether::test;
  namespace portal = tether::desktop::portal;
  // The test window sits beside this binary.
  const std::string self = std::filesystem::read_symlink("/proc/self/exe");
  setenv("TETHER_TEST_BIN_DIR", self.substr(0, self.rfind('/')).c_str(), 0);
  auto desktop = test::WaylandDesktop::Start({1920, 1080});
  if (!desktop) {
    std::fprintf(stderr, "wayland desktop: %s\n",
                 desktop.error().message.c_str());
    return false;
  }
  (*desktop)->ApplyToThisProcess();
  auto person = test::DesktopPerson::Start();
  if (!person) {
    std::fprintf(stderr, "person: %s\n", person.error().message.c_str());
    return false;
  }
  auto window = test::WaylandTestWindow::Start(
      **desktop, {"--fullscreen", "--colour", "202020"});
  if (!window || !(*window)->WaitForLine("ready")) {
    std::fprintf(stderr, "the test window did not start\n");
    return false;
  }
  tether::Result<void> answered;
  std::thread answer(
      [&] { answered = (*person)->AnswerSharingDialog(true, false); });
  auto session = portal::PortalSession::Open({});
  answer.join();
  if (!session || !answered) {
    std::fprintf(stderr, "the portal session did not start\n");
    return false;
  }
  auto fd = (*session)->OpenPipeWireRemote();
  auto stream =
      fd ? portal::PipeWireStream::Connect(*fd, (*session)->stream().node)
         : tether::Result<std::unique_ptr<portal::PipeWireStream>>(
               tether::MakeError("no PipeWire fd"));
  if (!stream) {
    std::fprintf(stderr, "stream: %s\n", stream.error().message.c_str());
    return false;
  }
  const pid_t mutter = FindProcess((*desktop)->pids(), "mutter");
  // The first picture (all of it).
  for (int i = 0; i < 300 && !(*stream)->Take({}); ++i)
    usleep(10'000);

  std::printf(
      "\nportal (xdg-desktop-portal + PipeWire, mutter %s), %d changes per "
      "row\n\n",
      "43", iterations);
  std::printf(
      "| path   | case              | ours ms/frame | mutter CPU ms/frame "
      "| paint->frame p50 ms | p95 ms |\n");
  std::printf(
      "|--------|-------------------|--------------:|--------------------:"
      "|--------------------:|-------:|\n");
  for (const bool full : {true, false}) {
    std::vector<double> latency;
    const auto busy_before = (*stream)->busy_time();
    const uint64_t frames_before = (*stream)->frames_received();
    const double mutter_before = CpuSeconds(mutter);
    for (int i = 0; i < iterations; ++i) {
      char command[96];
      const unsigned colour = 0x101010u + static_cast<unsigned>(i) * 0x010307u;
      if (full) {
        std::snprintf(command, sizeof(command), "fill 0 0 1920 1080 %06x",
                      colour & 0xffffff);
      } else {
        std::snprintf(command, sizeof(command), "fill %d %d 64 64 %06x",
                      (i * 64) % (1920 - 64), (i * 37) % (1080 - 64),
                      colour & 0xffffff);
      }
      (void)(*stream)->Take({});  // nothing pending before the change
      const auto start = Clock::now();
      if (!(*window)->Send(command))
        return false;
      std::unique_ptr<DesktopFrame> frame;
      while (Clock::now() - start < std::chrono::seconds(5)) {
        frame = (*stream)->Take({});
        if (frame && !frame->dirty_rects().empty())
          break;
        usleep(200);
      }
      latency.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - start)
              .count());
      frame.reset();  // given back before the next picture, as an encoder
      (void)(*window)->WaitForLine("filled");
    }
    const uint64_t frames = (*stream)->frames_received() - frames_before;
    const double ours_ms = std::chrono::duration<double, std::milli>(
                               (*stream)->busy_time() - busy_before)
                               .count() /
                           static_cast<double>(std::max<uint64_t>(frames, 1));
    const double mutter_ms = (CpuSeconds(mutter) - mutter_before) * 1000.0 /
                             static_cast<double>(std::max<uint64_t>(frames, 1));
    const Stats s = Summarize(latency);
    std::printf("| portal | %-17s | %13.3f | %19.3f | %19.3f | %6.3f |\n",
                full ? "all 1920x1080" : "64x64 changed", ours_ms, mutter_ms,
                s.p50_ms, s.p95_ms);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  tether::log::Init("tether-bench-desktop-capture", tether::log::Level::kWarn);
  std::string display;
  int iterations = 200;
  bool portal = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--no-portal") == 0)
      portal = false;
  }
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
  if (portal)
    ok = RunPortal(std::min(iterations, 100)) && ok;
  return ok ? 0 : 1;
}
