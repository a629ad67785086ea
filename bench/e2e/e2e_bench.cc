// Glass-to-glass latency and bytes on the wire, Tether side by side with
// x11vnc and freerdp's shadow server, all on this machine and loopback.
//
// Latency: a private Xvfb is the customer's desktop; a thread redraws a
// sequence number there every 16 ms (screen_script.h) and notes
// when (steady clock). The viewer side reads the number back and the
// difference is the latency:
//   ours  the real customer core (capture, VP9 as agreed with the
//         technician's app, E2E, TLS) -> a real
//         tether-relay process -> HeadlessSupporter, read from every decoded
//         picture (on the decoding thread, right after the decode);
//   vnc   x11vnc on the customer's display -> xtigervncviewer full screen on
//         a second Xvfb, read from that display (GetImage of one pixel row,
//         polled every 1 ms);
//   rdp   freerdp-shadow-cli -> xfreerdp full screen on a second Xvfb, same.
// The peers' figures therefore include painting into the viewer's window;
// ours is reported twice from one run: at the decoded picture, and painted
// into a second Xvfb and read back like the peers.
//
// Bytes: a scripted office workload (typing, scrolling, a dragged dialog,
// idle) on the customer's display; a counting TCP forwarder in front of the
// relay (supporter's leg), of x11vnc and of the shadow server counts what
// the viewer received while the script ran. In the same run (fidelity.h):
// the PSNR of the viewer's picture against the customer's screen while the
// script moves things, and the time until the viewer's picture is
// pixel-identical once it stops; and the CPU time of each side (the peers'
// server and viewer programs from /proc/<pid>/stat; ours: customer core
// and supporter run in this process, told apart by thread, and the relay
// process).
//
// Link (opt-in, `--parts ...,link`): latency and the workload again, ours
// and vnc only, over an emulated 2 Mbit/s link with 40 ms RTT: the counting
// forwarder shapes each direction in user space (token bucket, 20 ms
// one-way delay, a 64 KiB queue beyond which it stops reading; our kernels
// have no netem). Ours: the customer's leg to the relay; vnc: in front of
// x11vnc.
//
// Latency is measured once more with the customer on a headless GNOME
// Wayland desktop (peer "wayland": portal + PipeWire, a test window draws
// the pattern), read from the decoded pictures like the first row.
//
//   tether-bench-e2e [--seconds 20] [--workload-seconds 60]
//                    [--peers ours,wayland,vnc,rdp]
//                    [--parts latency,bytes[,link]] [--size 1920x1080]
//                    [--exact-layer on|off]
//
// --exact-layer off: ours' technician announces no exact layer (as an app
// before 0.3), so the customer sends video only: the lever's other row.
//
// Every wait is bounded; a watchdog kills every child and exits (124) when
// the whole run takes far longer than it should.

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/log.h"
#include "bench/e2e/bench_processes.h"
#include "bench/e2e/counting_forwarder.h"
#include "bench/e2e/fidelity.h"
#include "bench/e2e/screen_script.h"
#include "customer-app/core/customer_session.h"
#include "customer-app/core/session_parts.h"
#include "tests/fakes/scripted_consent.h"
#include "tests/fakes/task_runner.h"
#include "tests/fakes/xvfb_display.h"
#include "tests/support/child_process.h"
#include "tests/support/desktop_person.h"
#include "tests/support/free_port.h"
#include "tests/support/headless_supporter.h"
#include "tests/support/relay_process.h"
#include "tests/support/wayland_desktop.h"

namespace tether::bench::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr char kUser[] = "bench";
constexpr char kPassword[] = "bench technician passphrase";
constexpr milliseconds kRedrawInterval{16};
constexpr milliseconds kStartTimeout{30s};

struct Flags {
  int seconds = 20;
  int workload_seconds = 60;
  int width = 1920;
  int height = 1080;
  bool ours = true, wayland = true, vnc = true, rdp = true;
  bool latency = true, bytes = true, link = false;
  // Whether ours' technician announces the exact layer (off: video only,
  // as an app before 0.3; the lever's row in bench/RESULTS.md).
  bool exact_layer = true;
};

// The constrained link of `--parts link`: 2 Mbit/s each way, 20 ms each
// way (40 ms RTT), a 64 KiB queue (about 250 ms at that rate).
LinkShape ConstrainedLink() {
  LinkShape link;
  link.bits_per_second = 2'000'000;
  link.one_way_delay = std::chrono::milliseconds(20);
  link.queue_bytes = 64 * 1024;
  return link;
}

std::string DescribeLink(const LinkShape& link) {
  char text[900];
  std::snprintf(
      text, sizeof(text),
      "%.1f Mbit/s each way, %lld ms one-way delay (%lld ms RTT), emulated "
      "in user space by the forwarder (the kernel has no netem): per "
      "direction a bottleneck queue of %zu KiB drained by a token bucket at "
      "the rate (1448-byte segments, a bucket of two), then the delay; with "
      "the queue full it stops reading, so the sender meets TCP "
      "backpressure. Its sockets have %d KiB receive buffers and a "
      "1448-byte MSS; the senders' own send buffers are the kernel's, which "
      "on loopback may grow past what a real 2 Mbit/s path allows (up to "
      "about 1 MB here, congestion control sized for loopback): a sender "
      "that does not pace itself queues there",
      static_cast<double>(link.bits_per_second) / 1e6,
      static_cast<long long>(link.one_way_delay.count() / 1000),
      static_cast<long long>(link.one_way_delay.count() / 500),
      link.queue_bytes / 1024, link.receive_buffer / 1024);
  return text;
}

bool ParseFlags(int argc, char** argv, Flags* flags) {
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    std::string value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    }
    const auto has = [&](const char* item) {
      return ("," + value + ",").find(std::string(",") + item + ",") !=
             std::string::npos;
    };
    if (name == "--seconds") {
      flags->seconds = std::max(2, std::atoi(value.c_str()));
    } else if (name == "--workload-seconds") {
      flags->workload_seconds = std::max(2, std::atoi(value.c_str()));
    } else if (name == "--exact-layer") {
      flags->exact_layer = value != "off";
    } else if (name == "--size") {
      if (std::sscanf(value.c_str(), "%dx%d", &flags->width, &flags->height) !=
              2 ||
          flags->width < 800 || flags->height < 600) {
        std::fprintf(stderr, "--size WxH, at least 800x600\n");
        return false;
      }
    } else if (name == "--peers") {
      flags->ours = has("ours");
      flags->wayland = has("wayland");
      flags->vnc = has("vnc");
      flags->rdp = has("rdp");
    } else if (name == "--parts") {
      flags->latency = has("latency");
      flags->bytes = has("bytes");
      flags->link = has("link");
    } else {
      std::fprintf(stderr,
                   "usage: tether-bench-e2e [--seconds N] "
                   "[--workload-seconds N] [--peers ours,wayland,vnc,rdp] "
                   "[--parts latency,bytes,link] [--size WxH] "
                   "[--exact-layer on|off]\n");
      return false;
    }
  }
  return true;
}

// When each sequence number was drawn, and how long after that a viewer
// first showed it. Each number counts once, at its first appearance; a
// number the viewer skipped (it showed a later one first) is not measured.
class LatencyRecorder {
 public:
  LatencyRecorder() : drawn_(65536) {}

