// tether-session-demo: the main job. A real support session on this
// machine, end to end, with the real customer app:
//   - a private X display (Xvfb) is the customer's desktop;
//   - IT's relay (a tether-relay process with a fresh certificate,
//     database and technician account);
//   - the technician: the supporter engine, headless until the console
//     exists, signs in and gets a code;
//   - the customer: the real `tether-customer` binary, configured by IT's
//     file beside it; a scripted person (xdotool) types the code and clicks
//     the real prompts, finding the buttons by their look.
// The technician is shown the screen, takes control after the customer
// allows it, and the customer presses STOP. The run fails (exit 1) if any
// step does not happen as it should.
//
//   tether-session-demo [--screenshots DIR]

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QImage>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>

#include "tests/fakes/xvfb_display.h"
#include "tests/support/headless_supporter.h"
#include "tests/support/relay_process.h"
#include "tools/screen_person.h"

extern char** environ;

namespace {

using namespace tether;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr int kWidth = 1280;
constexpr int kHeight = 800;
constexpr uint32_t kDesktopColour = 0x2F6F4F;  // the customer's wallpaper
constexpr char kPassword[] = "a long technician passphrase";
constexpr auto kWindowWait = 20s;

const auto kStart = std::chrono::steady_clock::now();

void Step(const std::string& text) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - kStart)
                      .count();
  std::printf("[%6.2f s] %s\n", static_cast<double>(ms) / 1000.0, text.c_str());
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
  if constexpr (!std::is_void_v<T>)
    return std::move(result).value();
}

void Check(Result<void> result, const std::string& what) {
  if (!result)
    Fail(what + ": " + result.error().message);
}

// The tether-customer process: started like a user would, waited for.
class CustomerApp {
 public:
  CustomerApp(const fs::path& binary,
              const fs::path& config,
              const fs::path& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::string program = binary.string();
    std::string flag = "--config";
    std::string path = config.string();
    char* argv[] = {program.data(), flag.data(), path.data(), nullptr};
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv, environ) != 0)
      pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~CustomerApp() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
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

// Paints the root window: the customer's desktop before anyone connects.
void PaintDesktop(const std::string& display) {
  xcb_connection_t* c = xcb_connect(display.c_str(), nullptr);
  const xcb_window_t root =
      xcb_setup_roots_iterator(xcb_get_setup(c)).data->root;
  const uint32_t colour = kDesktopColour;
  xcb_change_window_attributes(c, root, XCB_CW_BACK_PIXEL, &colour);
  xcb_clear_area(c, 0, root, 0, 0, 0, 0);
  xcb_flush(c);
  free(xcb_get_input_focus_reply(c, xcb_get_input_focus(c), nullptr));
  xcb_disconnect(c);
}

class Screenshots {
 public:
  Screenshots(tools::ScreenPerson& person, fs::path dir)
      : person_(person), dir_(std::move(dir)) {
    if (!dir_.empty())
      fs::create_directories(dir_);
  }
  void Take(const std::string& name) {
    if (dir_.empty())
      return;
    auto screen = person_.LookAtScreen();
    if (!screen)
      return;
    QImage image(reinterpret_cast<const uchar*>(screen->pixels.data()),
                 screen->rect.width, screen->rect.height,
                 screen->rect.width * 4, QImage::Format_RGB32);
    const fs::path path =
        dir_ / (std::to_string(++count_) + "-" + name + ".png");
    image.save(QString::fromStdString(path.string()));
  }

 private:
  tools::ScreenPerson& person_;
  fs::path dir_;
  int count_ = 0;
};

// Asks on the supporter's side while the person answers on the screen.
std::future<Result<bool>> AskLater(test::HeadlessSupporter& supporter,
                                   uint32_t id,
                                   proto::Permission permission) {
  return std::async(std::launch::async, [&supporter, id, permission] {
    return supporter.Ask(id, permission, [](proto::ConsentRequest& request) {
      if (request.permission() == proto::PERMISSION_VIEW_SCREEN)
        request.mutable_view()->set_whole_desktop(true);
      request.set_reason("to check your printer settings");
    });
  });
}

void AllowPrompt(tools::ScreenPerson& person,
                 Screenshots& shots,
                 const std::string& name) {
  auto prompt = Check(person.WaitForWindow("asks", kWindowWait),
                      "the " + name + " prompt");
  shots.Take("prompt-" + name);
  Check(person.ClickAllowButton(prompt), "clicking allow on " + name);
}

int Run(const fs::path& screenshots);

}  // namespace

