// tether-session-demo: the main job. A real support session on this
// machine, end to end, with both real apps on two desks:
//   - the technician's desk, a private X display (Xvfb), and the
//     customer's desktop: another private Xvfb, or with --wayland a
//     headless GNOME Wayland desktop (mutter, xdg-desktop-portal, PipeWire;
//     tests/support/wayland_desktop.h), where the desktop's own dialogs ask
//     before sharing;
//   - IT's relay: a tether-relay process with a fresh certificate, database
//     and technician account;
//   - the technician: the real `tether-supporter` console; a scripted
//     technician signs in, starts a session with Ctrl+N, accepts the join
//     (Alt+A) and asks for control (Ctrl+Alt+Shift+C), as the shortcuts in
//     docs/supporter.md say;
//   - the customer: the real `tether-customer`, configured by IT's file
//     beside it; a scripted person types the code and clicks the real
//     prompts (and on Wayland the desktop's dialogs), finding the buttons
//     by their look (tools/button_finder.h).
// The console shows the customer's screen, the technician's mouse moves the
// customer's pointer only after the customer allowed control, and the
// customer presses STOP. Both apps exit cleanly. Any step that does not
// happen as it should fails the run (exit 1).
//
//   tether-session-demo [--wayland] [--screenshots DIR]
//                       [--customer-command PATH]
//
// --customer-command PATH: the customer app is PATH instead of bin/'s
// tether-customer, in the same environment (e.g. scripts/bundle-test's
// wrapper, which runs the standalone bundle in another Debian tree). IT's
// file is then written beside PATH and no --config is given: the app must
// find it there itself, as a customer's does. With --wayland the desktop's
// session bus then lets in any user: PATH may run the app as another one
// (it is PATH's to hand the desktop's sockets on).

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QImage>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/log.h"
#include "tests/fakes/xvfb_display.h"
#include "tests/support/desktop_person.h"
#include "tests/support/relay_process.h"
#include "tests/support/wayland_desktop.h"
#include "tools/button_finder.h"
#include "tools/screen_person.h"

extern char** environ;

namespace {

using namespace tether;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using tools::Picture;
using tools::ScreenRect;

constexpr int kWidth = 1280;
constexpr int kHeight = 800;  // every desk, Xvfb or Wayland
constexpr uint32_t kCustomerWallpaper = 0x2F6F4F;
constexpr uint32_t kTechnicianWallpaper = 0x3B4252;
// The Wayland desk's sample app (tests/tools/wayland_test_window.cc): a
// full-screen window of the X11 desk's wallpaper colour, under the
// customer's windows, that says where the pointer is over it.
constexpr uint32_t kSampleColour = kCustomerWallpaper;
constexpr char kSampleColourArg[] = "2f6f4f";
constexpr char kPassword[] = "a long technician passphrase";
constexpr auto kWindowWait = 20s;

const auto kStart = std::chrono::steady_clock::now();
// The step under way, for the line that says which one failed.
std::string g_step = "setting up";

double SecondsSinceStart() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - kStart)
                      .count();
  return static_cast<double>(ms) / 1000.0;
}

// The next step starts: a failure from here on names it.
void Begin(const std::string& step) {
  g_step = step;
}

// A step happened: one line, with the time since the start.
void Step(const std::string& text) {
  std::printf("[%6.2f s] %s\n", SecondsSinceStart(), text.c_str());
  std::fflush(stdout);
}

// Thrown so that every process the demo started is stopped on the way out.
struct DemoFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void Fail(const std::string& what) {
  throw DemoFailed(what);
}

template <typename T>
T Check(Result<T> result, const std::string& what) {
  if (!result)
    Fail(what + ": " + result.error().message);
  return std::move(result).value();
}

void Check(Result<void> result, const std::string& what) {
  if (!result)
    Fail(what + ": " + result.error().message);
}

// What a child's environment changes from this process's: a value sets
// the variable, none removes it; a later entry wins.
using Environment =
    std::vector<std::pair<std::string, std::optional<std::string>>>;

// The environment of a program on an X display (the technician's desk, the
// customer's Xvfb): that display and Qt's X11 platform, with `session`
// (this machine's session variables, where a Wayland desk replaced them in
// this process) and `home` as $HOME if given.
Environment XDesk(const std::string& display,
                  const Environment& session = {},
                  const fs::path& home = {}) {
  Environment env = session;
  env.emplace_back("DISPLAY", display);
  env.emplace_back("QT_QPA_PLATFORM", "xcb");
  if (!home.empty())
    env.emplace_back("HOME", home.string());
  return env;
}

// One program on one desk: started like a user would, waited for.
class AppProcess {
 public:
  AppProcess(std::vector<std::string> args,
             const Environment& environment,
             const fs::path& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> argv;
    for (std::string& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::map<std::string, std::optional<std::string>, std::less<>> changes(
        environment.begin(), environment.end());
    for (const auto& [name, value] : environment)
      changes[name] = value;  // the later entry
    std::vector<std::string> variables;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string_view entry(*e);
      if (!changes.contains(entry.substr(0, entry.find('='))))
        variables.emplace_back(entry);
    }
    for (const auto& [name, value] : changes) {
      if (value)
        variables.push_back(name + "=" + *value);
    }
    std::vector<char*> env;
    for (std::string& variable : variables)
      env.push_back(variable.data());
    env.push_back(nullptr);
    if (posix_spawnp(&pid_, argv[0], &actions, nullptr, argv.data(),
                     env.data()) != 0)
      pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~AppProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  AppProcess(const AppProcess&) = delete;
  AppProcess& operator=(const AppProcess&) = delete;

  bool started() const { return pid_ > 0; }
  // The exit status once it exited by itself, within `timeout`.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(50ms);
    }
    return std::nullopt;
  }

 private:
  pid_t pid_ = -1;
};

// Paints a display's root window: a desktop before any app opens.
void PaintDesktop(const std::string& display, uint32_t colour) {
  xcb_connection_t* c = xcb_connect(display.c_str(), nullptr);
  const xcb_window_t root =
      xcb_setup_roots_iterator(xcb_get_setup(c)).data->root;
  xcb_change_window_attributes(c, root, XCB_CW_BACK_PIXEL, &colour);
  xcb_clear_area(c, 0, root, 0, 0, 0, 0);
  free(xcb_get_input_focus_reply(c, xcb_get_input_focus(c), nullptr));
  xcb_disconnect(c);
}

