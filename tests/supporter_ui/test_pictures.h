#pragma once

// Synthetic remote screens for the supporter UI tests and the screenshot
// tool: owned BGRX frames as the core's decoder hands them over.

#include <cstdint>
#include <cstring>
#include <memory>

#include <QImage>

#include "desktop/desktop_frame.h"
#include "supporter-app/core/supporter_session.h"

namespace tether::supporter::ui::test {

// A frame filled with 0xRRGGBB (X = 0xFF, as the decoder writes).
inline std::shared_ptr<desktop::DesktopFrame> SolidFrame(int width,
                                                         int height,
                                                         uint32_t rgb) {
  auto frame = std::make_shared<desktop::DesktopFrame>(
      desktop::DesktopSize{width, height});
  for (int y = 0; y < height; ++y) {
    auto* row = reinterpret_cast<uint32_t*>(frame->MutablePixelAt(0, y));
    for (int x = 0; x < width; ++x)
      row[x] = 0xFF000000u | rgb;
  }
  frame->MarkAllDirty();
  return frame;
}

// A frame holding `image` (any format), as BGRX.
inline std::shared_ptr<desktop::DesktopFrame> FrameFromImage(
    const QImage& image) {
  const QImage rgb = image.convertToFormat(QImage::Format_RGB32);
  auto frame = std::make_shared<desktop::DesktopFrame>(
      desktop::DesktopSize{rgb.width(), rgb.height()});
  for (int y = 0; y < rgb.height(); ++y) {
    std::memcpy(frame->MutablePixelAt(0, y), rgb.constScanLine(y),
                static_cast<size_t>(rgb.width()) * 4);
  }
  frame->MarkAllDirty();
  return frame;
}

inline RemotePicture Picture(std::shared_ptr<desktop::DesktopFrame> frame,
                             uint64_t id = 1,
                             desktop::DesktopPoint origin = {}) {
  RemotePicture picture;
  picture.screen_origin = {origin.x, origin.y, frame->size().width,
                           frame->size().height};
  picture.frame = std::move(frame);
  picture.frame_id = id;
  return picture;
}

}  // namespace tether::supporter::ui::test
