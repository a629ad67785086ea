#include "customer-app/core/view_describer.h"

#include <utility>

#include "desktop/backend.h"

namespace tether::customer {

ViewDescriber::ViewDescriber(std::string display)
    : display_(std::move(display)),
      system_picks_(desktop::SystemAsksToo(display_)) {}

ViewDescriber::~ViewDescriber() = default;

Result<std::vector<desktop::MonitorInfo>> ViewDescriber::ListMonitors() {
  if (system_picks_) {
    return MakeError(
        "this desktop shows its own dialog to pick a screen or window");
  }
  if (!lister_) {
    desktop::CaptureOptions options;
    options.display = display_;
    options.shared_memory = desktop::FeatureMode::kOff;
    options.damage = desktop::FeatureMode::kOff;
    TETHER_TRY(capturer, desktop::ScreenCapturer::Create(options));
    lister_ = std::move(*capturer);
  }
  return lister_->ListMonitors();
}

Result<desktop::WindowInfo> ViewDescriber::FindWindow(uint64_t id) {
  if (!windows_) {
    TETHER_TRY(list, desktop::WindowList::Create(display_));
    windows_ = std::move(*list);
  }
  TETHER_TRY(windows, windows_->List());
  for (const desktop::WindowInfo& window : *windows) {
    if (window.id == id)
      return window;
  }
  return MakeError("there is no such window");
}

Result<std::string> ViewDescriber::Describe(const proto::ViewTarget& target) {
  if (system_picks_)
    return std::string("a screen or window that you pick next");
  switch (target.target_case()) {
    case proto::ViewTarget::kMonitorIndex: {
      TETHER_TRY(monitors, ListMonitors());
      const uint32_t index = target.monitor_index();
      if (index >= monitors->size())
        return MakeError("there is no such monitor");
      const desktop::MonitorInfo& m = (*monitors)[index];
      return "monitor " + std::to_string(index + 1) +
             (m.name.empty() ? "" : " (" + m.name + ")");
    }
    case proto::ViewTarget::kWindowId: {
      TETHER_TRY(window, FindWindow(target.window_id()));
      return "the window \u201C" + window->title + "\u201D";
    }
    default:
      return std::string("your whole screen");
  }
}

Result<desktop::CaptureSource> ViewDescriber::Resolve(
    const proto::ViewTarget& target) {
  if (system_picks_)
    return desktop::CaptureSource::WholeScreen();  // the dialog decides
  switch (target.target_case()) {
    case proto::ViewTarget::kMonitorIndex: {
      TETHER_TRY(monitors, ListMonitors());
      if (target.monitor_index() >= monitors->size())
        return MakeError("there is no such monitor");
      return desktop::CaptureSource::Monitor(
          (*monitors)[target.monitor_index()].id);
    }
    case proto::ViewTarget::kWindowId: {
      TETHER_TRY(window, FindWindow(target.window_id()));
      return desktop::CaptureSource::Window(window->id);
    }
    default:
      return desktop::CaptureSource::WholeScreen();
  }
}

Result<proto::MonitorList> ViewDescriber::Monitors() {
  TETHER_TRY(monitors, ListMonitors());
  proto::MonitorList list;
  for (size_t i = 0; i < monitors->size(); ++i) {
    const desktop::MonitorInfo& m = (*monitors)[i];
    proto::Monitor* out = list.add_monitors();
    out->set_index(static_cast<uint32_t>(i));
    out->set_name(m.name);
    out->mutable_bounds()->set_x(m.rect.x);
    out->mutable_bounds()->set_y(m.rect.y);
    out->mutable_bounds()->set_width(m.rect.width);
    out->mutable_bounds()->set_height(m.rect.height);
    out->set_primary(m.primary);
  }
  return list;
}

}  // namespace tether::customer
