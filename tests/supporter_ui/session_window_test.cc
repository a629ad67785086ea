#include "supporter-app/ui/session_window.h"

#include <gtest/gtest.h>

#include <vector>

#include <QAction>
#include <QClipboard>
#include <QComboBox>
#include <QGuiApplication>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTest>

#include "supporter-app/ui/chat_panel.h"
#include "supporter-app/ui/remote_view.h"
#include "supporter-app/ui/transfer_panel.h"
#include "tests/fakes/fake_supporter_session.h"
#include "tests/supporter_ui/qt_test_environment.h"
#include "tests/supporter_ui/recording_input_sink.h"
#include "tests/supporter_ui/test_pictures.h"

namespace tether::supporter::ui {
namespace {

class SessionWindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    window_ = std::make_unique<SessionWindow>(&fake_, &sink_);
    window_->show();
  }
  void TearDown() override {
    window_.reset();
    tether::test::Flush();
  }
  void Grant(bool control, bool clipboard = false) {
    CustomerGrants grants;
    grants.viewing = true;
    grants.control = control;
    grants.clipboard = clipboard;
    window_->SetGrants(grants);
  }
  tether::test::FakeSupporterSession fake_;
  test::RecordingInputSink sink_;
  std::unique_ptr<SessionWindow> window_;
};

TEST_F(SessionWindowTest, RequestControlAsksOnceThenGivesBack) {
  window_->control_action()->trigger();
  EXPECT_EQ(fake_.control_requests, 1);
  EXPECT_FALSE(window_->control_action()->isEnabled()) << "asking";
  window_->OnAnswer(proto::PERMISSION_REMOTE_CONTROL, true);
  Grant(true);
  EXPECT_TRUE(window_->view()->control());
  EXPECT_EQ(window_->control_action()->text(),
            QStringLiteral("Give back control"));
  EXPECT_FALSE(window_->control_badge()->isHidden());
  window_->control_action()->trigger();
  EXPECT_EQ(fake_.give_backs, 1);
  Grant(false);
  EXPECT_FALSE(window_->view()->control());
}

TEST_F(SessionWindowTest, RefusedControlLeavesTheViewWatchOnly) {
  window_->control_action()->trigger();
  window_->OnAnswer(proto::PERMISSION_REMOTE_CONTROL, false);
  EXPECT_FALSE(window_->view()->control());
  EXPECT_TRUE(window_->control_action()->isEnabled());
  EXPECT_FALSE(window_->ctrl_alt_del_action()->isEnabled());
}

TEST_F(SessionWindowTest, KeyCombosGoToTheViewOnlyWithControl) {
  window_->ctrl_alt_del_action()->trigger();
  EXPECT_TRUE(sink_.calls.empty());
  Grant(true);
  window_->ctrl_alt_del_action()->trigger();
  window_->super_action()->trigger();
  ASSERT_EQ(sink_.calls.size(), 2u);
  EXPECT_EQ(sink_.calls[0], "combo 0");
  EXPECT_EQ(sink_.calls[1], "combo 2");
}

TEST_F(SessionWindowTest, MonitorPickerRequestsThatView) {
  proto::Monitor left, right;
  left.set_index(0);
  left.set_name("DP-1");
  left.mutable_bounds()->set_width(1920);
  left.mutable_bounds()->set_height(1080);
  left.set_primary(true);
  right.set_index(1);
  right.set_name("HDMI-1");
  right.mutable_bounds()->set_width(1280);
  right.mutable_bounds()->set_height(1024);
  window_->SetMonitors({left, right});
  QComboBox* combo = window_->monitor_combo();
  ASSERT_EQ(combo->count(), 3);
  EXPECT_TRUE(combo->itemText(1).contains(QStringLiteral("DP-1")));
  combo->setCurrentIndex(2);
  emit combo->activated(2);
  ASSERT_EQ(fake_.view_requests.size(), 1u);
  EXPECT_EQ(fake_.view_requests[0].monitor_index(), 1u);
  combo->setCurrentIndex(0);
  emit combo->activated(0);
  ASSERT_EQ(fake_.view_requests.size(), 2u);
  EXPECT_TRUE(fake_.view_requests[1].whole_desktop());
}

