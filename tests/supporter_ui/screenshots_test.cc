// The one real-display test of the supporter UI: the screenshot tool renders
// every state under a private Xvfb with the xcb platform, and every picture
// comes out non-empty, the session one with the remote desktop in it.

#include <gtest/gtest.h>

#include <QDir>
#include <QImage>
#include <QSet>
#include <QTemporaryDir>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/fakes/xvfb_display.h"
#include "tests/supporter_ui/qt_test_environment.h"

namespace tether::supporter::ui {
namespace {

int ColourCount(const QImage& image) {
  QSet<QRgb> colours;
  for (int y = 0; y < image.height(); y += 7) {
    for (int x = 0; x < image.width(); x += 7)
      colours.insert(image.pixel(x, y));
  }
  return static_cast<int>(colours.size());
}

TEST(SupporterScreenshotsTest, EveryScreenRendersUnderARealXServer) {
  const char* bin_dir = std::getenv("TETHER_TEST_BIN_DIR");
  if (bin_dir == nullptr)
    GTEST_SKIP() << "TETHER_TEST_BIN_DIR not set";
  const std::string tool =
      std::string(bin_dir) + "/tether-supporter-screenshots";
  if (!tether::test::XvfbDisplay::Available())
    GTEST_SKIP() << "needs Xvfb";
  auto display = tether::test::XvfbDisplay::Start({1280, 800, {}});
  ASSERT_TRUE(display.has_value()) << display.error().message;
  QTemporaryDir out;
  ASSERT_TRUE(out.isValid());

  const std::string command = "DISPLAY=" + (*display)->name() +
                              " QT_QPA_PLATFORM=xcb '" + tool + "' '" +
                              out.path().toStdString() + "' >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  for (const char* name :
       {"sign-in", "sign-in-totp", "sign-in-untrusted",
        "sign-in-outdated-relay", "home", "code", "join-request", "sas",
        "session", "transfer", "ended-window", "ended"}) {
    const QImage image(QDir(out.path())
                           .filePath(QStringLiteral("supporter-") +
                                     QLatin1String(name) +
                                     QStringLiteral(".png")));
    ASSERT_FALSE(image.isNull()) << name;
    EXPECT_GE(image.width(), 400) << name;
    EXPECT_GE(image.height(), 200) << name;
    EXPECT_GE(ColourCount(image), 8) << name << " looks blank";
  }
  // The session window shows the remote desktop: many colours.
  const QImage session(
      QDir(out.path()).filePath(QStringLiteral("supporter-session.png")));
  EXPECT_GE(ColourCount(session), 200);
}

}  // namespace
}  // namespace tether::supporter::ui
