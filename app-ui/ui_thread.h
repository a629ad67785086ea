#pragma once

// How a core's observer calls reach an app's Qt UI thread.

#include <functional>

namespace tether::app_ui {

// Any thread. Runs `fn` on the Qt UI thread, through one SlicedTaskQueue in
// slices of 10 ms: however much the other side makes arrive, the user's
// clicks (the customer's STOP, the technician's End) come in between. Both
// apps pass it as their sessions' deliver function. Dropped when no
// QCoreApplication exists.
void PostToUiThread(std::function<void()> fn);

}  // namespace tether::app_ui