TEST_F(SessionWindowTest, ShowMyScreenAsksThenShowsOnGrantThenStops) {
  window_->view_switch_action()->trigger();
  EXPECT_EQ(fake_.view_switch_requests, 1);
  EXPECT_TRUE(fake_.show_my_screen.empty()) << "not before the grant";
  EXPECT_FALSE(window_->view_switch_action()->isEnabled()) << "asking";
  window_->view_switch_action()->trigger();
  EXPECT_EQ(fake_.view_switch_requests, 1) << "asked once";

  window_->OnAnswer(proto::PERMISSION_VIEW_SWITCH, true);
  ASSERT_EQ(fake_.show_my_screen, std::vector<bool>{true});
  CustomerGrants grants;
  grants.viewing = true;
  grants.view_switch = true;
  grants.showing_my_screen = true;
  window_->SetGrants(grants);
  EXPECT_TRUE(window_->view_switch_action()->isEnabled());
  EXPECT_EQ(window_->view_switch_action()->text(),
            QStringLiteral("Stop showing my screen"));

  window_->view_switch_action()->trigger();
  EXPECT_EQ(fake_.show_my_screen, (std::vector<bool>{true, false}));
  grants.showing_my_screen = false;
  window_->SetGrants(grants);
  EXPECT_EQ(window_->view_switch_action()->text(),
            QStringLiteral("Show my screen"));

  // Still allowed: showing again needs no second question.
  window_->view_switch_action()->trigger();
  EXPECT_EQ(fake_.view_switch_requests, 1);
  EXPECT_EQ(fake_.show_my_screen, (std::vector<bool>{true, false, true}));
}

TEST_F(SessionWindowTest, ShowMyScreenRefusedStartsNothing) {
  window_->view_switch_action()->trigger();
  window_->OnAnswer(proto::PERMISSION_VIEW_SWITCH, false);
  EXPECT_TRUE(fake_.show_my_screen.empty());
  EXPECT_TRUE(window_->view_switch_action()->isEnabled()) << "may ask again";
  EXPECT_EQ(window_->view_switch_action()->text(),
            QStringLiteral("Show my screen"));
}

TEST_F(SessionWindowTest, ScaleActionSwitchesFitAndActualSize) {
  EXPECT_EQ(window_->view()->scale(), RemoteView::Scale::kFit);
  window_->scale_action()->trigger();
  EXPECT_EQ(window_->view()->scale(), RemoteView::Scale::kActualSize);
  window_->scale_action()->trigger();
  EXPECT_EQ(window_->view()->scale(), RemoteView::Scale::kFit);
}

TEST_F(SessionWindowTest, ViewSwitchChatAndClipboardCallTheCore) {
  window_->view_switch_action()->trigger();
  EXPECT_EQ(fake_.view_switch_requests, 1);

  QTest::keyClicks(window_->chat()->input(), QStringLiteral("Hello Sam"));
  QTest::keyClick(window_->chat()->input(), Qt::Key_Return);
  ASSERT_EQ(fake_.chats.size(), 1u);
  EXPECT_EQ(fake_.chats[0], "Hello Sam");

  QGuiApplication::clipboard()->setText(QStringLiteral("lpadmin -p office"));
  window_->clipboard_action()->trigger();
  EXPECT_EQ(fake_.clipboard_requests, 1) << "asks before sending";
  EXPECT_TRUE(fake_.clipboards.empty());
  window_->OnAnswer(proto::PERMISSION_CLIPBOARD, true);
  ASSERT_EQ(fake_.clipboards.size(), 1u);
  EXPECT_EQ(fake_.clipboards[0], "lpadmin -p office");
  Grant(false, /*clipboard=*/true);
  window_->clipboard_action()->trigger();
  EXPECT_EQ(fake_.clipboard_requests, 1);
  EXPECT_EQ(fake_.clipboards.size(), 2u);
}