bool SavePng(const Picture& picture, const fs::path& path) {
  const QImage image(reinterpret_cast<const uchar*>(picture.pixels.data()),
                     picture.width, picture.height, picture.width * 4,
                     QImage::Format_RGB32);
  return image.save(QString::fromStdString(path.string()));
}

// The customer's desk: the desktop tether-customer runs on and the person
// at it, who finds what to click by its look. On X11 a private Xvfb and a
// person who finds windows by their titles and clicks with xdotool; on
// Wayland a headless GNOME desktop, where windows have no titles for us:
// the person looks at the whole monitor through the compositor's own
// screen cast and clicks and types through its own remote desktop API.
// Every wait is bounded; what does not happen fails the run.
class CustomerDesk {
 public:
  virtual ~CustomerDesk() = default;

  // ":1", "a GNOME Wayland desktop (...)": for the narration.
  virtual std::string name() const = 0;
  virtual int width() const = 0;
  virtual int height() const = 0;
  // tether-customer's environment on this desk; `home` is its $HOME.
  virtual Environment AppEnvironment(const fs::path& home) const = 0;
  // This machine's session variables this desk replaced in this process
  // (the person needs the desk's bus), as they were: the technician's desk
  // gets them back.
  virtual Environment MachineSession() const { return {}; }
  // Where the console's view (a picture of the technician's session
  // window) shows this desk's screen, found by what is on it; nothing while
  // it does not show it.
  virtual std::optional<ScreenRect> FindInView(const Picture& view) = 0;
  // What the console showed of it besides its size, for the narration.
  virtual std::string seen_in_view() const { return {}; }
  // Keeps the desk's own logs in `dir` (with the records of the run, a
  // failed one too); kept_logs() names them.
  virtual void KeepLogs(const fs::path& /*dir*/) const {}
  virtual std::string kept_logs() const { return {}; }

  // The whole screen as a PNG.
  virtual bool SavePicture(const fs::path& png) = 0;

  // The start window: clicks the code field and types `code` ("1234 5678");
  // returns once Connect can be pressed.
  virtual void EnterCode(const std::string& code) = 0;
  virtual void ClickConnect() = 0;
  // Waits until one of our prompts shows (on X11, the window whose title
  // has `title`); `what` names it in a failure.
  virtual void WaitForPrompt(const std::string& title,
                             const std::string& what) = 0;
  // Clicks the allowing button of that prompt once it can be pressed.
  virtual void AllowPrompt(const std::string& what) = 0;
  // Whether the desktop asks too, in its own dialog, after our prompt.
  virtual bool desktop_asks() const { return false; }
  // Answers the desktop's dialog with Share, for control with "Allow remote
  // interaction" switched on first; a picture of it right before Share.
  virtual void ShareInDesktopDialog(bool /*control*/, const fs::path& /*png*/) {
  }
  // A spot on the screen where the technician's pointer can be seen to
  // arrive (what is there now).
  virtual std::pair<int, int> PointerTarget() = 0;
  // Watches the customer's pointer from now on.
  virtual void WatchPointer() = 0;
  // Where the pointer went since WatchPointer(), if it moved.
  virtual std::optional<std::pair<int, int>> PointerMoved() = 0;
  virtual void PressStop() = 0;
  // Waits for the window that says the session ended.
  virtual void WaitForEndedWindow() = 0;
  // Presses "Save a receipt…" and saves where the dialog suggests.
  virtual void SaveReceipt() = 0;
  virtual void CloseEndedWindow() = 0;
};

// The customer's Xvfb, with a sample app (xmessage), and the person at it.
class X11CustomerDesk final : public CustomerDesk {
 public:
  X11CustomerDesk()
      : display_(Check(test::XvfbDisplay::Start({kWidth, kHeight, {}}),
                       "starting the customer's Xvfb")) {
    PaintDesktop(display_->name(), kCustomerWallpaper);
    // Something on the customer's desktop for the technician to look at.
    sample_app_ = std::make_unique<AppProcess>(
        std::vector<std::string>{
            "xmessage", "-geometry", "+60+60", "-buttons", "", "-fn", "fixed",
            "Printer Office-2F\n\nStatus: offline\nLast job: stuck in the "
            "queue since 08:12\nAddress: 10.20.2.41"},
        XDesk(display_->name()), "/dev/null");
    person_ = std::make_unique<tools::ScreenPerson>(
        Check(tools::ScreenPerson::Connect(display_->name()),
              "looking at the customer's screen"));
  }

  std::string name() const override { return display_->name(); }
  int width() const override { return kWidth; }
  int height() const override { return kHeight; }
  Environment AppEnvironment(const fs::path& home) const override {
    return XDesk(display_->name(), {}, home);
  }
  std::optional<ScreenRect> FindInView(const Picture& view) override {
    return tools::FindBlock(view, kCustomerWallpaper, 200, 16);
  }

  bool SavePicture(const fs::path& png) override {
    auto screen = person_->LookAtScreen();
    return screen && SavePng(screen->picture, png);
  }

  void EnterCode(const std::string& code) override {
    auto start =
        Check(person_->WaitForWindow("Tether remote support", kWindowWait),
              "the customer's start window");
    Check(person_->ClickWhiteField(start), "clicking the code field");
    Check(person_->Type(code), "typing the code");
    start_ = Check(person_->WaitForWindow("Tether remote support", kWindowWait),
                   "the start window");
  }
  void ClickConnect() override {
    Check(person_->ClickBlueButton(start_), "clicking Connect");
  }
  void WaitForPrompt(const std::string& title,
                     const std::string& what) override {
    prompt_ = Check(person_->WaitForWindow(title, kWindowWait), what);
  }
  void AllowPrompt(const std::string& what) override {
    Check(person_->ClickAllowButton(prompt_), what);
  }
  std::pair<int, int> PointerTarget() override {
    return {kWidth / 3, kHeight / 3};
  }
  void WatchPointer() override { watched_from_ = person_->Pointer(); }
  std::optional<std::pair<int, int>> PointerMoved() override {
    const auto where = person_->Pointer();
    if (where == watched_from_)
      return std::nullopt;
    return where;
  }
  void PressStop() override {
    auto panel =
        Check(person_->WaitForWindow("remote support is on", kWindowWait),
              "the customer's panel");
    Check(person_->ClickRedButton(panel), "pressing STOP");
  }
  void WaitForEndedWindow() override {
    ended_ = Check(person_->WaitForWindow("session ended", kWindowWait),
                   "the customer's ended window");
  }
  void SaveReceipt() override {
    // "Save a receipt…" is the button before Close (which has the focus);
    // the file dialog suggests a file in the customer's home folder.
    Check(person_->ClickAt(ended_.rect.x + 8, ended_.rect.y + 8),
          "activating the ended window");
    Check(person_->Key("shift+Tab"), "going to Save a receipt");
    Check(person_->Key("space"), "pressing Save a receipt");
    Check(person_->WaitForWindow("Save the receipt", kWindowWait),
          "the save dialog");
    Check(person_->Key("Return"), "saving where the dialog suggests");
  }
  void CloseEndedWindow() override {
    ended_ = Check(person_->WaitForWindow("session ended", kWindowWait),
                   "the customer's ended window");
    Check(person_->ClickBlueButton(ended_), "clicking Close");
  }

