// Codec bench (plain program; timings are wall clock, single run):
//  1. 1080p full-motion encode fps, our path (BGRA in, dirty-rect
//     conversion, active map) vs vpxenc with the same settings on the same
//     frames written as .y4m.
//  2. Bytes per frame for typing, scrolling, window drag and idle at the
//     default bitrate.
//  3. AV1 against VP9 on the same screen content (issue 19's lever): Debian's
//     aomenc (libaom 3.6, real-time, screen content, palette, with and
//     without intra block copy) and vpxenc with our VP9 settings, same
//     bitrate, one thread each: bytes after the key frame, fps, luma PSNR.
// Usage: tether-bench-codec [--frames N] [--size WxH] [--no-vpxenc]
//                           [--parts fps,bytes,av1]

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

// One run of a command-line encoder on `y4m`: bytes written, encode fps
// and luma PSNR as it reports them (--psnr).
struct ToolRun {
  bool ok = false;
  size_t bytes = 0;
  double fps = 0;
  double psnr_y = 0;
};

ToolRun RunTool(const std::string& command_line,
                const std::filesystem::path& y4m,
                int limit) {
  const auto ivf = std::filesystem::path(y4m).replace_extension(".ivf");
  const std::string command =
      command_line + " --limit=" + std::to_string(limit) + " --psnr --ivf -o " +
      ivf.string() + " " + y4m.string() + " 2>&1";
  ToolRun run;
  std::FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr)
    return run;
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    output.append(buffer, n);
  run.ok = pclose(pipe) == 0;
  if (!run.ok) {
    std::fprintf(
        stderr, "%s failed:\n%s\n", command.c_str(),
        output.substr(output.size() - std::min<size_t>(output.size(), 600))
            .c_str());
  }
  std::error_code ec;
  run.bytes = std::filesystem::file_size(ivf, ec);
  std::filesystem::remove(ivf, ec);
  // "... (123.45 fps)" and "Stream 0 PSNR (Overall/Avg/Y/U/V) o a y u v".
  if (const size_t at = output.rfind(" fps)"); at != std::string::npos) {
    const size_t open = output.rfind('(', at);
    if (open != std::string::npos)
      run.fps = std::atof(output.c_str() + open + 1);
  }
  if (const size_t at = output.find("(Overall/Avg/Y/U/V)");
      at != std::string::npos) {
    double overall = 0, avg = 0;
    std::sscanf(output.c_str() + at + 19, "%lf %lf %lf", &overall, &avg,
                &run.psnr_y);
  }
  return run;
}

void Av1AgainstVp9(DesktopSize size, int frames) {
  if (std::system("command -v aomenc >/dev/null") != 0) {
    std::printf("aomenc not found (aom-tools): AV1 comparison skipped\n");
    return;
  }
  const int kbps =
      std::max(500, static_cast<int>(size.width * size.height / 1e6 * 2500));
  const std::string common =
      " --passes=1 --threads=1 --lag-in-frames=0"
      " --end-usage=cbr --target-bitrate=" +
      std::to_string(kbps) +
      " --undershoot-pct=100 --overshoot-pct=15"
      " --kf-max-dist=100000 --timebase=1/1000";
  const struct {
    const char* name;
    std::string command;
  } encoders[] = {
      {"VP9 (vpxenc, ours)",
       "vpxenc --codec=vp9 --rt --cpu-used=6 "
       "--tune-content=screen --aq-mode=3 "
       "--min-q=10 --max-q=50 --drop-frame=0" +
           common},
      {"AV1 rt speed 10, palette",
       "aomenc --rt --cpu-used=10 --tune-content=screen --enable-palette=1 "
       "--enable-intrabc=0 --aq-mode=3 --min-q=10 --max-q=50" +
           common},
      {"AV1 rt speed 10, palette + intra block copy",
       "aomenc --rt --cpu-used=10 --tune-content=screen --enable-palette=1 "
       "--enable-intrabc=1 --aq-mode=3 --min-q=10 --max-q=50" +
           common},
      {"AV1 rt speed 8, palette + intra block copy",
       "aomenc --rt --cpu-used=8 --tune-content=screen --enable-palette=1 "
       "--enable-intrabc=1 --aq-mode=3 --min-q=10 --max-q=50" +
           common},
  };
  const Scenario scenarios[] = {
      {"typing", [](Screen& s, int i) { s.TypeGlyph(i); }},
      {"scrolling", [](Screen& s, int i) { s.Scroll(i); }},
      {"window drag", [](Screen& s, int i) { s.DragWindow(i, 12, 5); }},
  };
  std::printf(
      "\nAV1 vs VP9, %dx%d, %d frames after the key frame, %d kbit/s CBR, one "
      "thread\n\n| content | encoder | B/frame after key | fps | PSNR Y dB "
      "|\n|---|---|---:|---:|---:|\n",
      size.width, size.height, frames, kbps);
  int index = 0;
  for (const Scenario& scenario : scenarios) {
    Screen screen(size);
    const auto y4m = std::filesystem::temp_directory_path() /
                     ("tether_bench_av1_" + std::to_string(++index) + ".y4m");
    std::FILE* out = std::fopen(y4m.c_str(), "wb");
    if (out == nullptr)
      return;
    std::fprintf(out, "YUV4MPEG2 W%d H%d F30:1 Ip A1:1 C420jpeg\n", size.width,
                 size.height);
    WriteY4mFrame(out, screen.frame);
    for (int i = 1; i <= frames; ++i) {
      scenario.step(screen, i);
      WriteY4mFrame(out, screen.frame);
    }
    std::fclose(out);
    for (const auto& encoder : encoders) {
      const ToolRun key = RunTool(encoder.command, y4m, 1);
      const ToolRun all = RunTool(encoder.command, y4m, frames + 1);
      if (!key.ok || !all.ok) {
        std::printf("| %s | %s | failed | | |\n", scenario.name, encoder.name);
        continue;
      }
      std::printf(
          "| %s | %s | %.0f | %.1f | %.1f |\n", scenario.name, encoder.name,
          static_cast<double>(all.bytes - std::min(all.bytes, key.bytes)) /
              frames,
          all.fps, all.psnr_y);
    }
    std::filesystem::remove(y4m);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int frames = 60;
  DesktopSize size{1920, 1080};
  bool run_vpxenc = true;
  std::string parts = "fps,bytes,av1";
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
    } else if (arg == "--parts" && i + 1 < argc) {
      parts = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: %s [--frames N] [--size WxH] [--no-vpxenc] "
                   "[--parts fps,bytes,av1]\n",
                   argv[0]);
      return 2;
    }
  }
  if (run_vpxenc && std::system("command -v vpxenc >/dev/null") != 0) {
    std::printf("vpxenc not found: comparison skipped\n");
    run_vpxenc = false;
  }
  const auto has = [&](const char* part) {
    return ("," + parts + ",").find(std::string(",") + part + ",") !=
           std::string::npos;
  };
  for (Codec codec : {Codec::kVp8, Codec::kVp9}) {
    if (has("fps"))
      FullMotionFps(codec, size, frames, run_vpxenc);
  }
  for (Codec codec : {Codec::kVp8, Codec::kVp9}) {
    if (has("bytes"))
      BytesPerFrame(codec, size, frames);
  }
  if (run_vpxenc && has("av1"))
    Av1AgainstVp9(size, frames);
  return 0;
}