TEST_F(SessionWindowTest, SendFileOffersThePathAndShowsProgress) {
  window_->SendFile(QStringLiteral("/tmp/driver.pdf"));
  ASSERT_EQ(fake_.files.size(), 1u);
  EXPECT_EQ(fake_.files[0], std::filesystem::path("/tmp/driver.pdf"));

  FileTransfer transfer;
  transfer.file_id = 1;
  transfer.name = "driver.pdf";
  transfer.size = 4'000'000;
  window_->UpdateTransfer(transfer);
  const TransferPanel::Row* row = window_->transfers()->row(1);
  ASSERT_NE(row, nullptr);
  EXPECT_TRUE(row->state->text().contains(QStringLiteral("accept")));
  transfer.state = FileTransfer::State::kSending;
  transfer.sent = 1'000'000;
  window_->UpdateTransfer(transfer);
  EXPECT_EQ(row->progress->value(), 250);
  EXPECT_EQ(row->state->text(), QStringLiteral("1.0 MB of 4.0 MB"));
  QTest::mouseClick(row->cancel, Qt::LeftButton);
  ASSERT_EQ(fake_.cancelled_files.size(), 1u);
  EXPECT_EQ(fake_.cancelled_files[0], 1u);
  transfer.state = FileTransfer::State::kCancelled;
  window_->UpdateTransfer(transfer);
  EXPECT_TRUE(row->cancel->isHidden());
}

TEST_F(SessionWindowTest, AFileFromTheCustomerIsAcceptedFromItsRow) {
  FileTransfer transfer;
  transfer.direction = FileTransfer::Direction::kFromCustomer;
  transfer.file_id = 0x80000001u;
  transfer.name = "screenshot.png";
  transfer.size = 2'000'000;
  window_->UpdateTransfer(transfer);
  const TransferPanel::Row* row = window_->transfers()->row(0x80000001u);
  ASSERT_NE(row, nullptr);
  EXPECT_FALSE(row->accept->isHidden());
  EXPECT_FALSE(row->decline->isHidden());
  EXPECT_TRUE(row->cancel->isHidden()) << "Accept or Decline, not Cancel";
  EXPECT_TRUE(row->state->text().contains(QStringLiteral("offers")));
  QTest::mouseClick(row->accept, Qt::LeftButton);
  ASSERT_EQ(fake_.accepted_files.size(), 1u);
  EXPECT_EQ(fake_.accepted_files[0], 0x80000001u);
  EXPECT_TRUE(fake_.declined_files.empty());

  transfer.state = FileTransfer::State::kSending;
  transfer.sent = 500'000;
  window_->UpdateTransfer(transfer);
  EXPECT_TRUE(row->accept->isHidden());
  EXPECT_FALSE(row->cancel->isHidden());
  EXPECT_EQ(row->progress->value(), 250);
  EXPECT_TRUE(row->state->text().startsWith(QStringLiteral("Receiving")));
  QTest::mouseClick(row->cancel, Qt::LeftButton);
  ASSERT_EQ(fake_.cancelled_files.size(), 1u);

  transfer.state = FileTransfer::State::kDone;
  transfer.sent = transfer.size;
  transfer.saved_path = "/home/tina/Downloads/screenshot.png";
  window_->UpdateTransfer(transfer);
  EXPECT_EQ(row->state->text(),
            QStringLiteral("Saved to /home/tina/Downloads/screenshot.png"));
  EXPECT_TRUE(row->cancel->isHidden());
}

