#include "app-ui/ui_thread.h"

#include <QCoreApplication>
#include <QMetaObject>

#include <chrono>
#include <utility>

#include "base/sliced_task_queue.h"

namespace tether::app_ui {

void PostToUiThread(std::function<void()> fn) {
  static SlicedTaskQueue queue(
      [](std::function<void()> drain) {
        if (QCoreApplication* app = QCoreApplication::instance())
          QMetaObject::invokeMethod(app, std::move(drain),
                                    Qt::QueuedConnection);
      },
      std::chrono::milliseconds(10));
  queue.Post(std::move(fn));
}

}  // namespace tether::app_ui