  void Drawn(uint16_t sequence, Clock::time_point at) {
    drawn_[sequence].store(at.time_since_epoch().count());
    drawn_count_.fetch_add(1);
  }
  void Seen(uint16_t sequence, Clock::time_point at) {
    const int64_t drawn = drawn_[sequence].load();
    std::lock_guard lock(mutex_);
    if (drawn == 0 || sequence <= last_seen_)
      return;  // the picture before the run, or already counted
    last_seen_ = sequence;
    const auto latency = at.time_since_epoch().count() - drawn;
    latencies_ms_.push_back(static_cast<double>(latency) / 1e6);
  }
  int drawn() const { return drawn_count_.load(); }
  std::vector<double> latencies_ms() const {
    std::lock_guard lock(mutex_);
    return latencies_ms_;
  }

 private:
  static_assert(std::is_same_v<Clock::duration, std::chrono::nanoseconds>);
  std::vector<std::atomic<int64_t>> drawn_;
  std::atomic<int> drawn_count_{0};
  mutable std::mutex mutex_;
  int last_seen_ = 0;
  std::vector<double> latencies_ms_;
};

// Reads the pattern out of a decoded picture (BGRX).
std::optional<uint16_t> ReadPicture(const TimestampPattern& pattern,
                                    const desktop::DesktopFrame& picture) {
  if (picture.size().width < pattern.row_x() + pattern.row_width() ||
      picture.size().height <= pattern.row_y()) {
    return std::nullopt;
  }
  std::vector<uint32_t> row(static_cast<size_t>(pattern.row_width()));
  for (int i = 0; i < pattern.row_width(); ++i) {
    const uint8_t* p = picture.PixelAt(pattern.row_x() + i, pattern.row_y());
    row[static_cast<size_t>(i)] =
        (uint32_t{p[2]} << 16) | (uint32_t{p[1]} << 8) | p[0];
  }
  return pattern.Read(row);
}

// ---------------------------------------------------------------------------
// Ours: customer core -> relay -> headless supporter.

class CustomerObserver final : public customer::CustomerSession::Observer {
 public:
  void OnEnded(const protocol::SessionEnd&) override {}
};

struct Context {
  const Flags& flags;
  test::RelayProcess* relay;  // null when ours is not run
  fs::path dir;
};

class OursPath {
 public:
  // The supporter connects to `supporter_port` (the relay's, or a counting
  // forwarder's in front of it); the customer to the relay, through a
  // forwarder of its own when `customer_link` is shaped (a constrained
  // link).
  static Result<std::unique_ptr<OursPath>> Start(
      const Context& ctx,
      uint16_t supporter_port,
      const LinkShape& customer_link,
      const std::string& display,
      std::function<void(const desktop::DesktopFrame&)> on_picture) {
    const test::RelayProcess& relay = *ctx.relay;
    const fs::path& downloads = ctx.dir;
    std::unique_ptr<OursPath> path(new OursPath());
    uint16_t customer_port = relay.port();
    if (customer_link.shaped()) {
      TETHER_TRY(forwarder,
                 CountingForwarder::Start(relay.port(), customer_link));
      path->customer_link_ = std::move(*forwarder);
      customer_port = path->customer_link_->port();
    }
    // The threads the supporter starts (its engine's, its receiver's) are
    // the ones that appear meanwhile: nothing else starts threads now.
    const std::vector<pid_t> before = ThreadsOfThisProcess();
    auto supporter =
        test::HeadlessSupporter::Start({supporter_port,
                                        relay.fingerprint(),
                                        kUser,
                                        kPassword,
                                        std::move(on_picture),
                                        {proto::CODEC_VP9, proto::CODEC_VP8},
                                        ctx.flags.exact_layer});
    if (!supporter)
      return MakeError("supporter: " + supporter.error().message);
    path->supporter_ = std::move(*supporter);
    for (pid_t tid : ThreadsOfThisProcess()) {
      if (std::find(before.begin(), before.end(), tid) == before.end())
        path->supporter_threads_.push_back(tid);
    }
    auto code = path->supporter_->WaitForCode();
    if (!code)
      return MakeError("supporter: " + code.error().message);

    // The scripted customer confirms only the code the technician reads
    // out, and then allows viewing: the same steps as the real app.
    path->consent_.set_terms_decider(
        [p = path.get()](const customer::TermsPrompt& prompt) {
          std::lock_guard lock(p->sas_mutex_);
          return !p->read_out_.empty() && prompt.sas == p->read_out_;
        });
    path->consent_.set_fallback(true);

    customer::CustomerSession::Options options;
    options.config.relay.host = "127.0.0.1";
    options.config.relay.port = customer_port;
    options.config.relay.fingerprint = relay.fingerprint();
    options.config.display = display;
    options.config.download_dir = downloads.string();
    options.code = *code;
    options.host_name = "bench-pc";
    options.user_name = "bench";
    options.deliver = path->runner_.Deliver();
    options.stop_hotkey = false;  // nobody presses it; the grab is global
    customer::SessionParts parts;
    parts.hotkey = false;
    parts.start_engine = [](protocol::PeerSession::Options engine_options,
                            protocol::PeerSession::Observer* observer) {
      return protocol::PeerSession::Start(std::move(engine_options), observer);
    };
    auto session = path->runner_.RunSync([&] {
      return customer::StartCustomerSession(std::move(options), &path->consent_,
                                            &path->observer_, std::move(parts));
    });
    if (!session)
      return MakeError("customer: " + session.error().message);
    path->session_ = std::move(*session);

    auto request = path->supporter_->AcceptJoin(true);
    if (!request)
      return MakeError("join: " + request.error().message);
    auto sas = path->supporter_->WaitForSas();
    if (!sas)
      return MakeError("channel: " + sas.error().message);
    {
      std::lock_guard lock(path->sas_mutex_);
      path->read_out_ = *sas;
    }
    if (!path->supporter_->SendTerms("Bench session."))
      return MakeError("terms could not be sent");
    auto answer = path->supporter_->WaitFor(
        [](const proto::PeerMessage& m) { return m.has_terms_answer(); });
    if (!answer || !answer->terms_answer().accepted())
      return MakeError("the customer did not accept the terms");
    auto granted = path->supporter_->Ask(
        1, proto::PERMISSION_VIEW_SCREEN, [](proto::ConsentRequest& r) {
          r.mutable_view()->set_whole_desktop(true);
        });
    if (!granted || !*granted)
      return MakeError("viewing was not granted");
    if (!path->supporter_->WaitForFrames(1, kStartTimeout))
      return MakeError("no picture decoded");
    return path;
  }

  ~OursPath() {
    if (session_)
      runner_.RunSync([&] { session_.reset(); });
    supporter_.reset();  // joins its engine: no more on_picture calls
  }

  int decode_errors() const { return supporter_->decode_errors(); }
  int frames_decoded() const { return supporter_->frames_decoded(); }
  // The threads of this process that are the supporter's (for its CPU
  // time; the customer core's are all others but the bench's).
  const std::vector<pid_t>& supporter_threads() const {
    return supporter_threads_;
  }
  // The constrained link's forwarder thread (the bench's, not a side's);
  // 0 without one.
  pid_t customer_link_thread() const {
    return customer_link_ ? customer_link_->thread_id() : 0;
  }

 private:
  OursPath() = default;

  test::TaskRunner runner_;
  test::ScriptedConsent consent_;
  CustomerObserver observer_;
  std::mutex sas_mutex_;
  std::string read_out_;
  std::unique_ptr<CountingForwarder> customer_link_;  // outlives session_
  std::unique_ptr<test::HeadlessSupporter> supporter_;
  std::vector<pid_t> supporter_threads_;
  std::unique_ptr<customer::CustomerSession> session_;
};

// ---------------------------------------------------------------------------
// Peers: a server on the customer's display, a viewer on a second display.

enum class Peer { kOurs, kOursPainted, kOursWayland, kVnc, kRdp };

