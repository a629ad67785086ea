#pragma once

// Where the picture of the customer's screen is drawn in the technician's
// view, and which remote pixel a position in the view stands for. The one
// mapping: RemoteView places the picture with it and the input mapping
// turns positions with it, so what the technician sees is what they point
// at. No widgets and no Qt: the UI library and the core both use it.

#include <optional>

#include "desktop/desktop_frame.h"

namespace tether::supporter {

// How the picture is shown in the view.
//
// Units: draw_* are LOGICAL widget pixels (device-independent), the unit of
// QWidget geometry and of QMouseEvent::position(), so a mouse position goes
// into MapToRemote as Qt reports it. The device pixel ratio only matters
// when choosing the drawn size: at 1:1 on a screen with ratio 2, one remote
// pixel is one device pixel, i.e. half a logical pixel (see OneToOne()).
struct ViewGeometry {
  desktop::DesktopRect remote;  // the shown part, in remote coordinates
  // Where the picture is drawn in the widget, in logical widget pixels
  // (letterboxed for fit-to-window; offset by scrolling for 1:1).
  double draw_x = 0, draw_y = 0, draw_width = 0, draw_height = 0;
};

// The whole of `remote` scaled to fit a widget of the given logical size,
// aspect ratio kept, centred (bars left/right or top/bottom).
ViewGeometry FitToWindow(const desktop::DesktopRect& remote,
                         double widget_width,
                         double widget_height);
// One remote pixel per device pixel; `scroll_x/y` (logical pixels, the
// scroll bars' values) move the picture left/up. A picture no larger than
// the widget is centred, on a whole logical pixel. A ratio <= 0 counts as 1.
ViewGeometry OneToOne(const desktop::DesktopRect& remote,
                      double widget_width,
                      double widget_height,
                      double scroll_x,
                      double scroll_y,
                      double device_pixel_ratio);

// nullopt when the point is outside the drawn picture (letterbox bars), or
// the geometry is empty. Points on the picture map into `remote`, clamped
// to it (never outside the shown rect, whatever the rounding).
std::optional<desktop::DesktopPoint> MapToRemote(const ViewGeometry& view,
                                                 double widget_x,
                                                 double widget_y);
// Like MapToRemote but a point outside the picture goes to the nearest
// remote pixel on its edge: for moves while a button is held, so a drag
// that leaves the picture continues at its border instead of stopping.
// nullopt only for an empty geometry or a non-finite point.
std::optional<desktop::DesktopPoint>
MapToRemoteClamped(const ViewGeometry& view, double widget_x, double widget_y);

}  // namespace tether::supporter
