#include "customer-app/ui/control_border.h"

#include <QGuiApplication>
#include <QPalette>
#include <QScreen>

#include "customer-app/ui/style.h"

namespace tether::customer::ui {
namespace {

QWidget* MakeStrip(const QRect& geometry, QScreen* screen) {
  auto* strip = new QWidget(
      nullptr, Qt::Window | Qt::FramelessWindowHint | Qt::WindowStaysOnTopHint |
                   Qt::WindowTransparentForInput |
                   Qt::WindowDoesNotAcceptFocus |
                   Qt::X11BypassWindowManagerHint | Qt::Tool);
  strip->setObjectName(QStringLiteral("ControlBorderStrip"));
  strip->setAttribute(Qt::WA_ShowWithoutActivating);
  strip->setAttribute(Qt::WA_TransparentForMouseEvents);
  strip->setFocusPolicy(Qt::NoFocus);
  strip->setAutoFillBackground(true);
  QPalette palette = strip->palette();
  palette.setColor(QPalette::Window, kControlColour);
  strip->setPalette(palette);
  strip->setStyleSheet(
      QStringLiteral("background: %1;").arg(kControlColour.name()));
  strip->setScreen(screen);
  strip->setGeometry(geometry);
  return strip;
}

}  // namespace

ControlBorder::ControlBorder(QObject* parent) : QObject(parent) {
  auto* app = qobject_cast<QGuiApplication*>(QGuiApplication::instance());
  if (app == nullptr)
    return;
  auto rebuild = [this] {
    if (visible_)
      Rebuild();
  };
  connect(app, &QGuiApplication::screenAdded, this, rebuild);
  connect(app, &QGuiApplication::screenRemoved, this, rebuild);
  for (QScreen* screen : QGuiApplication::screens())
    connect(screen, &QScreen::geometryChanged, this, rebuild);
  connect(app, &QGuiApplication::screenAdded, this, [this](QScreen* screen) {
    connect(screen, &QScreen::geometryChanged, this, [this] {
      if (visible_)
        Rebuild();
    });
  });
}

ControlBorder::~ControlBorder() {
  Clear();
}

void ControlBorder::SetVisible(bool visible) {
  if (visible == visible_)
    return;
  visible_ = visible;
  // Wayland lets no app place a window at the screen's edges or keep it on
  // top: the frame would be four stray windows. There the panel's orange
  // line and the desktop's own "being shared" indicator say it
  // (docs/customer.md).
  if (QGuiApplication::platformName().startsWith(QStringLiteral("wayland")))
    return;
  if (visible) {
    Rebuild();
  } else {
    Clear();
  }
}

std::vector<QWidget*> ControlBorder::strips() const {
  std::vector<QWidget*> out;
  for (const QPointer<QWidget>& strip : strips_) {
    if (!strip.isNull())
      out.push_back(strip.get());
  }
  return out;
}

void ControlBorder::Rebuild() {
  Clear();
  const int t = kBorderThickness;
  for (QScreen* screen : QGuiApplication::screens()) {
    const QRect g = screen->geometry();
    const QRect edges[] = {
        {g.left(), g.top(), g.width(), t},                        // top
        {g.left(), g.bottom() - t + 1, g.width(), t},             // bottom
        {g.left(), g.top() + t, t, g.height() - 2 * t},           // left
        {g.right() - t + 1, g.top() + t, t, g.height() - 2 * t},  // right
    };
    for (const QRect& edge : edges) {
      QWidget* strip = MakeStrip(edge, screen);
      strip->show();
      strip->raise();
      strips_.emplace_back(strip);
    }
  }
}

void ControlBorder::Clear() {
  for (const QPointer<QWidget>& strip : strips_)
    delete strip.get();
  strips_.clear();
}

}  // namespace tether::customer::ui
