// tether-session-demo: the main job. A real support session on this
// machine, end to end, with both real apps on two desks:
//   - two private X displays (Xvfb): the technician's desk and the
//     customer's desktop;
//   - IT's relay: a tether-relay process with a fresh certificate, database
//     and technician account;
//   - the technician: the real `tether-supporter` console; a scripted
//     technician signs in, starts a session with Ctrl+N, accepts the join
//     (Alt+A) and asks for control (Ctrl+Alt+Shift+C), as the shortcuts in
//     docs/supporter.md say;
//   - the customer: the real `tether-customer`, configured by IT's file
//     beside it; a scripted person types the code and clicks the real
//     prompts, finding the buttons by their look.
// The console shows the customer's screen, the technician's mouse moves the
// customer's pointer only after the customer allowed control, and the
// customer presses STOP. Both apps exit cleanly. Any step that does not
// happen as it should fails the run (exit 1).
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
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/fakes/xvfb_display.h"
#include "tests/support/relay_process.h"
#include "tools/screen_person.h"

extern char** environ;

namespace {

using namespace tether;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr int kWidth = 1280;
constexpr int kHeight = 800;
constexpr uint32_t kCustomerWallpaper = 0x2F6F4F;
constexpr uint32_t kTechnicianWallpaper = 0x3B4252;
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

// One app process on one display: started like a user would, waited for.
class AppProcess {
 public:
  // `home`, if given, is the app's $HOME (where it suggests to save files).
  AppProcess(std::vector<std::string> args,
             const std::string& display,
             const fs::path& log,
             const fs::path& home = {}) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> argv;
    for (std::string& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::string display_variable = "DISPLAY=" + display;
    std::string platform = "QT_QPA_PLATFORM=xcb";
    std::string home_variable = "HOME=" + home.string();
    std::vector<char*> env;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::strncmp(*e, "DISPLAY=", 8) != 0 &&
          std::strncmp(*e, "QT_QPA_PLATFORM=", 16) != 0 &&
          (home.empty() || std::strncmp(*e, "HOME=", 5) != 0))
        env.push_back(*e);
    }
    env.push_back(display_variable.data());
    env.push_back(platform.data());
    if (!home.empty())
      env.push_back(home_variable.data());
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

class Screenshots {
 public:
  explicit Screenshots(fs::path dir) : dir_(std::move(dir)) {
    if (!dir_.empty())
      fs::create_directories(dir_);
  }
  int count() const { return count_; }
  void Take(tools::ScreenPerson& person, const std::string& name) {
    if (dir_.empty())
      return;
    auto screen = person.LookAtScreen();
    if (!screen)
      return;
    QImage image(reinterpret_cast<const uchar*>(screen->pixels.data()),
                 screen->rect.width, screen->rect.height,
                 screen->rect.width * 4, QImage::Format_RGB32);
    char prefix[16];
    std::snprintf(prefix, sizeof(prefix), "%02d-", ++count_);
    const fs::path path = dir_ / (prefix + name + ".png");
    image.save(QString::fromStdString(path.string()));
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
void AllowPrompt(tools::ScreenPerson& customer,
                 Screenshots& shots,
                 const std::string& name,
                 const std::string& what) {
  Begin("the customer is asked " + what);
  auto prompt = Check(customer.WaitForWindow("asks", kWindowWait),
                      "the " + name + " prompt");
  shots.Take(customer, "customer-prompt-" + name);
  Step("customer: a prompt asks to allow the technician " + what);
  Begin("the customer allows " + name);
  Check(customer.ClickAllowButton(prompt), "clicking allow on " + name);
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
// customer's receipt, the relay's and both apps' logs.
class KeptRecords {
 public:
  KeptRecords(fs::path from, fs::path to)
      : from_(std::move(from)), to_(std::move(to)) {}
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
  }
  KeptRecords(const KeptRecords&) = delete;
  KeptRecords& operator=(const KeptRecords&) = delete;

 private:
  fs::path from_, to_;
};

fs::path BinDir() {
  return fs::read_symlink("/proc/self/exe").parent_path();
}

// `records`: where the session log, the receipt and the logs are kept.
int Run(const fs::path& screenshots, const fs::path& records) {
  const fs::path bin_dir = BinDir();
  setenv("TETHER_TEST_BIN_DIR", bin_dir.c_str(), 0);

  std::printf("== Tether: a support session on this machine ==\n\n");
  Begin("starting the two desks (Xvfb)");
  auto tech_display = Check(test::XvfbDisplay::Start({kWidth, kHeight, {}}),
                            "starting the technician's Xvfb");
  auto customer_display = Check(test::XvfbDisplay::Start({kWidth, kHeight, {}}),
                                "starting the customer's Xvfb");
  PaintDesktop(tech_display->name(), kTechnicianWallpaper);
  PaintDesktop(customer_display->name(), kCustomerWallpaper);
  // Something on the customer's desktop for the technician to look at.
  AppProcess sample_app(
      {"xmessage", "-geometry", "+60+60", "-buttons", "", "-fn", "fixed",
       "Printer Office-2F\n\nStatus: offline\nLast job: stuck in the queue "
       "since 08:12\nAddress: 10.20.2.41"},
      customer_display->name(), "/dev/null");
  Step("desks: technician on X display " + tech_display->name() +
       ", customer on " + customer_display->name());

  Begin("starting the relay");
  test::RelayProcess relay;
  Check(relay.AddTechnician("tina", "Tina Technician", kPassword),
        "creating the technician account");
  Check(relay.Start(), "starting the relay");
  Step("relay: up at 127.0.0.1:" + std::to_string(relay.port()) +
       ", certificate SHA-256 " + relay.fingerprint());
  // Copied when Run ends, either way.
  const KeptRecords keep(relay.dir(), records);

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
                     tech_display->name(), relay.dir() / "supporter.log");
  if (!console.started())
    Fail("could not start tether-supporter");
  auto technician = Check(tools::ScreenPerson::Connect(tech_display->name()),
                          "looking at the technician's screen");
  auto customer = Check(tools::ScreenPerson::Connect(customer_display->name()),
                        "looking at the customer's screen");
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
  const fs::path customer_config = customer_home / "tether-customer.toml";
  std::ofstream(customer_config)
      << "organisation = \"Example Corp IT Service Desk\"\n"
      << "download_dir = \"" << (customer_home / "Downloads").string()
      << "\"\n[relay]\nhost = \"127.0.0.1\"\nport = " << relay.port()
      << "\nfingerprint = \"" << relay.fingerprint() << "\"\n";
  AppProcess app({(bin_dir / "tether-customer").string(), "--config",
                  customer_config.string()},
                 customer_display->name(), relay.dir() / "customer.log",
                 customer_home);
  if (!app.started())
    Fail("could not start tether-customer");
  auto start =
      Check(customer.WaitForWindow("Tether remote support", kWindowWait),
            "the customer's start window");
  Check(customer.ClickWhiteField(start), "clicking the code field");
  Check(customer.Type(code.substr(0, 4) + " " + code.substr(4)),
        "typing the code");
  start = Check(customer.WaitForWindow("Tether remote support", kWindowWait),
                "the start window");
  shots.Take(customer, "customer-code-typed");
  Check(customer.ClickBlueButton(start), "clicking Connect");
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
  auto check =
      Check(customer.WaitForWindow("check the security code", kWindowWait),
            "the security code prompt");
  shots.Take(customer, "customer-prompt-code");
  Step("customer: a prompt asks to check the security code " +
       sas.substr(0, 3) + " " + sas.substr(3) + " and agree to the terms");
  Begin("the customer confirms the security code");
  Check(customer.ClickAllowButton(check), "confirming the code");
  WaitForProtocol(protocols, "terms_answered", "");
  Step("customer: the code matches; agreed to the terms");

  // The console asks to see the screen as soon as the customer agreed.
  AllowPrompt(customer, shots, "view", "to see your screen");
  WaitForProtocol(protocols, "consent_answered", "");
  Step("customer: allowed viewing");
  Begin("the first picture reaches the console");
  auto session = Check(technician.WaitForWindow("Tether session", kWindowWait),
                       "the session window");
  std::optional<tools::ScreenRect> picture;
  for (int i = 0; i < 100 && !picture; ++i) {
    session = Check(technician.Look(session.id), "the session window");
    picture = session.FindBlock(kCustomerWallpaper, 200, 16);
    if (!picture)
      std::this_thread::sleep_for(100ms);
  }
  if (!picture)
    Fail("the console does not show the customer's screen");
  shots.Take(technician, "technician-viewing");
  Step("technician: the console shows the customer's screen (" +
       std::to_string(picture->width) + "x" + std::to_string(picture->height) +
       " px of it in view)");

  // The technician's mouse over the picture: nothing moves on the
  // customer's side before control is allowed.
  Begin("the technician's mouse without control");
  const int view_x = session.rect.x + picture->x;
  const int view_y = session.rect.y + picture->y;
  Check(technician.ClickAt(view_x + picture->width / 4,
                           view_y + picture->height / 4),
        "clicking into the view");
  const auto before = customer.Pointer();
  Check(technician.MoveTo(view_x + picture->width / 2,
                          view_y + picture->height / 2),
        "moving over the view");
  std::this_thread::sleep_for(500ms);
  if (customer.Pointer() != before)
    Fail("the customer's pointer moved before control was allowed");

  Step(
      "technician: the mouse over the picture leaves the customer's pointer "
      "alone (no control yet)");
  Begin("the technician asks for control");
  Check(technician.Key("ctrl+alt+shift+c"), "requesting control");
  Step("technician: asked for control (Ctrl+Alt+Shift+C)");
  AllowPrompt(customer, shots, "control", "to control your mouse and keyboard");
  Step("customer: allowed remote control");
  Begin("the technician moves the customer's pointer");
  bool moved = false;
  std::pair<int, int> where;
  int dx = 0;
  const int dy = picture->height / 3;
  for (int i = 0; i < 50 && !moved; ++i) {
    dx = picture->width / 3 + i;
    Check(technician.MoveTo(view_x + dx, view_y + dy), "moving over the view");
    std::this_thread::sleep_for(100ms);
    where = customer.Pointer();
    moved = where != before;
  }
  if (!moved)
    Fail("the technician's mouse never moved the customer's pointer");
  // Where the console's scaling says the pointer must land.
  const int expected_x = dx * kWidth / picture->width;
  const int expected_y = dy * kHeight / picture->height;
  if (std::abs(where.first - expected_x) > 4 ||
      std::abs(where.second - expected_y) > 4) {
    Fail("the pointer landed at " + std::to_string(where.first) + ", " +
         std::to_string(where.second) + " instead of near " +
         std::to_string(expected_x) + ", " + std::to_string(expected_y));
  }
  Step("technician: moves the customer's pointer (now at " +
       std::to_string(where.first) + ", " + std::to_string(where.second) +
       ", where the scaled view says)");
  shots.Take(customer, "customer-controlled");
  shots.Take(technician, "technician-controlling");

  Begin("the customer presses STOP");
  auto panel =
      Check(customer.WaitForWindow("remote support is on", kWindowWait),
            "the customer's panel");
  Check(customer.ClickRedButton(panel), "pressing STOP");
  Step("customer: pressed STOP");
  Begin("STOP ends the session on both sides");
  WaitForProtocol(protocols, "emergency_stop", "");
  WaitForProtocol(protocols, "session_ended", "");
  const auto stopped_at = customer.Pointer();
  Check(technician.MoveTo(view_x + 10, view_y + 10), "moving after STOP");
  std::this_thread::sleep_for(500ms);
  if (customer.Pointer() != stopped_at)
    Fail("the customer's pointer moved after STOP");
  shots.Take(technician, "technician-ended");
  Step(
      "technician: the console shows the session ended by the customer; "
      "the session log has every step");

  Begin("the customer saves the receipt");
  auto ended = Check(customer.WaitForWindow("session ended", kWindowWait),
                     "the customer's ended window");
  shots.Take(customer, "customer-ended");
  // "Save a receipt…" is the button before Close (which has the focus);
  // the file dialog suggests a file in the customer's home folder.
  Check(customer.ClickAt(ended.rect.x + 8, ended.rect.y + 8),
        "activating the ended window");
  Check(customer.Key("shift+Tab"), "going to Save a receipt");
  Check(customer.Key("space"), "pressing Save a receipt");
  Check(customer.WaitForWindow("Save the receipt", kWindowWait),
        "the save dialog");
  Check(customer.Key("Return"), "saving where the dialog suggests");
  const fs::path receipt = WaitForReceipt(customer_home);
  Step("customer: saved the receipt (" + receipt.filename().string() + ")");
  Begin("both apps close");
  ended = Check(customer.WaitForWindow("session ended", kWindowWait),
                "the customer's ended window");
  Check(customer.ClickBlueButton(ended), "clicking Close");
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
    std::stringstream text;
    text << std::ifstream(relay.dir() / log).rdbuf();
    if (text.str().find("(TLSv1.3 TLS1-3-AES-256-GCM-SHA384)") ==
        std::string::npos) {
      Fail(std::string(log) + " does not show TLS 1.3 with AES-256-GCM");
    }
  }
  Step("both apps talked to the relay over TLS 1.3 (TLS_AES_256_GCM_SHA384)");

  // The protocol lives in the relay's temporary folder: keep a copy with
  // the screenshots.
  if (!screenshots.empty()) {
    for (const auto& entry : fs::directory_iterator(protocols))
      fs::copy_file(entry.path(), screenshots / entry.path().filename());
  }
  std::printf(
      "\nDone: the technician saw the customer's screen and moved the pointer "
      "only after the customer allowed it; STOP ended it at once.\n");
  std::string session_log;
  for (const auto& entry : fs::directory_iterator(protocols))
    session_log += " " + entry.path().filename().string();
  std::printf(
      "Kept in %s:\n"
      "  the technician's session log %s\n"
      "  the customer's receipt        %s\n"
      "  logs                          relay.log, supporter.log, "
      "customer.log\n",
      records.c_str(), session_log.c_str(), receipt.filename().c_str());
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
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--screenshots") == 0 && i + 1 < argc) {
      screenshots = argv[++i];
    } else {
      std::fprintf(stderr, "usage: tether-session-demo [--screenshots DIR]\n");
      return 2;
    }
  }
  // build/release/main-job, next to bin/.
  const fs::path records = BinDir().parent_path() / "main-job";
  try {
    return Run(screenshots, records);
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
