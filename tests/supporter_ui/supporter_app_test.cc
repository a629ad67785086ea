#include "supporter-app/ui/supporter_app.h"

#include <gtest/gtest.h>

#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTest>

#include "supporter-app/ui/join_dialog.h"
#include "supporter-app/ui/main_window.h"
#include "supporter-app/ui/remote_view.h"
#include "supporter-app/ui/session_window.h"
#include "supporter-app/ui/sign_in_view.h"
#include "tests/fakes/fake_supporter_session.h"
#include "tests/supporter_ui/qt_test_environment.h"
#include "tests/supporter_ui/test_pictures.h"

namespace tether::supporter::ui {
namespace {

using tether::test::FakeSupporterSession;

SignInResult Status(SignInStatus status) {
  SignInResult result;
  result.status = status;
  result.display_name = "Alex Meyer";
  return result;
}

protocol::SessionEnd End(proto::EndReason reason, bool local = false) {
  protocol::SessionEnd end;
  end.reason = reason;
  end.local = local;
  return end;
}

class SupporterAppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SupporterApp::Options options;
    options.config.relay.host = "relay.example.com";
    options.config.relay.port = 8443;
    options.config.user_name = "alex";
    options.start_session =
        tether::test::FakeSupporterSessionFactory(&fake_, &starts_);
    options.deliver = [](std::function<void()> fn) { fn(); };
    app_ = std::make_unique<SupporterApp>(std::move(options));
    app_->Show();
  }
  void TearDown() override {
    app_.reset();
    tether::test::Flush();
  }

  void SignIn() {
    QTest::keyClicks(app_->sign_in()->password_edit(), QStringLiteral("pw"));
    QTest::mouseClick(app_->sign_in()->sign_in_button(), Qt::LeftButton);
    ASSERT_NE(fake_, nullptr);
    fake_->observer->OnSignIn(Status(SignInStatus::kSignedIn));
  }
  // Signed in, code issued, the customer typed it and was accepted, the
  // channel is secured and the customer agreed.
  void StartSession() {
    SignIn();
    QTest::mouseClick(app_->home()->new_session_button(), Qt::LeftButton);
    fake_->observer->OnCode("12345678", std::chrono::system_clock::now() +
                                            std::chrono::minutes(10));
    fake_->observer->OnJoinRequest("sam-laptop", "sam", "192.0.2.7");
    ASSERT_NE(app_->join_dialog(), nullptr);
    QTest::mouseClick(app_->join_dialog()->accept_button(), Qt::LeftButton);
    fake_->observer->OnStateChanged(protocol::SessionState::kKeyExchange);
    fake_->observer->OnSas("482913");
    fake_->observer->OnStateChanged(protocol::SessionState::kSecured);
    fake_->observer->OnCustomerAgreed(true);
  }

  FakeSupporterSession* fake_ = nullptr;
  int starts_ = 0;
  std::unique_ptr<SupporterApp> app_;
};

TEST_F(SupporterAppTest, SignInStartsTheCoreAndSendsTheCredentials) {
  SignIn();
  EXPECT_EQ(starts_, 1);
  ASSERT_EQ(fake_->sign_ins.size(), 1u);
  EXPECT_EQ(fake_->sign_ins[0].user, "alex");
  EXPECT_EQ(fake_->sign_ins[0].password, "pw");
  EXPECT_EQ(fake_->options.config.relay.host, "relay.example.com");
  EXPECT_TRUE(app_->main_window()->showing_home());
  EXPECT_TRUE(app_->signed_in());
}

TEST_F(SupporterAppTest, TheSignInScreenNamesTheRelays) {
  EXPECT_EQ(app_->relay_text(), QStringLiteral("relay.example.com:8443"));
  SupporterApp::Options options;
  options.config.relay.port = 8443;
  options.config.relay.hosts = {{"2001:db8::7", 0},
                                {"relay2.example.com", 9443},
                                {"relay3.example.com", 0}};
  options.start_session =
      tether::test::FakeSupporterSessionFactory(&fake_, &starts_);
  options.deliver = [](std::function<void()> fn) { fn(); };
  SupporterApp several(std::move(options));
  EXPECT_EQ(several.relay_text(),
            QStringLiteral("[2001:db8::7]:8443 and 2 more"));
}