int main(int argc, char** argv) {
  fs::path screenshots;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--screenshots") == 0 && i + 1 < argc) {
      screenshots = argv[++i];
    } else {
      std::fprintf(stderr, "usage: tether-session-demo [--screenshots DIR]\n");
      return 2;
    }
  }
  try {
    return Run(screenshots);
  } catch (const DemoFailed& failure) {
    std::fprintf(stderr, "tether-session-demo: FAILED: %s\n", failure.what());
    return 1;
  }
}

namespace {

int Run(const fs::path& screenshots) {
  const fs::path bin_dir = fs::read_symlink("/proc/self/exe").parent_path();
  setenv("TETHER_TEST_BIN_DIR", bin_dir.c_str(), 0);

  std::printf("== Tether: a support session on this machine ==\n\n");
  auto display =
      Check(test::XvfbDisplay::Start({kWidth, kHeight, {}}), "starting Xvfb");
  setenv("DISPLAY", display->name().c_str(), 1);
  setenv("QT_QPA_PLATFORM", "xcb", 1);
  PaintDesktop(display->name());
  Step("customer's desktop: X display " + display->name() + " (" +
       std::to_string(kWidth) + "x" + std::to_string(kHeight) + ")");

  test::RelayProcess relay;
  Check(relay.AddTechnician("tina", "Tina Technician", kPassword),
        "creating the technician account");
  Check(relay.Start(), "starting the relay");
  Step("relay: listening on 127.0.0.1:" + std::to_string(relay.port()) +
       ", key " + relay.fingerprint().substr(0, 23) + "...");

  auto supporter =
      Check(test::HeadlessSupporter::Start(
                {relay.port(), relay.fingerprint(), "tina", kPassword}),
            "the technician signing in");
  const std::string code = Check(supporter->WaitForCode(), "getting a code");
  Step("technician: signed in as tina, code " + code.substr(0, 4) + " " +
       code.substr(4));

  // IT's preconfigured app: the config file beside it names the relay.
  const fs::path home = relay.dir() / "customer";
  fs::create_directories(home / "Downloads");
  const fs::path config = home / "tether-customer.toml";
  std::ofstream(config) << "organisation = \"Example Corp IT Service Desk\"\n"
                        << "download_dir = \"" << (home / "Downloads").string()
                        << "\"\n[relay]\nhost = \"127.0.0.1\"\nport = "
                        << relay.port() << "\nfingerprint = \""
                        << relay.fingerprint() << "\"\n";
  const fs::path app_log = relay.dir() / "customer.log";
  CustomerApp app(bin_dir / "tether-customer", config, app_log);
  if (!app.started())
    Fail("could not start tether-customer");
  Step("customer: started tether-customer");

  auto person = Check(tools::ScreenPerson::Connect(display->name()),
                      "looking at the screen");
  Screenshots shots(person, screenshots);
  auto start = Check(person.WaitForWindow("Tether remote support", kWindowWait),
                     "the start window");
  shots.Take("start");
  Check(person.ClickWhiteField(start), "clicking the code field");
  Check(person.Type(code.substr(0, 4) + " " + code.substr(4)),
        "typing the code");
  start = Check(person.WaitForWindow("Tether remote support", kWindowWait),
                "the start window");
  shots.Take("code-typed");
  auto join = std::async(std::launch::async,
                         [&] { return supporter->AcceptJoin(true); });
  Check(person.ClickBlueButton(start), "clicking Connect");
  Step("customer: typed the code and clicked Connect");
  const proto::JoinRequest request = Check(join.get(), "the join request");
  Step("technician: accepted the join from " + request.host_name());

  const std::string sas = Check(supporter->WaitForSas(), "the security code");
  if (!supporter->SendTerms("Example Corp IT may look at and, with your "
                            "permission, control this computer to fix the "
                            "problem you reported."))
    Fail("sending the terms");
  Step("technician: reads out the security code " + sas.substr(0, 3) + " " +
       sas.substr(3));
  auto check =
      Check(person.WaitForWindow("check the security code", kWindowWait),
            "the security code prompt");
  shots.Take("prompt-code");
  Check(person.ClickAllowButton(check), "confirming the code");
  Step("customer: the code matches; agreed to the terms");

  auto viewing = AskLater(*supporter, 1, proto::PERMISSION_VIEW_SCREEN);
  AllowPrompt(person, shots, "view");
  if (!Check(viewing.get(), "the view answer"))
    Fail("viewing was refused");
  if (!supporter->WaitForFrames(3))
    Fail("no video frames reached the technician");
  auto picture = supporter->LastPicture();
  if (!picture || picture->size().width != kWidth)
    Fail("the technician's picture is not the customer's screen");
  const uint8_t* corner = picture->PixelAt(2, kHeight - 3);
  const uint32_t seen =
      uint32_t{corner[2]} << 16 | uint32_t{corner[1]} << 8 | corner[0];
  auto near = [](uint32_t a, uint32_t b) {
    for (int s = 0; s <= 16; s += 8) {
      if (std::abs(static_cast<int>((a >> s) & 0xFF) -
                   static_cast<int>((b >> s) & 0xFF)) > 24)
        return false;
    }
    return true;
  };
  if (!near(seen, kDesktopColour))
    Fail("the technician does not see the customer's wallpaper");
  Step("technician: sees the customer's screen (" +
       std::to_string(supporter->frames_decoded()) + " frames decoded, " +
       std::to_string(picture->size().width) + "x" +
       std::to_string(picture->size().height) + ")");

  // Control: nothing moves before the customer allows it.
  auto move = [&](int x, int y) {
    proto::PeerMessage message;
    message.mutable_input()->mutable_mouse_move()->set_x(x);
    message.mutable_input()->mutable_mouse_move()->set_y(y);
    supporter->Send(std::move(message));
  };
  const auto before = person.Pointer();
  move(321, 654);
  std::this_thread::sleep_for(500ms);
  if (person.Pointer() != before)
    Fail("the pointer moved before control was allowed");
  auto control = AskLater(*supporter, 2, proto::PERMISSION_REMOTE_CONTROL);
  AllowPrompt(person, shots, "control");
  if (!Check(control.get(), "the control answer"))
    Fail("control was refused");
  Step("customer: allowed remote control");
  bool moved = false;
  for (int i = 0; i < 50 && !moved; ++i) {
    move(400 + i, 300);
    std::this_thread::sleep_for(100ms);
    moved = person.Pointer() == std::pair{400 + i, 300};
  }
  if (!moved)
    Fail("the technician's pointer never moved on the customer's screen");
  Step("technician: moved the customer's pointer to (" +
       std::to_string(person.Pointer().first) + ", 300)");
  proto::PeerMessage chat;
  chat.mutable_chat()->set_text("I can see it now. One moment please.");
  supporter->Send(std::move(chat));
  std::this_thread::sleep_for(500ms);
  shots.Take("controlled");

  // STOP, while the technician keeps moving the pointer. Their moves can
  // pull the pointer away between aiming and clicking, as on a real
  // desk; the person clicks again if the first click missed (the hotkey,
  // Ctrl+Alt+Shift+S, is the way out that needs no aiming).
  std::jthread flood([&](std::stop_token stop) {
    for (int i = 0; !stop.stop_requested(); ++i) {
      move(100 + i % 200, 100);
      std::this_thread::sleep_for(5ms);
    }
  });
  auto panel = Check(person.WaitForWindow("remote support is on", kWindowWait),
                     "the Tether panel");
  std::optional<protocol::SessionEnd> end;
  int clicks = 0;
  while (!end && clicks < 5) {
    Check(person.ClickRedButton(panel), "pressing STOP");
    ++clicks;
    end = supporter->WaitEnded(1s);
  }
  Step("customer: pressed STOP" +
       (clicks > 1 ? " (" + std::to_string(clicks) + " clicks)" : ""));
  if (!end)
    end = supporter->WaitEnded();
  // The technician hears of the stop only after the injector was blocked:
  // from here on, nothing they send may move the pointer.
  const auto stopped_at = person.Pointer();
  std::this_thread::sleep_for(500ms);
  flood.request_stop();
  flood.join();
  if (!end || end->reason != proto::END_REASON_EMERGENCY_STOP)
    Fail("the technician was not told about the emergency stop");
  if (person.Pointer() != stopped_at)
    Fail("the pointer moved after STOP");
  Step("technician: session ended: " + end->message);

  auto ended = Check(person.WaitForWindow("session ended", kWindowWait),
                     "the ended window");
  shots.Take("ended");
  Check(person.ClickBlueButton(ended), "clicking Close");
  const std::optional<int> status = app.WaitExit(10s);
  if (!status)
    Fail("tether-customer did not exit after Close");
  if (*status != 0)
    Fail("tether-customer exited with status " + std::to_string(*status));
  Step("customer: closed the window; tether-customer exited (status 0)");

  std::printf(
      "\nDone: the technician saw the screen and moved the pointer only "
      "after the customer allowed it; STOP ended it at once.\n");
  if (!screenshots.empty())
    std::printf("Screenshots: %s\n", screenshots.c_str());
  return 0;
}

}  // namespace
