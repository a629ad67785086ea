// The zero-install customer page (https://<relay>/share) end to end, with
// every real part: a tether-relay process on 127.0.0.1, Debian's Chromium
// (headful, driven by tests/web/customer_page_test.mjs through
// playwright-core) on a private Xvfb that shows known colours beside the
// browser's window, the page's WebCrypto E2E channel and WebCodecs video,
// and a headless technician (tests/support/headless_supporter.h: the
// console's own video receiver) on the other side.
//
// The page and the technician act at once: the script runs in the
// background and prints what the page shows (its SAS, prompts, end reason)
// line by line; the test plays the technician and waits for those lines,
// the script waits for the page's states. Every wait on either side has a
// deadline. TETHER_WEB_SCREENSHOTS=DIR keeps a picture of every state of the
// page (docs/screenshots/browser-customer-*.png come from here).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xcb/xcb.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "protocol/file_sender.h"
#include "protocol/session_end.h"
#include "tests/desktop/x11_test_util.h"
#include "tests/support/headless_supporter.h"
#include "tests/support/relay_process.h"
#include "tests/support/shell.h"

extern char** environ;

namespace tether::customer {
namespace {

using namespace std::chrono_literals;
using proto::PeerMessage;
using test::HeadlessSupporter;

constexpr char kPassword[] = "a long technician passphrase";
// The customer's screen: Chromium's window covers the left part, the rest
// shows solid colours in known places (override-redirect windows, which
// the X server repaints itself whenever they are exposed).
constexpr desktop::DesktopSize kScreen{1280, 800};
constexpr desktop::DesktopSize kBrowserWindow{860, 800};
struct KnownBox {
  const char* name;
  desktop::DesktopRect rect;
  uint32_t rgb;
};
constexpr KnownBox kBoxes[] = {
    {"red", {900, 60, 160, 120}, 0xE02020},
    {"green", {1090, 60, 160, 120}, 0x20C040},
    {"blue", {900, 240, 160, 120}, 0x2040E0},
    {"yellow", {1090, 240, 160, 120}, 0xF0D020},
};
// Repainted to change the screen when the test needs a new frame.
constexpr desktop::DesktopRect kTicker{900, 420, 48, 48};
// VP8/VP9 are lossy: each channel within this, inside each box.
constexpr int kTolerance = 12;
constexpr int kInset = 12;

constexpr char kTechnicianChat[] = "Hello Maria, I can see your screen now.";
constexpr char kCustomerChat[] = "Thank you, the printer says offline.";
constexpr char kStopSharingChat[] = "Found it. You can stop sharing now.";
constexpr char kAfterRefusalChat[] = "All right, then tell me what you see.";
constexpr char kCustomerFileName[] = "printer report.txt";
constexpr char kTechnicianFileName[] = "fix-printer.sh";

constexpr auto kBrowserStep = 60s;  // a wait for what the browser does
constexpr auto kScriptRun = 180s;   // the whole script (its own limit: 150 s)

// tests/web/customer_page_test.mjs in the background: node, which starts
// Chromium. Its output is read line by line as it comes, so the test can
// wait for a step of the page while it plays the technician. The process
// runs in a group of its own; the destructor kills what is left of it.
class BrowserScript {
 public:
  using Environment = std::vector<std::pair<std::string, std::string>>;