TEST_F(SupporterAppTest, TotpRoundTrip) {
  QTest::keyClicks(app_->sign_in()->password_edit(), QStringLiteral("pw"));
  QTest::mouseClick(app_->sign_in()->sign_in_button(), Qt::LeftButton);
  fake_->observer->OnSignIn(Status(SignInStatus::kTotpRequired));
  EXPECT_FALSE(app_->sign_in()->totp_edit()->isHidden());
  QTest::keyClicks(app_->sign_in()->totp_edit(), QStringLiteral("123456"));
  QTest::mouseClick(app_->sign_in()->sign_in_button(), Qt::LeftButton);
  ASSERT_EQ(fake_->sign_ins.size(), 2u);
  EXPECT_EQ(fake_->sign_ins[1].totp, "123456");
  EXPECT_EQ(starts_, 1) << "one core for the whole sign-in";
}

TEST_F(SupporterAppTest, PasswordChangeGoesToTheCore) {
  QTest::keyClicks(app_->sign_in()->password_edit(), QStringLiteral("first"));
  QTest::mouseClick(app_->sign_in()->sign_in_button(), Qt::LeftButton);
  fake_->observer->OnSignIn(Status(SignInStatus::kPasswordChangeRequired));
  QTest::keyClicks(app_->sign_in()->new_password_edit(),
                   QStringLiteral("my own"));
  QTest::keyClicks(app_->sign_in()->repeat_password_edit(),
                   QStringLiteral("my own"));
  QTest::mouseClick(app_->sign_in()->change_button(), Qt::LeftButton);
  ASSERT_EQ(fake_->password_changes.size(), 1u);
  EXPECT_EQ(fake_->password_changes[0].second, "my own");
  fake_->observer->OnPasswordChanged(true, "");
  fake_->observer->OnSignIn(Status(SignInStatus::kSignedIn));
  EXPECT_TRUE(app_->main_window()->showing_home());
}

TEST_F(SupporterAppTest, NewSessionShowsTheCodeAndCancelWithdrawsIt) {
  SignIn();
  QTest::mouseClick(app_->home()->new_session_button(), Qt::LeftButton);
  EXPECT_EQ(fake_->new_sessions, 1);
  fake_->observer->OnCode(
      "12345678", std::chrono::system_clock::now() + std::chrono::minutes(10));
  EXPECT_EQ(app_->home()->phase(), HomeView::Phase::kCode);
  EXPECT_EQ(app_->home()->code_label()->text(), QStringLiteral("1234 5678"));
  QTest::mouseClick(app_->home()->cancel_button(), Qt::LeftButton);
  EXPECT_EQ(fake_->cancels, 1);
  fake_->observer->OnEnded(End(proto::END_REASON_USER_ENDED, /*local=*/true));
  EXPECT_EQ(app_->home()->phase(), HomeView::Phase::kIdle);
  EXPECT_FALSE(app_->home()->ended_visible()) << "a withdrawn code is no news";
}

TEST_F(SupporterAppTest, JoinRequestRejectedByDefault) {
  SignIn();
  QTest::mouseClick(app_->home()->new_session_button(), Qt::LeftButton);
  fake_->observer->OnCode("12345678", std::chrono::system_clock::now());
  fake_->observer->OnJoinRequest("sam-laptop", "sam", "192.0.2.7");
  ASSERT_NE(app_->join_dialog(), nullptr);
  QTest::keyClick(app_->join_dialog(), Qt::Key_Return);
  EXPECT_EQ(fake_->rejects, 1);
  EXPECT_EQ(fake_->accepts, 0);
}

