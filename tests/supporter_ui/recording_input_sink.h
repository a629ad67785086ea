#pragma once

// A RemoteInputSink that writes down what the view forwarded, so the
// view's gate (control + focus) is tested without the core's mapper.

#include <string>
#include <vector>

#include "supporter-app/ui/remote_input.h"

namespace tether::supporter::ui::test {

class RecordingInputSink : public RemoteInputSink {
 public:
  std::vector<std::string> calls;

  void MouseMove(const ViewGeometry&, QPointF position) override {
    calls.push_back("move " + std::to_string(static_cast<int>(position.x())) +
                    "," + std::to_string(static_cast<int>(position.y())));
  }
  void MouseButton(Qt::MouseButton button, bool pressed) override {
    calls.push_back("button " + std::to_string(static_cast<int>(button)) +
                    (pressed ? " down" : " up"));
  }
  void Wheel(QPoint angle) override {
    calls.push_back("wheel " + std::to_string(angle.y()));
  }
  void Key(int qt_key,
           Qt::KeyboardModifiers,
           const QString&,
           bool pressed,
           bool) override {
    calls.push_back("key " + std::to_string(qt_key) +
                    (pressed ? " down" : " up"));
  }
  void Combo(KeyCombo combo) override {
    calls.push_back("combo " + std::to_string(static_cast<int>(combo)));
  }
  void ReleaseAll() override { calls.push_back("release all"); }
};

}  // namespace tether::supporter::ui::test
