#include "supporter-app/ui/sign_in_view.h"

#include <gtest/gtest.h>

#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

#include "tests/supporter_ui/qt_test_environment.h"

namespace tether::supporter::ui {
namespace {

SignInResult Result(SignInStatus status, std::string message = {}) {
  SignInResult result;
  result.status = status;
  result.message = std::move(message);
  return result;
}

class SignInViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    view_ = std::make_unique<SignInView>(
        QStringLiteral("relay.example.com:8443"), QStringLiteral("alex"));
    view_->show();
  }
  void TypePassword(const QString& password) {
    QTest::keyClicks(view_->password_edit(), password);
  }
  std::unique_ptr<SignInView> view_;
};

TEST_F(SignInViewTest, ShowsTheRelayAndTheRememberedUser) {
  auto* relay = view_->findChild<QLabel*>(QStringLiteral("RelayLabel"));
  ASSERT_NE(relay, nullptr);
  EXPECT_TRUE(relay->text().contains(QStringLiteral("relay.example.com:8443")));
  EXPECT_EQ(view_->user_edit()->text(), QStringLiteral("alex"));
  EXPECT_EQ(view_->password_edit()->echoMode(), QLineEdit::Password);
}

TEST_F(SignInViewTest, SignInNeedsAPasswordAndSendsNoTotpAtFirst) {
  QSignalSpy spy(view_.get(), &SignInView::signInRequested);
  EXPECT_FALSE(view_->sign_in_button()->isEnabled());
  EXPECT_TRUE(view_->totp_edit()->isHidden());
  TypePassword(QStringLiteral("correct horse"));
  ASSERT_TRUE(view_->sign_in_button()->isEnabled());
  QTest::mouseClick(view_->sign_in_button(), Qt::LeftButton);
  ASSERT_EQ(spy.count(), 1);
  EXPECT_EQ(spy[0][0].toString(), QStringLiteral("alex"));
  EXPECT_EQ(spy[0][1].toString(), QStringLiteral("correct horse"));
  EXPECT_TRUE(spy[0][2].toString().isEmpty());
  EXPECT_TRUE(view_->busy());
}

TEST_F(SignInViewTest, TotpFieldAppearsWhenTheCoreAsksForIt) {
  QSignalSpy spy(view_.get(), &SignInView::signInRequested);
  TypePassword(QStringLiteral("correct horse"));
  QTest::keyClick(view_->password_edit(), Qt::Key_Return);
  view_->ShowResult(Result(SignInStatus::kTotpRequired));
  EXPECT_EQ(view_->phase(), SignInView::Phase::kTotp);
  EXPECT_FALSE(view_->totp_edit()->isHidden());
  // Six digits are needed; letters are not accepted.
  QTest::keyClicks(view_->totp_edit(), QStringLiteral("12ab34"));
  EXPECT_EQ(view_->totp_edit()->text(), QStringLiteral("1234"));
  EXPECT_FALSE(view_->sign_in_button()->isEnabled());
  QTest::keyClicks(view_->totp_edit(), QStringLiteral("56"));
  QTest::keyClick(view_->totp_edit(), Qt::Key_Return);
  ASSERT_EQ(spy.count(), 2);
  EXPECT_EQ(spy[1][1].toString(), QStringLiteral("correct horse"));
  EXPECT_EQ(spy[1][2].toString(), QStringLiteral("123456"));
}

TEST_F(SignInViewTest, WrongCredentialsAreShownAndThePasswordCleared) {
  TypePassword(QStringLiteral("wrong"));
  QTest::mouseClick(view_->sign_in_button(), Qt::LeftButton);
  view_->ShowResult(Result(SignInStatus::kWrongCredentials));
  EXPECT_TRUE(view_->problem_visible());
  EXPECT_TRUE(view_->problem_title()->text().contains(QStringLiteral("Wrong")));
  EXPECT_TRUE(view_->password_edit()->text().isEmpty());
  EXPECT_FALSE(view_->busy());
}

