// A VideoFrame from the network -> the viewer's exact layer
// (streaming/exact_layer.h): the checks, the moves, the hand-back to the
// video, the WebP lossless patches and the painting must refuse or apply,
// never crash or write outside the picture. Input: a serialized
// proto::VideoFrame (the peer channel's own limit on a message is far
// above what this reaches).

#include <cstddef>
#include <cstdint>

#include "desktop/desktop_frame.h"
#include "protocol/peer.pb.h"
#include "streaming/exact_layer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tether::desktop::DesktopFrame;
  using tether::desktop::DesktopRect;
  using tether::desktop::DesktopSize;
  tether::proto::VideoFrame frame;
  if (size > (1 << 20) || !frame.ParseFromArray(data, static_cast<int>(size)))
    return 0;
  // Small pictures keep the fuzzer fast; the checks are the same.
  if (!tether::streaming::ExactLayer::Check(frame, {512, 512}))
    return 0;
  const DesktopSize picture_size{static_cast<int32_t>(frame.width()),
                                 static_cast<int32_t>(frame.height())};
  // Check() bounds the size only for frames with moves or patches; a
  // video-only frame's size comes from its decoder (max_size) instead.
  if (picture_size.is_empty() || picture_size.width > 512 ||
      picture_size.height > 512) {
    return 0;
  }
  tether::streaming::ExactLayer layer;
  layer.Reset(picture_size);
  layer.ApplyMoves(frame);
  for (const tether::proto::Rect& r : frame.dirty())
    layer.HandToVideo(tether::streaming::ClipFromWire(r, picture_size));
  (void)layer.ApplyPatches(frame);
  DesktopFrame picture(picture_size);
  layer.Paint(picture);
  for (const tether::proto::Rect& r : frame.dirty())
    layer.Paint(picture, tether::streaming::ClipFromWire(r, picture_size));
  return 0;
}
