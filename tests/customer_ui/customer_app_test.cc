#include "customer-app/ui/customer_app.h"

#include <gtest/gtest.h>

#include <QClipboard>
#include <QDir>
#include <QGuiApplication>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "customer-app/ui/consent_dialogs.h"
#include "customer-app/ui/control_border.h"
#include "customer-app/ui/ended_window.h"
#include "customer-app/ui/session_code_edit.h"
#include "customer-app/ui/session_panel.h"
#include "customer-app/ui/start_window.h"
#include "tests/customer_ui/qt_test_environment.h"
#include "tests/fakes/fake_customer_session.h"

namespace tether::customer::ui {
namespace {

using tether::test::FakeCustomerSession;

protocol::SessionEnd AppEnd(proto::EndReason reason,
                            std::string message = {},
                            bool local = false) {
  protocol::SessionEnd end;
  end.reason = reason;
  end.message = std::move(message);
  end.local = local;
  return end;
}

class CustomerAppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CustomerApp::Options options;
    options.config.organisation = "Example Corp IT";
    options.config.relay.host = "relay.example.com";
    options.config.relay.fingerprint = "sha256:" + std::string(64, 'a');
    options.start_session = tether::test::FakeSessionFactory(&fake_, &starts_);
    options.deliver = [](std::function<void()> fn) { fn(); };
    options.prompt_arm_delay = std::chrono::milliseconds(0);
    app_ = std::make_unique<CustomerApp>(std::move(options));
    app_->Show();
  }
  void TearDown() override {
    app_.reset();
    test::Flush();
  }

  // Types the code and presses Connect, as the customer would.
  void ConnectWithCode(const QString& code) {
    QTest::keyClicks(app_->start_window()->code_edit(), code);
    QTest::mouseClick(app_->start_window()->connect_button(), Qt::LeftButton);
  }
  // The session reaches the technician and the E2E channel.
  void Pair() {
    ConnectWithCode(QStringLiteral("12345678"));
    ASSERT_NE(fake_, nullptr);
    fake_->observer->OnStateChanged(protocol::SessionState::kWaitingForPeer);
    fake_->observer->OnTechnician("Alex Meyer", "Example Corp IT");
    fake_->observer->OnStateChanged(protocol::SessionState::kKeyExchange);
    fake_->observer->OnSas("482913");
    fake_->observer->OnStateChanged(protocol::SessionState::kSecured);
  }

  FakeCustomerSession* fake_ = nullptr;
  int starts_ = 0;
  std::unique_ptr<CustomerApp> app_;
};

TEST_F(CustomerAppTest, ConnectStartsTheSessionWithTheEightDigits) {
  ConnectWithCode(QStringLiteral("1234 5678"));
  ASSERT_EQ(starts_, 1);
  EXPECT_EQ(fake_->options.code, "12345678");
  EXPECT_EQ(fake_->options.config.relay.host, "relay.example.com");
  EXPECT_FALSE(fake_->options.host_name.empty());
  EXPECT_EQ(fake_->consent, app_->consent());
  EXPECT_EQ(app_->start_window()->phase(), StartWindow::Phase::kConnecting);
}

TEST_F(CustomerAppTest, WaitingForTheTechnicianIsShown) {
  ConnectWithCode(QStringLiteral("12345678"));
  fake_->observer->OnStateChanged(protocol::SessionState::kWaitingForPeer);
  EXPECT_EQ(app_->start_window()->phase(),
            StartWindow::Phase::kWaitingForTechnician);
}

TEST_F(CustomerAppTest, WrongCodeReturnsToTheCodeFieldWithTheReason) {
  ConnectWithCode(QStringLiteral("12345678"));
  fake_->observer->OnEnded(AppEnd(proto::END_REASON_CODE_EXPIRED,
                                  "This code is wrong or has expired."));
  EXPECT_TRUE(app_->start_window()->isVisible());
  EXPECT_EQ(app_->start_window()->phase(), StartWindow::Phase::kEnterCode);
  EXPECT_EQ(app_->start_window()->problem_title()->text(),
            QStringLiteral("This code is wrong or has expired"));
  EXPECT_EQ(app_->panel(), nullptr);

  // And the customer can try again.
  app_->start_window()->code_edit()->setText(QStringLiteral("87654321"));
  QTest::mouseClick(app_->start_window()->connect_button(), Qt::LeftButton);
  EXPECT_EQ(starts_, 2);
  EXPECT_EQ(fake_->options.code, "87654321");
}

