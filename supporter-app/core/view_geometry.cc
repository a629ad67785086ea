#include "supporter-app/core/view_geometry.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace tether::supporter {
namespace {

using desktop::DesktopPoint;
using desktop::DesktopRect;

bool Usable(const ViewGeometry& view) {
  return !view.remote.is_empty() && std::isfinite(view.draw_x) &&
         std::isfinite(view.draw_y) && std::isfinite(view.draw_width) &&
         std::isfinite(view.draw_height) && view.draw_width > 0 &&
         view.draw_height > 0;
}

// One axis: the remote pixel under `pos`, clamped to the shown range so
// rounding at the right/bottom edge never yields a pixel outside it.
int32_t MapAxis(double pos,
                double draw_start,
                double draw_length,
                int32_t remote_start,
                int32_t remote_length) {
  const double offset =
      std::floor((pos - draw_start) * remote_length / draw_length);
  const double clamped =
      std::clamp(offset, 0.0, static_cast<double>(remote_length - 1));
  return static_cast<int32_t>(int64_t{remote_start} +
                              static_cast<int64_t>(clamped));
}

}  // namespace

ViewGeometry FitToWindow(const DesktopRect& remote,
                         double widget_width,
                         double widget_height) {
  ViewGeometry view;
  view.remote = remote;
  if (remote.is_empty() || !(widget_width > 0) || !(widget_height > 0) ||
      !std::isfinite(widget_width) || !std::isfinite(widget_height)) {
    return view;  // draws nothing; MapToRemote gives nullopt
  }
  const double scale =
      std::min(widget_width / remote.width, widget_height / remote.height);
  view.draw_width = remote.width * scale;
  view.draw_height = remote.height * scale;
  view.draw_x = (widget_width - view.draw_width) / 2;
  view.draw_y = (widget_height - view.draw_height) / 2;
  return view;
}

ViewGeometry OneToOne(const DesktopRect& remote,
                      double widget_width,
                      double widget_height,
                      double scroll_x,
                      double scroll_y,
                      double device_pixel_ratio) {
  ViewGeometry view;
  view.remote = remote;
  if (remote.is_empty())
    return view;
  const double ratio =
      device_pixel_ratio > 0 && std::isfinite(device_pixel_ratio)
          ? device_pixel_ratio
          : 1.0;
  view.draw_width = remote.width / ratio;
  view.draw_height = remote.height / ratio;
  // Centred on a whole logical pixel, so the picture stays sharp.
  view.draw_x = view.draw_width <= widget_width
                    ? std::floor((widget_width - view.draw_width) / 2)
                    : -scroll_x;
  view.draw_y = view.draw_height <= widget_height
                    ? std::floor((widget_height - view.draw_height) / 2)
                    : -scroll_y;
  return view;
}

std::optional<DesktopPoint> MapToRemote(const ViewGeometry& view,
                                        double widget_x,
                                        double widget_y) {
  if (!Usable(view))
    return std::nullopt;
  // Written so that NaN fails the test too.
  const bool inside =
      widget_x >= view.draw_x && widget_x < view.draw_x + view.draw_width &&
      widget_y >= view.draw_y && widget_y < view.draw_y + view.draw_height;
  if (!inside)
    return std::nullopt;
  return DesktopPoint{MapAxis(widget_x, view.draw_x, view.draw_width,
                              view.remote.x, view.remote.width),
                      MapAxis(widget_y, view.draw_y, view.draw_height,
                              view.remote.y, view.remote.height)};
}

std::optional<DesktopPoint> MapToRemoteClamped(const ViewGeometry& view,
                                               double widget_x,
                                               double widget_y) {
  if (!Usable(view) || !std::isfinite(widget_x) || !std::isfinite(widget_y))
    return std::nullopt;
  return DesktopPoint{MapAxis(widget_x, view.draw_x, view.draw_width,
                              view.remote.x, view.remote.width),
                      MapAxis(widget_y, view.draw_y, view.draw_height,
                              view.remote.y, view.remote.height)};
}

}  // namespace tether::supporter