 private:
  std::unique_ptr<test::XvfbDisplay> display_;
  std::unique_ptr<AppProcess> sample_app_;
  std::unique_ptr<tools::ScreenPerson> person_;
  tools::WindowView start_, prompt_, ended_;
  std::pair<int, int> watched_from_;
};

// What the person at the Wayland desk sees: the monitor, 0x00RRGGBB.
Picture PictureOf(const desktop::DesktopFrame& frame) {
  Picture picture;
  picture.width = frame.size().width;
  picture.height = frame.size().height;
  picture.pixels.reserve(static_cast<size_t>(picture.width) * picture.height);
  for (int y = 0; y < picture.height; ++y) {
    for (int x = 0; x < picture.width; ++x) {
      const uint8_t* bgrx = frame.PixelAt(x, y);
      picture.pixels.push_back(uint32_t{bgrx[2]} << 16 |
                               uint32_t{bgrx[1]} << 8 | bgrx[0]);
    }
  }
  return picture;
}

// A button, not the focus frame of a field (2 px of the same blue).
std::optional<ScreenRect> SafeButton(const Picture& picture) {
  auto button = tools::FindSafeButton(picture);
  if (!button || button->height < 20)
    return std::nullopt;
  return button;
}

// A headless GNOME Wayland desktop (tests/support/wayland_desktop.h) with a
// sample app, and the person at it (tests/support/desktop_person.h).
class WaylandCustomerDesk final : public CustomerDesk {
 public:
  // `other_user_app`: the customer app may run as another user
  // (--customer-command, e.g. scripts/bundle-test's), so the desktop's bus
  // lets it in.
  explicit WaylandCustomerDesk(bool other_user_app) {
    test::WaylandDesktopOptions options;
    options.width = kWidth;
    options.height = kHeight;
    options.bus_for_any_user = other_user_app;
    desktop_ = Check(test::WaylandDesktop::Start(options),
                     "starting the GNOME Wayland desktop");
    // The person finds the desktop through this process's environment.
    std::vector<std::string> names = {"DISPLAY"};
    for (const auto& [variable, value] : desktop_->Environment())
      names.push_back(variable);
    for (const std::string& variable : names) {
      const char* value = std::getenv(variable.c_str());
      machine_session_.emplace_back(
          variable, value ? std::optional<std::string>(value) : std::nullopt);
    }
    desktop_->ApplyToThisProcess();
    person_ = Check(test::DesktopPerson::Start(),
                    "the person at the Wayland desktop (its own screen cast)");
    // Something on the customer's desktop for the technician to look at,
    // and to tell where the pointer is. Full screen, as the desktop's
    // background is shaded (mutter's vignette) and so no colour to look
    // for. The customer's windows open above it: the compositor gives new
    // windows the focus and raises them, and nobody clicks it.
    sample_ =
        Check(test::WaylandTestWindow::Start(
                  *desktop_, {"--fullscreen", "--colour", kSampleColourArg}),
              "starting the sample app");
    Check(sample_->WaitForLine("ready"), "the sample app's window");
    WaitToSee(
        [](const Picture& picture) -> std::optional<ScreenRect> {
          auto block = tools::FindBlock(picture, kSampleColour, 100, 8);
          if (!block || *block != ScreenRect{0, 0, kWidth, kHeight})
            return std::nullopt;
          return block;
        },
        "the sample app, full screen");
  }

  std::string name() const override {
    return "a GNOME Wayland desktop (headless mutter " +
           std::to_string(kWidth) + "x" + std::to_string(kHeight) +
           " with xdg-desktop-portal and PipeWire, Wayland display " +
           desktop_->wayland_display() + ")";
  }
  int width() const override { return kWidth; }
  int height() const override { return kHeight; }
  Environment AppEnvironment(const fs::path& home) const override {
    Environment env;
    for (const auto& [variable, value] : desktop_->Environment())
      env.emplace_back(variable, value);
    env.emplace_back("DISPLAY", std::nullopt);
    env.emplace_back("QT_QPA_PLATFORM", "wayland");
    env.emplace_back("HOME", home.string());
    return env;
  }
  Environment MachineSession() const override { return machine_session_; }
  std::optional<ScreenRect> FindInView(const Picture& view) override {
    const auto screen = tools::FindBlock(view, kSampleColour, 200, 16);
    if (!screen)
      return std::nullopt;
    const double scale_x = static_cast<double>(screen->width) / kWidth;
    const double scale_y = static_cast<double>(screen->height) / kHeight;
    // And the rest of it looks as the person sees the monitor: the same
    // colours at spots across it (the video is lossy: roughly the same).
    const Picture seen = Look();
    int spots = 0, same = 0;
    for (int gy = 1; gy < 8; ++gy) {
      for (int gx = 1; gx < 12; ++gx) {
        const int x = kWidth * gx / 12, y = kHeight * gy / 8;
        const int vx = screen->x + static_cast<int>(x * scale_x);
        const int vy = screen->y + static_cast<int>(y * scale_y);
        // Give or take a pixel of the scaling (text has sharp edges).
        bool match = false;
        for (int dy = -1; dy <= 1 && !match; ++dy) {
          for (int dx = -1; dx <= 1 && !match; ++dx)
            match =
                tools::NearColour(seen.at(x, y), view.at(vx + dx, vy + dy), 24);
        }
        ++spots;
        same += match ? 1 : 0;
      }
    }
    if (same * 10 < spots * 9)
      return std::nullopt;
    seen_ = std::to_string(same) + " of " + std::to_string(spots) +
            " spots across it look as on the customer's monitor";
    return screen;
  }
  std::string seen_in_view() const override { return seen_; }
  void KeepLogs(const fs::path& dir) const override {
    std::ofstream(dir / "desktop.log")
        << desktop_->LogTails(64 * 1024)
        << "---- the sample app (wayland_test_window) ----\n"
        << (sample_ ? sample_->Log() : "(not started)\n");
    // What the person saw last.
    if (last_seen_.width > 0)
      SavePng(last_seen_, dir / "desktop.png");
  }
  std::string kept_logs() const override { return "desktop.log, desktop.png"; }

