#pragma once

// One QApplication for the whole supporter UI test binary, on the offscreen
// platform (no display needed), with the app's real style. Every test file
// includes this header; the inline variable registers the environment once.

#include <gtest/gtest.h>

#include <QApplication>
#include <QCoreApplication>
#include <QTest>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>

#include "supporter-app/ui/style.h"

namespace tether::supporter::ui::test {

class QtEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    // Offscreen unless the caller chose a platform (the screenshot test
    // runs a separate program under Xvfb).
    setenv("QT_QPA_PLATFORM", "offscreen", /*overwrite=*/1);
    // The offscreen platform says so for every raise(); nothing to see.
    qInstallMessageHandler([](QtMsgType type, const QMessageLogContext&,
                              const QString& message) {
      if (message.startsWith(QStringLiteral("This plugin does not support")))
        return;
      if (type != QtDebugMsg)
        fprintf(stderr, "%s\n", qPrintable(message));
    });
    app_ = std::make_unique<QApplication>(argc_, argv_);
    QApplication::setQuitOnLastWindowClosed(false);
    ApplySupporterStyle(app_.get());
  }
  void TearDown() override { app_.reset(); }

 private:
  int argc_ = 1;
  char name_[32] = "tether_supporter_ui_tests";
  char* argv_[2] = {name_, nullptr};
  std::unique_ptr<QApplication> app_;
};

inline ::testing::Environment* const kQtEnvironment =
    ::testing::AddGlobalTestEnvironment(new QtEnvironment);

// Runs the event loop until `done` holds or the deadline passes.
inline bool ProcessEventsUntil(
    const std::function<bool()>& done,
    std::chrono::milliseconds deadline = std::chrono::seconds(5)) {
  return QTest::qWaitFor(done, static_cast<int>(deadline.count()));
}

// Lets queued calls and deferred deletes run.
inline void Flush() {
  for (int i = 0; i < 3; ++i) {
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    QCoreApplication::processEvents();
  }
}

}  // namespace tether::supporter::ui::test