const char* PeerName(Peer peer) {
  switch (peer) {
    case Peer::kOurs:
      return "tether (customer core -> relay -> supporter, codec agreed: "
             "VP9)";
    case Peer::kOursPainted:
      return "tether, painted into a second Xvfb and read like the peers";
    case Peer::kOursWayland:
      return "tether, customer on GNOME Wayland (portal + PipeWire, VP9), "
             "read from the decoded picture";
    case Peer::kVnc:
      return "x11vnc -> xtigervncviewer";
    case Peer::kRdp:
      return "freerdp-shadow-cli -> xfreerdp";
  }
  return "?";
}

struct PeerPath {
  fs::path server_log;
  fs::path viewer_log;
  std::unique_ptr<test::ChildProcess> server;
  std::unique_ptr<CountingForwarder> forwarder;  // counting or shaping
  std::unique_ptr<test::ChildProcess> viewer;
  // Destroyed in reverse: viewer, forwarder, server.

  // For a message about a peer that failed.
  std::string LogTails() const {
    return "server: " + LogTail(server_log, 300) +
           " viewer: " + LogTail(viewer_log, 300);
  }
};

// A peer program, its stdout and stderr in `log` (a new one).
Result<std::unique_ptr<test::ChildProcess>> StartProgram(
    std::vector<std::string> argv,
    test::ChildProcess::Environment environment,
    const fs::path& log) {
  std::error_code ec;
  fs::remove(log, ec);
  // If the bench dies without cleaning up (SIGKILL from outside), the
  // peers go with it (the death signal) instead of serving a screen
  // forever.
  return test::ChildProcess::Start(
      {.argv = std::move(argv),
       .environment = std::move(environment),
       .output = test::ChildProcess::Output::kAppendToFile,
       .output_file = log});
}

// With `forwarder`, the viewer connects through a CountingForwarder shaped
// by `link`.
Result<std::unique_ptr<PeerPath>> StartPeer(Peer peer,
                                            const std::string& customer,
                                            const std::string& viewer,
                                            const fs::path& dir,
                                            bool forwarder,
                                            const LinkShape& link = {}) {
  for (const char* program :
       peer == Peer::kVnc
           ? std::vector<const char*>{"x11vnc", "xtigervncviewer"}
           : std::vector<const char*>{"freerdp-shadow-cli", "xfreerdp"}) {
    if (test::ChildProcess::FindProgram(program).empty()) {
      return MakeError(std::string(program) +
                       " is not installed (scripts/setup installs it)");
    }
  }
  auto path = std::make_unique<PeerPath>();
  const uint16_t port = test::FreeLoopbackPort();
  if (port == 0)
    return MakeError("no free port");
  // HOME in the temporary directory: freerdp writes its server certificate
  // and known hosts there, TigerVNC its settings.
  const test::ChildProcess::Environment server_env = {{"DISPLAY", customer},
                                                      {"HOME", dir.string()}};
  const test::ChildProcess::Environment viewer_env = {{"DISPLAY", viewer},
                                                      {"HOME", dir.string()}};
  std::vector<std::string> server_args;
  if (peer == Peer::kVnc) {
    // Defaults otherwise, as an admin would start it for one viewer.
    server_args = {
        "x11vnc",     "-display", customer,   "-rfbport", std::to_string(port),
        "-localhost", "-nopw",    "-forever", "-shared",  "-quiet"};
  } else {
    server_args = {"freerdp-shadow-cli", "/port:" + std::to_string(port),
                   "/bind-address:127.0.0.1", "-auth"};
  }
  const std::string server_name = server_args[0];
  path->server_log = dir / (server_name + ".log");
  auto server =
      StartProgram(std::move(server_args), server_env, path->server_log);
  if (!server)
    return Unexpected(server.error());
  path->server = std::move(*server);
  if (!WaitForListening(port, kStartTimeout)) {
    return MakeError(server_name +
                     " does not listen: " + LogTail(path->server_log));
  }
  uint16_t connect_port = port;
  if (forwarder) {
    auto started = CountingForwarder::Start(port, link);
    if (!started)
      return Unexpected(started.error());
    path->forwarder = std::move(*started);
    connect_port = path->forwarder->port();
  }
  std::vector<std::string> viewer_args;
  if (peer == Peer::kVnc) {
    // Full screen at (0, 0) of the viewer's display, so the pattern is at
    // the same place as on the customer's; encodings left to the viewer's
    // automatic choice (on loopback: Tight, lossless, full colour). No
    // menu key: otherwise a "Press F8 to open the context menu" banner
    // covers the top of the picture (and the pattern) for its first
    // seconds, which is the viewer's, not the customer's screen.
    viewer_args = {"xtigervncviewer",
                   "-FullScreen",
                   "-ViewOnly",
                   "-AlertOnFatalError=0",
                   "-MenuKey=",
                   "-SecurityTypes=None",
                   "127.0.0.1::" + std::to_string(connect_port)};
  } else {
    viewer_args = {
        "xfreerdp",     "/v:127.0.0.1:" + std::to_string(connect_port),
        "/cert:ignore", "/f",
        "/u:bench",     "/p:bench",
        "-sec-nla",     "/log-level:ERROR"};
  }
  path->viewer_log = dir / (viewer_args[0] + ".log");
  auto client =
      StartProgram(std::move(viewer_args), viewer_env, path->viewer_log);
  if (!client)
    return Unexpected(client.error());
  path->viewer = std::move(*client);
  return path;
}

