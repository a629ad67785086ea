#pragma once

// One QApplication for a whole UI test binary, on the offscreen platform
// (no display needed), with the app's real style. Each UI test module
// registers it once, with its app's style (tests/<module>_ui/
// qt_test_environment.h); its tests wait with the functions below.

#include <gtest/gtest.h>

#include <QApplication>
#include <QCoreApplication>
#include <QTest>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>

namespace tether::test {

class QtEnvironment : public ::testing::Environment {
 public:
  using ApplyStyle = void (*)(QApplication*);
  // `binary` is argv[0]; `apply_style` is the app's (ApplyCustomerStyle).
  QtEnvironment(std::string binary, ApplyStyle apply_style)
      : name_(std::move(binary)), apply_style_(apply_style) {}

  void SetUp() override {
    // Offscreen unless the caller chose a platform (the screenshot tests
    // run a separate program under Xvfb).
    setenv("QT_QPA_PLATFORM", "offscreen", /*overwrite=*/1);
    // The offscreen platform says so for every raise(); nothing to see.
    qInstallMessageHandler([](QtMsgType type, const QMessageLogContext&,
                              const QString& message) {
      if (message.startsWith(QStringLiteral("This plugin does not support")))
        return;
      if (type != QtDebugMsg)
        fprintf(stderr, "%s\n", qPrintable(message));
    });
    argv_[0] = name_.data();
    app_ = std::make_unique<QApplication>(argc_, argv_);
    QApplication::setQuitOnLastWindowClosed(false);
    apply_style_(app_.get());
  }
  void TearDown() override { app_.reset(); }

 private:
  std::string name_;
  ApplyStyle apply_style_;
  int argc_ = 1;
  char* argv_[2] = {nullptr, nullptr};
  std::unique_ptr<QApplication> app_;
};

// Registers one QtEnvironment; a module's header keeps the result in an
// inline variable, so however many test files include it, it runs once.
inline ::testing::Environment* RegisterQtEnvironment(
    std::string binary,
    QtEnvironment::ApplyStyle apply_style) {
  return ::testing::AddGlobalTestEnvironment(
      new QtEnvironment(std::move(binary), apply_style));
}

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

}  // namespace tether::test
