#pragma once

// What the screenshot programs (customer_screenshots.cc,
// supporter_screenshots.cc) share: where the pictures go, and saving a
// window or the whole X screen once it has settled, one PNG per state.

#include <optional>

#include <QString>

class QPixmap;
class QWidget;

namespace tether::tools {

class Shooter {
 public:
  // Into the folder named by the first argument (default docs/screenshots),
  // created if need be; nothing, after saying why, when it cannot be. File
  // names are `prefix` + the state's name + ".png".
  static std::optional<Shooter> ForArguments(int argc,
                                             char** argv,
                                             const QString& prefix = {});

  // Runs the event loop for `ms`, so what was just shown is painted.
  void Settle(int ms = 250);
  // One top-level window, as it draws itself.
  void Window(QWidget* widget, const char* name);
  // The whole X screen (windows over a backdrop).
  void Screen(const char* name);
  // Pictures that could not be saved; the program fails when any.
  int failures() const { return failures_; }

 private:
  Shooter(QString dir, QString prefix)
      : dir_(std::move(dir)), prefix_(std::move(prefix)) {}
  void Save(const QPixmap& pixmap, const char* name);

  QString dir_;
  QString prefix_;
  int failures_ = 0;
};

}  // namespace tether::tools
