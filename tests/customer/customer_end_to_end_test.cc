// The customer app's core end to end, with every real part: a tether-relay
// process on 127.0.0.1, TLS, the E2E channel, a private Xvfb as the
// customer's desktop (capture, VP8, XTest, the STOP hotkey), and a headless
// technician (tests/support/headless_supporter.h) on the other side. The
// customer's answers come from a scripted ConsentProvider that does what a
// careful customer does: it confirms the code only when it matches what
// the technician reads out.

#include <gtest/gtest.h>
#include <unistd.h>
#include <xcb/xcb.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "crypto/random.h"
#include "crypto/totp.h"
#include "customer-app/core/customer_session.h"
#include "desktop/capture/screen_capturer.h"
#include "tests/desktop/x11_test_util.h"
#include "tests/fakes/scripted_consent.h"
#include "tests/fakes/task_runner.h"
#include "tests/support/headless_supporter.h"
#include "tests/support/mitm_relay.h"
#include "tests/support/relay_process.h"
#include "tests/support/shell.h"

namespace tether::customer {
namespace {

using namespace std::chrono_literals;
using proto::PeerMessage;
using test::HeadlessSupporter;

using tether::test::kPassword;
constexpr desktop::DesktopSize kEndToEndScreen{800, 600};
constexpr desktop::DesktopRect kEndToEndRedBox{200, 150, 240, 160};

class Observer final : public CustomerSession::Observer {
 public:
  void OnSas(const std::string& sas) override {
    std::lock_guard lock(mutex_);
    sas_ = sas;
  }
  void OnGrantsChanged(const Grants& grants) override {
    std::lock_guard lock(mutex_);
    grants_changes_++;
    grants_ = grants;
  }
  void OnEnded(const protocol::SessionEnd& end) override {
    std::lock_guard lock(mutex_);
    ended_ = end;
    changed_.notify_all();
  }
  std::optional<protocol::SessionEnd> WaitEnded() {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 20s, [&] { return ended_.has_value(); });
    return ended_;
  }
  std::string sas() {
    std::lock_guard lock(mutex_);
    return sas_;
  }
  int grants_changes() {
    std::lock_guard lock(mutex_);
    return grants_changes_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string sas_;
  Grants grants_;
  int grants_changes_ = 0;
  std::optional<protocol::SessionEnd> ended_;
};

using desktop::test::PointerPosition;

// The technician's SAS, as read out over the phone.
class ReadOut {
 public:
  void Set(const std::string& sas) {
    std::lock_guard lock(mutex_);
    sas_ = sas;
  }
  std::string Get() {
    std::lock_guard lock(mutex_);
    return sas_;
  }

 private:
  std::mutex mutex_;
  std::string sas_;
};

class CustomerEndToEndTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The customer page offers what IT put in the downloads folder.
    relay_ = new test::RelayProcess("[web]\ndownloads = \"downloads\"\n");
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
    if (!tether::test::XvfbDisplay::Available())
      GTEST_SKIP() << "Xvfb is not installed";
    tether::test::XvfbOptions options;
    options.width = kEndToEndScreen.width;
    options.height = kEndToEndScreen.height;
    options.extra_args = {"-br"};
    std::string skip;
    display_ = desktop::test::StartDisplay(options, &skip);
    ASSERT_NE(display_, nullptr);
    desktop::test::FillRect(display_->c(), display_->root(), kEndToEndRedBox,
                            0xFF0000);
    char templ[] = "/tmp/tether-e2e-XXXXXX";
    downloads_ = mkdtemp(templ);
    // The careful customer: "yes" only to the code the technician reads out.
    consent_.set_terms_decider([this](const TermsPrompt& prompt) {
      return !read_out_.Get().empty() && prompt.sas == read_out_.Get();
    });
    consent_.set_fallback(true);
  }

  void TearDown() override {
    if (session_)
      runner_.RunSync([&] { session_.reset(); });
    supporter_.reset();
    if (!downloads_.empty())
      std::filesystem::remove_all(downloads_);
  }