// Polls one pixel row of the viewer's display every millisecond and feeds
// the numbers it reads to `recorder`, until stopped.
class DisplayReader {
 public:
  DisplayReader(std::unique_ptr<XcbCanvas> canvas,
                const TimestampPattern& pattern,
                LatencyRecorder& recorder)
      : canvas_(std::move(canvas)), thread_([this, &pattern, &recorder] {
          std::vector<uint32_t> row;
          while (!stop_.load()) {
            if (canvas_->ReadRow(pattern.row_x(), pattern.row_y(),
                                 pattern.row_width(), &row)) {
              const auto now = Clock::now();
              if (auto sequence = pattern.Read(row))
                recorder.Seen(*sequence, now);
            }
            std::this_thread::sleep_for(1ms);
          }
        }) {}
  ~DisplayReader() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::unique_ptr<XcbCanvas> canvas_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Waits until the viewer's display shows the pattern (any number).
bool WaitForPattern(XcbCanvas& viewer, const TimestampPattern& pattern) {
  const auto deadline = Clock::now() + kStartTimeout;
  std::vector<uint32_t> row;
  while (Clock::now() < deadline) {
    if (viewer.ReadRow(pattern.row_x(), pattern.row_y(), pattern.row_width(),
                       &row) &&
        pattern.Read(row).has_value()) {
      return true;
    }
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

// ---------------------------------------------------------------------------
// One measurement per path.

struct LatencyResult {
  Peer peer;
  std::string error;  // set: the path did not work
  int drawn = 0;
  std::vector<double> ms;  // sorted
  std::string note;
};

// CPU time (user + system) of each side during the workload window, in
// seconds; negative: not known.
struct CpuUse {
  double customer = -1;     // the server program; ours: the customer core
  double technician = -1;   // the viewer program; ours: the supporter
  double relay = -1;        // ours: the relay process
  double one_process = -1;  // ours: customer core + supporter together
  double bench = -1;        // ours: the bench's own work, left out
};

struct BytesResult {
  Peer peer = Peer::kOurs;
  std::string error;
  uint64_t initial = 0;  // the first full screen, before the workload
  uint64_t to_viewer = 0;
  uint64_t to_server = 0;
  uint64_t phase_bytes[OfficeWorkload::kPhases] = {};  // to the viewer
  double seconds = 0;
  FidelityResult fidelity;
  CpuUse cpu;
  std::string note;
};

Result<std::unique_ptr<test::XvfbDisplay>> StartXvfb(const Flags& flags) {
  // -br: a plain root instead of the weave, as on a desktop.
  return test::XvfbDisplay::Start({flags.width, flags.height, {"-br"}});
}

// Redraws the pattern every 16 ms for `length`, noting each time.
void DrawPattern(XcbCanvas& canvas,
                 TimestampPattern& pattern,
                 std::initializer_list<LatencyRecorder*> recorders,
                 std::chrono::seconds length) {
  const auto start = Clock::now();
  auto next = start;
  uint16_t sequence = 0;
  while (Clock::now() - start < length && sequence < 65535) {
    next += kRedrawInterval;
    ++sequence;
    pattern.Draw(canvas, sequence);
    // Noted before the server can show it: the latency is never too small.
    const auto now = Clock::now();
    for (LatencyRecorder* recorder : recorders)
      recorder->Drawn(sequence, now);
    canvas.Flush();
    canvas.Sync();  // drawn before the next one starts
    std::this_thread::sleep_until(next);
  }
}

// Paints decoded pictures into a display as a viewer window would, so our
// latency can also be read the way the peers' is: only the bands of 16 rows
// that changed since the previous picture are sent (PutImage over the X
// socket, no MIT-SHM: an upper bound of what a toolkit's paint costs).
class PicturePainter {
 public:
  explicit PicturePainter(std::unique_ptr<XcbCanvas> canvas)
      : canvas_(std::move(canvas)) {}

  void Paint(const desktop::DesktopFrame& picture) {
    const int w = picture.size().width, h = picture.size().height;
    if (w != canvas_->width() || h != canvas_->height())
      return;
    const size_t row_bytes = static_cast<size_t>(w) * 4;
    const bool first = previous_.empty();
    previous_.resize(row_bytes * static_cast<size_t>(h));
    constexpr int kBand = 16;  // 16 rows of 1920 px: 120 KiB, one request
    for (int y = 0; y < h; y += kBand) {
      const int rows = std::min(kBand, h - y);
      bool changed = first;
      for (int r = 0; r < rows; ++r) {
        uint8_t* kept =
            previous_.data() + static_cast<size_t>(y + r) * row_bytes;
        const uint8_t* row = picture.PixelAt(0, y + r);
        if (std::memcmp(kept, row, row_bytes) != 0) {
          std::memcpy(kept, row, row_bytes);
          changed = true;
        }
      }
      if (changed) {
        canvas_->PutRows(previous_.data() + static_cast<size_t>(y) * row_bytes,
                         w, y, rows);
      }
    }
    canvas_->Flush();
    canvas_->Sync();  // painted when this returns
  }

 private:
  std::unique_ptr<XcbCanvas> canvas_;
  std::vector<uint8_t> previous_;  // packed BGRX of the last picture
};

// Through `link` when it is shaped: ours on the customer's leg to the
// relay, the peers in front of the server.
std::vector<LatencyResult> MeasureLatency(const Context& ctx,
                                          Peer peer,
                                          const LinkShape& link = {}) {
  LatencyResult result{peer, {}, 0, {}, {}};
  const auto fail = [&](const std::string& message) {
    result.error = message;
    std::vector<LatencyResult> results = {result};
    if (peer == Peer::kOurs)
      results.push_back({Peer::kOursPainted, message, 0, {}, {}});
    return results;
  };
  auto customer = StartXvfb(ctx.flags);
  if (!customer)
    return fail("Xvfb: " + customer.error().message);
  auto canvas = XcbCanvas::Connect((*customer)->name());
  if (!canvas)
    return fail(canvas.error().message);
  TimestampPattern pattern((*canvas)->width());
  (*canvas)->Fill(0, 0, (*canvas)->width(), (*canvas)->height(), 0x808080);
  pattern.Draw(**canvas, 0);  // number 0: "the viewer is up", not timed
  (*canvas)->Flush();
  (*canvas)->Sync();
  LatencyRecorder recorder;
  LatencyRecorder painted_recorder;  // ours, read from the painted display
  std::vector<LatencyResult> results;

  if (peer == Peer::kOurs) {
    auto viewer_display = StartXvfb(ctx.flags);
    if (!viewer_display)
      return fail("Xvfb: " + viewer_display.error().message);
    auto painter_canvas = XcbCanvas::Connect((*viewer_display)->name());
    auto reader_canvas = XcbCanvas::Connect((*viewer_display)->name());
    if (!painter_canvas || !reader_canvas)
      return fail("cannot connect to the viewer's Xvfb");
    PicturePainter painter(std::move(*painter_canvas));
    auto ours = OursPath::Start(
        ctx, ctx.relay->port(), link, (*customer)->name(),
        [&recorder, &pattern, &painter](const desktop::DesktopFrame& picture) {
          const auto now = Clock::now();
          if (auto sequence = ReadPicture(pattern, picture))
            recorder.Seen(*sequence, now);
          painter.Paint(picture);
        });
    if (!ours)
      return fail(ours.error().message);
    if (!WaitForPattern(**reader_canvas, pattern))
      return fail("the decoded pictures never showed the pattern");
    {
      DisplayReader reader(std::move(*reader_canvas), pattern,
                           painted_recorder);
      DrawPattern(**canvas, pattern, {&recorder, &painted_recorder},
                  std::chrono::seconds(ctx.flags.seconds));
      std::this_thread::sleep_for(1s);  // the last numbers on their way
    }
    result.note = std::to_string((*ours)->frames_decoded()) +
                  " pictures decoded, " +
                  std::to_string((*ours)->decode_errors()) + " errors";
    LatencyResult painted{Peer::kOursPainted,
                          {},
                          painted_recorder.drawn(),
                          painted_recorder.latencies_ms(),
                          "painted on the decoding thread before the ack"};
    std::sort(painted.ms.begin(), painted.ms.end());
    results.push_back(std::move(painted));
  } else {
    auto viewer_display = StartXvfb(ctx.flags);
    if (!viewer_display)
      return fail("Xvfb: " + viewer_display.error().message);
    auto path = StartPeer(peer, (*customer)->name(), (*viewer_display)->name(),
                          ctx.dir, link.shaped(), link);
    if (!path)
      return fail(path.error().message);
    auto viewer_canvas = XcbCanvas::Connect((*viewer_display)->name());
    if (!viewer_canvas)
      return fail(viewer_canvas.error().message);
    if (!WaitForPattern(**viewer_canvas, pattern)) {
      return fail("the viewer never showed the screen; " + (*path)->LogTails());
    }
    {
      DisplayReader reader(std::move(*viewer_canvas), pattern, recorder);
      DrawPattern(**canvas, pattern, {&recorder},
                  std::chrono::seconds(ctx.flags.seconds));
      std::this_thread::sleep_for(1s);
    }
    if (!(*path)->viewer->Running() || !(*path)->server->Running())
      result.note = "a peer program exited during the run";
  }
  result.drawn = recorder.drawn();
  result.ms = recorder.latencies_ms();
  std::sort(result.ms.begin(), result.ms.end());
  results.insert(results.begin(), std::move(result));
  return results;
}

// Ours with the customer on a headless GNOME Wayland desktop (mutter,
// xdg-desktop-portal, PipeWire): a full-screen test window draws the same
// pattern through its "fill" commands (the time is noted before they are
// written to it); the person at that desktop shares the screen in the
// desktop's dialog; the number is read from every decoded picture.
std::vector<LatencyResult> MeasureWaylandLatency(const Context& ctx) {
  LatencyResult result{Peer::kOursWayland, {}, 0, {}, {}};
  const auto fail = [&](const std::string& message) {
    result.error = message;
    return std::vector<LatencyResult>{result};
  };
  auto desktop =
      test::WaylandDesktop::Start({ctx.flags.width, ctx.flags.height});
  if (!desktop)
    return fail("Wayland desktop: " + desktop.error().message);
  // From here this process's own desktop is the Wayland one; the X paths
  // name their displays, so they are not affected (this path runs last).
  (*desktop)->ApplyToThisProcess();
  auto person = test::DesktopPerson::Start();
  if (!person)
    return fail("person: " + person.error().message);
  auto window = test::WaylandTestWindow::Start(
      **desktop, {"--fullscreen", "--colour", "808080"});
  if (!window || !(*window)->WaitForLine("ready"))
    return fail("the test window did not start");
  TimestampPattern pattern(ctx.flags.width);
  const auto fill = [&window](int x, int y, int w, int h, uint32_t rgb) {
    char command[80];
    std::snprintf(command, sizeof(command), "fill %d %d %d %d %06x", x, y, w, h,
                  rgb & 0xFFFFFFu);
    (void)(*window)->Send(command);
  };
  pattern.Draw(fill, 0);  // number 0: "the viewer is up", not timed
  LatencyRecorder recorder;
  std::atomic<bool> pattern_seen{false};
  Result<void> answered;
  std::thread answer(
      [&] { answered = (*person)->AnswerSharingDialog(true, false); });
  auto ours =
      OursPath::Start(ctx, ctx.relay->port(), LinkShape{}, "",
                      [&](const desktop::DesktopFrame& picture) {
                        const auto now = Clock::now();
                        if (auto sequence = ReadPicture(pattern, picture)) {
                          pattern_seen = true;
                          recorder.Seen(*sequence, now);
                        }
                      });
  answer.join();
  if (!answered)
    return fail("the desktop's dialog: " + answered.error().message);
  if (!ours)
    return fail(ours.error().message);
  const auto deadline = Clock::now() + kStartTimeout;
  while (!pattern_seen && Clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  if (!pattern_seen)
    return fail("the decoded pictures never showed the pattern");
  // The window says "filled" for every fill: read and drop it, or its
  // output pipe fills up and it stops reading ours.
  std::atomic<bool> drawing{true};
  std::thread drain([&] {
    while (drawing)
      (void)(*window)->ReadLine(100ms);
  });
  // Redraws every 16 ms, noting each time before the window gets it.
  const auto start = Clock::now();
  auto next = start;
  uint16_t sequence = 0;
  while (Clock::now() - start < std::chrono::seconds(ctx.flags.seconds) &&
         sequence < 65535) {
    next += kRedrawInterval;
    ++sequence;
    recorder.Drawn(sequence, Clock::now());
    pattern.Draw(fill, sequence);
    std::this_thread::sleep_until(next);
  }
  std::this_thread::sleep_for(1s);  // the last numbers on their way
  drawing = false;
  drain.join();
  result.note = std::to_string((*ours)->frames_decoded()) +
                " pictures decoded, " +
                std::to_string((*ours)->decode_errors()) +
                " errors; mutter 43 headless (software rendering), test "
                "window in Qt 6";
  ours->reset();
  result.drawn = recorder.drawn();
  result.ms = recorder.latencies_ms();
  std::sort(result.ms.begin(), result.ms.end());
  return {result};
}

// Waits until the viewer's display shows what the customer's does: one
// row across the scene (desktop, editor text) differs by less than 12 per
// channel on average (room for a lossy codec).
bool WaitForSameScreen(XcbCanvas& customer, XcbCanvas& viewer) {
  const int y = 150;
  std::vector<uint32_t> want, got;
  if (!customer.ReadRow(0, y, customer.width(), &want))
    return false;
  const auto deadline = Clock::now() + kStartTimeout;
  while (Clock::now() < deadline) {
    if (viewer.ReadRow(0, y, customer.width(), &got)) {
      int64_t difference = 0;
      for (size_t i = 0; i < want.size(); ++i) {
        for (int shift : {0, 8, 16}) {
          difference += std::abs(static_cast<int>((want[i] >> shift) & 0xFF) -
                                 static_cast<int>((got[i] >> shift) & 0xFF));
        }
      }
      if (difference < 12 * 3 * static_cast<int64_t>(want.size()))
        return true;
    }
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// Waits until the first screen is through and nothing much follows (under
// 4 KiB in a second), bounded.
uint64_t WaitForQuiet(const std::function<uint64_t()>& bytes) {
  const auto deadline = Clock::now() + kStartTimeout;
  uint64_t last = bytes();
  while (Clock::now() < deadline) {
    std::this_thread::sleep_for(1s);
    const uint64_t now = bytes();
    if (now - last < 4096)
      return now;
    last = now;
  }
  return bytes();
}

// What each side's CPU time is read from during the workload.
struct CpuSources {
  // The peers: their programs.
  pid_t server = -1;
  pid_t viewer = -1;
  // Ours: this process, minus the bench's own threads and the bench's
  // copies of each decoded picture (made on a supporter's thread); the
  // supporter is the threads it started (network, TLS, E2E, decode) and
  // the one its pictures arrive on, the customer core the rest; and the
  // relay process.
  bool this_process = false;
  pid_t relay = -1;
  std::vector<pid_t> supporter_threads;
  std::vector<pid_t> bench_threads;
  const LatestPicture* copies = nullptr;
};

struct CpuReading {
  std::optional<double> server, viewer, relay, process, supporter;
  double bench = 0;
  double copies = 0;
};

CpuReading ReadCpu(const CpuSources& sources) {
  CpuReading r;
  r.server = ProcessCpuSeconds(sources.server);
  r.viewer = ProcessCpuSeconds(sources.viewer);
  r.relay = ProcessCpuSeconds(sources.relay);
  if (sources.this_process) {
    r.process = ProcessCpuSeconds(getpid());
    r.supporter = 0.0;
    for (pid_t tid : sources.supporter_threads) {
      const auto seconds = ThreadCpuSeconds(tid);
      if (!seconds) {
        r.supporter.reset();  // gone: its time is not known
        break;
      }
      *r.supporter += *seconds;
    }
    for (pid_t tid : sources.bench_threads)
      r.bench += ThreadCpuSeconds(tid).value_or(0);
  }
  if (sources.copies)
    r.copies = sources.copies->copy_cpu_seconds();
  return r;
}

CpuUse CpuBetween(const CpuReading& a, const CpuReading& b) {
  const auto delta = [](const std::optional<double>& from,
                        const std::optional<double>& to) {
    return from && to ? std::max(*to - *from, 0.0) : -1.0;
  };
  CpuUse use;
  use.relay = delta(a.relay, b.relay);
  const double process = delta(a.process, b.process);
  if (process < 0) {
    use.customer = delta(a.server, b.server);
    use.technician = delta(a.viewer, b.viewer);
    return use;
  }
  const double copies = b.copies - a.copies;
  use.bench = (b.bench - a.bench) + copies;
  use.one_process = std::max(process - use.bench, 0.0);
  const double supporter = delta(a.supporter, b.supporter);
  if (supporter >= 0) {
    use.technician = std::max(supporter - copies, 0.0);
    use.customer = std::max(use.one_process - use.technician, 0.0);
  }
  return use;
}

// The office workload on the customer's display, through `link` when it
// is shaped (ours: the customer's leg to the relay; the peers: in front of
// the server): bytes to the viewer, fidelity and CPU per side.
BytesResult MeasureBytes(const Context& ctx,
                         Peer peer,
                         const LinkShape& link = {}) {
  BytesResult result;
  result.peer = peer;
  const auto fail = [&](const std::string& message) {
    result.error = message;
    return result;
  };
  auto customer = StartXvfb(ctx.flags);
  if (!customer)
    return fail("Xvfb: " + customer.error().message);
  auto canvas = XcbCanvas::Connect((*customer)->name());
  if (!canvas)
    return fail(canvas.error().message);
  const milliseconds length = std::chrono::seconds(ctx.flags.workload_seconds);
  OfficeWorkload workload(**canvas, length);
  workload.DrawScene();

  // Whatever is in front of the viewer: started here, ended at return
  // (in reverse order: the sampler first, the pictures it reads last).
  LatestPicture latest;  // ours: the supporter's newest picture
  std::unique_ptr<CountingForwarder> relay_forwarder;
  std::unique_ptr<OursPath> ours;
  std::unique_ptr<test::XvfbDisplay> viewer_display;
  std::unique_ptr<PeerPath> path;
  std::unique_ptr<FidelityMonitor> monitor;
  CountingForwarder* counter = nullptr;
  CpuSources cpu;
  FidelityMonitor::ViewerPicture viewer_picture;
  if (peer == Peer::kOurs) {
    auto forwarder = CountingForwarder::Start(ctx.relay->port());
    if (!forwarder)
      return fail(forwarder.error().message);
    relay_forwarder = std::move(*forwarder);
    auto started =
        OursPath::Start(ctx, relay_forwarder->port(), link, (*customer)->name(),
                        [&latest](const desktop::DesktopFrame& picture) {
                          latest.Store(picture);
                        });
    if (!started)
      return fail(started.error().message);
    ours = std::move(*started);
    counter = relay_forwarder.get();
    viewer_picture = [&latest] { return latest.Latest(); };
    cpu.this_process = true;
    cpu.relay = ctx.relay->pid();
    cpu.copies = &latest;
  } else {
    auto display = StartXvfb(ctx.flags);
    if (!display)
      return fail("Xvfb: " + display.error().message);
    viewer_display = std::move(*display);
    auto started = StartPeer(peer, (*customer)->name(), viewer_display->name(),
                             ctx.dir, true, link);
    if (!started)
      return fail(started.error().message);
    path = std::move(*started);
    counter = path->forwarder.get();
    auto viewer_canvas = XcbCanvas::Connect(viewer_display->name());
    auto sampler_canvas = XcbCanvas::Connect(viewer_display->name());
    if (!viewer_canvas || !sampler_canvas)
      return fail("cannot connect to the viewer's Xvfb");
    if (!WaitForSameScreen(**canvas, **viewer_canvas)) {
      return fail("the viewer never showed the screen; " + path->LogTails());
    }
    viewer_picture = FidelityMonitor::ScreenOf(std::move(*sampler_canvas));
    cpu.server = path->server->pid();
    cpu.viewer = path->viewer->pid();
  }
  auto started_monitor =
      FidelityMonitor::Start((*customer)->name(), std::move(viewer_picture));
  if (!started_monitor)
    return fail(started_monitor.error().message);
  monitor = std::move(*started_monitor);
  result.initial =
      WaitForQuiet([counter] { return counter->bytes_to_client(); });
  if (cpu.this_process) {
    cpu.supporter_threads = ours->supporter_threads();
    const pid_t picture_thread = latest.store_thread();
    if (picture_thread > 0 &&
        std::find(cpu.supporter_threads.begin(), cpu.supporter_threads.end(),
                  picture_thread) == cpu.supporter_threads.end()) {
      cpu.supporter_threads.push_back(picture_thread);
    }
    cpu.bench_threads = {gettid(), relay_forwarder->thread_id(),
                         monitor->thread_id()};
    if (const pid_t link_thread = ours->customer_link_thread())
      cpu.bench_threads.push_back(link_thread);
  }
  const CpuReading cpu0 = ReadCpu(cpu);
  const uint64_t down0 = counter->bytes_to_client();
  const uint64_t up0 = counter->bytes_to_server();
  const auto start = Clock::now();
  auto next = start;
  // Bytes per phase: what arrived while it ran (a phase's last frames may
  // arrive in the next one's first milliseconds).
  int phase = 0;
  uint64_t phase_start = down0;
  monitor->PhaseStarted(0);
  while (true) {
    const auto elapsed =
        std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    if (const int now_phase = workload.Phase(elapsed); now_phase != phase) {
      const uint64_t bytes = counter->bytes_to_client();
      result.phase_bytes[phase] += bytes - phase_start;
      phase_start = bytes;
      phase = now_phase;
      // The last drawing of the phase is on the screen before the sampler
      // reads it (it has its own connection).
      (*canvas)->Sync();
      monitor->PhaseStarted(phase);
    }
    if (!workload.Step(elapsed))
      break;
    next += kRedrawInterval;
    std::this_thread::sleep_until(next);
  }
  // The last changes still on their way; the same for every path.
  std::this_thread::sleep_for(2s);
  result.phase_bytes[phase] += counter->bytes_to_client() - phase_start;
  result.to_viewer = counter->bytes_to_client() - down0;
  result.to_server = counter->bytes_to_server() - up0;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.cpu = CpuBetween(cpu0, ReadCpu(cpu));
  result.fidelity = monitor->Finish();
  if (path && (!path->viewer->Running() || !path->server->Running()))
    result.note = "a peer program exited during the run";
  return result;
}

// ---------------------------------------------------------------------------
// Report.

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty())
    return 0;
  // Nearest rank.
  const size_t rank = static_cast<size_t>(
      std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

// `where`: "" on loopback, or which link the paths ran over.
void PrintLatency(const Flags& flags,
                  const std::vector<LatencyResult>& rows,
                  const char* where = "") {
  std::printf(
      "\nGlass-to-glass latency%s, %dx%d, pattern redrawn every %lld ms for "
      "%d s per path\n\n",
      where, flags.width, flags.height,
      static_cast<long long>(kRedrawInterval.count()), flags.seconds);
  std::printf(
      "| path | numbers drawn | measured | p50 ms | p95 ms | p99 ms | max ms "
      "|\n|---|---:|---:|---:|---:|---:|---:|\n");
  for (const LatencyResult& r : rows) {
    if (!r.error.empty()) {
      std::printf("| %s | – | – | – | – | – | – |\n", PeerName(r.peer));
      continue;
    }
    std::printf("| %s | %d | %zu | %.1f | %.1f | %.1f | %.1f |\n",
                PeerName(r.peer), r.drawn, r.ms.size(), Percentile(r.ms, 50),
                Percentile(r.ms, 95), Percentile(r.ms, 99),
                r.ms.empty() ? 0.0 : r.ms.back());
  }
  std::printf("\n");
  for (const LatencyResult& r : rows) {
    if (!r.error.empty())
      std::printf("- %s: FAILED: %s\n", PeerName(r.peer), r.error.c_str());
    else if (!r.note.empty())
      std::printf("- %s: %s\n", PeerName(r.peer), r.note.c_str());
  }
  std::printf(
      "- the first row is read from each decoded picture (no painting); the "
      "painted row and the peers are read from a viewer's Xvfb (one pixel "
      "row by GetImage every 1 ms), painting included\n");
}

void PrintBytes(const Flags& flags,
                const std::vector<BytesResult>& rows,
                const char* where = "") {
  std::printf("\nBytes on the wire%s, %d s office workload, %dx%d\n\n", where,
              flags.workload_seconds, flags.width, flags.height);
  std::printf(
      "| path | first screen KiB | workload: to viewer KiB | to server KiB "
      "| avg kbit/s to viewer | vs VNC |\n|---|---:|---:|---:|---:|---:|\n");
  const BytesResult* vnc = nullptr;
  for (const BytesResult& r : rows) {
    if (r.peer == Peer::kVnc && r.error.empty())
      vnc = &r;
  }
  for (const BytesResult& r : rows) {
    if (!r.error.empty()) {
      std::printf("| %s | – | – | – | – | – |\n", PeerName(r.peer));
      continue;
    }
    char ratio[32] = "–";
    if (vnc && vnc->to_viewer > 0) {
      std::snprintf(ratio, sizeof(ratio), "%.3f×",
                    static_cast<double>(r.to_viewer) /
                        static_cast<double>(vnc->to_viewer));
    }
    std::printf("| %s | %.1f | %.1f | %.1f | %.1f | %s |\n", PeerName(r.peer),
                static_cast<double>(r.initial) / 1024.0,
                static_cast<double>(r.to_viewer) / 1024.0,
                static_cast<double>(r.to_server) / 1024.0,
                static_cast<double>(r.to_viewer) * 8.0 / 1000.0 / r.seconds,
                ratio);
  }
  std::printf(
      "\nKiB to the viewer per part of the script (typing 30 %%, idle 10 %%, "
      "scrolling 15 %%, idle 10 %%, dragging 15 %%, idle 20 %% + 2 s)\n\n"
      "| path |");
  for (int i = 0; i < OfficeWorkload::kPhases; ++i)
    std::printf(" %s |", OfficeWorkload::PhaseName(i));
  std::printf("\n|---|");
  for (int i = 0; i < OfficeWorkload::kPhases; ++i)
    std::printf("---:|");
  std::printf("\n");
  for (const BytesResult& r : rows) {
    if (!r.error.empty())
      continue;
    std::printf("| %s |", PeerName(r.peer));
    for (uint64_t b : r.phase_bytes)
      std::printf(" %.1f |", static_cast<double>(b) / 1024.0);
    std::printf("\n");
  }
  std::printf("\n");
  for (const BytesResult& r : rows) {
    if (!r.error.empty())
      std::printf("- %s: FAILED: %s\n", PeerName(r.peer), r.error.c_str());
    else if (!r.note.empty())
      std::printf("- %s: %s\n", PeerName(r.peer), r.note.c_str());
  }
  std::printf(
      "- TCP payload counted by a forwarder in front of the server (ours: "
      "the relay's technician leg, TLS included); the workload window "
      "includes 2 s after the script\n");
}

std::string PsnrCell(const FidelityResult::Phase& phase) {
  if (phase.samples == 0)
    return "–";
  const int finite = phase.samples - phase.exact;
  char cell[80];
  if (finite == 0) {
    std::snprintf(cell, sizeof(cell), "exact / 100 %% (%d)", phase.samples);
  } else {
    std::snprintf(cell, sizeof(cell), "%.1f dB / %.0f %% (%d)",
                  phase.psnr_sum / finite, 100.0 * phase.exact / phase.samples,
                  phase.samples);
  }
  return cell;
}

std::string SettleCell(const FidelityResult::Settle& settle) {
  if (!settle.measured)
    return "–";
  char cell[80];
  if (settle.ms) {
    std::snprintf(cell, sizeof(cell), "%.0f ms", *settle.ms);
  } else if (settle.last_psnr > 0) {
    std::snprintf(cell, sizeof(cell), "not exact (%.1f dB)", settle.last_psnr);
  } else {
    std::snprintf(cell, sizeof(cell), "not exact");
  }
  return cell;
}

void PrintFidelity(const std::vector<BytesResult>& rows,
                   const char* where = "") {
  std::printf(
      "\nFidelity%s, same runs as the bytes: PSNR of the viewer's picture "
      "against the customer's screen while the script moves things (mean dB "
      "of the inexact samples / %% of samples exact (samples)), and the time "
      "from the end of each moving part until the viewer's picture is "
      "pixel-identical\n\n"
      "| path |",
      where);
  int columns = 0;
  for (int i = 0; i < OfficeWorkload::kPhases; ++i) {
    if (OfficeWorkload::Moves(i)) {
      std::printf(" %s: PSNR / exact |", OfficeWorkload::PhaseName(i));
      ++columns;
    }
  }
  for (int i = 1; i < OfficeWorkload::kPhases; ++i) {
    if (OfficeWorkload::Moves(i - 1)) {
      std::printf(" exact after %s |", OfficeWorkload::PhaseName(i - 1));
      ++columns;
    }
  }
  std::printf("\n|---|");
  for (int i = 0; i < columns; ++i)
    std::printf("---:|");
  std::printf("\n");
  for (const BytesResult& r : rows) {
    if (!r.error.empty()) {
      std::printf("| %s |", PeerName(r.peer));
      for (int i = 0; i < columns; ++i)
        std::printf(" – |");
      std::printf("\n");
      continue;
    }
    std::printf("| %s |", PeerName(r.peer));
    for (int i = 0; i < OfficeWorkload::kPhases; ++i) {
      if (OfficeWorkload::Moves(i))
        std::printf(" %s |", PsnrCell(r.fidelity.phases[i]).c_str());
    }
    for (int i = 1; i < OfficeWorkload::kPhases; ++i) {
      if (OfficeWorkload::Moves(i - 1))
        std::printf(" %s |", SettleCell(r.fidelity.settle[i]).c_str());
    }
    std::printf("\n");
  }
  std::printf("\n");
  for (const BytesResult& r : rows) {
    if (!r.error.empty())
      continue;
    std::printf(
        "- %s: %d reads of the customer's screen, %d viewer pictures "
        "compared, %.2f s CPU in the sampler's thread%s%s\n",
        PeerName(r.peer), r.fidelity.grabs, r.fidelity.comparisons,
        r.fidelity.cpu_seconds, r.fidelity.error.empty() ? "" : "; ",
        r.fidelity.error.c_str());
  }
  std::printf(
      "- every 200 ms the customer's whole screen is read (MIT-SHM GetImage "
      "on its own X connection) and the viewer's picture compared with it "
      "every "
      "30 ms for up to 150 ms; the best PSNR counts, so the viewer's lag "
      "does not. PSNR over R, G, B of the whole screen; exact = "
      "pixel-identical (infinite PSNR)\n"
      "- viewer's picture: ours, the supporter's newest decoded picture (a "
      "copy kept from on_picture); the peers, the viewer's Xvfb (read the "
      "same way)\n"
      "- exact after: polled every 25 ms from the end of the moving part "
      "while the screen is still; \"not exact\" (with the last PSNR) when "
      "the idle part ended first (after dragging: 2 s after the script)\n");
}

std::string CpuCell(const char* who, double seconds, double window) {
  if (seconds < 0)
    return "–";
  char cell[120];
  std::snprintf(cell, sizeof(cell), "%s%s%.2f s (%.1f %%)", who,
                *who ? " " : "", seconds,
                window > 0 ? 100.0 * seconds / window : 0.0);
  return cell;
}

void PrintCpu(const std::vector<BytesResult>& rows, const char* where = "") {
  std::printf(
      "\nCPU during the workload%s (user + system from /proc, over the "
      "script and 2 s after it; %% of one core)\n\n"
      "| path | customer side | technician side | relay |\n"
      "|---|---:|---:|---:|\n",
      where);
  for (const BytesResult& r : rows) {
    if (!r.error.empty()) {
      std::printf("| %s | – | – | – |\n", PeerName(r.peer));
      continue;
    }
    const char* server = "customer core";
    const char* viewer = "supporter";
    if (r.peer == Peer::kVnc) {
      server = "x11vnc";
      viewer = "xtigervncviewer";
    } else if (r.peer == Peer::kRdp) {
      server = "freerdp-shadow-cli";
      viewer = "xfreerdp";
    }
    std::printf("| %s | %s | %s | %s |\n", PeerName(r.peer),
                CpuCell(server, r.cpu.customer, r.seconds).c_str(),
                CpuCell(viewer, r.cpu.technician, r.seconds).c_str(),
                CpuCell("", r.cpu.relay, r.seconds).c_str());
  }
  std::printf("\n");
  for (const BytesResult& r : rows) {
    if (r.error.empty() && r.cpu.one_process >= 0) {
      std::printf(
          "- %s: customer core and supporter run in this one process: "
          "customer+supporter (one process) %s; the bench's own work in it "
          "(workload script, fidelity sampler, forwarders, its copies of "
          "the decoded pictures) %s, left out\n",
          PeerName(r.peer), CpuCell("", r.cpu.one_process, r.seconds).c_str(),
          CpuCell("", r.cpu.bench, r.seconds).c_str());
    }
  }
  std::printf(
      "- ours, told apart by thread (the threads have no names): the "
      "supporter is the threads that appeared while it started (its "
      "engine: network, TLS, E2E; its receiver: decode) and the one its "
      "pictures arrive on, minus the bench's copies; the customer core "
      "every other thread of this process that is not the bench's; the "
      "peers: their server and viewer processes\n"
      "- the X servers (Xvfb) are counted on no side: the fidelity sampler "
      "reads both screens through them\n");
}

int Main(int argc, char** argv) {
  log::Init("tether-bench-e2e", log::Level::kWarn);
  Flags flags;
  if (!ParseFlags(argc, argv, &flags))
    return 2;
  if (!test::XvfbDisplay::Available()) {
    std::fprintf(stderr, "Xvfb is not installed\n");
    return 1;
  }
  std::vector<Peer> peers;
  if (flags.ours)
    peers.push_back(Peer::kOurs);
  if (flags.vnc)
    peers.push_back(Peer::kVnc);
  if (flags.rdp)
    peers.push_back(Peer::kRdp);
  // The constrained link: ours and vnc only.
  std::vector<Peer> link_peers;
  for (Peer peer : peers) {
    if (flags.link && (peer == Peer::kOurs || peer == Peer::kVnc))
      link_peers.push_back(peer);
  }
  // Per path: the measurement plus a generous minute for start and stop.
  const int per_path = (flags.latency ? flags.seconds + 60 : 0) +
                       (flags.bytes ? flags.workload_seconds + 90 : 0);
  const int per_link_path = flags.seconds + 60 + flags.workload_seconds + 90;
  const int paths = static_cast<int>(peers.size()) + (flags.wayland ? 1 : 0);
  ArmWatchdog(std::chrono::seconds(60 + per_path * paths +
                                   per_link_path *
                                       static_cast<int>(link_peers.size())));

  auto dir = TempDir::Create("tether-bench-e2e");
  if (!dir) {
    std::fprintf(stderr, "%s\n", dir.error().message.c_str());
    return 1;
  }
  std::unique_ptr<test::RelayProcess> relay;
  if (flags.ours || flags.wayland) {
    // The relay beside this program, unless the caller chose one.
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec)
      setenv("TETHER_TEST_BIN_DIR", self.parent_path().c_str(), 0);
    relay = std::make_unique<test::RelayProcess>();
    RegisterTempDir(relay->dir());
    if (auto account =
            relay->AddTechnician(kUser, "Bench Technician", kPassword);
        !account) {
      std::fprintf(stderr, "relay: %s\n", account.error().message.c_str());
      return 1;
    }
    if (auto started = relay->Start(); !started) {
      std::fprintf(stderr, "relay: %s\n", started.error().message.c_str());
      return 1;
    }
  }
  const Context ctx{flags, relay.get(), (*dir)->path()};

  std::vector<LatencyResult> latency;
  std::vector<BytesResult> bytes;
  if (flags.latency) {
    for (Peer peer : peers) {
      std::fprintf(stderr, "latency: %s ...\n", PeerName(peer));
      for (LatencyResult& r : MeasureLatency(ctx, peer))
        latency.push_back(std::move(r));
    }
  }
  if (flags.bytes) {
    for (Peer peer : peers) {
      std::fprintf(stderr, "bytes: %s ...\n", PeerName(peer));
      bytes.push_back(MeasureBytes(ctx, peer));
    }
  }
  const LinkShape link = ConstrainedLink();
  std::vector<LatencyResult> link_latency;
  std::vector<BytesResult> link_bytes;
  for (Peer peer : link_peers) {
    std::fprintf(stderr, "link latency: %s ...\n", PeerName(peer));
    for (LatencyResult& r : MeasureLatency(ctx, peer, link))
      link_latency.push_back(std::move(r));
  }
  for (Peer peer : link_peers) {
    std::fprintf(stderr, "link workload: %s ...\n", PeerName(peer));
    link_bytes.push_back(MeasureBytes(ctx, peer, link));
  }
  // Last: it turns this process's desktop into the Wayland one.
  const bool wayland_latency = flags.latency && flags.wayland && relay;
  if (wayland_latency) {
    std::fprintf(stderr, "latency: %s ...\n", PeerName(Peer::kOursWayland));
    for (LatencyResult& r : MeasureWaylandLatency(ctx))
      latency.push_back(std::move(r));
  }
  if (relay) {
    const fs::path relay_dir = relay->dir();
    relay.reset();
    ForgetTempDir(relay_dir);
  }
  if (flags.latency)
    PrintLatency(flags, latency);
  if (flags.bytes) {
    PrintBytes(flags, bytes);
    PrintFidelity(bytes);
    PrintCpu(bytes);
  }
  if (flags.link) {
    constexpr char kOverLink[] = " over the constrained link";
    std::printf("\n## Constrained link: %s\n\n", DescribeLink(link).c_str());
    std::printf(
        "- ours: the customer's leg to the relay goes through the link (the "
        "technician's does not; its bytes are counted as on loopback); vnc: "
        "the link is in front of x11vnc\n");
    if (link_peers.empty())
      std::printf("- no path to run: the link part runs ours and vnc\n");
    PrintLatency(flags, link_latency, kOverLink);
    PrintBytes(flags, link_bytes, kOverLink);
    PrintFidelity(link_bytes, kOverLink);
    PrintCpu(link_bytes, kOverLink);
  }
  dir->reset();
  DisarmWatchdog();
  // A path that did not run fails the run (a CI smoke notices a broken
  // path); the goals themselves are only reported.
  const bool all_ran =
      std::all_of(latency.begin(), latency.end(),
                  [](const LatencyResult& r) { return r.error.empty(); }) &&
      std::all_of(bytes.begin(), bytes.end(),
                  [](const BytesResult& r) { return r.error.empty(); }) &&
      std::all_of(link_latency.begin(), link_latency.end(),
                  [](const LatencyResult& r) { return r.error.empty(); }) &&
      std::all_of(link_bytes.begin(), link_bytes.end(),
                  [](const BytesResult& r) { return r.error.empty(); });
  return all_ran ? 0 : 1;
}

}  // namespace
}  // namespace tether::bench::e2e

int main(int argc, char** argv) {
  return tether::bench::e2e::Main(argc, argv);
}