  bool SavePicture(const fs::path& png) override {
    return static_cast<bool>(person_->WritePng(png.string()));
  }

  void EnterCode(const std::string& code) override {
    MoveAway();
    const auto field = WaitToSee(
        [](const Picture& picture) -> std::optional<ScreenRect> {
          auto found = tools::FindCodeField(picture);
          if (!found || found->height < 20)
            return std::nullopt;
          return found;
        },
        "the start window's code field");
    Check(person_->Click(field.center_x(), field.center_y()),
          "clicking the code field");
    Check(person_->Type(code), "typing the code");
    MoveAway();
    // Connect turns blue once the code is complete.
    connect_ = WaitToSee(SafeButton, "the Connect button, pressable");
  }
  void ClickConnect() override {
    Check(person_->Click(connect_.center_x(), connect_.center_y()),
          "clicking Connect");
  }
  void WaitForPrompt(const std::string& /*title*/,
                     const std::string& what) override {
    prompt_ = SeePrompt(what, /*pressable=*/false);
  }
  void AllowPrompt(const std::string& what) override {
    // The panel may open over a prompt a moment after it: look again until
    // the allow button can be pressed, and press it again should the
    // prompt still be there after the click.
    for (int attempt = 0; attempt < 3; ++attempt) {
      prompt_ = SeePrompt(what, /*pressable=*/true);
      Check(person_->Click(prompt_.x, prompt_.y), what);
      MoveAway();
      const auto gone_by = std::chrono::steady_clock::now() + 3s;
      while (std::chrono::steady_clock::now() < gone_by) {
        auto button = tools::FindSafeButton(Look());
        if (!button || *button != prompt_.safe)
          return;
        std::this_thread::sleep_for(50ms);
      }
    }
    Fail(what + ": the prompt stayed after three clicks");
  }
  bool desktop_asks() const override { return true; }
  void ShareInDesktopDialog(bool control, const fs::path& png) override {
    Result<void> picture;
    Check(person_->AnswerSharingDialog(
              /*share=*/true, /*allow_interaction=*/control, kWindowWait,
              [&] {
                if (!png.empty())
                  picture = person_->WritePng(png.string());
              }),
          "the desktop's dialog");
    Check(std::move(picture), "a picture of the desktop's dialog");
  }
  std::pair<int, int> PointerTarget() override {
    MoveAway();
    // A spot of the sample app that no window covers (the prompts and the
    // panel open where the compositor puts them): from a third across and
    // down, as on X11, onwards.
    const Picture picture = Look();
    constexpr int kMargin = 24;
    auto clear = [&](int x, int y) {
      for (int dy = -kMargin; dy <= kMargin; dy += 4) {
        for (int dx = -kMargin; dx <= kMargin; dx += 4) {
          if (!tools::NearColour(picture.at(x + dx, y + dy), kSampleColour, 8))
            return false;
        }
      }
      return true;
    };
    for (int y = kHeight / 3; y < kHeight - kMargin; y += 12) {
      for (int x = kWidth / 3; x < kWidth - kMargin; x += 12) {
        if (clear(x, y))
          return {x, y};
      }
    }
    Fail("the sample app is covered by other windows");
  }
  void WatchPointer() override {
    while (sample_->ReadLine(50ms)) {
    }
  }
  std::optional<std::pair<int, int>> PointerMoved() override {
    // The sample app says where the pointer is over it ("motion X Y", in
    // its window's coordinates).
    std::optional<std::pair<int, int>> where;
    while (auto line = sample_->ReadLine(50ms)) {
      int x = 0, y = 0;
      if (std::sscanf(line->c_str(), "motion %d %d", &x, &y) == 2)
        where = std::pair{x, y};  // full screen: the screen's coordinates
    }
    return where;
  }
  void PressStop() override {
    MoveAway();
    const auto stop = WaitToSee(
        [](const Picture& picture) -> std::optional<ScreenRect> {
          auto button = tools::FindStopButton(picture);
          if (!button || button->height < 30)
            return std::nullopt;
          return button;
        },
        "the panel's STOP button");
    Check(person_->Click(stop.center_x(), stop.center_y()), "pressing STOP");
  }
  void WaitForEndedWindow() override {
    MoveAway();
    // The panel and every prompt close: the one blue button left is the
    // ended window's Close.
    close_ = WaitToSee(
        [](const Picture& picture) -> std::optional<ScreenRect> {
          auto button = SafeButton(picture);
          if (!button || button->height < 40 || tools::FindStopButton(picture))
            return std::nullopt;
          return button;
        },
        "the customer's ended window");
  }
  void SaveReceipt() override {
    const Picture before = Look();
    const auto save = tools::FindWhiteButtonLeftOf(before, close_);
    if (!save)
      Fail("no \"Save a receipt\" button left of Close");
    Check(person_->Click(save->center_x(), save->y), "pressing Save a receipt");
    MoveAway();
    // The save dialog opens over the ended window: a large part of the
    // monitor changes, then stays; and when it closes, again.
    WaitForLargeChange(before, "the save dialog");
    const Picture with_dialog = last_seen_;
    Check(person_->PressKey(kReturn), "saving where the dialog suggests");
    WaitForLargeChange(with_dialog, "the save dialog closing");
  }
  void CloseEndedWindow() override {
    MoveAway();
    close_ = WaitToSee(
        [](const Picture& picture) -> std::optional<ScreenRect> {
          auto button = SafeButton(picture);
          if (!button || button->height < 40)
            return std::nullopt;
          return button;
        },
        "the customer's ended window");
    Check(person_->Click(close_.center_x(), close_.center_y()),
          "clicking Close");
  }

 private:
  static constexpr uint32_t kReturn = 0xFF0D;  // XK_Return
  // The customer app's windows (customer-app/ui/style.cc).
  static constexpr uint32_t kWindowBackground = 0xF5F7FA;

  Picture Look() {
    auto frame = person_->Look();
    if (!frame)
      Fail("the person at the Wayland desktop sees nothing");
    last_seen_ = PictureOf(*frame);
    return last_seen_;
  }