  static Result<std::unique_ptr<BrowserScript>> Start(
      const std::string& node,
      const Environment& environment) {
    // Everything the child needs is made before fork (see RelayProcess).
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry(*e);
      const std::string name = entry.substr(0, entry.find('='));
      if (std::ranges::none_of(environment,
                               [&](const auto& v) { return v.first == name; }))
        env_strings.push_back(entry);
    }
    for (const auto& [name, value] : environment)
      env_strings.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (std::string& s : env_strings)
      envp.push_back(s.data());
    envp.push_back(nullptr);
    std::string script = "web/customer_page_test.mjs";
    std::string node_path = node;
    char* argv[] = {node_path.data(), script.data(), nullptr};

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
      return MakeError("pipe failed");
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
      close(fds[0]);
      close(fds[1]);
      return MakeError("fork failed");
    }
    if (pid == 0) {
      // Child: only async-signal-safe calls until exec.
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent)
        _exit(127);
      const int null_fd = open("/dev/null", O_RDONLY);
      dup2(null_fd, STDIN_FILENO);
      dup2(fds[1], STDOUT_FILENO);
      dup2(fds[1], STDERR_FILENO);
      execve(argv[0], argv, envp.data());
      _exit(127);
    }
    close(fds[1]);
    std::unique_ptr<BrowserScript> run(new BrowserScript(pid, fds[0]));
    run->reader_ = std::thread([self = run.get()] { self->Read(); });
    return run;
  }

  ~BrowserScript() {
    if (!reaped_) {
      kill(-pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    stop_ = true;
    reader_.join();
    close(fd_);
  }
  BrowserScript(const BrowserScript&) = delete;
  BrowserScript& operator=(const BrowserScript&) = delete;

  // The rest of the first line that starts with `word` and a space, once
  // the script printed it; nothing when it did not in time or exited.
  std::optional<std::string> WaitForLine(const std::string& word,
                                         std::chrono::milliseconds timeout) {
    const std::string prefix = word + " ";
    std::optional<std::string> found;
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] {
      for (const std::string& line : lines_) {
        if (line.starts_with(prefix)) {
          found = line.substr(prefix.size());
          return true;
        }
      }
      return eof_;
    });
    return found;
  }

  // Waits for the script to exit: its exit code; -1 when it had to be
  // killed or did not exit normally.
  int Wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    {
      std::unique_lock lock(mutex_);
      changed_.wait_until(lock, deadline, [&] { return eof_; });
    }
    int status = 0;
    // Its output closed: it exits now (bounded anyway).
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(-pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        reaped_ = true;
        return -1;
      }
      std::this_thread::sleep_for(10ms);
    }
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string output() const {
    std::lock_guard lock(mutex_);
    std::string all;
    for (const std::string& line : lines_)
      all += line + "\n";
    return all + partial_;
  }

 private:
  BrowserScript(pid_t pid, int fd) : pid_(pid), fd_(fd) {}

  void Read() {
    char buffer[4096];
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0)
        continue;
      const ssize_t n = read(fd_, buffer, sizeof(buffer));
      std::lock_guard lock(mutex_);
      if (n <= 0) {
        eof_ = true;
        changed_.notify_all();
        return;
      }
      partial_.append(buffer, static_cast<size_t>(n));
      for (size_t end; (end = partial_.find('\n')) != std::string::npos;) {
        lines_.push_back(partial_.substr(0, end));
        partial_.erase(0, end + 1);
      }
      changed_.notify_all();
    }
  }

  const pid_t pid_;
  const int fd_;
  bool reaped_ = false;
  std::atomic<bool> stop_ = false;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
  std::string partial_;
  bool eof_ = false;
  std::thread reader_;  // last: started once everything above exists
};

std::string Digits(const std::string& text) {
  std::string digits;
  std::ranges::copy_if(text, std::back_inserter(digits),
                       [](char c) { return c >= '0' && c <= '9'; });
  return digits;
}

Bytes SomeBytes(size_t size, uint32_t seed) {
  std::mt19937 random(seed);
  Bytes bytes(size);
  for (uint8_t& b : bytes)
    b = static_cast<uint8_t>(random());
  return bytes;
}

