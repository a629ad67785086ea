#include "supporter-app/ui/mapped_input_sink.h"

namespace tether::supporter::ui {

void MappedInputSink::Send(std::vector<proto::InputEvent> events) {
  for (proto::InputEvent& event : events)
    session_->SendInput(std::move(event));
}

void MappedInputSink::MouseMove(const ViewGeometry& view, QPointF position) {
  Send(mapper_.MoveInView(view, position.x(), position.y()));
}

void MappedInputSink::MouseButton(Qt::MouseButton button, bool pressed) {
  Send(mapper_.Button(button, pressed));
}

void MappedInputSink::Wheel(QPoint angle_delta) {
  Send(mapper_.Wheel(angle_delta.x(), angle_delta.y()));
}

void MappedInputSink::Key(int qt_key,
                          Qt::KeyboardModifiers modifiers,
                          const QString& text,
                          bool pressed,
                          bool auto_repeat) {
  Send(
      mapper_.Key(qt_key, modifiers, text.toStdString(), pressed, auto_repeat));
}

void MappedInputSink::Combo(KeyCombo combo) {
  switch (combo) {
    case KeyCombo::kCtrlAltDelete:
      return Send(InputMapper::CtrlAltDelete());
    case KeyCombo::kAltTab:
      return Send(InputMapper::AltTab());
    case KeyCombo::kSuper:
      return Send(InputMapper::SuperKey());
  }
}

void MappedInputSink::ReleaseAll() {
  Send(mapper_.ReleaseAll());
}

}  // namespace tether::supporter::ui
