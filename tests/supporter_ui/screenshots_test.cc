// The one real-display test of the supporter UI: the screenshot tool renders
// every state under a private Xvfb with the xcb platform, and every picture
// comes out non-empty, the session one with the remote desktop in it.

#include <gtest/gtest.h>

#include <QImage>

#include "tests/support/screenshot_run.h"
#include "tests/supporter_ui/qt_test_environment.h"

namespace tether::supporter::ui {
namespace {

TEST(SupporterScreenshotsTest, EveryScreenRendersUnderARealXServer) {
  if (const std::string why = tether::test::ScreenshotRun::Unavailable();
      !why.empty())
    GTEST_SKIP() << why;
  auto run = tether::test::ScreenshotRun::Run("tether-supporter-screenshots");
  ASSERT_TRUE(run.has_value()) << run.error().message;

  for (const char* name :
       {"sign-in", "sign-in-totp", "sign-in-untrusted",
        "sign-in-outdated-relay", "home", "code", "join-request", "sas",
        "session", "transfer", "ended-window", "ended"}) {
    EXPECT_TRUE(tether::test::IsFilledScreen(
        (*run)->Picture(QStringLiteral("supporter-") + QLatin1String(name))))
        << name;
  }
  // The session window shows the remote desktop: many colours.
  EXPECT_GE(tether::test::ColourCount(
                (*run)->Picture(QStringLiteral("supporter-session"))),
            200);
}

}  // namespace
}  // namespace tether::supporter::ui