void WriteFile(const std::filesystem::path& path, const Bytes& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

// Empty when every sampled pixel inside each known box of `picture` is the
// box's colour within kTolerance; otherwise the first miss. The page may
// send the screen scaled: the boxes are found in proportion.
std::string ColourMismatch(const desktop::DesktopFrame& picture) {
  const double sx = static_cast<double>(picture.size().width) / kScreen.width;
  const double sy = static_cast<double>(picture.size().height) / kScreen.height;
  for (const KnownBox& box : kBoxes) {
    const desktop::DesktopRect& r = box.rect;
    for (int y = r.y + kInset; y < r.y + r.height - kInset; y += 4) {
      for (int x = r.x + kInset; x < r.x + r.width - kInset; x += 4) {
        const uint32_t rgb =
            picture.RgbAt(static_cast<int>(x * sx), static_cast<int>(y * sy));
        for (int shift : {16, 8, 0}) {
          const int got = static_cast<int>((rgb >> shift) & 0xFF);
          const int want = static_cast<int>((box.rgb >> shift) & 0xFF);
          if (std::abs(got - want) > kTolerance) {
            char text[160];
            std::snprintf(text, sizeof(text),
                          "%s box: pixel (%d,%d) of a %dx%d picture is "
                          "#%06X, not #%06X",
                          box.name, x, y, picture.size().width,
                          picture.size().height, rgb, box.rgb);
            return text;
          }
        }
      }
    }
  }
  return {};
}

class BrowserCustomerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    relay_ = new test::RelayProcess();
    auto tina = relay_->AddTechnician("tina", "Tina (IT)", kPassword);
    ASSERT_TRUE(tina.has_value()) << tina.error().message;
    auto started = relay_->Start();
    ASSERT_TRUE(started.has_value()) << started.error().message;
  }
  static void TearDownTestSuite() {
    delete relay_;
    relay_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(relay_, nullptr);
    // Setup installs these; a machine without them cannot run this test.
    const test::ShellResult node = test::RunShell("command -v node");
    ASSERT_EQ(node.exit_code, 0) << "node is missing: run scripts/setup";
    node_ = node.output.substr(0, node.output.find('\n'));
    ASSERT_TRUE(std::filesystem::exists("web/node_modules/playwright-core"))
        << "playwright-core is missing: run scripts/setup (npm ci in "
           "tests/web)";
    ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium"))
        << "chromium is missing: run scripts/setup";
    ASSERT_TRUE(test::XvfbDisplay::Available())
        << "Xvfb is missing: run scripts/setup";

    test::XvfbOptions options;
    options.width = kScreen.width;
    options.height = kScreen.height;
    options.extra_args = {"-br"};
    std::string skip;
    display_ = desktop::test::StartDisplay(options, &skip);
    ASSERT_NE(display_, nullptr) << skip;
    xcb_screen_t* screen =
        xcb_setup_roots_iterator(xcb_get_setup(display_->c())).data;
    for (const KnownBox& box : kBoxes) {
      desktop::test::CreateWindow(display_->c(), screen, box.rect, box.rgb,
                                  box.name);
    }
    ticker_ = desktop::test::CreateWindow(display_->c(), screen, kTicker,
                                          0x808080, "ticker");

    char templ[] = "/tmp/tether-browser-customer-XXXXXX";
    dir_ = mkdtemp(templ);
    const char* kept = std::getenv("TETHER_WEB_SCREENSHOTS");
    shots_ = kept != nullptr ? std::filesystem::path(kept) : dir_ / "shots";
  }

  void TearDown() override {
    if (browser_) {
      if (HasFailure())
        ADD_FAILURE() << "the browser script said:\n" << browser_->output();
      browser_.reset();
    }
    supporter_.reset();
    if (!dir_.empty())
      std::filesystem::remove_all(dir_);
  }

  // The technician signs in and gets a code; `decoders` is what its app
  // says it decodes.
  void StartTechnician(std::vector<proto::Codec> decoders = {
                           proto::CODEC_VP9, proto::CODEC_VP8}) {
    auto supporter = HeadlessSupporter::Start({relay_->port(),
                                               relay_->fingerprint(),
                                               "tina",
                                               kPassword,
                                               {},
                                               std::move(decoders),
                                               true});
    ASSERT_TRUE(supporter.has_value()) << supporter.error().message;
    supporter_ = std::move(*supporter);
    auto code = supporter_->WaitForCode();
    ASSERT_TRUE(code.has_value()) << code.error().message;
    code_ = *code;
  }

  // The customer opens the page in the browser, in the script's
  // `scenario`, and types `code`.
  void StartBrowser(const std::string& scenario,
                    BrowserScript::Environment more = {}) {
    BrowserScript::Environment environment = {
        {"RELAY_URL", "https://127.0.0.1:" + std::to_string(relay_->port())},
        {"RELAY_FINGERPRINT", relay_->fingerprint()},
        {"SCENARIO", scenario},
        {"CODE", code_},
        {"SCREENSHOTS", shots_.string()},
        {"DISPLAY", display_->name()},
        {"WINDOW_WIDTH", std::to_string(kBrowserWindow.width)},
        {"WINDOW_HEIGHT", std::to_string(kBrowserWindow.height)},
        {"TECHNICIAN_CHAT", kTechnicianChat},
        {"CUSTOMER_CHAT", kCustomerChat},
    };
    for (auto& [name, value] : more) {
      std::erase_if(environment,
                    [&](const auto& v) { return v.first == name; });
      environment.emplace_back(std::move(name), std::move(value));
    }
    auto browser = BrowserScript::Start(node_, environment);
    ASSERT_TRUE(browser.has_value()) << browser.error().message;
    browser_ = std::move(*browser);
  }

  // The page joined: the technician accepts, both sides are secured, the
  // technician sends the terms; the page shows the same SAS and the
  // relay's words for who asks and on what terms.
  void AcceptAndSecure() {
    ASSERT_TRUE(browser_->WaitForLine("CONNECTING", kBrowserStep))
        << "the page never connected";
    auto request = supporter_->AcceptJoin(true);
    ASSERT_TRUE(request.has_value()) << request.error().message;
    auto sas = supporter_->WaitForSas();
    ASSERT_TRUE(sas.has_value()) << sas.error().message;
    ASSERT_TRUE(supporter_->SendTerms("Terms from the technician's app."));
    auto shown = browser_->WaitForLine("SAS", kBrowserStep);
    ASSERT_TRUE(shown.has_value()) << "the page showed no SAS";
    EXPECT_EQ(Digits(*shown), Digits(*sas));
    EXPECT_EQ(Digits(*shown).size(), 6u);
    auto technician = browser_->WaitForLine("TECHNICIAN", 1s);
    EXPECT_NE(technician.value_or("").find("Tina (IT)"), std::string::npos)
        << technician.value_or("(none)");
    auto organisation = browser_->WaitForLine("ORGANISATION", 1s);
    EXPECT_NE(organisation.value_or("").find("Test IT"), std::string::npos)
        << organisation.value_or("(none)");
  }

  // The customer agreed: TermsAnswer says so, and that the page is
  // view-only.
  void ExpectAgreed() {
    auto answer = supporter_->WaitFor(
        [](const PeerMessage& m) { return m.has_terms_answer(); },
        kBrowserStep);
    ASSERT_TRUE(answer.has_value()) << "no TermsAnswer from the page";
    ASSERT_TRUE(answer->terms_answer().accepted());
    EXPECT_TRUE(answer->terms_answer().view_only());
  }

  // The technician asks to see the screen; the customer allows it in the
  // page (and the browser's picker is answered by Chromium's flag).
  void ViewAllowed() {
    auto granted = supporter_->Ask(1, proto::PERMISSION_VIEW_SCREEN,
                                   [](proto::ConsentRequest& r) {
                                     r.mutable_view()->set_whole_desktop(true);
                                   });
    ASSERT_TRUE(granted.has_value()) << granted.error().message;
    ASSERT_TRUE(*granted);
  }

  // The console's decoder shows the known colours of the customer's screen
  // where they are, and every frame came in `codec`.
  void ExpectTheScreen(proto::Codec codec) {
    ASSERT_TRUE(supporter_->WaitForFrames(1, kBrowserStep))
        << "no frame decoded";
    std::string mismatch = "no picture";
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    do {
      // The first frames may still be coarse; the picture settles.
      if (auto picture = supporter_->LastPicture())
        mismatch = ColourMismatch(*picture);
      if (mismatch.empty())
        break;
      std::this_thread::sleep_for(50ms);
    } while (std::chrono::steady_clock::now() < deadline);
    EXPECT_EQ(mismatch, "");
    EXPECT_EQ(supporter_->decode_errors(), 0);
    size_t frames = 0;
    for (const PeerMessage& m : supporter_->received()) {
      if (!m.has_video_frame())
        continue;
      if (frames++ == 0) {
        EXPECT_TRUE(m.video_frame().key_frame()) << "the first frame";
      }
      EXPECT_EQ(m.video_frame().codec(), codec);
    }
  }

  // Changes the customer's screen a little, outside the known boxes.
  void Tick() {
    ticker_rgb_ ^= 0x303030;
    xcb_change_window_attributes(display_->c(), ticker_, XCB_CW_BACK_PIXEL,
                                 &ticker_rgb_);
    xcb_clear_area(display_->c(), 0, ticker_, 0, 0, 0, 0);
    desktop::x11::Sync(display_->c());
  }

  // The script's end: it passed every step.
  void ExpectBrowserPassed() {
    const int exit_code = browser_->Wait(kScriptRun);
    // TearDown shows the script's output on any failure.
    EXPECT_EQ(exit_code, 0) << "the browser script failed";
  }

  inline static test::RelayProcess* relay_ = nullptr;
  std::string node_;
  std::unique_ptr<desktop::test::TestDisplay> display_;
  xcb_window_t ticker_ = 0;
  uint32_t ticker_rgb_ = 0x808080;
  std::filesystem::path dir_;
  std::filesystem::path shots_;
  std::string code_ = "00000000";
  std::unique_ptr<HeadlessSupporter> supporter_;
  std::unique_ptr<BrowserScript> browser_;
};

