// The customer app's core end to end on a GNOME Wayland desktop: a real
// tether-relay on 127.0.0.1, TLS and the E2E channel, a headless technician
// on the other side, and the customer's desktop a private headless mutter
// with xdg-desktop-portal and PipeWire (tests/support/wayland_desktop.h).
// Our own prompts come first (a scripted ConsentProvider); then the
// desktop's own dialog, which a scripted person answers by clicking it
// (tests/support/desktop_person.h). These never skip: scripts/setup
// installs the desktop.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "customer-app/core/customer_session.h"
#include "tests/fakes/scripted_consent.h"
#include "tests/fakes/task_runner.h"
#include "tests/support/desktop_person.h"
#include "tests/support/headless_supporter.h"
#include "tests/support/relay_process.h"
#include "tests/support/wayland_desktop.h"

namespace tether::customer {
namespace {

using namespace std::chrono_literals;
using proto::PeerMessage;
using test::DesktopPerson;
using test::HeadlessSupporter;
using test::WaylandDesktop;
using test::WaylandTestWindow;

using tether::test::kPassword;

class Observer final : public CustomerSession::Observer {
 public:
  void OnEnded(const protocol::SessionEnd&) override { ended = true; }
  void OnGrantsChanged(const Grants& grants) override {
    if (grants.desktop_asking)
      desktop_asked = true;
    desktop_asking = grants.desktop_asking;
  }
  std::atomic<bool> ended{false};
  std::atomic<bool> desktop_asking{false};
  std::atomic<bool> desktop_asked{false};  // ever, this session
};

class CustomerWaylandTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    relay_ = new test::RelayProcess();
    auto tina = relay_->AddTechnician("tina", "Tina (IT)", kPassword);
    ASSERT_TRUE(tina) << tina.error().message;
    auto started = relay_->Start();
    ASSERT_TRUE(started) << started.error().message;
    auto desktop = WaylandDesktop::Start();
    ASSERT_TRUE(desktop) << desktop.error().message
                         << " (scripts/setup installs the Wayland desktop)";
    desktop_ = std::move(*desktop).release();
    desktop_->ApplyToThisProcess();
    auto person = DesktopPerson::Start();
    ASSERT_TRUE(person) << person.error().message;
    person_ = std::move(*person).release();
  }
  static void TearDownTestSuite() {
    delete person_;
    delete desktop_;
    delete relay_;
    person_ = nullptr;
    desktop_ = nullptr;
    relay_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(relay_, nullptr);
    ASSERT_NE(desktop_, nullptr);
    ASSERT_NE(person_, nullptr);
    auto window = WaylandTestWindow::Start(
        *desktop_, {"--fullscreen", "--colour", "ff0000"});
    ASSERT_TRUE(window) << window.error().message;
    window_ = std::move(*window);
    ASSERT_TRUE(window_->WaitForLine("ready"));
    consent_.set_terms_answer(true);
    consent_.set_fallback(true);
  }

  void TearDown() override {
    if (session_)
      runner_.RunSync([&] { session_.reset(); });
    supporter_.reset();
    window_.reset();
  }

  // Paired and secured; the terms accepted. The customer's desktop is this
  // session's own (no display named: the Wayland backend).
  void Pair() {
    auto supporter = HeadlessSupporter::Start(
        {relay_->port(), relay_->fingerprint(), "tina", kPassword});
    ASSERT_TRUE(supporter) << supporter.error().message;
    supporter_ = std::move(*supporter);
    auto code = supporter_->WaitForCode();
    ASSERT_TRUE(code) << code.error().message;
    CustomerSession::Options options;
    options.config.relay.host = "127.0.0.1";
    options.config.relay.port = relay_->port();
    options.config.relay.fingerprint = relay_->fingerprint();
    options.code = *code;
    options.deliver = runner_.Deliver();
    auto session = runner_.RunSync([&] {
      return CustomerSession::Start(std::move(options), &consent_, &observer_);
    });
    ASSERT_TRUE(session) << session.error().message;
    session_ = std::move(*session);
    ASSERT_TRUE(supporter_->AcceptJoin(true));
    ASSERT_TRUE(supporter_->WaitForSas());
    ASSERT_TRUE(supporter_->SendTerms("Terms."));
    ASSERT_TRUE(supporter_->WaitFor(
        [](const PeerMessage& m) { return m.has_terms_answer(); }));
  }