TEST_F(CustomerAppTest, CertificateMismatchBlocksAnotherTry) {
  ConnectWithCode(QStringLiteral("12345678"));
  protocol::SessionEnd end =
      AppEnd(proto::END_REASON_PROTOCOL_ERROR,
             "The server's key does not match the pinned fingerprint.");
  end.server_untrusted = true;
  fake_->observer->OnEnded(end);
  EXPECT_EQ(app_->start_window()->phase(), StartWindow::Phase::kBlocked);
  EXPECT_EQ(app_->start_window()->problem_title()->text(),
            QStringLiteral(
                "This is not your company's server \u2014 do not continue."));
  QSignalSpy finished(app_.get(), &CustomerApp::finished);
  QTest::mouseClick(app_->start_window()->close_button(), Qt::LeftButton);
  EXPECT_EQ(finished.count(), 1);
}

TEST_F(CustomerAppTest, CancelWhileConnectingEndsAndBringsTheFieldBack) {
  ConnectWithCode(QStringLiteral("12345678"));
  QTest::mouseClick(app_->start_window()->cancel_button(), Qt::LeftButton);
  EXPECT_EQ(fake_->ends, 1);
  fake_->observer->OnEnded(AppEnd(proto::END_REASON_USER_ENDED, {}, true));
  EXPECT_EQ(app_->start_window()->phase(), StartWindow::Phase::kEnterCode);
  EXPECT_FALSE(app_->start_window()->problem_visible());
}

TEST_F(CustomerAppTest, PairingShowsThePanelInsteadOfTheStartWindow) {
  Pair();
  ASSERT_NE(app_->panel(), nullptr);
  EXPECT_TRUE(app_->panel()->isVisible());
  EXPECT_FALSE(app_->start_window()->isVisible());
  EXPECT_EQ(app_->panel()->technician_label()->text(),
            QStringLiteral("Connected to Alex Meyer"));
  EXPECT_EQ(app_->panel()->sas_label()->text(),
            QStringLiteral("Security code: 482 913"));
}

TEST_F(CustomerAppTest, ControlShowsTheBorderAndItsEndHidesIt) {
  Pair();
  Grants grants;
  grants.viewing = true;
  grants.control = true;
  fake_->observer->OnGrantsChanged(grants);
  EXPECT_TRUE(app_->border()->visible());
  ASSERT_EQ(app_->border()->strips().size() % 4, 0u);
  ASSERT_FALSE(app_->border()->strips().empty());
  for (QWidget* strip : app_->border()->strips()) {
    EXPECT_TRUE(strip->isVisible());
    EXPECT_TRUE(strip->windowFlags() & Qt::WindowTransparentForInput);
    EXPECT_TRUE(strip->windowFlags() & Qt::WindowStaysOnTopHint);
    EXPECT_EQ(std::min(strip->width(), strip->height()), kBorderThickness);
  }
  EXPECT_TRUE(app_->panel()->GrantLines().contains(
      QStringLiteral("control your mouse and keyboard")));

  grants.control = false;
  fake_->observer->OnGrantsChanged(grants);
  EXPECT_FALSE(app_->border()->visible());
  EXPECT_TRUE(app_->border()->strips().empty());
}

TEST_F(CustomerAppTest, StopFromThePanelStopsAndHidesTheBorder) {
  Pair();
  Grants grants;
  grants.control = true;
  fake_->observer->OnGrantsChanged(grants);
  QTest::mouseClick(app_->panel()->stop_button(), Qt::LeftButton);
  EXPECT_EQ(fake_->emergency_stops.load(), 1);
  EXPECT_FALSE(app_->border()->visible());
  fake_->observer->OnEnded(
      AppEnd(proto::END_REASON_EMERGENCY_STOP, "Session ended by you", true));
  ASSERT_NE(app_->ended_window(), nullptr);
  EXPECT_EQ(app_->ended_window()->title_label()->text(),
            QStringLiteral("Session ended by you"));
}

TEST_F(CustomerAppTest, TheEndClosesOpenPromptsWithoutAnswering) {
  Pair();
  int answers = 0;
  PermissionPrompt prompt;
  prompt.permission = proto::PERMISSION_REMOTE_CONTROL;
  app_->consent()->AskPermission(prompt, [&](bool) { ++answers; });
  ASSERT_EQ(app_->consent()->open_dialogs().size(), 1u);
  fake_->observer->OnEnded(AppEnd(proto::END_REASON_PEER_ENDED));
  test::Flush();
  EXPECT_TRUE(app_->consent()->open_dialogs().empty());
  EXPECT_EQ(answers, 0);
}