// A whole session as a customer has it in the browser: the code, the same
// SAS on both sides, the view allowed (VP9, the known colours where they
// are, a key frame on request), chat and a file each way, then STOP: the
// technician hears it at once and the page shows the end and a receipt.
TEST_F(BrowserCustomerTest, AWholeSessionFromCodeToStopInTheBrowser) {
  const Bytes customer_file = SomeBytes(300 * 1024 + 17, 1);
  const Bytes technician_file = SomeBytes(200 * 1024 + 5, 2);
  WriteFile(dir_ / kCustomerFileName, customer_file);
  WriteFile(dir_ / "expected-from-technician", technician_file);
  StartTechnician();
  StartBrowser("whole",
               {{"OUT_FILE", (dir_ / kCustomerFileName).string()},
                {"IN_FILE", (dir_ / "expected-from-technician").string()},
                {"IN_NAME", kTechnicianFileName}});
  AcceptAndSecure();
  ASSERT_FALSE(HasFatalFailure());
  auto terms = browser_->WaitForLine("TERMS", 1s);
  EXPECT_NE(terms.value_or("").find("Test terms."), std::string::npos)
      << terms.value_or("(none)");
  ExpectAgreed();
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(supporter_->Count(PeerMessage::kVideoFrame), 0u);
  ViewAllowed();
  ASSERT_FALSE(HasFatalFailure());
  ExpectTheScreen(proto::CODEC_VP9);
  ASSERT_FALSE(HasFatalFailure());

  // The console asks for a key frame (as after a decode error): the next
  // frames bring one, after frames that were not.
  Tick();
  ASSERT_TRUE(supporter_->WaitFor(
      [](const PeerMessage& m) {
        return m.has_video_frame() && !m.video_frame().key_frame();
      },
      kBrowserStep))
      << "the page sends only key frames";
  const size_t since = supporter_->received_count();
  PeerMessage key_frame_request;
  key_frame_request.mutable_key_frame_request();
  ASSERT_TRUE(supporter_->Send(std::move(key_frame_request)));
  Tick();
  EXPECT_TRUE(supporter_->WaitFor(
      [](const PeerMessage& m) {
        return m.has_video_frame() && m.video_frame().key_frame();
      },
      kBrowserStep, since))
      << "no key frame after KeyFrameRequest";

  // Chat, each way.
  PeerMessage chat;
  chat.mutable_chat()->set_text(kTechnicianChat);
  chat.mutable_chat()->set_sent_at_unix_ms(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  ASSERT_TRUE(supporter_->Send(std::move(chat)));
  EXPECT_TRUE(supporter_->WaitFor(
      [](const PeerMessage& m) {
        return m.has_chat() && m.chat().text() == kCustomerChat;
      },
      kBrowserStep))
      << "the customer's chat did not arrive";

  // The customer's file, to the technician.
  auto received = supporter_->ReceiveFile(kBrowserStep);
  ASSERT_TRUE(received.has_value()) << received.error().message;
  EXPECT_EQ(received->offer.name(), kCustomerFileName);
  EXPECT_EQ(received->offer.size(), customer_file.size());
  EXPECT_TRUE(protocol::IsCustomerFileId(received->offer.file_id()));
  EXPECT_TRUE(received->sha256_matches);
  EXPECT_TRUE(received->data == customer_file)
      << received->data.size() << " bytes arrived";

  // The technician's file, allowed in the page's prompt and downloaded
  // there (the script compares the bytes).
  auto sent = supporter_->SendFile(2, 1, kTechnicianFileName, technician_file,
                                   kBrowserStep);
  ASSERT_TRUE(sent.has_value()) << sent.error().message;
  EXPECT_TRUE(*sent) << "the customer did not allow the file";
  EXPECT_TRUE(browser_->WaitForLine("DOWNLOADED", kBrowserStep));

  // STOP in the page.
  EXPECT_TRUE(supporter_->WaitFor(
      [](const PeerMessage& m) { return m.has_emergency_stop(); },
      kBrowserStep))
      << "no EmergencyStop";
  auto ended = supporter_->WaitEnded(kBrowserStep);
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->reason, proto::END_REASON_EMERGENCY_STOP);
  EXPECT_EQ(ended->message,
            protocol::EndForPeerEnded(proto::ROLE_SUPPORTER, true).message);
  ExpectBrowserPassed();
  EXPECT_TRUE(browser_->WaitForLine("END-REASON", 1s));
  EXPECT_TRUE(browser_->WaitForLine("RECEIPT", 1s));
  EXPECT_EQ(supporter_->decode_errors(), 0);
}

