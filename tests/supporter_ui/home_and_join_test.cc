#include <gtest/gtest.h>

#include <QCheckBox>
#include <QClipboard>
#include <QGuiApplication>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

#include "supporter-app/ui/home_view.h"
#include "supporter-app/ui/join_dialog.h"
#include "tests/supporter_ui/qt_test_environment.h"

namespace tether::supporter::ui {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

class HomeViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    view_ = std::make_unique<HomeView>([this] { return now_; });
    view_->show();
  }
  system_clock::time_point now_ =
      system_clock::time_point(seconds(1'700'000'000));
  std::unique_ptr<HomeView> view_;
};

TEST_F(HomeViewTest, NewSessionButtonAsksForACode) {
  QSignalSpy spy(view_.get(), &HomeView::newSessionRequested);
  QTest::mouseClick(view_->new_session_button(), Qt::LeftButton);
  EXPECT_EQ(spy.count(), 1);
}

TEST_F(HomeViewTest, CodeIsShownGroupedWithACountdown) {
  view_->ShowCode("12345678", now_ + seconds(600));
  EXPECT_EQ(view_->phase(), HomeView::Phase::kCode);
  EXPECT_EQ(view_->code_label()->text(), QStringLiteral("1234 5678"));
  EXPECT_GE(view_->code_label()->font().pointSize(), 30);
  EXPECT_EQ(view_->countdown_label()->text(),
            QStringLiteral("Expires in 10:00"));
  now_ += seconds(125);
  view_->Tick();
  EXPECT_EQ(view_->countdown_label()->text(),
            QStringLiteral("Expires in 7:55"));
  now_ += seconds(600);
  view_->Tick();
  EXPECT_TRUE(
      view_->countdown_label()->text().contains(QStringLiteral("expired")));
  EXPECT_FALSE(view_->copy_button()->isEnabled());
}

TEST_F(HomeViewTest, CopyPutsTheEightDigitsOnTheClipboard) {
  view_->ShowCode("12345678", now_ + seconds(600));
  QTest::mouseClick(view_->copy_button(), Qt::LeftButton);
  EXPECT_EQ(QGuiApplication::clipboard()->text(), QStringLiteral("12345678"));
  EXPECT_EQ(view_->copy_button()->text(), QStringLiteral("Copied"));
}

TEST_F(HomeViewTest, CancelWithdrawsTheCode) {
  QSignalSpy spy(view_.get(), &HomeView::cancelRequested);
  view_->ShowCode("12345678", now_ + seconds(600));
  QTest::mouseClick(view_->cancel_button(), Qt::LeftButton);
  EXPECT_EQ(spy.count(), 1);
}

TEST_F(HomeViewTest, SasIsShownLargeToReadOut) {
  view_->SetPhase(HomeView::Phase::kSecuring);
  view_->ShowSas("482913");
  EXPECT_TRUE(view_->sas_visible());
  EXPECT_EQ(view_->sas_label()->text(), QStringLiteral("482 913"));
  EXPECT_GE(view_->sas_label()->font().pointSize(), 30);
}

TEST_F(HomeViewTest, EndedShowsTheReasonAndTheProtocolFile) {
  EndText text;
  text.title = QStringLiteral("The customer ended the session.");
  view_->ShowEnded(text, QStringLiteral("/home/alex/Tether/s.jsonl"));
  EXPECT_EQ(view_->phase(), HomeView::Phase::kIdle);
  EXPECT_TRUE(view_->ended_visible());
  EXPECT_EQ(view_->ended_title()->text(), text.title);
  EXPECT_TRUE(view_->session_log_label()->text().contains(
      QStringLiteral("/home/alex/Tether/s.jsonl")));
  view_->SetPhase(HomeView::Phase::kStarting);
  EXPECT_FALSE(view_->ended_visible());
}

TEST_F(HomeViewTest, RecordNextSessionIsOnlyChangeableBetweenSessions) {
  QSignalSpy spy(view_.get(), &HomeView::recordNextChanged);
  view_->record_check()->click();
  ASSERT_EQ(spy.count(), 1);
  EXPECT_TRUE(spy[0][0].toBool());
  view_->ShowCode("12345678", now_ + seconds(600));
  EXPECT_FALSE(view_->record_check()->isEnabled());
}

class JoinDialogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dialog_ = std::make_unique<JoinDialog>("sam-laptop", "sam", "192.0.2.7");
    dialog_->open();
    tether::test::ProcessEventsUntil([&] { return dialog_->isVisible(); });
  }
  std::unique_ptr<JoinDialog> dialog_;
};

TEST_F(JoinDialogTest, ShowsWhoIsAsking) {
  EXPECT_EQ(dialog_->host_label()->text(), QStringLiteral("sam-laptop"));
  EXPECT_EQ(dialog_->user_label()->text(), QStringLiteral("sam"));
  EXPECT_EQ(dialog_->address_label()->text(), QStringLiteral("192.0.2.7"));
}

TEST_F(JoinDialogTest, RejectIsTheDefault) {
  EXPECT_TRUE(dialog_->reject_button()->isDefault());
  EXPECT_FALSE(dialog_->accept_button()->isDefault());
  QSignalSpy rejected(dialog_.get(), &JoinDialog::rejected_join);
  QSignalSpy accepted(dialog_.get(), &JoinDialog::accepted_join);
  QTest::keyClick(dialog_.get(), Qt::Key_Return);
  EXPECT_EQ(rejected.count(), 1);
  EXPECT_EQ(accepted.count(), 0);
}

TEST_F(JoinDialogTest, EscapeAndCloseReject) {
  QSignalSpy rejected(dialog_.get(), &JoinDialog::rejected_join);
  QTest::keyClick(dialog_.get(), Qt::Key_Escape);
  dialog_->close();
  EXPECT_EQ(rejected.count(), 1) << "one answer only";
}

TEST_F(JoinDialogTest, AcceptNeedsItsOwnClick) {
  QSignalSpy accepted(dialog_.get(), &JoinDialog::accepted_join);
  QTest::mouseClick(dialog_->accept_button(), Qt::LeftButton);
  EXPECT_EQ(accepted.count(), 1);
  EXPECT_FALSE(dialog_->isVisible());
}

TEST_F(JoinDialogTest, HiddenCharactersInNamesAreRemoved) {
  JoinDialog dialog("invoice\u202Efdp.exe", "sam\nroot", "");
  EXPECT_EQ(dialog.host_label()->text(), QStringLiteral("invoicefdp.exe"));
  EXPECT_EQ(dialog.user_label()->text(), QStringLiteral("sam root"));
  EXPECT_EQ(dialog.address_label()->text(), QStringLiteral("(not given)"));
}

}  // namespace
}  // namespace tether::supporter::ui
