// A window for the Wayland desktop tests (tests/support/wayland_desktop.h):
// a Qt Widgets window on the compositor, one solid colour, that reports on
// stdout what reaches it and repaints rectangles it is told to on stdin.
//
//   wayland_test_window [--colour RRGGBB] [--fullscreen | --size WxH]
//
// Prints, one line each, flushed at once:
//   ready                        its first frame is on the compositor
//   motion X Y                   pointer at X Y (window coordinates)
//   button N pressed|released    N as X11 numbers them: 1 left, 2 middle,
//                                3 right, 8 back, 9 forward
//   scroll DX DY                 wheel, in eighths of a degree (120 a notch)
//   key KEYSYM pressed|released  the key's X11/xkb keysym, in decimal
//   text T                       the text a key press typed, when printable
//   filled                       a fill (below) is on the compositor
// Reads, one command a line:
//   fill X Y W H RRGGBB          paints that rectangle in that colour
// and quits when stdin ends.
//
// Always on Wayland (QT_QPA_PLATFORM is forced): an offscreen or X11
// window would report "ready" without being on the compositor under test.

#include <unistd.h>

#include <QApplication>
#include <QCommandLineParser>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QSocketNotifier>
#include <QWheelEvent>
#include <QWidget>
#include <QWindow>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

// Under LeakSanitizer (the asan preset) every run would report the
// libwayland-client proxies Qt's Wayland plugin never destroys at exit
// (800 bytes in 10 objects): not ours, and not what the tests look for.
// Here rather than in tests/lsan_suppressions.txt, as only this program
// loads that plugin.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libwayland-client.so\n";
}