  // The technician signs in and gets a code; the customer types it; the
  // technician accepts; both sides are secured; the technician reads out
  // the SAS and sends the terms.
  void Pair(uint16_t port,
            const std::string& fingerprint,
            const std::string& code_override = "",
            std::function<std::string(const std::string&)> read_out = {}) {
    auto supporter = HeadlessSupporter::Start({port,
                                               fingerprint,
                                               "tina",
                                               kPassword,
                                               {},
                                               technician_decoders_,
                                               technician_exact_});
    ASSERT_TRUE(supporter.has_value()) << supporter.error().message;
    supporter_ = std::move(*supporter);
    auto code = supporter_->WaitForCode();
    ASSERT_TRUE(code.has_value()) << code.error().message;

    CustomerSession::Options options;
    options.config.relay.host = "127.0.0.1";
    options.config.relay.port = port;
    options.config.relay.fingerprint = fingerprint;
    options.config.display = display_->name();
    options.config.download_dir = downloads_.string();
    options.code = code_override.empty() ? *code : code_override;
    options.host_name = "pc-042";
    options.user_name = "maria";
    options.deliver = runner_.Deliver();
    auto session = runner_.RunSync([&] {
      return CustomerSession::Start(std::move(options), &consent_, &observer_);
    });
    ASSERT_TRUE(session.has_value()) << session.error().message;
    session_ = std::move(*session);

    auto request = supporter_->AcceptJoin(true);
    ASSERT_TRUE(request.has_value()) << request.error().message;
    EXPECT_EQ(request->host_name(), "pc-042");
    auto sas = supporter_->WaitForSas();
    ASSERT_TRUE(sas.has_value()) << sas.error().message;
    read_out_.Set(read_out ? read_out(*sas) : *sas);
    ASSERT_TRUE(supporter_->SendTerms("Terms from the technician's app."));
  }

  // The view allowed: the codec of the first frame, once it was decoded
  // without an error.
  proto::Codec FirstFrameCodec() {
    auto granted = supporter_->Ask(1, proto::PERMISSION_VIEW_SCREEN);
    EXPECT_TRUE(granted && *granted);
    auto frame = supporter_->WaitFor(
        [](const PeerMessage& m) { return m.has_video_frame(); });
    EXPECT_TRUE(frame.has_value());
    EXPECT_TRUE(supporter_->WaitForFrames(1));
    EXPECT_EQ(supporter_->decode_errors(), 0);
    return frame ? frame->video_frame().codec() : proto::CODEC_UNSPECIFIED;
  }

  void PairWithRelay() {
    Pair(relay_->port(), relay_->fingerprint());
    auto answer = supporter_->WaitFor(
        [](const PeerMessage& m) { return m.has_terms_answer(); });
    ASSERT_TRUE(answer.has_value());
    ASSERT_TRUE(answer->terms_answer().accepted());
  }

  inline static test::RelayProcess* relay_ = nullptr;
  std::unique_ptr<desktop::test::TestDisplay> display_;
  std::filesystem::path downloads_;
  test::TaskRunner runner_;
  test::ScriptedConsent consent_;
  Observer observer_;
  ReadOut read_out_;
  std::unique_ptr<HeadlessSupporter> supporter_;
  std::unique_ptr<CustomerSession> session_;
  // What the technician's app says it decodes (the current console's).
  std::vector<proto::Codec> technician_decoders_ = {proto::CODEC_VP9,
                                                    proto::CODEC_VP8};
  // Whether it keeps an exact layer over the video (the console does).
  bool technician_exact_ = true;
};