TEST_F(SignInViewTest, UntrustedServerIsARedWarning) {
  TypePassword(QStringLiteral("secret"));
  QTest::mouseClick(view_->sign_in_button(), Qt::LeftButton);
  view_->ShowResult(Result(SignInStatus::kServerUntrusted));
  EXPECT_TRUE(view_->problem_visible());
  EXPECT_EQ(view_->problem_title()->text(),
            QString::fromUtf8(kUntrustedServerTitle));
  EXPECT_EQ(view_->problem_tone(), QStringLiteral("danger"));
  EXPECT_TRUE(view_->password_edit()->text().isEmpty());
}

TEST_F(SignInViewTest, UntrustedServerFromSessionEndIsTheSameWarning) {
  protocol::SessionEnd end;
  end.reason = proto::END_REASON_PROTOCOL_ERROR;
  end.server_untrusted = true;
  view_->ShowEnd(DescribeEnd(end));
  EXPECT_EQ(view_->problem_title()->text(),
            QStringLiteral("This is not your company's server \u2014 do not "
                           "continue"));
  EXPECT_EQ(view_->problem_tone(), QStringLiteral("danger"));
}

TEST_F(SignInViewTest, ThrottledDisablesSignInForAWhile) {
  SignInResult result = Result(SignInStatus::kThrottled);
  result.retry_after = std::chrono::seconds(30);
  TypePassword(QStringLiteral("secret"));
  view_->ShowResult(result);
  EXPECT_TRUE(view_->problem_text()->text().contains(QStringLiteral("30")));
  EXPECT_FALSE(view_->sign_in_button()->isEnabled());
}

TEST_F(SignInViewTest, ForcedPasswordChangeAsksTwiceAndSendsBoth) {
  QSignalSpy spy(view_.get(), &SignInView::changePasswordRequested);
  TypePassword(QStringLiteral("first-from-it"));
  QTest::mouseClick(view_->sign_in_button(), Qt::LeftButton);
  view_->ShowResult(Result(SignInStatus::kPasswordChangeRequired));
  EXPECT_EQ(view_->phase(), SignInView::Phase::kChangePassword);
  EXPECT_FALSE(view_->new_password_edit()->isHidden());
  EXPECT_TRUE(view_->sign_in_button()->isHidden());

  QTest::keyClicks(view_->new_password_edit(),
                   QStringLiteral("a long passphrase"));
  QTest::keyClicks(view_->repeat_password_edit(),
                   QStringLiteral("a long passfrase"));
  QTest::mouseClick(view_->change_button(), Qt::LeftButton);
  EXPECT_EQ(spy.count(), 0) << "different passwords are not sent";
  EXPECT_TRUE(view_->problem_visible());

  QTest::keyClicks(view_->repeat_password_edit(),
                   QStringLiteral("a long passphrase"));
  QTest::mouseClick(view_->change_button(), Qt::LeftButton);
  ASSERT_EQ(spy.count(), 1);
  EXPECT_EQ(spy[0][0].toString(), QStringLiteral("first-from-it"));
  EXPECT_EQ(spy[0][1].toString(), QStringLiteral("a long passphrase"));

  view_->ShowPasswordChanged(false, QStringLiteral("That password is on the "
                                                   "list of common ones."));
  EXPECT_TRUE(view_->problem_text()->text().contains(QStringLiteral("common")));
  EXPECT_TRUE(view_->new_password_edit()->text().isEmpty());
}

TEST_F(SignInViewTest, AskingTotpAgainNeedsNoPassword) {
  QSignalSpy spy(view_.get(), &SignInView::signInRequested);
  view_->AskTotpAgain();
  EXPECT_TRUE(view_->password_edit()->isHidden());
  QTest::keyClicks(view_->totp_edit(), QStringLiteral("654321"));
  QTest::mouseClick(view_->sign_in_button(), Qt::LeftButton);
  ASSERT_EQ(spy.count(), 1);
  EXPECT_TRUE(spy[0][1].toString().isEmpty());
  EXPECT_EQ(spy[0][2].toString(), QStringLiteral("654321"));
}

}  // namespace
}  // namespace tether::supporter::ui
