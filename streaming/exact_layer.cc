#include "streaming/exact_layer.h"

#include <algorithm>
#include <cstring>

#include "base/bytes.h"
#include "codec/lossless_image.h"

namespace tether::streaming {
namespace {

using desktop::DesktopFrame;
using desktop::DesktopRect;
using desktop::DesktopSize;

// In 64 bits: the numbers come from the network and may overflow 32.
bool Inside(const proto::Rect& r, int64_t dx, int64_t dy, DesktopSize size) {
  const int64_t x = int64_t{r.x()} + dx;
  const int64_t y = int64_t{r.y()} + dy;
  return r.width() > 0 && r.height() > 0 && x >= 0 && y >= 0 &&
         x + r.width() <= size.width && y + r.height() <= size.height;
}

// A patch covers whole tiles; only the picture's edge may cut one.
bool TileAligned(const DesktopRect& rect, DesktopSize size) {
  const auto aligned = [](int value, int edge) {
    return value % kExactTile == 0 || value == edge;
  };
  return rect.x % kExactTile == 0 && rect.y % kExactTile == 0 &&
         aligned(rect.right(), size.width) &&
         aligned(rect.bottom(), size.height);
}

}  // namespace

TileSpan TilesOf(const DesktopRect& rect, DesktopSize size) {
  const DesktopRect r = rect.ClippedTo(size);
  if (r.is_empty())
    return {};
  return {r.x / kExactTile, r.y / kExactTile, (r.right() - 1) / kExactTile,
          (r.bottom() - 1) / kExactTile};
}

DesktopRect PixelsOf(const TileSpan& tiles, DesktopSize size) {
  if (tiles.empty())
    return {};
  return DesktopRect{tiles.x0 * kExactTile, tiles.y0 * kExactTile,
                     (tiles.x1 - tiles.x0 + 1) * kExactTile,
                     (tiles.y1 - tiles.y0 + 1) * kExactTile}
      .ClippedTo(size);
}

DesktopRect FromWire(const proto::Rect& r) {
  return {r.x(), r.y(), r.width(), r.height()};
}

Result<void> ExactLayer::Check(const proto::VideoFrame& frame,
                               DesktopSize max_size) {
  if (frame.moves_size() == 0 && frame.patches_size() == 0)
    return {};
  const DesktopSize size{
      static_cast<int32_t>(
          std::min<uint32_t>(frame.width(), static_cast<uint32_t>(INT32_MAX))),
      static_cast<int32_t>(std::min<uint32_t>(
          frame.height(), static_cast<uint32_t>(INT32_MAX)))};
  if (size.is_empty() || size.width > max_size.width ||
      size.height > max_size.height) {
    return MakeError("exact layer: picture size out of range");
  }
  if (frame.moves_size() > kMaxMovesPerFrame ||
      frame.patches_size() > kMaxPatchesPerFrame) {
    return MakeError("exact layer: too many moves or patches in one frame");
  }
  for (const proto::PictureMove& move : frame.moves()) {
    if (!Inside(move.source(), 0, 0, size) ||
        !Inside(move.source(), move.dx(), move.dy(), size)) {
      return MakeError("exact layer: a move reaches outside the picture");
    }
  }
  for (const proto::PicturePatch& patch : frame.patches()) {
    if (!Inside(patch.rect(), 0, 0, size))
      return MakeError("exact layer: a patch reaches outside the picture");
  }
  return {};
}

void ExactLayer::Reset(DesktopSize size) {
  if (size != pixels_.size())
    pixels_ = DesktopFrame(size);
  tiles_x_ = TileCount(size.width);
  tiles_y_ = TileCount(size.height);
  exact_.assign(static_cast<size_t>(tiles_x_) * tiles_y_, 0);
  exact_tiles_ = 0;
}

void ExactLayer::ApplyMoves(const proto::VideoFrame& frame) {
  for (const proto::PictureMove& move : frame.moves())
    MoveArea(pixels_, FromWire(move.source()), move.dx(), move.dy());
}

void ExactLayer::HandToVideo(const DesktopRect& rect) {
  SetTiles(rect, false);
}

Result<void> ExactLayer::ApplyPatches(const proto::VideoFrame& frame) {
  for (const proto::PicturePatch& patch : frame.patches()) {
    const DesktopRect rect = FromWire(patch.rect());
    const bool whole_tiles = TileAligned(rect, size());
    if (!whole_tiles && !AllExact(rect)) {
      return MakeError(
          "exact layer: a patch of part of a tile the viewer does not have "
          "exactly");
    }
    TETHER_RETURN_IF_ERROR(
        codec::DecodeLossless(AsBytes(patch.webp()), rect, pixels_));
    if (whole_tiles)
      SetTiles(rect, true);
  }
  return {};
}

void ExactLayer::Paint(DesktopFrame& picture, const DesktopRect& area) const {
  if (exact_tiles_ == 0 || picture.size() != size())
    return;
  const TileSpan tiles = TilesOf(area, size());
  for (int ty = tiles.y0; ty <= tiles.y1; ++ty) {
    // Runs of exact tiles in this row, one copy per row of pixels each.
    int tx = tiles.x0;
    while (tx <= tiles.x1) {
      if (!exact_[static_cast<size_t>(ty) * tiles_x_ + tx]) {
        ++tx;
        continue;
      }
      const int start = tx;
      while (tx <= tiles.x1 &&
             exact_[static_cast<size_t>(ty) * tiles_x_ + tx]) {
        ++tx;
      }
      const DesktopRect run = PixelsOf({start, ty, tx - 1, ty}, size());
      const size_t bytes =
          static_cast<size_t>(run.width) * DesktopFrame::kBytesPerPixel;
      for (int y = run.y; y < run.bottom(); ++y)
        std::memcpy(picture.MutablePixelAt(run.x, y), pixels_.PixelAt(run.x, y),
                    bytes);
    }
  }
}

bool ExactLayer::AllExact(const DesktopRect& rect) const {
  const TileSpan tiles = TilesOf(rect, size());
  if (tiles.empty())
    return false;
  for (int ty = tiles.y0; ty <= tiles.y1; ++ty) {
    for (int tx = tiles.x0; tx <= tiles.x1; ++tx) {
      if (!exact_[static_cast<size_t>(ty) * tiles_x_ + tx])
        return false;
    }
  }
  return true;
}

void ExactLayer::SetTiles(const DesktopRect& rect, bool exact) {
  const TileSpan tiles = TilesOf(rect, size());
  for (int ty = tiles.y0; ty <= tiles.y1; ++ty) {
    for (int tx = tiles.x0; tx <= tiles.x1; ++tx) {
      uint8_t& tile = exact_[static_cast<size_t>(ty) * tiles_x_ + tx];
      exact_tiles_ += (exact ? 1 : 0) - tile;
      tile = exact ? 1 : 0;
    }
  }
}

DesktopRect ClipFromWire(const proto::Rect& r, DesktopSize size) {
  const int64_t x0 = std::max<int64_t>(r.x(), 0);
  const int64_t y0 = std::max<int64_t>(r.y(), 0);
  const int64_t x1 = std::min<int64_t>(int64_t{r.x()} + r.width(), size.width);
  const int64_t y1 =
      std::min<int64_t>(int64_t{r.y()} + r.height(), size.height);
  if (x1 <= x0 || y1 <= y0)
    return {};
  return {static_cast<int32_t>(x0), static_cast<int32_t>(y0),
          static_cast<int32_t>(x1 - x0), static_cast<int32_t>(y1 - y0)};
}

void MoveArea(DesktopFrame& frame, const DesktopRect& source, int dx, int dy) {
  const DesktopRect whole = DesktopRect::FromSize(frame.size());
  if (source.is_empty() || !frame.is_writable() || !whole.Contains(source) ||
      !whole.Contains(source.Translated(dx, dy))) {
    return;
  }
  const size_t bytes =
      static_cast<size_t>(source.width) * DesktopFrame::kBytesPerPixel;
  // Moving up: top row first; moving down: bottom row first, so each row
  // is read before it is overwritten; within a row memmove handles dx.
  for (int i = 0; i < source.height; ++i) {
    const int row = dy <= 0 ? i : source.height - 1 - i;
    std::memmove(frame.MutablePixelAt(source.x + dx, source.y + dy + row),
                 frame.PixelAt(source.x, source.y + row), bytes);
  }
}

}  // namespace tether::streaming
