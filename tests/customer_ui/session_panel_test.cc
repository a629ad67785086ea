#include "customer-app/ui/session_panel.h"

#include <gtest/gtest.h>

#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

#include "tests/customer_ui/qt_test_environment.h"
#include "tests/fakes/fake_customer_session.h"

namespace tether::customer::ui {
namespace {

class SessionPanelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    panel_.SetTechnician(QStringLiteral("Alex Meyer"),
                         QStringLiteral("Example Corp IT"));
    panel_.show();
  }
  void TearDown() override { panel_.CloseForEnd(); }

  tether::test::FakeCustomerSession session_;
  SessionPanel panel_{&session_};
};

TEST_F(SessionPanelTest, ShowsWhoIsConnectedAndTheSecurityCode) {
  panel_.SetSas(QStringLiteral("482 913"));
  EXPECT_EQ(panel_.technician_label()->text(),
            QStringLiteral("Connected to Alex Meyer"));
  EXPECT_EQ(panel_.sas_label()->text(),
            QStringLiteral("Security code: 482 913"));
}

TEST_F(SessionPanelTest, WithoutGrantsSaysTheTechnicianMustAsk) {
  panel_.SetGrants(Grants{});
  EXPECT_EQ(panel_.GrantLines(),
            QStringList{QStringLiteral("They must ask you first.")});
}

TEST_F(SessionPanelTest, ShowsEveryGrantInPlainWords) {
  Grants grants;
  grants.viewing = true;
  grants.control = true;
  grants.files = true;
  panel_.SetGrants(grants);
  EXPECT_EQ(panel_.GrantLines(),
            (QStringList{QStringLiteral("see your screen"),
                         QStringLiteral("control your mouse and keyboard"),
                         QStringLiteral("send you files you accept")}));
  grants = Grants{};
  grants.viewing = true;
  panel_.SetGrants(grants);
  EXPECT_EQ(panel_.GrantLines(),
            QStringList{QStringLiteral("see your screen")});
}

TEST_F(SessionPanelTest, StopCallsEmergencyStopAtOnce) {
  QSignalSpy stopped(&panel_, &SessionPanel::stopped);
  QTest::mouseClick(panel_.stop_button(), Qt::LeftButton);
  EXPECT_EQ(session_.emergency_stops.load(), 1);
  EXPECT_EQ(stopped.count(), 1);
  EXPECT_EQ(session_.ends, 0) << "STOP is not a normal end";
}

TEST_F(SessionPanelTest, UntickingControlRevokesIt) {
  Grants grants;
  grants.viewing = true;
  grants.control = true;
  panel_.SetGrants(grants);
  ASSERT_TRUE(panel_.control_toggle()->isEnabled());
  ASSERT_TRUE(panel_.control_toggle()->isChecked());
  QTest::mouseClick(panel_.control_toggle(), Qt::LeftButton);
  EXPECT_EQ(session_.revokes, 1);
  EXPECT_FALSE(panel_.control_toggle()->isChecked());
}

TEST_F(SessionPanelTest, ControlToggleIsOffAndCannotGrantControl) {
  panel_.SetGrants(Grants{});
  EXPECT_FALSE(panel_.control_toggle()->isChecked());
  EXPECT_FALSE(panel_.control_toggle()->isEnabled());
  panel_.control_toggle()->setEnabled(true);  // even if it were clickable
  QTest::mouseClick(panel_.control_toggle(), Qt::LeftButton);
  EXPECT_FALSE(panel_.control_toggle()->isChecked());
  EXPECT_EQ(session_.revokes, 0);
}

TEST_F(SessionPanelTest, ChatSendsTheTrimmedLineAndClearsIt) {
  QTest::keyClicks(panel_.chat_input(), QStringLiteral("  hello there  "));
  QTest::keyClick(panel_.chat_input(), Qt::Key_Return);
  EXPECT_EQ(session_.chats, std::vector<std::string>{"hello there"});
  EXPECT_TRUE(panel_.chat_input()->text().isEmpty());
  QTest::keyClicks(panel_.chat_input(), QStringLiteral("   "));
  QTest::mouseClick(panel_.chat_send(), Qt::LeftButton);
  EXPECT_EQ(session_.chats.size(), 1u);
}

TEST_F(SessionPanelTest, ChatListShowsWhoWroteWhat) {
  panel_.AddChat(QStringLiteral("Hi, I'm looking now"), false);
  panel_.AddChat(QStringLiteral("Thanks"), true);
  ASSERT_EQ(panel_.chat_list()->count(), 2);
  EXPECT_EQ(panel_.chat_list()->item(0)->text(),
            QStringLiteral("Alex Meyer: Hi, I'm looking now"));
  EXPECT_EQ(panel_.chat_list()->item(1)->text(), QStringLiteral("You: Thanks"));
}

TEST_F(SessionPanelTest, ChatKeepsTheNewestLinesOnly) {
  for (int i = 0; i < 300; ++i)
    panel_.AddChat(QString::number(i), false);
  panel_.AddNotice(QStringLiteral("A file was saved."));
  ASSERT_EQ(panel_.chat_list()->count(), SessionPanel::kMaxChatItems);
  EXPECT_EQ(panel_.chat_list()->item(0)->text(),
            QStringLiteral("Alex Meyer: 201"));
  EXPECT_EQ(panel_.chat_list()->item(SessionPanel::kMaxChatItems - 1)->text(),
            QStringLiteral("A file was saved."));
}