// A technician's app that decodes only VP8 gets VP8 from the page, and the
// same colours; then the technician ends the session and the page says so.
TEST_F(BrowserCustomerTest, AnAppThatDecodesOnlyVp8GetsVp8FromTheBrowser) {
  StartTechnician({proto::CODEC_VP8});
  StartBrowser("view");
  AcceptAndSecure();
  ASSERT_FALSE(HasFatalFailure());
  ExpectAgreed();
  ASSERT_FALSE(HasFatalFailure());
  ViewAllowed();
  ASSERT_FALSE(HasFatalFailure());
  ExpectTheScreen(proto::CODEC_VP8);
  supporter_->End();
  ExpectBrowserPassed();
  EXPECT_TRUE(browser_->WaitForLine("END-REASON", 1s));
}

// "Stop sharing" in the page takes the view back: the technician's app
// hears Revoke, and no frame follows it; the session goes on.
TEST_F(BrowserCustomerTest, StopSharingInThePageRevokesTheView) {
  StartTechnician();
  StartBrowser("stop-sharing", {{"TECHNICIAN_CHAT", kStopSharingChat}});
  AcceptAndSecure();
  ASSERT_FALSE(HasFatalFailure());
  ExpectAgreed();
  ASSERT_FALSE(HasFatalFailure());
  ViewAllowed();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(supporter_->WaitForFrames(1, kBrowserStep));
  PeerMessage chat;
  chat.mutable_chat()->set_text(kStopSharingChat);
  ASSERT_TRUE(supporter_->Send(std::move(chat)));
  EXPECT_TRUE(supporter_->WaitFor(
      [](const PeerMessage& m) {
        return m.has_revoke() &&
               m.revoke().permission() == proto::PERMISSION_VIEW_SCREEN;
      },
      kBrowserStep))
      << "no Revoke of the view";
  // The customer's chat comes after the revoke: by then, whatever the page
  // sent after the revoke has arrived too.
  EXPECT_TRUE(supporter_->WaitFor(
      [](const PeerMessage& m) {
        return m.has_chat() && m.chat().text() == kCustomerChat;
      },
      kBrowserStep))
      << "the page stopped talking after the revoke";
  bool revoked = false;
  for (const PeerMessage& m : supporter_->received()) {
    revoked = revoked || m.has_revoke();
    EXPECT_FALSE(revoked && m.has_video_frame())
        << "frame " << m.video_frame().frame_id() << " after the revoke";
  }
  EXPECT_FALSE(supporter_->WaitEnded(0ms).has_value());
  supporter_->End();
  ExpectBrowserPassed();
}