TEST_F(SupporterAppTest, AcceptedCustomerGetsSasThenTheSessionWindow) {
  StartSession();
  EXPECT_EQ(fake_->accepts, 1);
  EXPECT_EQ(app_->home()->sas_label()->text(), QStringLiteral("482 913"));
  ASSERT_NE(app_->session_window(), nullptr);
  EXPECT_TRUE(app_->session_window()->isVisible());
  EXPECT_TRUE(app_->session_window()->sas_label()->text().contains(
      QStringLiteral("482 913")));
  // Seeing the screen is asked for at once.
  ASSERT_EQ(fake_->view_requests.size(), 1u);
  EXPECT_TRUE(fake_->view_requests[0].whole_desktop());
  fake_->observer->OnPicture(
      test::Picture(test::SolidFrame(640, 400, 0x445566), 3));
  EXPECT_EQ(app_->session_window()->view()->frame_id(), 3u);
}

TEST_F(SupporterAppTest, EndedSessionShowsTheReasonAndTheProtocol) {
  StartSession();
  fake_->observer->OnEnded(End(proto::END_REASON_EMERGENCY_STOP));
  EXPECT_TRUE(app_->home()->ended_visible());
  EXPECT_TRUE(
      app_->home()->ended_title()->text().contains(QStringLiteral("STOP")));
  EXPECT_TRUE(app_->home()->session_log_label()->text().contains(
      QString::fromStdString(fake_->protocol_file.string())));
  ASSERT_NE(app_->session_window(), nullptr);
  EXPECT_TRUE(app_->session_window()->ended_banner_visible());
  EXPECT_TRUE(app_->signed_in()) << "the sign-in continues";
  QTest::mouseClick(app_->home()->new_session_button(), Qt::LeftButton);
  EXPECT_EQ(fake_->new_sessions, 2);
  EXPECT_EQ(app_->session_window(), nullptr);
}

TEST_F(SupporterAppTest, RecordTheNextSessionReachesTheCore) {
  SignIn();
  app_->home()->record_check()->click();
  ASSERT_EQ(fake_->record_next.size(), 1u);
  EXPECT_TRUE(fake_->record_next[0]);
}

TEST_F(SupporterAppTest, UntrustedServerMidSessionSignsOut) {
  StartSession();
  protocol::SessionEnd end = End(proto::END_REASON_PROTOCOL_ERROR);
  end.server_untrusted = true;
  fake_->observer->OnEnded(end);
  EXPECT_FALSE(app_->signed_in());
  EXPECT_FALSE(app_->main_window()->showing_home());
  EXPECT_EQ(app_->sign_in()->problem_tone(), QStringLiteral("danger"));
}

TEST_F(SupporterAppTest, SecondFactorAskedAgainForTheNextSession) {
  SignIn();
  QTest::mouseClick(app_->home()->new_session_button(), Qt::LeftButton);
  fake_->observer->OnSignIn(Status(SignInStatus::kTotpRequired));
  EXPECT_FALSE(app_->main_window()->showing_home());
  EXPECT_TRUE(app_->sign_in()->reauthenticating());
  QTest::keyClicks(app_->sign_in()->totp_edit(), QStringLiteral("111222"));
  QTest::mouseClick(app_->sign_in()->sign_in_button(), Qt::LeftButton);
  ASSERT_EQ(fake_->sign_ins.size(), 2u);
  EXPECT_EQ(fake_->sign_ins[1].password, "") << "the core keeps it";
  fake_->observer->OnSignIn(Status(SignInStatus::kSignedIn));
  EXPECT_TRUE(app_->main_window()->showing_home());
}

TEST_F(SupporterAppTest, SignOutForgetsTheCore) {
  SignIn();
  QTest::mouseClick(app_->home()->sign_out_button(), Qt::LeftButton);
  EXPECT_EQ(app_->session(), nullptr);
  EXPECT_FALSE(app_->main_window()->showing_home());
  EXPECT_TRUE(app_->sign_in()->password_edit()->text().isEmpty());
}

}  // namespace
}  // namespace tether::supporter::ui