TEST_F(SessionPanelTest, ClosingAsksAndEndsOnlyWhenConfirmed) {
  int asked = 0;
  panel_.SetConfirmEnd([&] {
    ++asked;
    return false;
  });
  panel_.close();
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(session_.ends, 0);
  EXPECT_TRUE(panel_.isVisible());

  panel_.SetConfirmEnd([&] {
    ++asked;
    return true;
  });
  panel_.close();
  EXPECT_EQ(asked, 2);
  EXPECT_EQ(session_.ends, 1);
  EXPECT_TRUE(panel_.isVisible()) << "stays until the session reports the end";
}

TEST_F(SessionPanelTest, StaysOnTopWithoutAMinimiseButton) {
  const Qt::WindowFlags flags = panel_.windowFlags();
  EXPECT_TRUE(flags & Qt::WindowStaysOnTopHint);
  EXPECT_FALSE(flags & Qt::WindowMinimizeButtonHint);
  EXPECT_FALSE(flags & Qt::WindowMaximizeButtonHint);
}

TEST_F(SessionPanelTest, RestoresItselfWhenMinimised) {
  panel_.setWindowState(Qt::WindowMinimized);
  ASSERT_TRUE(test::ProcessEventsUntil([&] {
    return !(panel_.windowState() & Qt::WindowMinimized) && panel_.isVisible();
  }));
}

TEST_F(SessionPanelTest, NamesTheHotkeyOnlyWhenTheSessionHoldsIt) {
  QLabel* line = nullptr;
  for (QLabel* label : panel_.findChildren<QLabel*>()) {
    if (label->text().startsWith(QStringLiteral("Ends the session")))
      line = label;
  }
  ASSERT_NE(line, nullptr);
  EXPECT_FALSE(line->text().contains(QStringLiteral("Ctrl+Alt+Shift+S")));
  panel_.SetHotkeyAvailable(true);
  EXPECT_TRUE(line->text().contains(QStringLiteral("Ctrl+Alt+Shift+S")));
}

TEST_F(SessionPanelTest, CloseForEndClosesWithoutAsking) {
  int asked = 0;
  panel_.SetConfirmEnd([&] {
    ++asked;
    return true;
  });
  panel_.CloseForEnd();
  EXPECT_FALSE(panel_.isVisible());
  EXPECT_EQ(asked, 0);
  EXPECT_EQ(session_.ends, 0);
}

TEST_F(SessionPanelTest, SendFileAsksForAFileAndHandsItToTheSession) {
  int asked = 0;
  QString chosen = QStringLiteral("/home/maria/x.pdf");
  panel_.SetChooseFile([&] {
    ++asked;
    return chosen;
  });
  ASSERT_NE(panel_.send_file_button(), nullptr);
  EXPECT_EQ(panel_.send_file_button()->text(),
            QStringLiteral("Send a file to the technician\u2026"));
  QTest::mouseClick(panel_.send_file_button(), Qt::LeftButton);
  EXPECT_EQ(asked, 1);
  ASSERT_EQ(session_.sent_paths.size(), 1u);
  EXPECT_EQ(session_.sent_paths[0], "/home/maria/x.pdf");
  // Cancelling the dialog sends nothing.
  chosen.clear();
  QTest::mouseClick(panel_.send_file_button(), Qt::LeftButton);
  EXPECT_EQ(session_.sent_paths.size(), 1u);
}

TEST_F(SessionPanelTest, SentFileShowsProgressAndCanBeCancelled) {
  SentFile file;
  file.file_id = 0x80000001u;
  file.name = "x.pdf";
  file.size = 12000;
  file.state = SentFile::State::kWaiting;
  panel_.SetSentFile(file);
  EXPECT_TRUE(panel_.file_label()->isVisible());
  EXPECT_TRUE(panel_.file_label()->text().contains(
      QStringLiteral("waiting for Alex Meyer to accept")))
      << panel_.file_label()->text().toStdString();
  file.state = SentFile::State::kSending;
  file.sent = 6000;
  panel_.SetSentFile(file);
  EXPECT_TRUE(panel_.file_progress()->isVisible());
  EXPECT_EQ(panel_.file_progress()->value(), 500);
  ASSERT_TRUE(panel_.file_cancel()->isVisible());
  QTest::mouseClick(panel_.file_cancel(), Qt::LeftButton);
  ASSERT_EQ(session_.cancelled_files.size(), 1u);
  EXPECT_EQ(session_.cancelled_files[0], 0x80000001u);
  file.state = SentFile::State::kCancelled;
  file.message = "You stopped the transfer.";
  panel_.SetSentFile(file);
  EXPECT_FALSE(panel_.file_cancel()->isVisible());
  EXPECT_FALSE(panel_.file_progress()->isVisible());
  EXPECT_TRUE(panel_.file_label()->text().contains(
      QStringLiteral("was not sent: You stopped the transfer.")));
}

TEST_F(SessionPanelTest, ASentFileSaysSoWhenDone) {
  SentFile file;
  file.file_id = 0x80000002u;
  file.name = "x.pdf";
  file.size = 12000;
  file.sent = 12000;
  file.state = SentFile::State::kDone;
  panel_.SetSentFile(file);
  EXPECT_EQ(panel_.file_label()->text(),
            QStringLiteral("Sent \u201Cx.pdf\u201D (12 KB)."));
  EXPECT_FALSE(panel_.file_cancel()->isVisible());
}

}  // namespace
}  // namespace tether::customer::ui