// "No" at the code and the terms: the technician hears it, the session
// ends, and nothing of the screen was ever sent.
TEST_F(BrowserCustomerTest, SayingNoToTheTermsEndsTheSessionAndSharesNothing) {
  StartTechnician();
  StartBrowser("decline");
  AcceptAndSecure();
  ASSERT_FALSE(HasFatalFailure());
  auto answer = supporter_->WaitFor(
      [](const PeerMessage& m) { return m.has_terms_answer(); }, kBrowserStep);
  ASSERT_TRUE(answer.has_value()) << "no TermsAnswer from the page";
  EXPECT_FALSE(answer->terms_answer().accepted());
  auto ended = supporter_->WaitEnded(kBrowserStep);
  ASSERT_TRUE(ended.has_value()) << "the session did not end";
  ExpectBrowserPassed();
  EXPECT_EQ(supporter_->Count(PeerMessage::kVideoFrame), 0u);
  EXPECT_EQ(supporter_->frames_decoded(), 0);
}

// One byte of a record the page sends is flipped on the way to the relay
// (Playwright's routeWebSocket as the man in the middle): the technician's
// app refuses it and ends the session in plain words, and the page ends
// too. The altered chat never arrives.
TEST_F(BrowserCustomerTest, ARecordAlteredOnItsWayFromThePageEndsTheSession) {
  StartTechnician();
  StartBrowser("tamper-out");
  AcceptAndSecure();
  ASSERT_FALSE(HasFatalFailure());
  ExpectAgreed();
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_TRUE(browser_->WaitForLine("TAMPERED", kBrowserStep));
  auto ended = supporter_->WaitEnded(kBrowserStep);
  ASSERT_TRUE(ended.has_value()) << "the technician's session went on";
  EXPECT_EQ(ended->reason, proto::END_REASON_PROTOCOL_ERROR);
  EXPECT_NE(ended->message.find("failed its integrity check"),
            std::string::npos)
      << ended->message;
  EXPECT_EQ(supporter_->Count(PeerMessage::kChat), 0u);
  ExpectBrowserPassed();
  EXPECT_TRUE(browser_->WaitForLine("END-REASON", 1s));
}