// One-pixel marks in many colours, as small text is: what a lossy video
// codec cannot give back exactly.
void DrawSpeckles(xcb_connection_t* c, xcb_window_t root) {
  for (uint32_t colour = 0; colour < 12; ++colour) {
    const xcb_gcontext_t gc = xcb_generate_id(c);
    const uint32_t values[] = {0x1F3F7Fu * (colour + 1) & 0xFFFFFFu, 0};
    xcb_create_gc(c, gc, root, XCB_GC_FOREGROUND | XCB_GC_SUBWINDOW_MODE,
                  values);
    std::vector<xcb_rectangle_t> marks;
    for (int i = 0; i < 300; ++i) {
      const int n = static_cast<int>(colour) * 300 + i;
      marks.push_back({static_cast<int16_t>(40 + (n * 37) % 700),
                       static_cast<int16_t>(300 + (n * 53) % 260), 1,
                       static_cast<uint16_t>(1 + n % 4)});
    }
    xcb_poly_fill_rectangle(c, root, gc, static_cast<uint32_t>(marks.size()),
                            marks.data());
    xcb_free_gc(c, gc);
  }
  desktop::x11::Sync(c);
}

// The customer's screen as it is now, read with the product's capturer.
std::optional<desktop::DesktopFrame> ReadScreen(const std::string& display) {
  desktop::CaptureOptions options;
  options.display = display;
  auto capturer = desktop::ScreenCapturer::Create(options);
  if (!capturer)
    return std::nullopt;
  std::optional<desktop::DesktopFrame> screen;
  (*capturer)->Start([&](desktop::CaptureStatus status,
                         std::unique_ptr<desktop::DesktopFrame> frame) {
    if (status == desktop::CaptureStatus::kSuccess && frame)
      screen = frame->Clone();
  });
  (*capturer)->CaptureFrame();
  return screen;
}

bool SameRgb(const desktop::DesktopFrame& a, const desktop::DesktopFrame& b) {
  if (a.size() != b.size())
    return false;
  for (int y = 0; y < a.size().height; ++y) {
    for (int x = 0; x < a.size().width; ++x) {
      if (a.RgbAt(x, y) != b.RgbAt(x, y))
        return false;
    }
  }
  return true;
}

TEST_F(CustomerEndToEndTest,
       ConfirmedCodeThenAllowedViewGivesTheTechnicianTheScreen) {
  PairWithRelay();
  ASSERT_EQ(consent_.terms_prompts.size(), 1u);
  const TermsPrompt& terms = consent_.terms_prompts[0];
  EXPECT_EQ(terms.sas, read_out_.Get());
  EXPECT_EQ(terms.technician, "Tina (IT)");    // the relay's word
  EXPECT_EQ(terms.organisation, "Test IT");    // the relay's config
  EXPECT_EQ(terms.terms_text, "Test terms.");  // the relay's terms
  EXPECT_EQ(observer_.sas(), read_out_.Get());
  EXPECT_EQ(supporter_->Count(PeerMessage::kVideoFrame), 0u);

  auto granted = supporter_->Ask(1, proto::PERMISSION_VIEW_SCREEN,
                                 [](proto::ConsentRequest& r) {
                                   r.mutable_view()->set_whole_desktop(true);
                                 });
  ASSERT_TRUE(granted.has_value()) << granted.error().message;
  ASSERT_TRUE(*granted);
  // A static screen: the key frame and the encoder's top-offs, then
  // nothing (no keep-alives).
  ASSERT_TRUE(supporter_->WaitForFrames(1));
  EXPECT_EQ(supporter_->decode_errors(), 0);
  auto picture = supporter_->LastPicture();
  ASSERT_TRUE(picture.has_value());
  ASSERT_EQ(picture->size(), kEndToEndScreen);
  const uint32_t inside =
      picture->RgbAt(kEndToEndRedBox.x + 120, kEndToEndRedBox.y + 80);
  EXPECT_GT((inside >> 16) & 0xFF, 200u);
  EXPECT_LT(inside & 0xFFFF, 0x4040u);
  EXPECT_LT((picture->RgbAt(10, 10) >> 16) & 0xFF, 60u);
  EXPECT_TRUE(
      supporter_
          ->WaitFor([](const PeerMessage& m) { return m.has_monitor_list(); })
          .has_value());
  EXPECT_TRUE(supporter_
                  ->WaitFor([](const PeerMessage& m) {
                    return m.has_cursor_position();
                  })
                  .has_value());
}

