#pragma once

// Where each change of the screen goes, for a viewer that keeps an exact
// layer over the video (streaming/exact_layer.h has the rules):
// - a scroll or a dragged window: an area of the exact layer moves (found
//   by row hashes, x11vnc's CopyRect idea), and only what the move did not
//   explain is sent;
// - a small change (typing, a caret, a menu item): lossless patches, so
//   text is exact at once: of the changed pixels only where the viewer
//   has the tiles exactly already, else of whole tiles;
// - a large change (a dragged window, a video): the video codec, fast
//   and coarse;
// - the top-off: an area the video drew that has been still for `settle`
//   is sent again losslessly, so once the screen stops changing the
//   viewer's picture becomes exactly the customer's pixels.
// It keeps its own copy of what the viewer's exact tiles show (the model):
// a move is only planned where every tile it reads and writes is exact
// there, so both layers move alike; after a move every tile is compared
// with the capture again, so a wrong guess costs bytes, never pixels.
//
// Not thread-safe: the screen sender's thread owns it.

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/clock.h"
#include "desktop/desktop_frame.h"
#include "streaming/exact_layer.h"

namespace tether::streaming {

struct PictureMove {
  desktop::DesktopRect source;  // goes to source moved by (dx, dy)
  int dx = 0;
  int dy = 0;
  bool operator==(const PictureMove&) const = default;
};

// One capture's worth, in the order the viewer applies it.
struct PicturePlan {
  bool key_frame = false;  // the video starts over with the whole screen
  std::vector<PictureMove> moves;
  // For the video encoder: whole tiles (its dirty rects); empty and no
  // key frame: no video this time.
  std::vector<desktop::DesktopRect> video;
  // Whole tiles to send losslessly from the capture.
  std::vector<desktop::DesktopRect> lossless;

  bool empty() const {
    return !key_frame && moves.empty() && video.empty() && lossless.empty();
  }
};

struct PicturePlannerOptions {
  // A tile the video drew is topped off after being still this long.
  std::chrono::milliseconds settle{250};
  // A change of more tiles than this (after moves) goes as video.
  int max_lossless_tiles = 96;
  // Tiles topped off per capture, so one capture never takes long.
  int max_top_off_tiles = 256;
  // Every change goes as video, no moves: for a recorded session, whose
  // recording holds the video only. The top-off stays lossless.
  bool changes_as_video = false;
};

class PicturePlanner {
 public:
  explicit PicturePlanner(PicturePlannerOptions options = {});

  // The next capture (its dirty rects say where it may differ from the
  // previous one). `key_frame`: the video must start over (asked for, or
  // a frame did not go out); a new size starts over too.
  PicturePlan Plan(const desktop::DesktopFrame& capture,
                   Clock::SteadyTime now,
                   bool key_frame);

  // Tiles the video drew that are not exact yet.
  int video_tiles() const { return video_tiles_; }

 private:
  struct Tile {
    bool exact = false;
    Clock::SteadyTime drawn{};  // by the video, last
  };

  void StartOver(const desktop::DesktopFrame& capture, Clock::SteadyTime now);
  bool TileDiffers(const desktop::DesktopFrame& capture, int index) const;
  void CopyTile(const desktop::DesktopFrame& capture, int index);
  std::optional<PictureMove> FindMove(const desktop::DesktopFrame& capture,
                                      const std::vector<int>& changed) const;
  // A piece of a changed row at (x, y) that came from (x - dx, y - dy).
  struct Anchor {
    int x, y, dx, dy;
  };
  // How far the area's rows moved (a scroll), and which of them.
  std::optional<int> VerticalShift(const desktop::DesktopFrame& capture,
                                   const desktop::DesktopRect& area) const;
  std::optional<PictureMove> MovedRows(const desktop::DesktopFrame& capture,
                                       const desktop::DesktopRect& area,
                                       int dy) const;
  // Where pieces of the changed rows came from (a dragged window), and the
  // rectangle that moved with the best of them.
  std::optional<Anchor> AnchoredShift(const desktop::DesktopFrame& capture,
                                      const std::vector<int>& changed) const;
  std::optional<PictureMove> MovedArea(const desktop::DesktopFrame& capture,
                                       const Anchor& anchor) const;
  // The smallest rectangle around the pixels of `tiles` that differ
  // between the capture and the model (empty if none do).
  desktop::DesktopRect ChangedPixels(const desktop::DesktopFrame& capture,
                                     const std::vector<int>& tiles) const;
  bool AllExact(const desktop::DesktopRect& rect) const;
  desktop::DesktopRect TileRect(int index) const;
  std::vector<desktop::DesktopRect> Merge(std::vector<int> tiles) const;

  PicturePlannerOptions options_;
  desktop::DesktopFrame model_{desktop::DesktopSize{0, 0}};
  std::vector<Tile> tiles_;
  int tiles_x_ = 0;
  int tiles_y_ = 0;
  int video_tiles_ = 0;
};

}  // namespace tether::streaming
