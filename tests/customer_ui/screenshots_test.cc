// The one real-display test of the customer UI: the screenshot tool renders
// every screen under a private Xvfb with the xcb platform, as the app runs
// on a customer's desktop, and every picture comes out non-empty.

#include <gtest/gtest.h>

#include <QColor>
#include <QImage>

#include "tests/customer_ui/qt_test_environment.h"
#include "tests/support/screenshot_run.h"

namespace tether::customer::ui {
namespace {

TEST(CustomerScreenshotsTest, EveryScreenRendersUnderARealXServer) {
  if (const std::string why = tether::test::ScreenshotRun::Unavailable();
      !why.empty())
    GTEST_SKIP() << why;
  auto run = tether::test::ScreenshotRun::Run("tether-customer-screenshots");
  ASSERT_TRUE(run.has_value()) << run.error().message;

  for (const char* name :
       {"start-empty", "start-valid-code", "start-wrong-code",
        "start-unreachable", "start-certificate-mismatch",
        "start-outdated-relay", "prompt-terms", "prompt-view-screen",
        "prompt-remote-control", "prompt-file", "prompt-clipboard",
        "prompt-view-technician", "panel-viewing", "panel-control-chat",
        "desktop-control-border", "ended-receipt", "ended-stopped"}) {
    EXPECT_TRUE(
        tether::test::IsFilledScreen((*run)->Picture(QLatin1String(name))))
        << name;
  }
  // The border is on the screen's edge while control is on.
  const QImage desktop =
      (*run)->Picture(QStringLiteral("desktop-control-border"));
  ASSERT_EQ(desktop.size(), QSize(1280, 800));
  EXPECT_EQ(QColor(desktop.pixel(2, 400)), kControlColour);
  EXPECT_EQ(QColor(desktop.pixel(640, 797)), kControlColour);
}

}  // namespace
}  // namespace tether::customer::ui