// The technician's first record is sent to the page a second time: the
// page refuses the replay and ends the session in its own plain words, and
// closes its connection as the native app does, so the technician's app
// hears the customer is gone (not that the customer chose to end).
TEST_F(BrowserCustomerTest, ARecordReplayedToThePageEndsTheSession) {
  StartTechnician();
  StartBrowser("tamper-in");
  AcceptAndSecure();
  ASSERT_FALSE(HasFatalFailure());
  ExpectAgreed();
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_TRUE(browser_->WaitForLine("REPLAYED", kBrowserStep));
  ExpectBrowserPassed();
  const std::string reason =
      browser_->WaitForLine("END-REASON", 1s).value_or("");
  // A sentence for people, not e2e.js's error text.
  EXPECT_NE(reason, "replayed record");
  EXPECT_GT(std::ranges::count(reason, ' '), 3) << reason;
  auto ended = supporter_->WaitEnded(kBrowserStep);
  ASSERT_TRUE(ended.has_value()) << "the technician's session went on";
  EXPECT_EQ(ended->reason, proto::END_REASON_PEER_LOST) << ended->message;
}

// A code nobody issued: the page says so in plain words and lets the
// customer type it again; the relay is still there.
TEST_F(BrowserCustomerTest, AWrongCodeIsRefusedInPlainWords) {
  code_ = "13572468";
  StartBrowser("wrong-code");
  ExpectBrowserPassed();
  const std::string error = browser_->WaitForLine("ERROR", 1s).value_or("");
  EXPECT_NE(error.find("wrong or has expired"), std::string::npos) << error;
  EXPECT_EQ(kill(relay_->pid(), 0), 0) << "the relay is gone";
}

// The customer says no to the view: the technician's request is refused,
// no frame is sent, and the session goes on (chat still works).
TEST_F(BrowserCustomerTest, DenyingTheViewKeepsTheSessionWithoutTheScreen) {
  StartTechnician();
  StartBrowser("deny-view", {{"TECHNICIAN_CHAT", kAfterRefusalChat}});
  AcceptAndSecure();
  ASSERT_FALSE(HasFatalFailure());
  ExpectAgreed();
  ASSERT_FALSE(HasFatalFailure());
  auto granted = supporter_->Ask(1, proto::PERMISSION_VIEW_SCREEN,
                                 [](proto::ConsentRequest& r) {
                                   r.mutable_view()->set_whole_desktop(true);
                                 });
  ASSERT_TRUE(granted.has_value()) << granted.error().message;
  EXPECT_FALSE(*granted);
  PeerMessage chat;
  chat.mutable_chat()->set_text(kAfterRefusalChat);
  ASSERT_TRUE(supporter_->Send(std::move(chat)));
  EXPECT_TRUE(supporter_->WaitFor(
      [](const PeerMessage& m) {
        return m.has_chat() && m.chat().text() == kCustomerChat;
      },
      kBrowserStep))
      << "the page stopped talking after the refusal";
  EXPECT_FALSE(supporter_->WaitEnded(0ms).has_value());
  EXPECT_EQ(supporter_->Count(PeerMessage::kVideoFrame), 0u);
  supporter_->End();
  ExpectBrowserPassed();
}

}  // namespace
}  // namespace tether::customer
