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

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>
#include <xcb/xcb.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "crypto/digest.h"
#include "protocol/file_sender.h"
#include "protocol/session_end.h"
#include "tests/desktop/x11_test_util.h"
#include "tests/support/child_process.h"
#include "tests/support/headless_supporter.h"
#include "tests/support/relay_process.h"
#include "tests/support/shell.h"

namespace tether::customer {
namespace {

using namespace std::chrono_literals;
using proto::PeerMessage;
using test::HeadlessSupporter;

using tether::test::kPassword;
// The customer's screen: Chromium's window covers the left part, the rest
// shows solid colours in known places (override-redirect windows, which
// the X server repaints itself whenever they are exposed).
constexpr desktop::DesktopSize kBrowserScreen{1280, 800};
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
  const double sx =
      static_cast<double>(picture.size().width) / kBrowserScreen.width;
  const double sy =
      static_cast<double>(picture.size().height) / kBrowserScreen.height;
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
    options.width = kBrowserScreen.width;
    options.height = kBrowserScreen.height;
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
  // `scenario`, and types `code`: tests/web/customer_page_test.mjs in the
  // background (node, which starts Chromium). Its output is read line by
  // line as it comes, so the test can wait for a step of the page while it
  // plays the technician.
  void StartBrowser(const std::string& scenario,
                    test::ChildProcess::Environment more = {}) {
    test::ChildProcess::Environment environment = {
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
    auto browser = test::ChildProcess::Start(
        {.argv = {node_, "web/customer_page_test.mjs"},
         .environment = std::move(environment),
         .output = test::ChildProcess::Output::kLines});
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
    auto exit_code = browser_->Wait(kScriptRun);
    // TearDown shows the script's output on any failure (and stops it).
    ASSERT_TRUE(exit_code.has_value()) << exit_code.error().message;
    EXPECT_EQ(*exit_code, 0) << "the browser script failed";
  }

  // STOP was pressed in the page: the technician's app gets EmergencyStop
  // and the session ends there with the plain sentence.
  void ExpectStoppedByTheCustomer() {
    EXPECT_TRUE(supporter_->WaitFor(
        [](const PeerMessage& m) { return m.has_emergency_stop(); },
        kBrowserStep))
        << "no EmergencyStop";
    auto ended = supporter_->WaitEnded(kBrowserStep);
    ASSERT_TRUE(ended.has_value());
    EXPECT_EQ(ended->reason, proto::END_REASON_EMERGENCY_STOP);
    EXPECT_EQ(ended->message,
              protocol::EndForPeerEnded(proto::ROLE_SUPPORTER, true).message);
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
  // In a process group of its own: what is left of it goes with it.
  std::unique_ptr<test::ChildProcess> browser_;
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
  ExpectStoppedByTheCustomer();
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

// A technician's app that offers files by the hundred gets one prompt at a
// time: two wait behind it, an offer past what the page may hold in all is
// refused with the reason, offers that cannot be received are refused
// without a row each, the rest are answered "no" at once. A prompt's Accept
// cannot be clicked the moment it appears, so a click meant for one prompt
// never accepts the next; a declined file shows as declined.
TEST_F(BrowserCustomerTest, AFloodOfFileOffersIsRefusedWithoutAFloodOfPrompts) {
  constexpr char kFirst[] = "notes.txt";
  constexpr char kSecond[] = "big-1.bin";
  constexpr char kFloodOver[] = "That was all of them.";
  constexpr uint64_t k200MB = 200'000'000;
  StartTechnician();
  StartBrowser("offer-flood", {{"TECHNICIAN_CHAT", kFloodOver},
                               {"FIRST_NAME", kFirst},
                               {"SECOND_NAME", kSecond}});
  AcceptAndSecure();
  ASSERT_FALSE(HasFatalFailure());
  ExpectAgreed();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(browser_->WaitForLine("WATCHING", kBrowserStep));

  const Bytes notes = SomeBytes(100, 3);
  const crypto::Sha256Digest digest = crypto::Sha256(notes);
  const std::string sha(reinterpret_cast<const char*>(digest.data()),
                        digest.size());
  const std::string made_up_sha(32, '\x5a');
  const auto offer = [&](uint32_t id, const std::string& name, uint64_t size,
                         const std::string& sha256,
                         const std::string& reason = "") {
    PeerMessage m;
    proto::ConsentRequest* request = m.mutable_consent_request();
    request->set_request_id(id);
    request->set_permission(proto::PERMISSION_SEND_FILE);
    request->set_reason(reason);
    proto::FileOffer* file = request->mutable_file();
    file->set_file_id(id);
    file->set_name(name);
    file->set_size(size);
    file->set_sha256(sha256);
    return supporter_->Send(std::move(m));
  };
  // Asked now (its reason tries to reverse the words after it), two
  // waiting, one past 512 MB in all; 50 with a broken checksum; 50 more
  // (one still fits in the queue).
  ASSERT_TRUE(
      offer(10, kFirst, notes.size(), sha, "Here are the notes \u202Efdp.exe"));
  ASSERT_TRUE(offer(11, kSecond, k200MB, made_up_sha));
  ASSERT_TRUE(offer(12, "big-2.bin", k200MB, made_up_sha));
  ASSERT_TRUE(offer(13, "big-3.bin", k200MB, made_up_sha));
  for (uint32_t id = 100; id < 150; ++id)
    ASSERT_TRUE(offer(id, "bad-" + std::to_string(id) + ".txt", 10, "abc"));
  for (uint32_t id = 200; id < 250; ++id) {
    ASSERT_TRUE(
        offer(id, "more-" + std::to_string(id) + ".txt", notes.size(), sha));
  }
  PeerMessage chat;
  chat.mutable_chat()->set_text(kFloodOver);
  ASSERT_TRUE(supporter_->Send(std::move(chat)));

  const auto answer_to = [&](uint32_t id) {
    return supporter_->WaitFor(
        [id](const PeerMessage& m) {
          return m.has_consent_answer() &&
                 m.consent_answer().request_id() == id;
        },
        kBrowserStep);
  };
  auto past_memory = answer_to(13);
  ASSERT_TRUE(past_memory.has_value()) << "the offer past 512 MB is unanswered";
  EXPECT_FALSE(past_memory->consent_answer().granted());
  auto why = supporter_->WaitFor(
      [](const PeerMessage& m) {
        return m.has_file_cancel() && m.file_cancel().file_id() == 13;
      },
      kBrowserStep);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->file_cancel().reason().find("512 MB"), std::string::npos)
      << why->file_cancel().reason();
  ASSERT_TRUE(answer_to(249).has_value()) << "the flood was not answered";
  // 10 and 11 are the customer's to answer (below); 12 and 200 wait.
  size_t answers = 0;
  for (const PeerMessage& m : supporter_->received()) {
    if (!m.has_consent_answer())
      continue;
    const uint32_t id = m.consent_answer().request_id();
    EXPECT_FALSE(m.consent_answer().granted()) << "request " << id;
    EXPECT_TRUE(id != 12 && id != 200)
        << "request " << id << " answered though it waits for the customer";
    if (id != 10 && id != 11)
      ++answers;
  }
  EXPECT_EQ(answers, 1u + 50u + 49u);
  auto rows = browser_->WaitForLine("TRANSFERS", kBrowserStep);
  ASSERT_TRUE(rows.has_value());
  EXPECT_LE(std::stoi(*rows), 10) << "transfer rows on the page";
  auto prompt = browser_->WaitForLine("PROMPT", 1s);
  ASSERT_TRUE(prompt.has_value());
  EXPECT_EQ(prompt->find("\u202E"), std::string::npos) << *prompt;
  EXPECT_NE(prompt->find(kFirst), std::string::npos) << *prompt;

  // The customer declines the first; a click right behind it lands on the
  // second prompt's Accept, which is not armed yet: the second is answered
  // only by the customer's own "Don't accept".
  ASSERT_TRUE(browser_->WaitForLine("STRAY-CLICK", kBrowserStep));
  auto first = answer_to(10);
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(first->consent_answer().granted());
  auto second = answer_to(11);
  ASSERT_TRUE(second.has_value());
  EXPECT_FALSE(second->consent_answer().granted())
      << "a stray click accepted the next file";
  EXPECT_EQ(supporter_->Count(PeerMessage::kFileAccept), 0u);

  ExpectStoppedByTheCustomer();
  ExpectBrowserPassed();
}

}  // namespace
}  // namespace tether::customer