  // The technician asks; our prompt says yes; the desktop's dialog is
  // answered by the person.
  void AskAndAnswer(uint32_t id,
                    proto::Permission permission,
                    bool share,
                    bool allow_interaction = true) {
    Result<void> answered;
    std::thread person([&] {
      answered = person_->AnswerSharingDialog(share, allow_interaction);
    });
    auto granted = supporter_->Ask(id, permission);
    person.join();
    ASSERT_TRUE(granted) << granted.error().message;
    EXPECT_TRUE(*granted);  // our prompt's answer
    ASSERT_TRUE(answered) << answered.error().message;
    ASSERT_FALSE(consent_.prompts.empty());
    EXPECT_TRUE(consent_.prompts.back().desktop_asks_next);
  }

  bool ReceiptHas(const std::string& text) {
    bool found = false;
    runner_.RunSync([&] {
      for (const ReceiptEntry& entry : session_->receipt())
        found |= entry.text.find(text) != std::string::npos;
    });
    return found;
  }

  std::optional<PeerMessage> WaitForRevoke(proto::Permission permission) {
    return supporter_->WaitFor([permission](const PeerMessage& m) {
      return m.has_revoke() && m.revoke().permission() == permission;
    });
  }

  inline static test::RelayProcess* relay_ = nullptr;
  inline static WaylandDesktop* desktop_ = nullptr;
  inline static DesktopPerson* person_ = nullptr;
  std::unique_ptr<WaylandTestWindow> window_;
  test::TaskRunner runner_;
  test::ScriptedConsent consent_;
  Observer observer_;
  std::unique_ptr<HeadlessSupporter> supporter_;
  std::unique_ptr<CustomerSession> session_;
};