TEST_F(SessionWindowTest, AFileFromTheCustomerCanBeDeclined) {
  FileTransfer transfer;
  transfer.direction = FileTransfer::Direction::kFromCustomer;
  transfer.file_id = 0x80000002u;
  transfer.name = "setup.exe";
  transfer.size = 1000;
  window_->UpdateTransfer(transfer);
  const TransferPanel::Row* row = window_->transfers()->row(0x80000002u);
  ASSERT_NE(row, nullptr);
  QTest::mouseClick(row->decline, Qt::LeftButton);
  ASSERT_EQ(fake_.declined_files.size(), 1u);
  EXPECT_TRUE(fake_.accepted_files.empty());
  EXPECT_FALSE(row->accept->isEnabled()) << "one answer per file";
  transfer.state = FileTransfer::State::kRefused;
  transfer.message = "You declined the file.";
  window_->UpdateTransfer(transfer);
  EXPECT_TRUE(row->accept->isHidden());
  EXPECT_TRUE(row->decline->isHidden());
  EXPECT_EQ(row->state->text(), QStringLiteral("You declined the file."));
}

TEST_F(SessionWindowTest, AFileThatCannotBeOfferedIsShownAsFailed) {
  fake_.send_file_error = "not a regular file";
  window_->SendFile(QStringLiteral("/dev/null"));
  EXPECT_EQ(window_->transfers()->row_count(), 0);
  auto labels = window_->transfers()->findChildren<QLabel*>();
  bool shown = false;
  for (QLabel* label : labels)
    shown |= label->text().contains(QStringLiteral("not a regular file"));
  EXPECT_TRUE(shown);
}

TEST_F(SessionWindowTest, StatusBarShowsStatsSasAndGrants) {
  VideoStats stats;
  stats.frames_per_second = 29.7;
  stats.kilobits_per_second = 2400;
  stats.round_trip_ms = 24;
  stats.decode_ms = 3.14;
  window_->SetStats(stats);
  EXPECT_EQ(window_->stats_label()->text(),
            QStringLiteral("30 fps \u00B7 2400 kbit/s \u00B7 RTT 24 ms "
                           "\u00B7 decode 3.1 ms"));
  window_->SetSas(QStringLiteral("482 913"));
  EXPECT_TRUE(window_->sas_label()->text().contains(QStringLiteral("482 913")));
  Grant(true);
  EXPECT_TRUE(
      window_->grants_label()->text().contains(QStringLiteral("control")));
}

TEST_F(SessionWindowTest, PicturesReachTheView) {
  window_->SetPicture(test::Picture(test::SolidFrame(320, 200, 0x336699), 7));
  EXPECT_EQ(window_->view()->frame_id(), 7u);
}

TEST_F(SessionWindowTest, EndedStateDisablesEverythingAndNamesTheProtocol) {
  Grant(true);
  window_->end_action()->trigger();
  EXPECT_EQ(fake_.ends, 1);
  EndText text;
  text.title = QStringLiteral("You ended the session.");
  window_->ShowEnded(text, QStringLiteral("/home/alex/s.jsonl"));
  EXPECT_TRUE(window_->ended());
  EXPECT_TRUE(window_->ended_banner_visible());
  EXPECT_EQ(window_->ended_title()->text(), text.title);
  EXPECT_TRUE(window_->ended_protocol()->text().contains(
      QStringLiteral("/home/alex/s.jsonl")));
  EXPECT_FALSE(window_->view()->control());
  EXPECT_FALSE(window_->control_action()->isEnabled());
  EXPECT_FALSE(window_->send_file_action()->isEnabled());
  EXPECT_FALSE(window_->chat()->input()->isEnabled());
  window_->close();
  EXPECT_EQ(fake_.ends, 1) << "closing an ended window ends nothing";
}

TEST_F(SessionWindowTest, ClosingAnActiveSessionWindowEndsTheSession) {
  window_->close();
  EXPECT_EQ(fake_.ends, 1);
}

TEST_F(SessionWindowTest, ShortcutsAreInTheTooltips) {
  EXPECT_TRUE(window_->control_action()->toolTip().contains(
      QStringLiteral("Ctrl+Alt+Shift+C")));
  EXPECT_EQ(window_->end_action()->shortcut(),
            QKeySequence(QStringLiteral("Ctrl+Alt+Shift+E")));
}

}  // namespace
}  // namespace tether::supporter::ui
