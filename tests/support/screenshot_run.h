#pragma once

// The one real-display test of each app's UI runs its screenshot program
// (tools/*_screenshots.cc) as the app runs on a desktop: under a private
// Xvfb of 1280x800 with the xcb platform. The pictures land in a temporary
// folder that lives as long as the run.

#include <gtest/gtest.h>

#include <QDir>
#include <QImage>
#include <QSet>
#include <QTemporaryDir>

#include <cstdlib>
#include <memory>
#include <string>

#include "base/result.h"
#include "tests/fakes/xvfb_display.h"

namespace tether::test {

// Distinct colours in a coarse sample: a blank or black picture has one.
inline int ColourCount(const QImage& image) {
  QSet<QRgb> colours;
  for (int y = 0; y < image.height(); y += 7) {
    for (int x = 0; x < image.width(); x += 7)
      colours.insert(image.pixel(x, y));
  }
  return static_cast<int>(colours.size());
}

// Whether `image` is a screen worth the name: there, at least 400x200, and
// not blank.
inline ::testing::AssertionResult IsFilledScreen(const QImage& image) {
  if (image.isNull())
    return ::testing::AssertionFailure() << "no picture";
  if (image.width() < 400 || image.height() < 200) {
    return ::testing::AssertionFailure()
           << "only " << image.width() << "x" << image.height();
  }
  if (const int colours = ColourCount(image); colours < 8)
    return ::testing::AssertionFailure()
           << "looks blank (" << colours << " colours)";
  return ::testing::AssertionSuccess();
}

class ScreenshotRun {
 public:
  // Why no screenshot program can run here (no TETHER_TEST_BIN_DIR, no
  // Xvfb); empty when one can. The test skips with it.
  static std::string Unavailable() {
    if (std::getenv("TETHER_TEST_BIN_DIR") == nullptr)
      return "TETHER_TEST_BIN_DIR not set";
    if (!XvfbDisplay::Available())
      return "needs Xvfb";
    return {};
  }

  // Runs $TETHER_TEST_BIN_DIR/`program`; fails when it cannot start or
  // exits with an error (it does when a picture could not be saved).
  static Result<std::unique_ptr<ScreenshotRun>> Run(
      const std::string& program) {
    const char* bin_dir = std::getenv("TETHER_TEST_BIN_DIR");
    if (bin_dir == nullptr)
      return MakeError("TETHER_TEST_BIN_DIR not set");
    auto display = XvfbDisplay::Start({1280, 800, {}});
    if (!display.has_value())
      return MakeError(display.error().message);
    auto run = std::unique_ptr<ScreenshotRun>(new ScreenshotRun);
    if (!run->out_.isValid())
      return MakeError("no temporary folder");
    const std::string command =
        "DISPLAY=" + (*display)->name() + " QT_QPA_PLATFORM=xcb '" + bin_dir +
        "/" + program + "' '" + run->out_.path().toStdString() + "' >/dev/null";
    if (std::system(command.c_str()) != 0)
      return MakeError("failed: " + command);
    return run;
  }

  // The picture saved as `name`.png; null when there is none.
  QImage Picture(const QString& name) const {
    return QImage(QDir(out_.path()).filePath(name + QStringLiteral(".png")));
  }

 private:
  ScreenshotRun() = default;

  QTemporaryDir out_;
};

}  // namespace tether::test
