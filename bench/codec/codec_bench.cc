// Codec bench (plain program; timings are wall clock, single run):
//  1. 1080p full-motion encode fps, our path (BGRA in, dirty-rect
//     conversion, active map) vs vpxenc with the same settings on the same
//     frames written as .y4m.
//  2. Bytes per frame for typing, scrolling, window drag and idle at the
//     default bitrate.
// Usage: tether-bench-codec [--frames N] [--size WxH] [--no-vpxenc]

#include <libyuv/convert.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "codec/frame_pacer.h"
#include "codec/vpx_decoder.h"
#include "codec/vpx_encoder.h"
#include "tests/codec/synthetic_screen.h"
#include "tests/fakes/manual_clock.h"

namespace {

using tether::codec::Codec;
using tether::codec::CodecName;
using tether::codec::EncodedFrame;
using tether::codec::VpxEncoder;
using tether::codec::VpxEncoderConfig;
using tether::codec::test::Screen;
using tether::desktop::DesktopFrame;
using tether::desktop::DesktopRect;
using tether::desktop::DesktopSize;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::unique_ptr<VpxEncoder> MakeEncoder(Codec codec, int threads) {
  VpxEncoderConfig config;
  config.codec = codec;
  config.threads = threads;
  auto encoder = VpxEncoder::Create(config);
  if (!encoder) {
    std::fprintf(stderr, "encoder: %s\n", encoder.error().message.c_str());
    std::exit(1);
  }
  return std::move(*encoder);
}

void WriteY4mFrame(std::FILE* out, const DesktopFrame& frame) {
  const DesktopSize s = frame.size();
  const int cw = (s.width + 1) / 2;
  const int ch = (s.height + 1) / 2;
  std::vector<uint8_t> y(static_cast<size_t>(s.width) * s.height);
  std::vector<uint8_t> u(static_cast<size_t>(cw) * ch);
  std::vector<uint8_t> v(u.size());
  libyuv::ARGBToI420(frame.data(), frame.stride(), y.data(), s.width, u.data(),
                     cw, v.data(), cw, s.width, s.height);
  std::fputs("FRAME\n", out);
  std::fwrite(y.data(), 1, y.size(), out);
  std::fwrite(u.data(), 1, u.size(), out);
  std::fwrite(v.data(), 1, v.size(), out);
}

// Full motion: the whole screen is "video" and dirty in every frame.
void FullMotionFps(Codec codec, DesktopSize size, int frames, bool run_vpxenc) {
  Screen screen(size);
  auto encoder = MakeEncoder(codec, 1);
  const auto y4m = std::filesystem::temp_directory_path() /
                   ("tether_bench_" + std::to_string(size.width) + ".y4m");
  std::FILE* out = run_vpxenc ? std::fopen(y4m.c_str(), "wb") : nullptr;
  if (out != nullptr) {
    std::fprintf(out, "YUV4MPEG2 W%d H%d F30:1 Ip A1:1 C420jpeg\n", size.width,
                 size.height);
  }
  Clock::duration encoding{};
  size_t bytes = 0;
  for (int i = 0; i < frames; ++i) {
    screen.PlayVideo(i, DesktopRect{0, 0, size.width, size.height});
    if (out != nullptr)
      WriteY4mFrame(out, screen.frame);
    const auto start = Clock::now();
    auto encoded = encoder->Encode(screen.frame, {});
    encoding += Clock::now() - start;
    if (!encoded)
      std::exit(1);
    bytes += encoded->data.size();
  }
  if (out != nullptr)
    std::fclose(out);
  const double ours = frames / Seconds(encoding);
  std::printf("%s %dx%d full motion, 1 thread: ours %.1f fps (%.0f KiB/frame)",
              CodecName(codec), size.width, size.height, ours,
              bytes / 1024.0 / frames);
  if (out == nullptr) {
    std::printf("\n");
    return;
  }
  const int kbps = encoder->EffectiveBitrateKbps(size);
  std::string command =
      std::string("vpxenc --quiet --codec=") +
      (codec == Codec::kVp8 ? "vp8" : "vp9") +
      " --passes=1 --rt --threads=1 --lag-in-frames=0 --end-usage=cbr"
      " --target-bitrate=" +
      std::to_string(kbps) +
      " --min-q=10 --max-q=50 --undershoot-pct=100 --overshoot-pct=15"
      " --drop-frame=0 --kf-max-dist=100000 --resize-allowed=0"
      " --buf-sz=1000 --buf-initial-sz=500 --buf-optimal-sz=600"
      " --noise-sensitivity=0 --timebase=1/1000 " +
      (codec == Codec::kVp8 ? "--cpu-used=16"
                            : "--cpu-used=6 --tune-content=screen "
                              "--aq-mode=3") +
      " -o /dev/null " + y4m.string();
  const auto start = Clock::now();
  const int rc = std::system(command.c_str());
  const double vpxenc = frames / Seconds(Clock::now() - start);
  std::filesystem::remove(y4m);
  if (rc != 0) {
    std::printf(", vpxenc failed (%s)\n", command.c_str());
    return;
  }
  std::printf(", vpxenc %.1f fps (wall, incl. y4m read) -> %.2fx\n", vpxenc,
              ours / vpxenc);
}

struct Scenario {
  const char* name;
  void (*step)(Screen&, int);
};

// A static screen for 60 s behind the FramePacer: after the key frame only
// the encoder's top-offs leave (no keep-alives: the link's heartbeat keeps
// the connection alive), so "keep-alives" must stay 0.
void IdleThroughPacer(Codec codec, DesktopSize size) {
  tether::test::ManualClock clock;
  tether::codec::FramePacer pacer(clock);
  Screen screen(size);
  auto encoder = MakeEncoder(codec, 0);
  if (!encoder->Encode(screen.frame, {}))
    std::exit(1);
  pacer.OnCaptureStarted();  // the key frame went through the pacer too
  (void)pacer.OnFrameCaptured(true);
  pacer.OnFrameEncoded(true);
  pacer.OnFrameAcked();
  screen.frame.mutable_dirty_rects().clear();
  int keep_alives = 0, top_offs = 0;
  size_t keep_alive_bytes = 0, top_off_bytes = 0;
  for (int tick = 0; tick < 60 * 30; ++tick) {
    clock.Advance(std::chrono::milliseconds(33));
    if (!pacer.CanCapture())
      continue;
    pacer.OnCaptureStarted();
    const bool top_off = encoder->NeedsTopOff();
    if (!pacer.OnFrameCaptured(top_off))
      continue;
    auto encoded = encoder->Encode(screen.frame, {.duration_ms = 33});
    if (!encoded)
      std::exit(1);
    pacer.OnFrameEncoded(true);
    pacer.OnFrameAcked();
    if (top_off) {
      ++top_offs;
      top_off_bytes += encoded->data.size();
    } else {
      ++keep_alives;
      keep_alive_bytes += encoded->data.size();
    }
  }
  std::printf(
      "%s %dx%d idle behind FramePacer, 60 s after the keyframe: %d top-off "
      "frame(s) (%zu B), then %d keep-alives, %.0f B avg\n",
      CodecName(codec), size.width, size.height, top_offs, top_off_bytes,
      keep_alives,
      keep_alives ? static_cast<double>(keep_alive_bytes) / keep_alives : 0.0);
}

void BytesPerFrame(Codec codec, DesktopSize size, int frames) {
  const Scenario scenarios[] = {
      {"typing", [](Screen& s, int i) { s.TypeGlyph(i); }},
      {"scrolling", [](Screen& s, int i) { s.Scroll(i); }},
      {"window drag", [](Screen& s, int i) { s.DragWindow(i, 12, 5); }},
      {"idle", [](Screen& s, int) { s.frame.mutable_dirty_rects().clear(); }},
  };
  IdleThroughPacer(codec, size);
  for (const Scenario& scenario : scenarios) {
    Screen screen(size);
    auto encoder = MakeEncoder(codec, 0);
    auto decoder = tether::codec::VpxDecoder::Create(codec);
    if (!decoder)
      std::exit(1);
    DesktopFrame decoded(size);
    auto send = [&](const DesktopFrame& frame) -> size_t {
      auto encoded = encoder->Encode(frame, {});
      if (!encoded || !(*decoder)->Decode(encoded->data) ||
          !(*decoder)->ConvertToBgra(decoded)) {
        std::exit(1);
      }
      return encoded->data.size();
    };
    send(screen.frame);  // keyframe, not counted
    screen.frame.mutable_dirty_rects().clear();
    for (int i = 0; i < 40 && encoder->NeedsTopOff(); ++i)
      send(screen.frame);
    size_t total = 0, largest = 0;
    int top_offs = 0;
    for (int i = 1; i <= frames; ++i) {
      scenario.step(screen, i);
      const size_t bytes = send(screen.frame);
      total += bytes;
      largest = std::max(largest, bytes);
    }
    const double moving_psnr =
        tether::codec::test::LumaPsnr(screen.frame, decoded);
    screen.frame.mutable_dirty_rects().clear();
    size_t top_off_bytes = 0;
    for (; top_offs < 40 && encoder->NeedsTopOff(); ++top_offs) {
      top_off_bytes += send(screen.frame);
    }
    std::printf(
        "%s %dx%d %-11s: %7.0f B/frame avg, %7zu max, %6.0f kbit/s at 30 "
        "fps, PSNR %.1f dB moving -> %.1f dB after %d top-off frame(s) "
        "(%zu B)\n",
        CodecName(codec), size.width, size.height, scenario.name,
        static_cast<double>(total) / frames, largest,
        total * 8.0 / frames * 30 / 1000, moving_psnr,
        tether::codec::test::LumaPsnr(screen.frame, decoded), top_offs,
        top_off_bytes);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int frames = 60;
  DesktopSize size{1920, 1080};
  bool run_vpxenc = true;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--frames" && i + 1 < argc) {
      frames = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--size" && i + 1 < argc) {
      if (std::sscanf(argv[++i], "%dx%d", &size.width, &size.height) != 2) {
        return 2;
      }
    } else if (arg == "--no-vpxenc") {
      run_vpxenc = false;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--frames N] [--size WxH] [--no-vpxenc]\n",
                   argv[0]);
      return 2;
    }
  }
  if (run_vpxenc && std::system("command -v vpxenc >/dev/null") != 0) {
    std::printf("vpxenc not found: comparison skipped\n");
    run_vpxenc = false;
  }
  for (Codec codec : {Codec::kVp8, Codec::kVp9}) {
    FullMotionFps(codec, size, frames, run_vpxenc);
  }
  for (Codec codec : {Codec::kVp8, Codec::kVp9}) {
    BytesPerFrame(codec, size, frames);
  }
  return 0;
}
