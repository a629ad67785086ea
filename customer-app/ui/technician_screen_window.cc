#include "customer-app/ui/technician_screen_window.h"

#include <utility>

#include <QCloseEvent>
#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QVBoxLayout>

#include "app-ui/app_style.h"
#include "customer-app/ui/style.h"

namespace tether::customer::ui {

TechnicianPictureView::TechnicianPictureView(QWidget* parent)
    : QWidget(parent) {
  setMinimumSize(320, 200);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void TechnicianPictureView::SetPicture(
    std::shared_ptr<const desktop::DesktopFrame> picture) {
  picture_ = std::move(picture);
  update();
}

QSize TechnicianPictureView::sizeHint() const {
  return {960, 600};
}

void TechnicianPictureView::paintEvent(QPaintEvent* /*event*/) {
  QPainter painter(this);
  painter.fillRect(rect(), QColor(0x20, 0x20, 0x20));
  if (!picture_ || picture_->size().width <= 0 ||
      picture_->size().height <= 0) {
    painter.setPen(Qt::white);
    painter.drawText(rect(), Qt::AlignCenter,
                     QStringLiteral("Waiting for the picture\u2026"));
    return;
  }
  // BGRX in memory is what QImage calls RGB32 on little-endian machines.
  const QImage image(picture_->data(), picture_->size().width,
                     picture_->size().height, picture_->stride(),
                     QImage::Format_RGB32);
  QSize fitted = image.size().scaled(size(), Qt::KeepAspectRatio);
  QRect target(QPoint(0, 0), fitted);
  target.moveCenter(rect().center());
  painter.setRenderHint(QPainter::SmoothPixmapTransform, true);
  painter.drawImage(target, image);
}

TechnicianScreenWindow::TechnicianScreenWindow(QWidget* parent)
    : QWidget(parent) {
  setObjectName(QStringLiteral("TetherWindow"));
  setWindowTitle(QStringLiteral("Your technician\u2019s screen"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(18, 14, 18, 14);
  layout->setSpacing(10);

  auto* top = new QHBoxLayout;
  top->setSpacing(12);
  caption_ = app_ui::TextLabel(QString(), kBodyPt + 1, false, this);
  caption_->setWordWrap(true);
  top->addWidget(caption_, 1);
  stop_ = new QPushButton(QStringLiteral("Stop showing"), this);
  stop_->setToolTip(
      QStringLiteral("Close this view; your technician stops showing their "
                     "screen"));
  connect(stop_, &QPushButton::clicked, this,
          &TechnicianScreenWindow::stopRequested);
  top->addWidget(stop_, 0, Qt::AlignVCenter);
  layout->addLayout(top);

  view_ = new TechnicianPictureView(this);
  layout->addWidget(view_, 1);
  SetTechnician(QString());
}

void TechnicianScreenWindow::SetTechnician(const QString& name) {
  const QString who = name.isEmpty() ? QStringLiteral("your technician") : name;
  // Says whose screen this is, and that nothing of it is the customer's
  // own computer: remote control is off while it is shown. Plain text:
  // the name comes from the other side.
  caption_->setTextFormat(Qt::PlainText);
  caption_->setText(
      QStringLiteral("This is %1\u2019s screen, not yours. "
                     "Remote control of your computer is off while you "
                     "watch.")
          .arg(who));
}

void TechnicianScreenWindow::SetPicture(
    std::shared_ptr<const desktop::DesktopFrame> picture) {
  view_->SetPicture(std::move(picture));
}

void TechnicianScreenWindow::CloseForEnd() {
  closing_for_end_ = true;
  close();
  closing_for_end_ = false;
  view_->SetPicture(nullptr);
}

void TechnicianScreenWindow::closeEvent(QCloseEvent* event) {
  // Closing the window by hand means the customer wants to stop watching.
  if (!closing_for_end_)
    emit stopRequested();
  event->accept();
}

}  // namespace tether::customer::ui
