#pragma once

// The customer's screen. Paints the newest decoded picture (decoding runs
// off the UI thread in the core) with QPainter, wrapping the frame's BGRX
// pixels in a QImage without copying them; fit-to-window (smooth scaling,
// letterboxed) or 1:1 (one remote pixel per device pixel, so HiDPI screens
// show it sharp) with scroll bars. It repaints only what the frame marks
// dirty when nothing else changed, and never drops or holds back a picture
// itself.
//
// Input: mouse, wheel and keys go to the RemoteInputSink only while control
// is granted AND the view has the keyboard focus. While that holds and the
// pointer is over the view, the view also grabs the keyboard, so Alt+Tab,
// Super and the like reach the customer instead of the technician's
// desktop; moving the pointer off the view, clicking elsewhere or losing
// control releases the grab (and every held key and button). Console
// shortcuts use Ctrl+Alt+Shift+<key>: those, and only those, are not sent.

#include <cstdint>
#include <optional>

#include <QAbstractScrollArea>
#include <QImage>

#include "supporter-app/core/supporter_session.h"
#include "supporter-app/ui/remote_input.h"

namespace tether::supporter::ui {

class RemoteView : public QAbstractScrollArea {
  Q_OBJECT

 public:
  enum class Scale { kFit, kActualSize };

  explicit RemoteView(QWidget* parent = nullptr);
  ~RemoteView() override;

  void SetPicture(const RemotePicture& picture);
  void ClearPicture();
  void SetScale(Scale scale);
  Scale scale() const { return scale_; }
  // Control granted by the customer; false also releases held input.
  void SetControl(bool control);
  bool control() const { return control_; }
  void SetInputSink(RemoteInputSink* sink) { sink_ = sink; }
  // The customer's pointer (remote desktop coordinates), drawn as a small
  // marker while the technician is only watching.
  void SetRemoteCursor(int32_t x, int32_t y);
  // The toolbar's key combinations; sent only with control.
  bool SendCombo(KeyCombo combo);
  // Stops forwarding (session ended): control off, picture kept, dimmed.
  void SetEnded();

  // Where the picture is drawn now, in logical viewport pixels.
  ViewGeometry Geometry() const;
  bool has_picture() const { return !image_.isNull(); }
  const QImage& image() const { return image_; }
  uint64_t frame_id() const { return frame_id_; }
  bool keyboard_grabbed() const { return grabbed_; }
  // For tests: the view behaves as if the pointer were over it.
  void SetPointerInsideForTest(bool inside);

  QSize sizeHint() const override;

 signals:
  // The picture's size changed (monitor switch): the window may resize.
  void pictureSizeChanged(QSize size);

 protected:
  bool event(QEvent* event) override;
  bool viewportEvent(QEvent* event) override;
  void paintEvent(QPaintEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;
  void scrollContentsBy(int dx, int dy) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void mouseDoubleClickEvent(QMouseEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void keyReleaseEvent(QKeyEvent* event) override;
  void focusInEvent(QFocusEvent* event) override;
  void focusOutEvent(QFocusEvent* event) override;
  void enterEvent(QEnterEvent* event) override;
  void leaveEvent(QEvent* event) override;
  void changeEvent(QEvent* event) override;
  bool focusNextPrevChild(bool next) override;

 private:
  bool Forwarding() const;
  void UpdateGrab();
  void UpdateScrollBars();
  void ReleaseInput();
  QRectF ToWidget(const desktop::DesktopRect& frame_rect) const;

  // The frame owns the pixels image_ points into: declared first, so the
  // image goes before its buffer.
  std::shared_ptr<const desktop::DesktopFrame> frame_;
  QImage image_;
  desktop::DesktopRect remote_{};
  uint64_t frame_id_ = 0;
  Scale scale_ = Scale::kFit;
  bool control_ = false;
  bool ended_ = false;
  bool pointer_inside_ = false;
  bool grabbed_ = false;
  RemoteInputSink* sink_ = nullptr;
  std::optional<QPoint> remote_cursor_;
};

}  // namespace tether::supporter::ui
