#pragma once

// "Your technician's screen": while the customer lets the technician show
// their screen (view switch), the newest picture of it, scaled to fit,
// under a caption that says what it is, with a "Stop showing" button.
// Stop showing (or closing the window) asks the app to revoke the switch;
// the app hides the window when the switch ends or the session ends.
//
// Threads: the UI thread only.

#include <memory>

#include <QString>
#include <QWidget>

#include "desktop/desktop_frame.h"

class QLabel;
class QPushButton;

namespace tether::customer::ui {

// Paints one picture scaled to fit (aspect kept, smooth), dark around it.
class TechnicianPictureView : public QWidget {
  Q_OBJECT

 public:
  explicit TechnicianPictureView(QWidget* parent = nullptr);

  void SetPicture(std::shared_ptr<const desktop::DesktopFrame> picture);
  bool has_picture() const { return picture_ != nullptr; }
  QSize sizeHint() const override;

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  // Held so the QImage that wraps its pixels (no copy) stays valid.
  std::shared_ptr<const desktop::DesktopFrame> picture_;
};

class TechnicianScreenWindow : public QWidget {
  Q_OBJECT

 public:
  explicit TechnicianScreenWindow(QWidget* parent = nullptr);

  // "Alex (IT)"; empty: "your technician".
  void SetTechnician(const QString& name);
  void SetPicture(std::shared_ptr<const desktop::DesktopFrame> picture);
  // Hides without asking for anything (the switch or the session ended).
  void CloseForEnd();

  QLabel* caption() const { return caption_; }
  QPushButton* stop_button() const { return stop_; }
  TechnicianPictureView* view() const { return view_; }

 signals:
  // The customer wants to stop watching (button or window close).
  void stopRequested();

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  QLabel* caption_ = nullptr;
  QPushButton* stop_ = nullptr;
  TechnicianPictureView* view_ = nullptr;
  bool closing_for_end_ = false;
};

}  // namespace tether::customer::ui
