#include "tools/screenshot_shooter.h"

#include <QDir>
#include <QEventLoop>
#include <QGuiApplication>
#include <QPixmap>
#include <QScreen>
#include <QTimer>
#include <QWidget>

#include <cstdio>

namespace tether::tools {

std::optional<Shooter> Shooter::ForArguments(int argc,
                                             char** argv,
                                             const QString& prefix) {
  const QString dir = argc > 1 ? QString::fromLocal8Bit(argv[1])
                               : QStringLiteral("docs/screenshots");
  if (!QDir().mkpath(dir)) {
    std::fprintf(stderr, "cannot create %s\n", qPrintable(dir));
    return std::nullopt;
  }
  return Shooter(dir, prefix);
}

void Shooter::Settle(int ms) {
  QEventLoop loop;
  QTimer::singleShot(ms, &loop, &QEventLoop::quit);
  loop.exec();
}

void Shooter::Window(QWidget* widget, const char* name) {
  widget->activateWindow();
  Settle();
  Save(widget->grab(), name);
}

void Shooter::Screen(const char* name) {
  Settle(400);
  Save(QGuiApplication::primaryScreen()->grabWindow(0), name);
}

void Shooter::Save(const QPixmap& pixmap, const char* name) {
  const QString path = QDir(dir_).filePath(prefix_ + QLatin1String(name) +
                                           QStringLiteral(".png"));
  if (pixmap.isNull() || !pixmap.save(path)) {
    std::fprintf(stderr, "could not save %s\n", qPrintable(path));
    ++failures_;
    return;
  }
  std::printf("%s\n", qPrintable(path));
}

}  // namespace tether::tools