  // A prompt of ours: the blue button and the white one left of it, both
  // in view (pure white: the panel's background is nearly so).
  static std::optional<tools::AllowButton> PromptIn(const Picture& picture) {
    if (!SafeButton(picture))
      return std::nullopt;
    auto allow = tools::FindAllowButton(picture);
    if (!allow)
      return std::nullopt;
    // Along a row above its label, clear of its rounded border.
    const int y = allow->safe.y + 8;
    for (int x = allow->x; x < allow->safe.x - 24; ++x) {
      if (!tools::NearColour(picture.at(x, y), tools::kWhite, 4))
        return std::nullopt;
    }
    return allow;
  }

  // Waits until a prompt shows (and its allow button can be pressed, if
  // `pressable`) and holds still. The compositor places windows as it
  // likes: when another window (the panel) covers part of the prompt, the
  // person clicks the prompt beside its buttons to bring it to the front.
  tools::AllowButton SeePrompt(const std::string& what, bool pressable) {
    MoveAway();
    const auto deadline = std::chrono::steady_clock::now() + kWindowWait;
    auto next_raise = std::chrono::steady_clock::now();
    std::optional<tools::AllowButton> last;
    std::optional<ScreenRect> last_covered;
    while (true) {
      const Picture picture = Look();
      auto prompt = PromptIn(picture);
      if (prompt && pressable && !prompt->pressable)
        prompt.reset();
      if (prompt && last && *prompt == *last)
        return *prompt;
      last = prompt;
      // A blue button whose white neighbour is hidden, twice in a row, and
      // the window's own background above it to click.
      const auto covered =
          PromptIn(picture) ? std::nullopt : SafeButton(picture);
      if (covered && covered == last_covered &&
          std::chrono::steady_clock::now() >= next_raise &&
          tools::NearColour(picture.at(covered->center_x(), covered->y - 8),
                            kWindowBackground, 6)) {
        Check(person_->Click(covered->center_x(), covered->y - 8),
              what + ": bringing it to the front");
        MoveAway();
        next_raise = std::chrono::steady_clock::now() + 1s;
      }
      last_covered = covered;
      if (std::chrono::steady_clock::now() > deadline) {
        Fail(what + (pressable ? " (pressable)" : "") + ": not seen within " +
             std::to_string(kWindowWait.count()) + " s");
      }
      std::this_thread::sleep_for(150ms);
    }
  }

  // Nobody reads a button under their own pointer: hover changes colours.
  // The bottom-right corner is out of the way.
  void MoveAway() {
    Check(person_->MoveTo(kWidth - 1, kHeight - 1), "moving the mouse");
    std::this_thread::sleep_for(100ms);
  }

  // Waits until a window-sized part of the monitor differs from `before`
  // and holds still.
  void WaitForLargeChange(const Picture& before, const std::string& what) {
    WaitToSee(
        [&](const Picture& picture) -> std::optional<int> {
          int changed = 0;
          for (size_t i = 0; i < picture.pixels.size(); ++i)
            changed += picture.pixels[i] != before.pixels[i] ? 1 : 0;
          if (changed < 200 * 150)
            return std::nullopt;
          return changed / 2000;  // the same, give or take a blinking cursor
        },
        what);
  }

  // Looks until `find` finds the same thing twice in a row (the desktop
  // animates windows as they open and close); fails after kWindowWait.
  template <typename Find>
  auto WaitToSee(Find find, const std::string& what) ->
      typename std::invoke_result_t<Find, const Picture&>::value_type {
    const auto deadline = std::chrono::steady_clock::now() + kWindowWait;
    std::invoke_result_t<Find, const Picture&> last;
    while (true) {
      auto found = find(Look());
      if (found && last && *found == *last)
        return *found;
      last = found;
      if (std::chrono::steady_clock::now() > deadline) {
        Fail(what + ": not seen within " + std::to_string(kWindowWait.count()) +
             " s");
      }
      std::this_thread::sleep_for(150ms);
    }
  }

  // Destroyed in reverse: the sample app and the person before the desktop.
  std::unique_ptr<test::WaylandDesktop> desktop_;
  Environment machine_session_;
  std::unique_ptr<test::DesktopPerson> person_;
  std::unique_ptr<test::WaylandTestWindow> sample_;
  std::string seen_;
  Picture last_seen_;
  ScreenRect connect_, close_;
  tools::AllowButton prompt_;
};

class Screenshots {
 public:
  explicit Screenshots(fs::path dir) : dir_(std::move(dir)) {
    if (!dir_.empty())
      fs::create_directories(dir_);
  }
  int count() const { return count_; }
  bool enabled() const { return !dir_.empty(); }
  // The next picture's file ("07-customer-prompt-view.png"); empty when no
  // pictures are kept.
  fs::path Next(const std::string& name) {
    if (dir_.empty())
      return {};
    char prefix[16];
    std::snprintf(prefix, sizeof(prefix), "%02d-", ++count_);
    return dir_ / (prefix + name + ".png");
  }
  void Take(tools::ScreenPerson& person, const std::string& name) {
    if (dir_.empty())
      return;
    auto screen = person.LookAtScreen();
    if (!screen)
      return;
    SavePng(screen->picture, Next(name));
  }
  void Take(CustomerDesk& desk, const std::string& name) {
    if (dir_.empty())
      return;
    const fs::path path = Next(name);
    if (!desk.SavePicture(path))
      std::fprintf(stderr, "(could not save %s)\n", path.c_str());
  }

 private:
  fs::path dir_;
  int count_ = 0;
};

// The technician's session log: the console writes every step there
// as JSON lines, the way the technician reads the code and the SAS off the
// screen. Waits (bounded) for `event` and returns the value of `field`.
std::string WaitForProtocol(const fs::path& dir,
                            const std::string& event,
                            const std::string& field) {
  const std::regex line_match("\"event\":\"" + event + "\"");
  const std::regex value_match("\"" + field + "\":\"([^\"]*)\"");
  const auto deadline = std::chrono::steady_clock::now() + kWindowWait;
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(dir, error)) {
      if (entry.path().extension() != ".jsonl")
        continue;
      std::ifstream in(entry.path());
      for (std::string line; std::getline(in, line);) {
        std::smatch value;
        if (std::regex_search(line, line_match) &&
            (field.empty() || std::regex_search(line, value, value_match))) {
          return field.empty() ? "yes" : value[1].str();
        }
      }
    }
    std::this_thread::sleep_for(100ms);
  }
  Fail("the session log never recorded " + event);
}

