// The one real-display test of the customer UI: the screenshot tool renders
// every screen under a private Xvfb with the xcb platform, as the app runs
// on a customer's desktop, and every picture comes out non-empty.

#include <gtest/gtest.h>

#include <QDir>
#include <QImage>
#include <QSet>
#include <QTemporaryDir>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/customer_ui/qt_test_environment.h"
#include "tests/fakes/xvfb_display.h"

namespace tether::customer::ui {
namespace {

// Distinct colours in a coarse sample: a blank or black picture has one.
int ColourCount(const QImage& image) {
  QSet<QRgb> colours;
  for (int y = 0; y < image.height(); y += 7) {
    for (int x = 0; x < image.width(); x += 7)
      colours.insert(image.pixel(x, y));
  }
  return static_cast<int>(colours.size());
}

TEST(CustomerScreenshotsTest, EveryScreenRendersUnderARealXServer) {
  const char* bin_dir = std::getenv("TETHER_TEST_BIN_DIR");
  if (bin_dir == nullptr)
    GTEST_SKIP() << "TETHER_TEST_BIN_DIR not set";
  const std::string tool =
      std::string(bin_dir) + "/tether-customer-screenshots";
  if (!tether::test::XvfbDisplay::Available())
    GTEST_SKIP() << "needs Xvfb";
  auto display = tether::test::XvfbDisplay::Start({1280, 800, {}});
  ASSERT_TRUE(display.has_value()) << display.error().message;
  QTemporaryDir out;
  ASSERT_TRUE(out.isValid());

  const std::string command = "DISPLAY=" + (*display)->name() +
                              " QT_QPA_PLATFORM=xcb '" + tool + "' '" +
                              out.path().toStdString() + "' >/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  for (const char* name :
       {"start-empty", "start-valid-code", "start-wrong-code",
        "start-unreachable", "start-certificate-mismatch",
        "start-outdated-relay", "prompt-terms", "prompt-view-screen",
        "prompt-remote-control", "prompt-file", "prompt-clipboard",
        "prompt-view-technician", "panel-viewing", "panel-control-chat",
        "desktop-control-border", "ended-receipt", "ended-stopped"}) {
    const QImage image(
        QDir(out.path())
            .filePath(QLatin1String(name) + QStringLiteral(".png")));
    ASSERT_FALSE(image.isNull()) << name;
    EXPECT_GE(image.width(), 400) << name;
    EXPECT_GE(image.height(), 200) << name;
    EXPECT_GE(ColourCount(image), 8) << name << " looks blank";
  }
  // The border is on the screen's edge while control is on.
  const QImage desktop(
      QDir(out.path()).filePath(QStringLiteral("desktop-control-border.png")));
  ASSERT_EQ(desktop.size(), QSize(1280, 800));
  EXPECT_EQ(QColor(desktop.pixel(2, 400)), kControlColour);
  EXPECT_EQ(QColor(desktop.pixel(640, 797)), kControlColour);
}

}  // namespace
}  // namespace tether::customer::ui
