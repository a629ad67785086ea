#pragma once

// The viewer's exact layer: the other side's pixels, exactly, wherever they
// are known, drawn over the decoded video. The picture is cut into 32x32
// tiles and each tile is shown either from the video or from this layer.
// The rules, which the sender (streaming/picture_planner.h) follows too:
// - a key frame hands every tile to the video; a video frame's dirty rects
//   hand every tile they touch to the video;
// - a patch (one WebP lossless picture) writes the layer: of whole tiles
//   (cut only at the picture's edge), which become exact; or of part of
//   tiles that are exact already (a typed character), which stay so;
// - a move copies an area within the layer (a scroll, a dragged window),
//   before the video and the patches of the same frame.
// Everything that came over the network is checked before any of it is
// applied (counts, sizes, alignment); a frame that breaks a rule is
// refused as a whole, like an undecodable video frame.
//
// Not thread-safe: the receiver's decode thread owns it.

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "desktop/desktop_frame.h"
#include "protocol/peer.pb.h"

namespace tether::streaming {

inline constexpr int kExactTile = 32;

// The tile grid both sides count in: columns x0..x1 and rows y0..y1.
struct TileSpan {
  int x0 = 0, y0 = 0, x1 = -1, y1 = -1;
  bool empty() const { return x1 < x0 || y1 < y0; }
};
// Tiles across `pixels` (a part tile at the edge counts).
inline int TileCount(int pixels) {
  return (pixels + kExactTile - 1) / kExactTile;
}
// The tiles `rect` touches once clipped to a picture of `size`.
TileSpan TilesOf(const desktop::DesktopRect& rect, desktop::DesktopSize size);
// The pixels of `tiles`, clipped to a picture of `size`.
desktop::DesktopRect PixelsOf(const TileSpan& tiles, desktop::DesktopSize size);
// A honest sender stays far below these (picture_planner.h's budgets).
inline constexpr int kMaxPatchesPerFrame = 1024;
inline constexpr int kMaxMovesPerFrame = 16;

class ExactLayer {
 public:
  // Whether `frame`'s moves and patches keep the rules for a picture of
  // its width and height (at most `max_size`), before anything is decoded.
  static Result<void> Check(const proto::VideoFrame& frame,
                            desktop::DesktopSize max_size);

  // Starts over at `size`: every tile the video's.
  void Reset(desktop::DesktopSize size);
  desktop::DesktopSize size() const { return pixels_.size(); }

  // A checked frame's moves, in order.
  void ApplyMoves(const proto::VideoFrame& frame);
  // The tiles `rect` touches show the video again.
  void HandToVideo(const desktop::DesktopRect& rect);
  // A checked frame's patches: decoded into the layer, their tiles exact.
  // Errors: a corrupt picture (the layer is then not to be trusted until
  // the next Reset: ask for a key frame).
  Result<void> ApplyPatches(const proto::VideoFrame& frame);

  // Copies the exact tiles that touch `area` onto `picture` (the decoded
  // video of the same size).
  void Paint(desktop::DesktopFrame& picture,
             const desktop::DesktopRect& area) const;
  void Paint(desktop::DesktopFrame& picture) const {
    Paint(picture, desktop::DesktopRect::FromSize(size()));
  }
  int exact_tiles() const { return exact_tiles_; }

 private:
  void SetTiles(const desktop::DesktopRect& rect, bool exact);
  bool AllExact(const desktop::DesktopRect& rect) const;

  desktop::DesktopFrame pixels_{desktop::DesktopSize{0, 0}};
  std::vector<uint8_t> exact_;  // per tile, row by row
  int tiles_x_ = 0;
  int tiles_y_ = 0;
  int exact_tiles_ = 0;
};

// A rectangle from the network as it is: for one Check() kept inside the
// picture.
desktop::DesktopRect FromWire(const proto::Rect& rect);
// A rectangle from the network, clipped to a picture of `size` in 64-bit
// arithmetic (its numbers may overflow 32 bits); empty when outside.
desktop::DesktopRect ClipFromWire(const proto::Rect& rect,
                                  desktop::DesktopSize size);

// Copies `source` of `frame` (BGRX) to source moved by (dx, dy), in the
// order that is right for overlapping areas; does nothing unless both
// areas lie inside the frame. Both sides use it, so their layers move
// alike.
void MoveArea(desktop::DesktopFrame& frame,
              const desktop::DesktopRect& source,
              int dx,
              int dy);

}  // namespace tether::streaming