// The customer's prompt for `what` ("to see your screen") shows; the
// customer allows it.
void AllowPrompt(CustomerDesk& customer,
                 Screenshots& shots,
                 const std::string& name,
                 const std::string& what) {
  Begin("the customer is asked " + what);
  customer.WaitForPrompt("asks", "the " + name + " prompt");
  shots.Take(customer, "customer-prompt-" + name);
  Step("customer: a prompt asks to allow the technician " + what);
  Begin("the customer allows " + name);
  customer.AllowPrompt("clicking allow on " + name);
}

// Waits until the window titled `title` is gone (bounded).
void WaitGone(tools::ScreenPerson& person, const std::string& title) {
  const auto deadline = std::chrono::steady_clock::now() + kWindowWait;
  while (person.WindowShown(title)) {
    if (std::chrono::steady_clock::now() > deadline)
      Fail("the window \"" + title + "\" did not go away");
    std::this_thread::sleep_for(100ms);
  }
}

// Waits (bounded) for the receipt the customer saved in `home`.
fs::path WaitForReceipt(const fs::path& home) {
  const auto deadline = std::chrono::steady_clock::now() + kWindowWait;
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(home, error)) {
      if (entry.path().filename().string().starts_with("tether-receipt-") &&
          entry.file_size(error) > 0)
        return entry.path();
    }
    std::this_thread::sleep_for(100ms);
  }
  Fail("no receipt was saved in " + home.string());
}

// What the session leaves behind, kept after the temporary folders go,
// whether the session worked or not: the technician's session log, the
// customer's receipt, the relay's and both apps' logs, and the desk's own.
class KeptRecords {
 public:
  KeptRecords(fs::path from, fs::path to, const CustomerDesk& desk)
      : from_(std::move(from)), to_(std::move(to)), desk_(desk) {}
  ~KeptRecords() {
    std::error_code ignored;
    fs::remove_all(to_, ignored);
    fs::create_directories(to_, ignored);
    for (const char* log : {"relay.log", "supporter.log", "customer.log"})
      fs::copy_file(from_ / log, to_ / log, ignored);
    for (const auto& entry :
         fs::directory_iterator(from_ / "technician" / "protocols", ignored))
      fs::copy_file(entry.path(), to_ / entry.path().filename(), ignored);
    for (const auto& entry :
         fs::directory_iterator(from_ / "customer", ignored)) {
      if (entry.path().filename().string().starts_with("tether-receipt-"))
        fs::copy_file(entry.path(), to_ / entry.path().filename(), ignored);
    }
    desk_.KeepLogs(to_);
  }
  KeptRecords(const KeptRecords&) = delete;
  KeptRecords& operator=(const KeptRecords&) = delete;

 private:
  fs::path from_, to_;
  const CustomerDesk& desk_;
};

std::string ReadFile(const fs::path& path) {
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  return text.str();
}

fs::path BinDir() {
  return fs::read_symlink("/proc/self/exe").parent_path();
}

std::string Point(const std::pair<int, int>& p) {
  return std::to_string(p.first) + ", " + std::to_string(p.second);
}