// The screen's codec is agreed through the terms: VP9 for an app that
// decodes it, VP8 for one that announces nothing (before 0.2).
TEST_F(CustomerEndToEndTest, TheScreenIsVp9WhereTheTechniciansAppDecodesIt) {
  PairWithRelay();
  EXPECT_EQ(FirstFrameCodec(), proto::CODEC_VP9);
  auto picture = supporter_->LastPicture();
  ASSERT_TRUE(picture.has_value());
  EXPECT_GT(
      (picture->RgbAt(kEndToEndRedBox.x + 120, kEndToEndRedBox.y + 80) >> 16) &
          0xFF,
      200u);
}

TEST_F(CustomerEndToEndTest, AnOlderTechniciansAppGetsVp8) {
  technician_decoders_ = {};
  PairWithRelay();
  EXPECT_EQ(FirstFrameCodec(), proto::CODEC_VP8);
}

// The exact layer end to end: once the screen is still, the technician's
// picture becomes the customer's pixels exactly (the lossless top-off), and
// a small change arrives exactly as a patch, without video.
TEST_F(CustomerEndToEndTest, TheTechniciansPictureBecomesExactlyTheScreen) {
  DrawSpeckles(display_->c(), display_->root());
  PairWithRelay();
  EXPECT_EQ(FirstFrameCodec(), proto::CODEC_VP9);
  const auto exact_within = [&](std::chrono::milliseconds limit) {
    const auto screen = ReadScreen(display_->name());
    if (!screen)
      return false;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    do {
      if (auto picture = supporter_->LastPicture();
          picture && SameRgb(*picture, *screen)) {
        return true;
      }
      std::this_thread::sleep_for(20ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
  };
  // The goal is 1 s; the bound leaves room for a loaded test machine.
  EXPECT_TRUE(exact_within(5s));

  desktop::test::FillRect(display_->c(), display_->root(), {500, 100, 3, 7},
                          0x2468AC);
  // The technician has those tiles exactly: just the changed pixels go.
  auto typed = supporter_->WaitFor([](const PeerMessage& m) {
    return m.has_video_frame() && m.video_frame().patches_size() > 0 &&
           m.video_frame().data().empty() &&
           m.video_frame().patches(0).rect().x() == 500 &&
           m.video_frame().patches(0).rect().width() == 3;
  });
  EXPECT_TRUE(typed.has_value()) << "the small change did not come as a patch";
  EXPECT_TRUE(exact_within(5s));
  EXPECT_EQ(supporter_->decode_errors(), 0);
}

TEST_F(CustomerEndToEndTest, AnAppWithoutTheExactLayerGetsVideoOnly) {
  technician_exact_ = false;
  DrawSpeckles(display_->c(), display_->root());
  PairWithRelay();
  FirstFrameCodec();
  std::this_thread::sleep_for(1500ms);  // the codec's own top-off, if any
  for (const PeerMessage& m : supporter_->received()) {
    if (!m.has_video_frame())
      continue;
    EXPECT_EQ(m.video_frame().patches_size(), 0);
    EXPECT_EQ(m.video_frame().moves_size(), 0);
    EXPECT_FALSE(m.video_frame().data().empty());
  }
  const auto screen = ReadScreen(display_->name());
  const auto picture = supporter_->LastPicture();
  ASSERT_TRUE(screen && picture);
  EXPECT_FALSE(SameRgb(*picture, *screen)) << "VP9 is lossy on 1-px marks";
}

TEST_F(CustomerEndToEndTest, ControlGrantLetsTheTechnicianMoveThePointer) {
  PairWithRelay();
  xcb_connection_t* c = display_->c();
  const xcb_window_t root = display_->root();
  const desktop::DesktopPoint start = PointerPosition(c, root);
  PeerMessage move;
  move.mutable_input()->mutable_mouse_move()->set_x(321);
  move.mutable_input()->mutable_mouse_move()->set_y(123);
  // Before the grant: refused by the customer.
  ASSERT_TRUE(supporter_->Send(move));
  auto refused =
      supporter_->Ask(1, proto::PERMISSION_CLIPBOARD);  // a round trip
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(PointerPosition(c, root), start);

  auto granted = supporter_->Ask(2, proto::PERMISSION_REMOTE_CONTROL);
  ASSERT_TRUE(granted.has_value() && *granted);
  ASSERT_TRUE(supporter_->Send(move));
  for (int i = 0;
       i < 1000 && PointerPosition(c, root) != desktop::DesktopPoint{321, 123};
       ++i) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(PointerPosition(c, root), (desktop::DesktopPoint{321, 123}));
}

TEST_F(CustomerEndToEndTest, StopEndsTheSessionForTheTechnicianToo) {
  PairWithRelay();
  auto granted = supporter_->Ask(1, proto::PERMISSION_REMOTE_CONTROL);
  ASSERT_TRUE(granted.has_value() && *granted);
  session_->EmergencyStop();  // not on the app thread: as the hotkey would
  auto stop = supporter_->WaitFor(
      [](const PeerMessage& m) { return m.has_emergency_stop(); });
  EXPECT_TRUE(stop.has_value());
  auto supporter_end = supporter_->WaitEnded();
  ASSERT_TRUE(supporter_end.has_value());
  EXPECT_EQ(supporter_end->reason, proto::END_REASON_EMERGENCY_STOP);
  auto customer_end = observer_.WaitEnded();
  ASSERT_TRUE(customer_end.has_value());
  EXPECT_EQ(customer_end->message, "Session ended by you");
}

TEST_F(CustomerEndToEndTest,
       ACodeThatDoesNotMatchIsNotConfirmedAndNothingIsSent) {
  // The technician reads out something else than the customer's screen shows.
  Pair(relay_->port(), relay_->fingerprint(), "", [](const std::string& sas) {
    std::string other = sas;
    other[0] = other[0] == '9' ? '0' : static_cast<char>(other[0] + 1);
    return other;
  });
  auto answer = supporter_->WaitFor(
      [](const PeerMessage& m) { return m.has_terms_answer(); });
  ASSERT_TRUE(answer.has_value());
  EXPECT_FALSE(answer->terms_answer().accepted());
  auto customer_end = observer_.WaitEnded();
  ASSERT_TRUE(customer_end.has_value());
  EXPECT_NE(customer_end->message.find("You did not confirm the code"),
            std::string::npos);
  auto supporter_end = supporter_->WaitEnded();
  ASSERT_TRUE(supporter_end.has_value());
  auto granted = supporter_->Ask(1, proto::PERMISSION_VIEW_SCREEN);
  EXPECT_FALSE(granted.has_value() && *granted);
  EXPECT_EQ(supporter_->Count(PeerMessage::kVideoFrame), 0u);
  EXPECT_EQ(supporter_->frames_decoded(), 0);
  EXPECT_TRUE(consent_.prompts.empty());
}

TEST_F(CustomerEndToEndTest,
       ARelaySwappingKeysIsCaughtByTheCodeAndGetsNothing) {
  auto mitm = test::MitmRelay::Start();
  ASSERT_TRUE(mitm.has_value()) << mitm.error().message;
  Pair((*mitm)->port(), (*mitm)->fingerprint(), test::MitmRelay::kCode);
  // The customer sees a different SAS than the technician reads out.
  auto ended = observer_.WaitEnded();
  ASSERT_TRUE(ended.has_value());
  EXPECT_NE(ended->message.find("You did not confirm the code"),
            std::string::npos)
      << ended->message;
  ASSERT_EQ(consent_.terms_prompts.size(), 1u);
  EXPECT_NE(consent_.terms_prompts[0].sas, read_out_.Get());
  EXPECT_EQ(consent_.terms_prompts[0].sas, (*mitm)->sas_with_customer());
  // Neither the relay nor the technician got anything of the screen.
  EXPECT_EQ(supporter_->frames_decoded(), 0);
  EXPECT_EQ(supporter_->Count(PeerMessage::kVideoFrame), 0u);
  EXPECT_TRUE(consent_.prompts.empty());
  EXPECT_EQ(observer_.grants_changes(), 0);
}

// IT at the relay's web console, in a real browser (Debian's Chromium,
// driven by tests/web/console_test.mjs through playwright-core): signs in
// with password and TOTP, creates a technician, ends this live session
// between the real apps, downloads a CSV. Both apps hear, in plain words,
// that IT ended it. TETHER_WEB_SCREENSHOTS=DIR keeps a picture of every page
// (docs/screenshots/web-*.png come from here).
TEST_F(CustomerEndToEndTest, ITEndsTheSessionFromTheWebConsoleInABrowser) {
  const Bytes secret =
      crypto::GenerateTotpSecret(crypto::RandomGenerator::Default());
  constexpr char kAdminPassword[] = "an admin's long passphrase";
  // Setup installs these; a machine without them cannot run this test.
  ASSERT_EQ(test::RunShell("command -v node").exit_code, 0)
      << "node is missing: run scripts/setup";
  ASSERT_TRUE(std::filesystem::exists("web/node_modules/playwright-core"))
      << "playwright-core is missing: run scripts/setup (npm ci in tests/web)";
  ASSERT_TRUE(relay_->AddAccount("itadmin", "admin", kAdminPassword, secret)
                  .has_value());
  // What IT hands out on the customer page (docs/relay.md).
  const std::filesystem::path downloads = relay_->dir() / "downloads";
  std::filesystem::create_directories(downloads);
  std::ofstream(downloads / "tether-customer") << std::string(4 << 20, 'x');
  std::ofstream(downloads / "tether-customer.sig") << "signature";
  std::ofstream(downloads / "tether-customer.toml")
      << "[relay]\nhost = \"relay.example.com\"\n";
  PairWithRelay();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(*supporter_->Ask(1, proto::PERMISSION_VIEW_SCREEN));
  ASSERT_TRUE(supporter_->WaitForFrames(1));

  const char* kept = std::getenv("TETHER_WEB_SCREENSHOTS");
  const std::filesystem::path shots =
      kept != nullptr ? std::filesystem::path(kept) : downloads_ / "shots";
  // Handed over in the environment, so no value needs shell quoting.
  const std::pair<const char*, std::string> environment[] = {
      {"RELAY_URL", "https://127.0.0.1:" + std::to_string(relay_->port())},
      {"RELAY_FINGERPRINT", relay_->fingerprint()},
      {"ADMIN_USER", "itadmin"},
      {"ADMIN_PASSWORD", kAdminPassword},
      {"ADMIN_TOTP_SECRET", crypto::Base32Encode(secret)},
      {"TECHNICIAN", "tina"},
      {"SCREENSHOTS", shots.string()},
  };
  for (const auto& [name, value] : environment)
    setenv(name, value.c_str(), 1);
  const test::ShellResult browser =
      test::RunShell("timeout 180 node web/console_test.mjs");
  for (const auto& [name, value] : environment)
    unsetenv(name);
  ASSERT_EQ(browser.exit_code, 0) << browser.output;

  auto ended = observer_.WaitEnded();
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->reason, proto::END_REASON_ENDED_BY_IT);
  EXPECT_NE(ended->message.find("IT department ended this session"),
            std::string::npos)
      << ended->message;
  auto technician_end = supporter_->WaitEnded();
  ASSERT_TRUE(technician_end.has_value());
  EXPECT_EQ(technician_end->reason, proto::END_REASON_ENDED_BY_IT);
}

}  // namespace
}  // namespace tether::customer
