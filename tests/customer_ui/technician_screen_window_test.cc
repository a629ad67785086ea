#include "customer-app/ui/technician_screen_window.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include <QImage>
#include <QLabel>
#include <QPushButton>
#include <QTest>

#include "customer-app/ui/customer_app.h"
#include "customer-app/ui/session_code_edit.h"
#include "customer-app/ui/start_window.h"
#include "tests/customer_ui/qt_test_environment.h"
#include "tests/fakes/fake_customer_session.h"

namespace tether::customer::ui {
namespace {

// A 64x48 BGRX picture, all one colour (0xRRGGBB).
std::shared_ptr<const desktop::DesktopFrame> Solid(uint32_t rgb) {
  desktop::DesktopFrame frame({64, 48});
  for (int y = 0; y < 48; ++y) {
    for (int x = 0; x < 64; ++x) {
      uint8_t* p =
          frame.mutable_data() +
          static_cast<size_t>(y) * static_cast<size_t>(frame.stride()) +
          static_cast<size_t>(x) * 4;
      p[0] = static_cast<uint8_t>(rgb);        // B
      p[1] = static_cast<uint8_t>(rgb >> 8);   // G
      p[2] = static_cast<uint8_t>(rgb >> 16);  // R
      p[3] = 0xFF;
    }
  }
  return std::make_shared<const desktop::DesktopFrame>(std::move(frame));
}

class TechnicianScreenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CustomerApp::Options options;
    options.config.relay.host = "relay.example.com";
    options.config.relay.fingerprint = "sha256:" + std::string(64, 'a');
    options.start_session = tether::test::FakeSessionFactory(&fake_, &starts_);
    options.deliver = [](std::function<void()> fn) { fn(); };
    options.prompt_arm_delay = std::chrono::milliseconds(0);
    app_ = std::make_unique<CustomerApp>(std::move(options));
    app_->Show();
    QTest::keyClicks(app_->start_window()->code_edit(),
                     QStringLiteral("12345678"));
    QTest::mouseClick(app_->start_window()->connect_button(), Qt::LeftButton);
    ASSERT_NE(fake_, nullptr);
    fake_->observer->OnStateChanged(protocol::SessionState::kWaitingForPeer);
    fake_->observer->OnTechnician("Alex Meyer", "Example Corp IT");
    fake_->observer->OnSas("482913");
    fake_->observer->OnStateChanged(protocol::SessionState::kSecured);
  }
  void TearDown() override {
    app_.reset();
    test::Flush();
  }

  // The core reports the switch on (or off), as it does after the policy.
  void Switch(bool on) {
    Grants grants;
    grants.viewing = true;
    grants.viewing_technician = on;
    fake_->current_grants = grants;
    fake_->observer->OnGrantsChanged(grants);
  }

  tether::test::FakeCustomerSession* fake_ = nullptr;
  int starts_ = 0;
  std::unique_ptr<CustomerApp> app_;
};

TEST_F(TechnicianScreenTest, NoWindowBeforeTheSwitch) {
  EXPECT_EQ(app_->technician_screen_window(), nullptr);
}

TEST_F(TechnicianScreenTest, SwitchShowsTheWindowWithCaptionAndPicture) {
  Switch(true);
  TechnicianScreenWindow* window = app_->technician_screen_window();
  ASSERT_NE(window, nullptr);
  EXPECT_TRUE(window->isVisible());
  EXPECT_EQ(window->windowTitle(),
            QStringLiteral("Your technician\u2019s screen"));
  EXPECT_TRUE(window->caption()->text().contains(QStringLiteral("Alex Meyer")));
  EXPECT_TRUE(window->caption()->text().contains(QStringLiteral("not yours")));

  fake_->observer->OnTechnicianPicture(Solid(0x2E7D32));
  EXPECT_TRUE(window->view()->has_picture());
  const QImage shot = window->view()->grab().toImage();
  const QColor middle = shot.pixelColor(shot.width() / 2, shot.height() / 2);
  EXPECT_EQ(middle, QColor(0x2E, 0x7D, 0x32)) << "scaled to fit, centred";
}

TEST_F(TechnicianScreenTest, StopShowingRevokesAndTheEndOfTheSwitchHides) {
  Switch(true);
  TechnicianScreenWindow* window = app_->technician_screen_window();
  ASSERT_NE(window, nullptr);
  QTest::mouseClick(window->stop_button(), Qt::LeftButton);
  EXPECT_EQ(fake_->view_switch_revokes, 1);
  Switch(false);
  EXPECT_FALSE(window->isVisible());
  EXPECT_EQ(fake_->view_switch_revokes, 1) << "hiding asks nothing more";
}

TEST_F(TechnicianScreenTest, ClosingTheWindowRevokesToo) {
  Switch(true);
  app_->technician_screen_window()->close();
  EXPECT_EQ(fake_->view_switch_revokes, 1);
}

TEST_F(TechnicianScreenTest, TheSessionEndClosesTheWindow) {
  Switch(true);
  protocol::SessionEnd end;
  end.reason = proto::END_REASON_USER_ENDED;
  end.message = "The technician ended the session.";
  fake_->observer->OnEnded(end);
  EXPECT_FALSE(app_->technician_screen_window()->isVisible());
  EXPECT_EQ(fake_->view_switch_revokes, 0);
}

}  // namespace
}  // namespace tether::customer::ui