// `records`: where the session log, the receipt and the logs are kept.
// `customer_command`: the customer app, if not bin/'s tether-customer.
int Run(const fs::path& screenshots,
        const fs::path& records,
        bool wayland,
        const fs::path& customer_command) {
  const fs::path bin_dir = BinDir();
  setenv("TETHER_TEST_BIN_DIR", bin_dir.c_str(), 0);
  // The narration is this program's output; the libraries' own lines (the
  // Wayland person's screen cast) only when something is wrong.
  log::Init("tether-session-demo", log::Level::kError);

  std::printf("== Tether: a support session on this machine ==\n\n");
  Begin(wayland ? "starting the two desks (Xvfb and a GNOME Wayland desktop)"
                : "starting the two desks (Xvfb)");
  auto tech_display = Check(test::XvfbDisplay::Start({kWidth, kHeight, {}}),
                            "starting the technician's Xvfb");
  std::unique_ptr<CustomerDesk> desk;
  if (wayland) {
    if (!test::WaylandDesktop::Available()) {
      Fail("the Wayland desktop needs " +
           test::WaylandDesktop::MissingPrograms() +
           " (scripts/setup installs them)");
    }
    desk = std::make_unique<WaylandCustomerDesk>(!customer_command.empty());
  } else {
    desk = std::make_unique<X11CustomerDesk>();
  }
  CustomerDesk& customer = *desk;
  PaintDesktop(tech_display->name(), kTechnicianWallpaper);
  Step("desks: technician on X display " + tech_display->name() +
       ", customer on " + customer.name());

  Begin("starting the relay");
  test::RelayProcess relay;
  Check(relay.AddTechnician("tina", "Tina Technician", kPassword),
        "creating the technician account");
  Check(relay.Start(), "starting the relay");
  Step("relay: up at 127.0.0.1:" + std::to_string(relay.port()) +
       ", certificate SHA-256 " + relay.fingerprint());
  // Copied when Run ends, either way.
  const KeptRecords keep(relay.dir(), records, customer);

  // The technician's console, configured for IT's relay.
  const fs::path tech_home = relay.dir() / "technician";
  const fs::path protocols = tech_home / "protocols";
  fs::create_directories(protocols);
  const fs::path tech_config = tech_home / "tether-supporter.toml";
  std::ofstream(tech_config)
      << "user_name = \"tina\"\nprotocol_dir = \"" << protocols.string()
      << "\"\n[relay]\n"
      << "host = \"127.0.0.1\"\nport = " << relay.port() << "\nfingerprint = \""
      << relay.fingerprint() << "\"\n";
  Begin("the technician signs in");
  AppProcess console({(bin_dir / "tether-supporter").string(), "--config",
                      tech_config.string()},
                     XDesk(tech_display->name(), customer.MachineSession()),
                     relay.dir() / "supporter.log");
  if (!console.started())
    Fail("could not start tether-supporter");
  auto technician = Check(tools::ScreenPerson::Connect(tech_display->name()),
                          "looking at the technician's screen");
  Screenshots shots(screenshots);

  auto sign_in = Check(
      technician.WaitForWindow("Tether supporter \u2014 sign in", kWindowWait),
      "the sign-in window");
  shots.Take(technician, "technician-sign-in");
  // The user name comes from the config; Alt+P goes to the password.
  Check(technician.ClickAt(sign_in.rect.x + 8, sign_in.rect.y + 8),
        "activating the sign-in window");
  Check(technician.Key("alt+p"), "going to the password field");
  Check(technician.Type(kPassword), "typing the password");
  Check(technician.Key("Return"), "signing in");
  WaitGone(technician, "sign in");
  Step("technician: signed in to the console as tina");
  Begin("the technician starts a session");
  Check(technician.WaitForWindow("Tether supporter", kWindowWait),
        "the console's home");
  Check(technician.Key("ctrl+n"), "New session");
  const std::string code =
      WaitForProtocol(protocols, "session_started", "code");
  shots.Take(technician, "technician-code");
  Step("technician: New session (Ctrl+N), code " + code.substr(0, 4) + " " +
       code.substr(4));

  // IT's preconfigured customer app: the config file beside it names the
  // relay.
  Begin("the customer types the code");
  const fs::path customer_home = relay.dir() / "customer";
  fs::create_directories(customer_home / "Downloads");
  const fs::path customer_config =
      (customer_command.empty() ? customer_home
                                : customer_command.parent_path()) /
      "tether-customer.toml";
  std::ofstream(customer_config)
      << "organisation = \"Example Corp IT Service Desk\"\n"
      << "download_dir = \"" << (customer_home / "Downloads").string()
      << "\"\n[relay]\nhost = \"127.0.0.1\"\nport = " << relay.port()
      << "\nfingerprint = \"" << relay.fingerprint() << "\"\n";
  std::vector<std::string> customer_args = {
      (bin_dir / "tether-customer").string(), "--config",
      customer_config.string()};
  if (!customer_command.empty())
    customer_args = {customer_command.string()};  // finds the file beside it
  AppProcess app(std::move(customer_args),
                 customer.AppEnvironment(customer_home),
                 relay.dir() / "customer.log");
  if (!app.started())
    Fail("could not start tether-customer");
  customer.EnterCode(code.substr(0, 4) + " " + code.substr(4));
  shots.Take(customer, "customer-code-typed");
  customer.ClickConnect();
  Step("customer: typed the code and clicked Connect");

  Begin("the technician accepts the customer");
  const std::string host =
      WaitForProtocol(protocols, "customer_joined", "host");
  Step("technician: \"" + host + "\" typed the code; the console asks");
  auto join = Check(
      technician.WaitForWindow("A customer wants to connect", kWindowWait),
      "the join request");
  shots.Take(technician, "technician-join-request");
  Check(technician.ClickAt(join.rect.x + 8, join.rect.y + 8),
        "activating the join dialog");
  Check(technician.Key("alt+a"), "accepting the join");
  Step("technician: accepted the join (Alt+A)");

  Begin("both sides see the security code");
  const std::string sas = WaitForProtocol(protocols, "sas_shown", "sas");
  Step("technician: reads out the security code " + sas.substr(0, 3) + " " +
       sas.substr(3));
  customer.WaitForPrompt("check the security code", "the security code prompt");
  shots.Take(customer, "customer-prompt-code");
  Step("customer: a prompt asks to check the security code " +
       sas.substr(0, 3) + " " + sas.substr(3) + " and agree to the terms");
  Begin("the customer confirms the security code");
  customer.AllowPrompt("confirming the code");
  WaitForProtocol(protocols, "terms_answered", "");
  Step("customer: the code matches; agreed to the terms");

  // The console asks to see the screen as soon as the customer agreed.
  AllowPrompt(customer, shots, "view", "to see your screen");
  WaitForProtocol(protocols, "consent_answered", "");
  Step("customer: allowed viewing");
  if (customer.desktop_asks()) {
    Begin("the customer shares the screen in the desktop's dialog");
    customer.ShareInDesktopDialog(
        /*control=*/false, shots.Next("customer-desktop-share-dialog"));
    Step("customer: the desktop asked which screen to share; shared it");
  }
  Begin("the first picture reaches the console");
  auto session = Check(technician.WaitForWindow("Tether session", kWindowWait),
                       "the session window");
  std::optional<ScreenRect> picture;
  for (int i = 0; i < 100 && !picture; ++i) {
    session = Check(technician.Look(session.id), "the session window");
    picture = customer.FindInView(session.picture);
    if (!picture)
      std::this_thread::sleep_for(100ms);
  }
  if (!picture)
    Fail("the console does not show the customer's screen");
  shots.Take(technician, "technician-viewing");
  const std::string seen = customer.seen_in_view();
  Step("technician: the console shows the customer's screen (" +
       std::to_string(picture->width) + "x" + std::to_string(picture->height) +
       " px of it in view" + (seen.empty() ? "" : "; " + seen) + ")");

  // Where a spot on the customer's screen is in the console's view.
  const int view_x = session.rect.x + picture->x;
  const int view_y = session.rect.y + picture->y;
  auto in_view = [&](const std::pair<int, int>& p) {
    return std::pair{p.first * picture->width / customer.width(),
                     p.second * picture->height / customer.height()};
  };

  // The technician's mouse over the picture: nothing moves on the
  // customer's side before control is allowed.
  Begin("the technician's mouse without control");
  Check(technician.ClickAt(view_x + picture->width / 4,
                           view_y + picture->height / 4),
        "clicking into the view");
  const auto target = in_view(customer.PointerTarget());
  customer.WatchPointer();
  Check(
      technician.MoveTo(view_x + target.first + 4, view_y + target.second + 4),
      "moving over the view");
  std::this_thread::sleep_for(500ms);
  if (customer.PointerMoved())
    Fail("the customer's pointer moved before control was allowed");

  Step(
      "technician: the mouse over the picture leaves the customer's pointer "
      "alone (no control yet)");
  Begin("the technician asks for control");
  Check(technician.Key("ctrl+alt+shift+c"), "requesting control");
  Step("technician: asked for control (Ctrl+Alt+Shift+C)");
  AllowPrompt(customer, shots, "control", "to control your mouse and keyboard");
  Step("customer: allowed remote control");
  if (customer.desktop_asks()) {
    Begin("the customer allows remote interaction in the desktop's dialog");
    customer.ShareInDesktopDialog(
        /*control=*/true, shots.Next("customer-desktop-remote-desktop-dialog"));
    Step(
        "customer: the desktop asked to allow remote desktop; switched on "
        "\"Allow remote interaction\" and shared");
  }
  Begin("the technician moves the customer's pointer");
  const auto aim = in_view(customer.PointerTarget());
  customer.WatchPointer();
  std::optional<std::pair<int, int>> where;
  int dx = 0;
  const int dy = aim.second;
  for (int i = 0; i < 50 && !where; ++i) {
    dx = aim.first + i;
    Check(technician.MoveTo(view_x + dx, view_y + dy), "moving over the view");
    std::this_thread::sleep_for(100ms);
    where = customer.PointerMoved();
  }
  if (!where)
    Fail("the technician's mouse never moved the customer's pointer");
  // Where the console's scaling says the pointer must land.
  const int expected_x = dx * customer.width() / picture->width;
  const int expected_y = dy * customer.height() / picture->height;
  if (std::abs(where->first - expected_x) > 4 ||
      std::abs(where->second - expected_y) > 4) {
    Fail("the pointer landed at " + Point(*where) + " instead of near " +
         Point({expected_x, expected_y}));
  }
  Step("technician: moves the customer's pointer (now at " + Point(*where) +
       (customer.desktop_asks() ? ", over the sample app" : "") +
       ", where the scaled view says)");
  shots.Take(customer, "customer-controlled");
  // The technician's picture of a still screen is exact within about a
  // second (the exact layer's top-off); the shot shows it settled.
  if (shots.enabled())
    std::this_thread::sleep_for(1s);
  shots.Take(technician, "technician-controlling");

  Begin("the customer presses STOP");
  customer.PressStop();
  if (customer.desktop_asks() &&
      ReadFile(relay.dir() / "customer.log")
              .find("emergency stop hotkey unavailable") != std::string::npos) {
    Step(
        "customer: pressed STOP in the panel (this desktop gives apps no "
        "global hotkey, the app's log says)");
  } else {
    Step("customer: pressed STOP");
  }
  Begin("STOP ends the session on both sides");
  WaitForProtocol(protocols, "emergency_stop", "");
  WaitForProtocol(protocols, "session_ended", "");
  const auto after = in_view(customer.PointerTarget());
  customer.WatchPointer();
  Check(
      technician.MoveTo(view_x + after.first + 10, view_y + after.second + 10),
      "moving after STOP");
  std::this_thread::sleep_for(500ms);
  if (customer.PointerMoved())
    Fail("the customer's pointer moved after STOP");
  shots.Take(technician, "technician-ended");
  Step(
      "technician: the console shows the session ended by the customer; "
      "the session log has every step");

  Begin("the customer saves the receipt");
  customer.WaitForEndedWindow();
  shots.Take(customer, "customer-ended");
  customer.SaveReceipt();
  const fs::path receipt = WaitForReceipt(customer_home);
  Step("customer: saved the receipt (" + receipt.filename().string() + ")");
  Begin("both apps close");
  customer.CloseEndedWindow();
  if (auto status = app.WaitExit(10s); !status || *status != 0)
    Fail("tether-customer did not exit cleanly after Close");
  Step("customer: closed the window; tether-customer exited (status 0)");

  Begin("the technician quits the console");
  Check(technician.Key("ctrl+q"), "quitting the console");
  if (auto status = console.WaitExit(10s); !status || *status != 0)
    Fail("tether-supporter did not exit cleanly after Ctrl+Q");
  Step("technician: quit the console (Ctrl+Q; exit status 0)");

  // Both apps logged the TLS they got from the relay ("connected to the
  // relay at ... (TLSv1.3 TLS1-3-AES-256-GCM-SHA384)").
  Begin("checking the apps' TLS to the relay");
  for (const char* log : {"supporter.log", "customer.log"}) {
    if (ReadFile(relay.dir() / log)
            .find("(TLSv1.3 TLS1-3-AES-256-GCM-SHA384)") == std::string::npos) {
      Fail(std::string(log) + " does not show TLS 1.3 with AES-256-GCM");
    }
  }
  Step("both apps talked to the relay over TLS 1.3 (TLS_AES_256_GCM_SHA384)");
  if (customer.desktop_asks()) {
    // What the customer's app used on the desktop, from its own log.
    Begin("checking how the customer's app reached the Wayland desktop");
    const std::string log = ReadFile(relay.dir() / "customer.log");
    for (const char* line : {"portal: screen cast session started",
                             "portal: remote desktop session started"}) {
      if (log.find(line) == std::string::npos)
        Fail(std::string("customer.log does not say \"") + line + "\"");
    }
    Step(
        "customer: tether-customer saw the screen and moved the pointer "
        "through the desktop's ScreenCast and RemoteDesktop portals "
        "(customer.log)");
  }

  // The protocol lives in the relay's temporary folder: keep a copy with
  // the screenshots.
  if (!screenshots.empty()) {
    for (const auto& entry : fs::directory_iterator(protocols))
      fs::copy_file(entry.path(), screenshots / entry.path().filename());
  }
  std::printf(
      "\nDone: the technician saw the customer's screen and moved the pointer "
      "only after the customer allowed it%s; STOP ended it at once.\n",
      customer.desktop_asks() ? " (in Tether's prompts and the desktop's own "
                                "dialogs)"
                              : "");
  std::string session_log;
  for (const auto& entry : fs::directory_iterator(protocols))
    session_log += " " + entry.path().filename().string();
  const std::string desk_logs =
      customer.kept_logs().empty() ? "" : ", " + customer.kept_logs();
  std::printf(
      "Kept in %s:\n"
      "  the technician's session log %s\n"
      "  the customer's receipt        %s\n"
      "  logs                          relay.log, supporter.log, "
      "customer.log%s\n",
      records.c_str(), session_log.c_str(), receipt.filename().c_str(),
      desk_logs.c_str());
  if (!screenshots.empty()) {
    std::printf(
        "Pictures of both desks at each step (%d) and a copy of the "
        "session log: %s\n",
        shots.count(), screenshots.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path screenshots;
  bool wayland = false;
  fs::path customer_command;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--screenshots") == 0 && i + 1 < argc) {
      screenshots = argv[++i];
    } else if (std::strcmp(argv[i], "--wayland") == 0) {
      wayland = true;
    } else if (std::strcmp(argv[i], "--customer-command") == 0 &&
               i + 1 < argc) {
      customer_command = fs::absolute(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: tether-session-demo [--wayland] [--screenshots "
                   "DIR] [--customer-command PATH]\n");
      return 2;
    }
  }
  // build/release/main-job(-wayland), next to bin/: the two runs are two
  // tests, which may run at the same time.
  const fs::path records =
      BinDir().parent_path() / (wayland ? "main-job-wayland" : "main-job");
  try {
    return Run(screenshots, records, wayland, customer_command);
  } catch (const DemoFailed& failure) {
    std::fflush(stdout);
    std::fprintf(stderr,
                 "[%6.2f s] FAILED at \"%s\": %s\n"
                 "The logs of this run (as far as it got): %s\n",
                 SecondsSinceStart(), g_step.c_str(), failure.what(),
                 records.c_str());
    return 1;
  }
}
