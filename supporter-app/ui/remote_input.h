#pragma once

// Where the remote view's mouse and keyboard go once the view has decided
// they may go anywhere (control granted, view focused). The one place that
// turns widget positions and Qt keys into InputEvents is behind this
// interface: MappedInputSink (input_mapper.h + SupporterSession::SendInput)
// in the app, a recorder in the UI tests, so the view's gate is tested
// without the core.

#include <QPoint>
#include <QPointF>
#include <QString>
#include <Qt>

#include "supporter-app/core/view_geometry.h"

namespace tether::supporter::ui {

// Key combinations the technician's own desktop would act on itself.
enum class KeyCombo { kCtrlAltDelete, kAltTab, kSuper };

class RemoteInputSink {
 public:
  virtual ~RemoteInputSink() = default;
  // `position` in logical widget pixels; `view` says where the picture is.
  virtual void MouseMove(const ViewGeometry& view, QPointF position) = 0;
  virtual void MouseButton(Qt::MouseButton button, bool pressed) = 0;
  // Qt angle deltas (1/8 degree).
  virtual void Wheel(QPoint angle_delta) = 0;
  virtual void Key(int qt_key,
                   Qt::KeyboardModifiers modifiers,
                   const QString& text,
                   bool pressed,
                   bool auto_repeat) = 0;
  virtual void Combo(KeyCombo combo) = 0;
  // Control ended or the view lost focus: release whatever is held.
  virtual void ReleaseAll() = 0;
};

}  // namespace tether::supporter::ui
