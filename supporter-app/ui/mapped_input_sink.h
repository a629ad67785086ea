#pragma once

// The app's RemoteInputSink: input_mapper.h turns the view's positions and
// Qt keys into InputEvents, SupporterSession::SendInput sends them (the
// core drops them unless the customer granted control). Kept out of
// tether_supporter_ui so the UI tests never need the core.

#include <memory>

#include "supporter-app/core/input_mapper.h"
#include "supporter-app/core/supporter_session.h"
#include "supporter-app/ui/remote_input.h"

namespace tether::supporter::ui {

class MappedInputSink : public RemoteInputSink {
 public:
  explicit MappedInputSink(SupporterSession* session) : session_(session) {}

  void MouseMove(const ViewGeometry& view, QPointF position) override;
  void MouseButton(Qt::MouseButton button, bool pressed) override;
  void Wheel(QPoint angle_delta) override;
  void Key(int qt_key,
           Qt::KeyboardModifiers modifiers,
           const QString& text,
           bool pressed,
           bool auto_repeat) override;
  void Combo(KeyCombo combo) override;
  void ReleaseAll() override;

 private:
  void Send(std::vector<proto::InputEvent> events);

  SupporterSession* session_;
  InputMapper mapper_;
};

}  // namespace tether::supporter::ui
