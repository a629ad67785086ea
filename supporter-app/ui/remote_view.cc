#include "supporter-app/ui/remote_view.h"

#include <QEnterEvent>
#include <QFocusEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPaintEvent>
#include <QPainter>
#include <QPainterPath>
#include <QScrollBar>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

#include "supporter-app/ui/style.h"

// A BGRX frame read as 32-bit words is 0xXXRRGGBB on a little-endian CPU:
// exactly QImage::Format_RGB32, so no conversion and no copy. (The decoder
// writes 0xFF into X; RGB32 treats the picture as opaque either way.)
static_assert(Q_BYTE_ORDER == Q_LITTLE_ENDIAN,
              "RemoteView wraps BGRX frames as QImage::Format_RGB32");

namespace tether::supporter::ui {
namespace {

const QColor kBackground(0x2B, 0x34, 0x40);
constexpr Qt::KeyboardModifiers kConsoleModifiers =
    Qt::ControlModifier | Qt::AltModifier | Qt::ShiftModifier;

// Console shortcuts stay with the console even while controlling.
bool IsConsoleShortcut(const QKeyEvent* event) {
  const Qt::KeyboardModifiers mods = event->modifiers() & ~Qt::KeypadModifier;
  return mods == kConsoleModifiers && event->key() != Qt::Key_Control &&
         event->key() != Qt::Key_Alt && event->key() != Qt::Key_Shift;
}

}  // namespace

RemoteView::RemoteView(QWidget* parent) : QAbstractScrollArea(parent) {
  setObjectName(QStringLiteral("RemoteView"));
  setFrameShape(QFrame::NoFrame);
  setFocusPolicy(Qt::StrongFocus);
  viewport()->setMouseTracking(true);
  // Every pixel is painted here; Qt need not clear the viewport first.
  viewport()->setAttribute(Qt::WA_OpaquePaintEvent);
  viewport()->setAutoFillBackground(false);
  setAttribute(Qt::WA_InputMethodEnabled, false);  // raw keys, no composing
  SetScale(Scale::kFit);
}

RemoteView::~RemoteView() {
  if (grabbed_)
    releaseKeyboard();
}

QSize RemoteView::sizeHint() const {
  return {960, 600};
}

void RemoteView::SetPicture(const RemotePicture& picture) {
  if (!picture.frame || picture.frame->size().is_empty())
    return;
  const desktop::DesktopFrame& frame = *picture.frame;
  const QSize old_size = image_.size();
  const ViewGeometry old_geometry = Geometry();
  image_ = QImage();  // drop the old buffer's last user before its owner
  frame_ = picture.frame;
  image_ = QImage(frame.data(), frame.size().width, frame.size().height,
                  frame.stride(), QImage::Format_RGB32);
  remote_ = picture.screen_origin.is_empty()
                ? desktop::DesktopRect::FromSize(frame.size())
                : picture.screen_origin;
  frame_id_ = picture.frame_id;

  if (image_.size() != old_size) {
    UpdateScrollBars();
    viewport()->update();
    emit pictureSizeChanged(image_.size());
    return;
  }
  const ViewGeometry geometry = Geometry();
  const bool same_place = geometry.draw_x == old_geometry.draw_x &&
                          geometry.draw_y == old_geometry.draw_y &&
                          geometry.draw_width == old_geometry.draw_width;
  // No dirty rects from a decoder may simply mean "not tracked": repaint
  // everything rather than risk showing a stale picture.
  if (!same_place || frame.dirty_rects().empty() || ended_) {
    viewport()->update();
    return;
  }
  for (const desktop::DesktopRect& rect : frame.dirty_rects()) {
    // Grown for the smoothing filter, which reads neighbouring pixels.
    viewport()->update(ToWidget(rect).toAlignedRect().adjusted(-2, -2, 2, 2));
  }
}

void RemoteView::ClearPicture() {
  image_ = QImage();
  frame_.reset();
  remote_ = {};
  UpdateScrollBars();
  viewport()->update();
}

void RemoteView::SetScale(Scale scale) {
  scale_ = scale;
  const Qt::ScrollBarPolicy policy =
      scale == Scale::kFit ? Qt::ScrollBarAlwaysOff : Qt::ScrollBarAsNeeded;
  setHorizontalScrollBarPolicy(policy);
  setVerticalScrollBarPolicy(policy);
  UpdateScrollBars();
  viewport()->update();
}

void RemoteView::SetControl(bool control) {
  if (ended_)
    control = false;
  if (control_ == control)
    return;
  if (!control)
    ReleaseInput();
  control_ = control;
  viewport()->setCursor(control ? Qt::CrossCursor : Qt::ArrowCursor);
  UpdateGrab();
  viewport()->update();
}

void RemoteView::SetEnded() {
  SetControl(false);
  ended_ = true;
  viewport()->update();
}

void RemoteView::SetRemoteCursor(int32_t x, int32_t y) {
  const std::optional<QPoint> old = remote_cursor_;
  remote_cursor_ = QPoint(x, y);
  if (control_ || image_.isNull())
    return;
  for (const std::optional<QPoint>& p : {old, remote_cursor_}) {
    if (!p)
      continue;
    const QRectF at = ToWidget({p->x() - remote_.x, p->y() - remote_.y, 1, 1});
    viewport()->update(QRectF(at.topLeft(), QSizeF(1, 1))
                           .toAlignedRect()
                           .adjusted(-4, -4, 24, 24));
  }
}

bool RemoteView::SendCombo(KeyCombo combo) {
  if (!control_ || sink_ == nullptr)
    return false;
  sink_->Combo(combo);
  return true;
}

void RemoteView::SetPointerInsideForTest(bool inside) {
  pointer_inside_ = inside;
  UpdateGrab();
}

ViewGeometry RemoteView::Geometry() const {
  ViewGeometry geometry;
  if (!image_.isNull()) {
    // Placed by the picture's own size (a scaled stream is smaller than the
    // customer's screen), mapped onto the remote rect: the same functions
    // the input mapping is tested with.
    const desktop::DesktopRect picture{remote_.x, remote_.y, image_.width(),
                                       image_.height()};
    const QSizeF area = viewport()->size();
    geometry = scale_ == Scale::kFit
                   ? FitToWindow(picture, area.width(), area.height())
                   : OneToOne(picture, area.width(), area.height(),
                              horizontalScrollBar()->value(),
                              verticalScrollBar()->value(),
                              viewport()->devicePixelRatioF());
  }
  geometry.remote = remote_;
  return geometry;
}

QRectF RemoteView::ToWidget(const desktop::DesktopRect& frame_rect) const {
  const ViewGeometry g = Geometry();
  if (image_.isNull())
    return {};
  const double sx = g.draw_width / image_.width();
  const double sy = g.draw_height / image_.height();
  return {g.draw_x + frame_rect.x * sx, g.draw_y + frame_rect.y * sy,
          frame_rect.width * sx, frame_rect.height * sy};
}

void RemoteView::UpdateScrollBars() {
  if (scale_ == Scale::kFit || image_.isNull()) {
    horizontalScrollBar()->setRange(0, 0);
    verticalScrollBar()->setRange(0, 0);
    return;
  }
  const double dpr = viewport()->devicePixelRatioF();
  const int w = static_cast<int>(std::ceil(image_.width() / dpr));
  const int h = static_cast<int>(std::ceil(image_.height() / dpr));
  const QSize area = viewport()->size();
  horizontalScrollBar()->setRange(0, std::max(0, w - area.width()));
  horizontalScrollBar()->setPageStep(area.width());
  horizontalScrollBar()->setSingleStep(40);
  verticalScrollBar()->setRange(0, std::max(0, h - area.height()));
  verticalScrollBar()->setPageStep(area.height());
  verticalScrollBar()->setSingleStep(40);
}

void RemoteView::paintEvent(QPaintEvent* event) {
  QPainter painter(viewport());
  const QRect area = viewport()->rect();
  if (image_.isNull()) {
    painter.fillRect(event->rect(), kBackground);
    painter.setPen(QColor(0xD5, 0xDB, 0xE1));
    QFont font = painter.font();
    font.setPointSize(kBodyPt + 2);
    painter.setFont(font);
    painter.drawText(area, Qt::AlignCenter | Qt::TextWordWrap,
                     ended_ ? QStringLiteral("The session has ended.")
                            : QStringLiteral("Waiting for the customer's "
                                             "screen\u2026"));
    return;
  }
  const ViewGeometry g = Geometry();
  const QRectF target(g.draw_x, g.draw_y, g.draw_width, g.draw_height);
  // The bars around a letterboxed or small picture, up to the pixels the
  // picture covers completely; the picture is drawn over the edge pixels
  // after them, so no pixel of the (opaque) viewport is left unpainted.
  const QRect inner(QPoint(static_cast<int>(std::ceil(target.left())),
                           static_cast<int>(std::ceil(target.top()))),
                    QPoint(static_cast<int>(std::floor(target.right())) - 1,
                           static_cast<int>(std::floor(target.bottom())) - 1));
  QRegion bars(event->rect());
  bars -= inner;
  for (const QRect& r : bars)
    painter.fillRect(r, kBackground);

  const double dpr = viewport()->devicePixelRatioF();
  const bool one_to_one = std::abs(g.draw_width * dpr - image_.width()) < 0.5 &&
                          std::abs(g.draw_height * dpr - image_.height()) < 0.5;
  painter.setRenderHint(QPainter::SmoothPixmapTransform, !one_to_one);
  painter.drawImage(target, image_, QRectF(image_.rect()));

  if (!control_ && remote_cursor_ && !ended_) {
    // The customer's pointer: a small outlined arrow, so the technician
    // sees what the customer points at while only watching.
    const QRectF at = ToWidget({remote_cursor_->x() - remote_.x,
                                remote_cursor_->y() - remote_.y, 1, 1});
    QPainterPath arrow;
    arrow.moveTo(0, 0);
    arrow.lineTo(0, 16);
    arrow.lineTo(4.5, 12);
    arrow.lineTo(8, 19);
    arrow.lineTo(10.5, 18);
    arrow.lineTo(7, 11);
    arrow.lineTo(12.5, 11);
    arrow.closeSubpath();
    painter.setRenderHint(QPainter::Antialiasing);
    painter.translate(at.topLeft());
    painter.setPen(QPen(Qt::white, 1.5));
    painter.setBrush(QColor(0x1B, 0x24, 0x30));
    painter.drawPath(arrow);
    painter.resetTransform();
  }
  if (ended_)
    painter.fillRect(area, QColor(0x1B, 0x24, 0x30, 140));
}

void RemoteView::resizeEvent(QResizeEvent* event) {
  QAbstractScrollArea::resizeEvent(event);
  UpdateScrollBars();
  viewport()->update();
}

void RemoteView::scrollContentsBy(int, int) {
  viewport()->update();
}

bool RemoteView::Forwarding() const {
  return control_ && !ended_ && sink_ != nullptr && hasFocus();
}

void RemoteView::UpdateGrab() {
  const bool want =
      control_ && !ended_ && hasFocus() && pointer_inside_ && isActiveWindow();
  if (want == grabbed_)
    return;
  grabbed_ = want;
  if (want)
    grabKeyboard();
  else
    releaseKeyboard();
}

void RemoteView::ReleaseInput() {
  if (control_ && sink_ != nullptr)
    sink_->ReleaseAll();
}

bool RemoteView::event(QEvent* event) {
  switch (event->type()) {
    case QEvent::ShortcutOverride: {
      // While forwarding, a key is the customer's unless it is one of the
      // console's own Ctrl+Alt+Shift shortcuts.
      auto* key = static_cast<QKeyEvent*>(event);
      if (Forwarding() && !IsConsoleShortcut(key)) {
        event->accept();
        return true;
      }
      break;
    }
    case QEvent::KeyPress:
      // Tab and Backtab would move the focus before keyPressEvent.
      if (Forwarding()) {
        keyPressEvent(static_cast<QKeyEvent*>(event));
        return true;
      }
      break;
    default:
      break;
  }
  return QAbstractScrollArea::event(event);
}

bool RemoteView::viewportEvent(QEvent* event) {
  // Touchpad gestures and context menus are not the customer's business.
  if (event->type() == QEvent::ContextMenu && Forwarding())
    return true;
  return QAbstractScrollArea::viewportEvent(event);
}

void RemoteView::mouseMoveEvent(QMouseEvent* event) {
  if (!Forwarding())
    return QAbstractScrollArea::mouseMoveEvent(event);
  sink_->MouseMove(Geometry(), event->position());
  event->accept();
}

void RemoteView::mousePressEvent(QMouseEvent* event) {
  if (!Forwarding())
    return QAbstractScrollArea::mousePressEvent(event);
  // The position first: a click lands where the pointer is now.
  sink_->MouseMove(Geometry(), event->position());
  sink_->MouseButton(event->button(), true);
  event->accept();
}

void RemoteView::mouseReleaseEvent(QMouseEvent* event) {
  if (!Forwarding())
    return QAbstractScrollArea::mouseReleaseEvent(event);
  sink_->MouseButton(event->button(), false);
  event->accept();
}

void RemoteView::mouseDoubleClickEvent(QMouseEvent* event) {
  // The remote desktop detects double clicks itself from two presses.
  mousePressEvent(event);
}

void RemoteView::wheelEvent(QWheelEvent* event) {
  if (!Forwarding())
    return QAbstractScrollArea::wheelEvent(event);  // scrolls in 1:1
  sink_->Wheel(event->angleDelta());
  event->accept();
}

void RemoteView::keyPressEvent(QKeyEvent* event) {
  if (!Forwarding() || IsConsoleShortcut(event))
    return QAbstractScrollArea::keyPressEvent(event);
  sink_->Key(event->key(), event->modifiers(), event->text(), true,
             event->isAutoRepeat());
  event->accept();
}

void RemoteView::keyReleaseEvent(QKeyEvent* event) {
  if (!Forwarding() || IsConsoleShortcut(event))
    return QAbstractScrollArea::keyReleaseEvent(event);
  sink_->Key(event->key(), event->modifiers(), event->text(), false,
             event->isAutoRepeat());
  event->accept();
}

void RemoteView::focusInEvent(QFocusEvent* event) {
  QAbstractScrollArea::focusInEvent(event);
  UpdateGrab();
}

void RemoteView::focusOutEvent(QFocusEvent* event) {
  QAbstractScrollArea::focusOutEvent(event);
  // Keys held when the focus left would otherwise stay down remotely.
  ReleaseInput();
  UpdateGrab();
}

void RemoteView::enterEvent(QEnterEvent* event) {
  QAbstractScrollArea::enterEvent(event);
  pointer_inside_ = true;
  UpdateGrab();
}

void RemoteView::leaveEvent(QEvent* event) {
  QAbstractScrollArea::leaveEvent(event);
  pointer_inside_ = false;
  UpdateGrab();
}

void RemoteView::changeEvent(QEvent* event) {
  QAbstractScrollArea::changeEvent(event);
  if (event->type() == QEvent::ActivationChange) {
    if (!isActiveWindow())
      ReleaseInput();
    UpdateGrab();
  }
}

bool RemoteView::focusNextPrevChild(bool next) {
  if (Forwarding())
    return false;  // Tab belongs to the customer
  return QAbstractScrollArea::focusNextPrevChild(next);
}

}  // namespace tether::supporter::ui