TEST_F(CustomerWaylandTest, TheTechnicianSeesTheScreenTheDesktopShared) {
  Pair();
  AskAndAnswer(1, proto::PERMISSION_VIEW_SCREEN, /*share=*/true);
  ASSERT_TRUE(supporter_->WaitForFrames(1));
  // The red test window, once the picture has settled (bounded).
  const auto red = [](uint32_t rgb) {
    return ((rgb >> 16) & 0xFF) > 200 && (rgb & 0xFFFF) < 0x4040;
  };
  std::optional<desktop::DesktopFrame> picture;
  for (int i = 0; i < 150; ++i) {
    picture = supporter_->LastPicture();
    if (picture && picture->size() == desktop::DesktopSize{1280, 720} &&
        red(picture->RgbAt(640, 360)) && red(picture->RgbAt(20, 700))) {
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(picture.has_value());
  ASSERT_EQ(picture->size(), (desktop::DesktopSize{1280, 720}));
  EXPECT_TRUE(red(picture->RgbAt(640, 360)));
  EXPECT_TRUE(red(picture->RgbAt(20, 700)));
  EXPECT_EQ(supporter_->decode_errors(), 0);
  // The pointer travels beside the picture (portal cursor metadata).
  ASSERT_TRUE(person_->MoveTo(500, 300));
  EXPECT_TRUE(supporter_->WaitFor([](const PeerMessage& m) {
    return m.has_cursor_position() && m.cursor_position().x() == 500 &&
           m.cursor_position().y() == 300;
  }));
}

TEST_F(CustomerWaylandTest, TheSessionGoesOnWhileTheDesktopDialogIsOpen) {
  Pair();
  // The customer reads the desktop's dialog for a while before sharing;
  // meanwhile the session answers the technician as usual.
  Result<void> answered;
  std::thread person([&] {
    std::this_thread::sleep_for(4s);
    answered = person_->AnswerSharingDialog(true, false);
  });
  auto view = supporter_->Ask(1, proto::PERMISSION_VIEW_SCREEN);
  ASSERT_TRUE(view && *view);
  auto clipboard = supporter_->Ask(2, proto::PERMISSION_CLIPBOARD);
  EXPECT_TRUE(clipboard && *clipboard);
  EXPECT_EQ(supporter_->Count(PeerMessage::kVideoFrame), 0u);  // not yet
  // The panel says the computer is asking too, while it does (the
  // sender's word reaches the app thread a moment after the grant).
  for (int i = 0; i < 300 && !observer_.desktop_asking; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(observer_.desktop_asking);
  person.join();
  ASSERT_TRUE(answered) << answered.error().message;
  EXPECT_TRUE(supporter_->WaitForFrames(1));
  EXPECT_FALSE(observer_.desktop_asking);
  EXPECT_TRUE(observer_.desktop_asked);
  EXPECT_FALSE(observer_.ended);
}

TEST_F(CustomerWaylandTest, ACancelledDesktopDialogIsARefusedView) {
  Pair();
  AskAndAnswer(1, proto::PERMISSION_VIEW_SCREEN, /*share=*/false);
  EXPECT_TRUE(WaitForRevoke(proto::PERMISSION_VIEW_SCREEN));
  EXPECT_EQ(supporter_->Count(PeerMessage::kVideoFrame), 0u);
  EXPECT_TRUE(
      ReceiptHas("You did not share your screen in your computer's "
                 "own dialog"));
}

TEST_F(CustomerWaylandTest, ControlWorksUntilRevokedThenTheDesktopTakesNone) {
  Pair();
  AskAndAnswer(1, proto::PERMISSION_VIEW_SCREEN, true);
  ASSERT_TRUE(supporter_->WaitForFrames(1));
  AskAndAnswer(2, proto::PERMISSION_REMOTE_CONTROL, true, true);

  // What the technician sent while the desktop's dialog was still being
  // answered is dropped: they move again, as they would.
  PeerMessage move;
  move.mutable_input()->mutable_mouse_move()->set_x(321);
  move.mutable_input()->mutable_mouse_move()->set_y(123);
  std::string motion;
  for (int i = 0; i < 20 && motion.empty(); ++i) {
    ASSERT_TRUE(supporter_->Send(move));
    motion = window_->NextLineStartingWith("motion", 250ms);
  }
  EXPECT_EQ(motion, "motion 321 123");
  PeerMessage key;
  key.mutable_input()->mutable_key()->set_keysym('k');
  key.mutable_input()->mutable_key()->set_pressed(true);
  ASSERT_TRUE(supporter_->Send(key));
  EXPECT_EQ(window_->NextLineStartingWith("key 107"), "key 107 pressed");
  key.mutable_input()->mutable_key()->set_pressed(false);
  ASSERT_TRUE(supporter_->Send(key));
  EXPECT_EQ(window_->NextLineStartingWith("key 107"), "key 107 released");

  // The customer takes control back: the portal session closes.
  runner_.RunSync([&] { session_->RevokeControl(); });
  EXPECT_TRUE(WaitForRevoke(proto::PERMISSION_REMOTE_CONTROL));
  key.mutable_input()->mutable_key()->set_pressed(true);
  ASSERT_TRUE(supporter_->Send(key));
  move.mutable_input()->mutable_mouse_move()->set_x(50);
  ASSERT_TRUE(supporter_->Send(move));
  EXPECT_EQ(window_->NextLineStartingWith("key", 1s), "");
  // The view goes on: only control ended.
  const size_t frames = supporter_->Count(PeerMessage::kVideoFrame);
  ASSERT_TRUE(window_->Send("fill 0 0 200 200 00ff00"));
  EXPECT_TRUE(supporter_->WaitForFrames(static_cast<int>(frames) + 1));
}

TEST_F(CustomerWaylandTest, RemoteInteractionNotAllowedIsRefusedControl) {
  Pair();
  AskAndAnswer(1, proto::PERMISSION_REMOTE_CONTROL, true,
               /*allow_interaction=*/false);
  EXPECT_TRUE(WaitForRevoke(proto::PERMISSION_REMOTE_CONTROL));
  EXPECT_TRUE(ReceiptHas("You did not allow remote interaction"));
}

TEST_F(CustomerWaylandTest, StopUnderAnInputFloodLeavesNothingAfterIt) {
  Pair();
  AskAndAnswer(1, proto::PERMISSION_REMOTE_CONTROL, true, true);
  std::atomic<bool> quit{false};
  std::thread flood([&] {
    PeerMessage key;
    key.mutable_input()->mutable_key()->set_keysym('f');
    for (bool pressed = true; !quit; pressed = !pressed) {
      key.mutable_input()->mutable_key()->set_pressed(pressed);
      if (!supporter_->Send(key))
        std::this_thread::sleep_for(1ms);
    }
  });
  EXPECT_NE(window_->NextLineStartingWith("key 102", 15s),
            "");              // the flood arrives
  session_->EmergencyStop();  // from another thread, as the hotkey
  // What was already on its way lands within a moment; then nothing.
  std::this_thread::sleep_for(300ms);
  while (window_->ReadLine(50ms)) {
  }
  EXPECT_EQ(window_->NextLineStartingWith("key", 1s), "");
  quit = true;
  flood.join();
  EXPECT_TRUE(supporter_->WaitEnded());
}

}  // namespace
}  // namespace tether::customer