namespace {

void Say(const QString& line) {
  std::fputs(line.toUtf8().constData(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

int ButtonNumber(Qt::MouseButton button) {
  switch (button) {
    case Qt::LeftButton:
      return 1;
    case Qt::MiddleButton:
      return 2;
    case Qt::RightButton:
      return 3;
    case Qt::BackButton:
      return 8;
    case Qt::ForwardButton:
      return 9;
    default:
      return static_cast<int>(button);
  }
}

bool ParseColour(const QString& text, QColor* colour) {
  if (text.size() != 6)
    return false;
  *colour = QColor("#" + text);
  return colour->isValid();
}

class TestWindow : public QWidget {
 public:
  explicit TestWindow(QColor colour) : colour_(colour) {
    setMouseTracking(true);  // motion without a button held
    setFocusPolicy(Qt::StrongFocus);
    setAttribute(Qt::WA_OpaquePaintEvent);
  }

  // Called once the native window exists (after show()).
  void WatchFrames() { windowHandle()->installEventFilter(this); }

  void Fill(const QRect& rect, const QColor& colour) {
    // A fill hides the earlier ones it covers: forget them, so a long run
    // of fills (the latency bench redraws a pattern 60 times a second)
    // keeps painting few rectangles.
    std::erase_if(fills_,
                  [&](const auto& fill) { return rect.contains(fill.first); });
    fills_.emplace_back(rect, colour);
    if ((rect & this->rect()).isEmpty()) {
      Say("filled");  // nothing of it is visible: nothing to wait for
      return;
    }
    ++unpainted_fills_;
    update(rect);
  }

 protected:
  void paintEvent(QPaintEvent* event) override {
    QPainter painter(this);
    painter.fillRect(event->rect(), colour_);
    for (const auto& [rect, colour] : fills_)
      painter.fillRect(rect & event->rect(), colour);
    // The backing store is committed to the compositor right after this
    // returns. On Wayland, Qt delivers an update request once the
    // compositor's frame callback for that commit arrives, i.e. once the
    // compositor has drawn a frame with it: that is when "ready" and
    // "filled" are true. (The update request is ours: widgets repaint
    // through their own events, not the window's.)
    painted_fills_ += std::exchange(unpainted_fills_, 0);
    if (!ready_ || painted_fills_ > 0)
      windowHandle()->requestUpdate();
  }

  bool eventFilter(QObject* watched, QEvent* event) override {
    if (watched != windowHandle() || event->type() != QEvent::UpdateRequest)
      return false;
    if (!ready_) {
      ready_ = true;
      Say("ready");
    }
    for (; painted_fills_ > 0; --painted_fills_)
      Say("filled");
    // Not passed on: Qt's own handling would repaint the whole window for
    // nothing.
    return true;
  }

  bool event(QEvent* event) override {
    // Before QWidget::event, which would take Tab and Backtab for focus
    // changes.
    if (event->type() == QEvent::KeyPress ||
        event->type() == QEvent::KeyRelease) {
      auto* key = static_cast<QKeyEvent*>(event);
      // Repeats are Qt's own (Wayland clients repeat keys themselves); a
      // test wants the presses and releases it made.
      if (!key->isAutoRepeat()) {
        const bool pressed = event->type() == QEvent::KeyPress;
        Say(QString("key %1 %2")
                .arg(key->nativeVirtualKey())
                .arg(pressed ? "pressed" : "released"));
        const QString text = key->text();
        bool printable = !text.isEmpty();
        for (const QChar c : text)
          printable = printable && c.isPrint();
        if (pressed && printable)
          Say("text " + text);
      }
      return true;
    }
    return QWidget::event(event);
  }

  void mouseMoveEvent(QMouseEvent* event) override {
    const QPoint p = event->position().toPoint();
    Say(QString("motion %1 %2").arg(p.x()).arg(p.y()));
  }
  void mousePressEvent(QMouseEvent* event) override {
    Say(QString("button %1 pressed").arg(ButtonNumber(event->button())));
  }
  void mouseReleaseEvent(QMouseEvent* event) override {
    Say(QString("button %1 released").arg(ButtonNumber(event->button())));
  }
  // A double click is a second press to a test: report it as one.
  void mouseDoubleClickEvent(QMouseEvent* event) override {
    mousePressEvent(event);
  }
  void wheelEvent(QWheelEvent* event) override {
    const QPoint d = event->angleDelta();
    Say(QString("scroll %1 %2").arg(d.x()).arg(d.y()));
  }

 private:
  QColor colour_;
  std::vector<std::pair<QRect, QColor>> fills_;
  int unpainted_fills_ = 0;  // asked for, not painted yet
  int painted_fills_ = 0;    // painted, not on the compositor yet
  bool ready_ = false;
};

// "fill X Y W H RRGGBB"; false for anything else.
bool RunCommand(const QString& line, TestWindow* window) {
  const QStringList words = line.split(' ', Qt::SkipEmptyParts);
  if (words.size() != 6 || words[0] != "fill")
    return false;
  int numbers[4];
  for (int i = 0; i < 4; ++i) {
    bool ok = false;
    numbers[i] = words[i + 1].toInt(&ok);
    if (!ok)
      return false;
  }
  QColor colour;
  if (!ParseColour(words[5], &colour))
    return false;
  window->Fill(QRect(numbers[0], numbers[1], numbers[2], numbers[3]), colour);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  qputenv("QT_QPA_PLATFORM", "wayland");
  // No client-side title bar: window coordinates are then the surface's,
  // and a fullscreen window covers the whole monitor with its colour.
  qputenv("QT_WAYLAND_DISABLE_WINDOWDECORATION", "1");
  QApplication app(argc, argv);

  QCommandLineParser parser;
  parser.addHelpOption();
  parser.addOption({"colour", "Fill colour, RRGGBB.", "RRGGBB", "808080"});
  parser.addOption({"size", "Window size, WxH.", "WxH", "400x300"});
  parser.addOption({"fullscreen", "Cover the whole monitor."});
  parser.process(app);

  QColor colour;
  if (!ParseColour(parser.value("colour"), &colour)) {
    std::fprintf(stderr, "wayland_test_window: bad --colour\n");
    return 2;
  }
  const QStringList size = parser.value("size").split('x');
  bool width_ok = false, height_ok = false;
  const int width = size.value(0).toInt(&width_ok);
  const int height = size.value(1).toInt(&height_ok);
  if (size.size() != 2 || !width_ok || !height_ok || width <= 0 ||
      height <= 0) {
    std::fprintf(stderr, "wayland_test_window: bad --size\n");
    return 2;
  }

  TestWindow window(colour);
  window.setWindowTitle("wayland_test_window");
  if (parser.isSet("fullscreen")) {
    window.showFullScreen();
  } else {
    window.resize(width, height);
    window.show();
  }
  window.WatchFrames();

  // Commands on stdin, a line at a time; its end (the test is done, or
  // gone) quits.
  QSocketNotifier input(STDIN_FILENO, QSocketNotifier::Read);
  std::string pending;
  QObject::connect(&input, &QSocketNotifier::activated, [&] {
    char buf[4096];
    const ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    if (n <= 0) {
      input.setEnabled(false);
      QApplication::quit();
      return;
    }
    pending.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      const QString line = QString::fromStdString(pending.substr(0, nl));
      pending.erase(0, nl + 1);
      if (!RunCommand(line.trimmed(), &window)) {
        std::fprintf(stderr, "wayland_test_window: bad command: %s\n",
                     line.toUtf8().constData());
      }
    }
  });
  return QApplication::exec();
}
