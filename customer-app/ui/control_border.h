#pragma once

// The coloured frame around every screen while the technician may control
// the mouse and keyboard: four thin, frameless, always-on-top windows along
// the edges of each screen. They never take input or focus, so clicks at
// the very edge still reach what is below.

#include <memory>
#include <vector>

#include <QObject>
#include <QPointer>
#include <QWidget>

namespace tether::customer::ui {

inline constexpr int kBorderThickness = 6;

class ControlBorder : public QObject {
  Q_OBJECT

 public:
  explicit ControlBorder(QObject* parent = nullptr);
  ~ControlBorder() override;

  // Shows the frame on every screen (rebuilt when screens change) or hides
  // it.
  void SetVisible(bool visible);
  bool visible() const { return visible_; }
  // The edge windows, for tests and screenshots.
  std::vector<QWidget*> strips() const;

 private:
  void Rebuild();
  void Clear();

  bool visible_ = false;
  std::vector<QPointer<QWidget>> strips_;
};

}  // namespace tether::customer::ui