TEST_F(CustomerAppTest, EndAfterPairingShowsTheMessageAndOffersTheReceipt) {
  Pair();
  fake_->receipt_entries.push_back(
      {std::chrono::system_clock::now(), "You allowed viewing your screen."});
  fake_->observer->OnEnded(AppEnd(proto::END_REASON_PEER_LOST,
                                  "The connection to the relay was lost."));
  EXPECT_FALSE(app_->panel()->isVisible());
  ASSERT_NE(app_->ended_window(), nullptr);
  EndedWindow* ended = app_->ended_window();
  EXPECT_TRUE(ended->isVisible());
  EXPECT_EQ(ended->title_label()->text(),
            QStringLiteral("The connection was lost"));
  ASSERT_TRUE(ended->save_button()->isVisible());

  QTemporaryDir dir;
  ASSERT_TRUE(dir.isValid());
  const QString path = dir.filePath(QStringLiteral("receipt.txt"));
  ended->SetChoosePath([&](const QString& suggested) {
    EXPECT_TRUE(suggested.contains(QStringLiteral("tether-receipt-")));
    return path;
  });
  QTest::mouseClick(ended->save_button(), Qt::LeftButton);
  ASSERT_EQ(fake_->saved_paths.size(), 1u);
  EXPECT_EQ(fake_->saved_paths[0], path.toStdString());
  EXPECT_TRUE(ended->save_status()->text().startsWith(
      QStringLiteral("Receipt saved to")));

  QSignalSpy finished(app_.get(), &CustomerApp::finished);
  QTest::mouseClick(ended->close_button(), Qt::LeftButton);
  EXPECT_EQ(finished.count(), 1);
}

TEST_F(CustomerAppTest, AFailedReceiptSaysWhy) {
  Pair();
  fake_->fail_save = true;
  fake_->observer->OnEnded(AppEnd(proto::END_REASON_PEER_ENDED));
  EndedWindow* ended = app_->ended_window();
  ASSERT_NE(ended, nullptr);
  ended->SetChoosePath([](const QString&) {
    return QStringLiteral("/nonexistent/receipt.txt");
  });
  QTest::mouseClick(ended->save_button(), Qt::LeftButton);
  EXPECT_TRUE(ended->save_status()->text().contains(
      QStringLiteral("could not be saved")));
}

TEST_F(CustomerAppTest, ClosingThePanelAsksThenEnds) {
  Pair();
  app_->panel()->SetConfirmEnd([] { return true; });
  app_->panel()->close();
  EXPECT_EQ(fake_->ends, 1);
  fake_->observer->OnEnded(
      AppEnd(proto::END_REASON_USER_ENDED, "Session ended by you", true));
  ASSERT_NE(app_->ended_window(), nullptr);
  EXPECT_EQ(app_->ended_window()->title_label()->text(),
            QStringLiteral("Session ended by you"));
}

TEST_F(CustomerAppTest, ChatAndSavedFilesAppearInThePanel) {
  Pair();
  fake_->observer->OnChat("Hello, I can see your screen now.", false);
  fake_->observer->OnFileReceived("/home/sam/Downloads/driver.pdf", true, "");
  auto* list = app_->panel()->chat_list();
  ASSERT_EQ(list->count(), 2);
  EXPECT_EQ(list->item(0)->text(),
            QStringLiteral("Alex Meyer: Hello, I can see your screen now."));
  EXPECT_TRUE(list->item(1)->text().contains(QStringLiteral("driver.pdf")));
}

TEST_F(CustomerAppTest, TechnicianClipboardTextLandsOnTheLocalClipboard) {
  Pair();
  fake_->observer->OnClipboard("lpadmin -p office");
  EXPECT_EQ(QGuiApplication::clipboard()->text(),
            QStringLiteral("lpadmin -p office"));
  EXPECT_TRUE(app_->panel()->chat_list()->item(0)->text().contains(
      QStringLiteral("clipboard")));
}

TEST_F(CustomerAppTest, ClosingTheStartWindowWhileConnectingEndsAndQuits) {
  ConnectWithCode(QStringLiteral("12345678"));
  QSignalSpy finished(app_.get(), &CustomerApp::finished);
  app_->start_window()->close();
  EXPECT_EQ(fake_->ends, 1);
  EXPECT_EQ(finished.count(), 0);
  fake_->observer->OnEnded(AppEnd(proto::END_REASON_USER_ENDED, {}, true));
  EXPECT_EQ(finished.count(), 1);
}

}  // namespace
}  // namespace tether::customer::ui
