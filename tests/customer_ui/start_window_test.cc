#include "customer-app/ui/start_window.h"

#include <gtest/gtest.h>

#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

#include "customer-app/core/customer_session.h"
#include "customer-app/ui/session_code_edit.h"
#include "tests/customer_ui/qt_test_environment.h"

namespace tether::customer::ui {
namespace {

CustomerConfig Config() {
  CustomerConfig config;
  config.organisation = "Example Corp IT";
  return config;
}

EndView ViewFor(proto::EndReason reason,
                std::string message,
                EndContext context = {true, false},
                bool server_untrusted = false) {
  protocol::SessionEnd end;
  end.reason = reason;
  end.message = std::move(message);
  end.server_untrusted = server_untrusted;
  return DescribeEnd(end, context);
}

class StartWindowTest : public ::testing::Test {
 protected:
  void SetUp() override { window_.show(); }
  StartWindow window_{Config()};
};

TEST_F(StartWindowTest, ShowsTheOrganisationFromTheConfig) {
  bool found = false;
  for (QLabel* label : window_.findChildren<QLabel*>())
    found |= label->text() == QStringLiteral("Example Corp IT");
  EXPECT_TRUE(found);
}

TEST_F(StartWindowTest, ConnectIsDisabledUntilTheCodeIsValid) {
  EXPECT_FALSE(window_.connect_button()->isEnabled());
  QTest::keyClicks(window_.code_edit(), QStringLiteral("1234567"));
  EXPECT_FALSE(window_.connect_button()->isEnabled());
  QTest::keyClicks(window_.code_edit(), QStringLiteral("8"));
  EXPECT_TRUE(window_.connect_button()->isEnabled());
  QTest::keyClick(window_.code_edit(), Qt::Key_Backspace);
  EXPECT_FALSE(window_.connect_button()->isEnabled());
}

TEST_F(StartWindowTest, ConnectSendsTheEightDigits) {
  QSignalSpy spy(&window_, &StartWindow::connectRequested);
  window_.code_edit()->setText(QStringLiteral("1234 5678"));
  QTest::mouseClick(window_.connect_button(), Qt::LeftButton);
  ASSERT_EQ(spy.count(), 1);
  EXPECT_EQ(spy.at(0).at(0).toString(), QStringLiteral("12345678"));
}

TEST_F(StartWindowTest, EnterInTheFieldConnectsOnlyWithAValidCode) {
  QSignalSpy spy(&window_, &StartWindow::connectRequested);
  QTest::keyClicks(window_.code_edit(), QStringLiteral("1234"));
  QTest::keyClick(window_.code_edit(), Qt::Key_Return);
  EXPECT_EQ(spy.count(), 0);
  QTest::keyClicks(window_.code_edit(), QStringLiteral("5678"));
  QTest::keyClick(window_.code_edit(), Qt::Key_Return);
  EXPECT_EQ(spy.count(), 1);
}

TEST_F(StartWindowTest, ConnectingDisablesConnectAndOffersCancel) {
  window_.code_edit()->setText(QStringLiteral("12345678"));
  window_.SetPhase(StartWindow::Phase::kConnecting);
  EXPECT_FALSE(window_.connect_button()->isEnabled());
  EXPECT_TRUE(window_.code_edit()->isReadOnly());
  EXPECT_TRUE(window_.cancel_button()->isVisible());
  QSignalSpy spy(&window_, &StartWindow::cancelRequested);
  QTest::mouseClick(window_.cancel_button(), Qt::LeftButton);
  EXPECT_EQ(spy.count(), 1);
}

TEST_F(StartWindowTest, WrongCodeMessageKeepsTheFieldForAnotherTry) {
  window_.SetPhase(StartWindow::Phase::kConnecting);
  window_.ShowProblem(ViewFor(proto::END_REASON_CODE_EXPIRED,
                              "This code is wrong or has expired."));
  EXPECT_TRUE(window_.problem_visible());
  EXPECT_EQ(window_.problem_title()->text(),
            QStringLiteral("This code is wrong or has expired"));
  EXPECT_EQ(window_.phase(), StartWindow::Phase::kEnterCode);
  EXPECT_TRUE(window_.connect_button()->isVisible());
  EXPECT_FALSE(window_.code_edit()->isReadOnly());
}

TEST_F(StartWindowTest, UnreachableServerMessageSaysSo) {
  window_.ShowProblem(
      ViewFor(proto::END_REASON_TIMEOUT, "connect timed out", {false, false}));
  EXPECT_EQ(window_.problem_title()->text(),
            QStringLiteral("Could not reach the support server"));
}

TEST_F(StartWindowTest, CertificateMismatchBlocksConnectAndOffersOnlyClose) {
  window_.code_edit()->setText(QStringLiteral("12345678"));
  window_.ShowProblem(ViewFor(proto::END_REASON_PROTOCOL_ERROR,
                              "server key does not match the pinned "
                              "fingerprint",
                              {false, false}, /*server_untrusted=*/true));
  EXPECT_EQ(window_.problem_title()->text(),
            QStringLiteral(
                "This is not your company's server \u2014 do not continue."));
  EXPECT_EQ(window_.phase(), StartWindow::Phase::kBlocked);
  EXPECT_FALSE(window_.connect_button()->isVisible());
  EXPECT_FALSE(window_.code_edit()->isVisible());
  EXPECT_TRUE(window_.close_button()->isVisible());
  QSignalSpy spy(&window_, &StartWindow::closeRequested);
  QTest::mouseClick(window_.close_button(), Qt::LeftButton);
  EXPECT_EQ(spy.count(), 1);
}

TEST_F(StartWindowTest, HintIsHiddenUnderAProblemUntilTheCodeIsEdited) {
  window_.code_edit()->setText(QStringLiteral("12345678"));
  window_.ShowProblem(ViewFor(proto::END_REASON_CODE_EXPIRED, {}));
  EXPECT_FALSE(window_.hint_label()->isVisible());
  QTest::keyClick(window_.code_edit(), Qt::Key_Backspace);
  EXPECT_TRUE(window_.hint_label()->isVisible());
}

TEST_F(StartWindowTest, ConnectingAgainClearsTheOldMessage) {
  window_.ShowProblem(ViewFor(proto::END_REASON_CODE_EXPIRED, {}));
  window_.SetPhase(StartWindow::Phase::kConnecting);
  EXPECT_FALSE(window_.problem_visible());
}

TEST_F(StartWindowTest, OrganisationNameIsPlainText) {
  CustomerConfig config;
  config.organisation = "<b>Evil</b> Corp";
  StartWindow window(config);
  bool found = false;
  for (QLabel* label : window.findChildren<QLabel*>()) {
    if (label->text() == QStringLiteral("<b>Evil</b> Corp")) {
      found = true;
      EXPECT_EQ(label->textFormat(), Qt::PlainText);
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace tether::customer::ui
