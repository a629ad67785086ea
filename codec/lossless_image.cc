#include "codec/lossless_image.h"

#include <webp/decode.h>
#include <webp/encode.h>

#include <memory>
#include <string>

namespace tether::codec {
namespace {

using desktop::DesktopFrame;
using desktop::DesktopRect;

// libwebp's effort settings for lossless: method 1 with quality 0 was
// measured at about half the bytes of method 0 and twice as fast as
// method 2+ on desktop screenshots (bench/RESULTS.md, issue 19).
constexpr int kMethod = 1;
constexpr float kEffort = 0;

// A lossless WebP is at worst a little above the raw pixels; more than
// this is not an honest encoder's output.
size_t MaxBitstreamSize(const DesktopRect& rect) {
  return static_cast<size_t>(rect.area()) * 4 + 4096;
}

Result<void> CheckRect(const DesktopFrame& frame, const DesktopRect& rect) {
  if (rect.is_empty() || rect.x < 0 || rect.y < 0 ||
      rect.right() > frame.size().width ||
      rect.bottom() > frame.size().height) {
    return MakeError("lossless area outside the picture");
  }
  if (rect.area() > kMaxLosslessArea)
    return MakeError("lossless area too large");
  return {};
}

struct PictureFree {
  void operator()(WebPPicture* picture) const {
    WebPPictureFree(picture);
    delete picture;
  }
};

}  // namespace

Result<std::vector<uint8_t>> EncodeLossless(const DesktopFrame& frame,
                                            const DesktopRect& rect) {
  TETHER_RETURN_IF_ERROR(CheckRect(frame, rect));
  WebPConfig config;
  if (!WebPConfigInit(&config))
    return MakeError("libwebp: version mismatch");
  config.lossless = 1;
  config.method = kMethod;
  config.quality = kEffort;
  config.exact = 1;
  std::unique_ptr<WebPPicture, PictureFree> picture(new WebPPicture);
  if (!WebPPictureInit(picture.get()))
    return MakeError("libwebp: version mismatch");
  picture->use_argb = 1;
  picture->width = rect.width;
  picture->height = rect.height;
  // BGRX: libwebp makes the alpha 0xFF, whatever the capturer left there.
  if (!WebPPictureImportBGRX(picture.get(), frame.PixelAt(rect.x, rect.y),
                             frame.stride())) {
    return MakeError("libwebp: out of memory");
  }
  WebPMemoryWriter writer;
  WebPMemoryWriterInit(&writer);
  picture->writer = WebPMemoryWrite;
  picture->custom_ptr = &writer;
  const bool ok = WebPEncode(&config, picture.get()) != 0;
  std::vector<uint8_t> out;
  if (ok)
    out.assign(writer.mem, writer.mem + writer.size);
  WebPMemoryWriterClear(&writer);
  if (!ok) {
    return MakeError("libwebp: encoding failed (" +
                     std::to_string(picture->error_code) + ")");
  }
  return out;
}

Result<void> DecodeLossless(std::span<const uint8_t> data,
                            const DesktopRect& rect,
                            DesktopFrame& frame) {
  if (!frame.is_writable())
    return MakeError("lossless target is not writable");
  TETHER_RETURN_IF_ERROR(CheckRect(frame, rect));
  if (data.size() > MaxBitstreamSize(rect))
    return MakeError("lossless picture larger than its area allows");
  WebPBitstreamFeatures features;
  if (WebPGetFeatures(data.data(), data.size(), &features) != VP8_STATUS_OK)
    return MakeError("not a WebP picture");
  // format 2 is lossless; a lossy WebP would not give the exact pixels.
  if (features.format != 2 || features.has_animation)
    return MakeError("not a lossless WebP picture");
  if (features.width != rect.width || features.height != rect.height)
    return MakeError("lossless picture does not fit its area");
  const size_t size = static_cast<size_t>(frame.stride()) *
                          static_cast<size_t>(rect.height - 1) +
                      static_cast<size_t>(rect.width) * 4;
  if (WebPDecodeBGRAInto(data.data(), data.size(),
                         frame.MutablePixelAt(rect.x, rect.y), size,
                         frame.stride()) == nullptr) {
    return MakeError("corrupt lossless picture");
  }
  return {};
}

}  // namespace tether::codec
