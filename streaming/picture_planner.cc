#include "streaming/picture_planner.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

namespace tether::streaming {
namespace {

using desktop::DesktopFrame;
using desktop::DesktopRect;
using desktop::DesktopSize;

// A move is looked for in changes of at least this many tiles (smaller
// ones are cheap as patches), and must move at least this many rows.
constexpr size_t kMinMoveTiles = 4;
constexpr int kMinMoveRows = 16;
// A dragged window is found by pieces of rows this wide, at most this many
// pixels from where they were, from this many changed tiles.
constexpr int kAnchorWidth = 32;
constexpr int kMaxAnchorShift = 96;
constexpr int kMaxAnchors = 16;
constexpr size_t kMaxAnchorMatches = 4;
// Patches are cut at this many tile rows, so one never takes long to
// encode and a lost one costs little.
constexpr int kMaxPatchTileRows = 8;

uint64_t HashRow(const uint8_t* row, size_t bytes) {
  uint64_t hash = 0xcbf29ce484222325u;
  size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    uint64_t word;
    std::memcpy(&word, row + i, 8);
    hash = (hash ^ word) * 0x100000001b3u;
    hash ^= hash >> 29;
  }
  for (; i < bytes; ++i)
    hash = (hash ^ row[i]) * 0x100000001b3u;
  return hash;
}

}  // namespace

PicturePlanner::PicturePlanner(PicturePlannerOptions options)
    : options_(options) {}

PicturePlan PicturePlanner::Plan(const DesktopFrame& capture,
                                 Clock::SteadyTime now,
                                 bool key_frame) {
  PicturePlan plan;
  if (key_frame || capture.size() != model_.size() || tiles_.empty()) {
    StartOver(capture, now);
    plan.key_frame = true;
    plan.video = {DesktopRect::FromSize(capture.size())};
    return plan;
  }

  // The tiles the dirty rects touch whose pixels differ from the model.
  std::vector<uint8_t> looked(tiles_.size(), 0);
  std::vector<int> changed;
  const auto look = [&](const DesktopRect& area) {
    const TileSpan tiles = TilesOf(area, capture.size());
    for (int ty = tiles.y0; ty <= tiles.y1; ++ty) {
      for (int tx = tiles.x0; tx <= tiles.x1; ++tx) {
        const int index = ty * tiles_x_ + tx;
        if (looked[static_cast<size_t>(index)])
          continue;
        looked[static_cast<size_t>(index)] = 1;
        if (TileDiffers(capture, index))
          changed.push_back(index);
      }
    }
  };
  for (const DesktopRect& dirty : capture.dirty_rects())
    look(dirty);

  if (!options_.changes_as_video && changed.size() >= kMinMoveTiles) {
    if (std::optional<PictureMove> move = FindMove(capture, changed)) {
      MoveArea(model_, move->source, move->dx, move->dy);
      plan.moves.push_back(*move);
      // Every tile the move wrote, and every changed one, compared again.
      std::vector<int> before = std::move(changed);
      changed.clear();
      std::fill(looked.begin(), looked.end(), uint8_t{0});
      for (int index : before)
        look(TileRect(index));
      look(move->source.Translated(move->dx, move->dy));
    }
  }

  std::sort(changed.begin(), changed.end());
  const bool as_video =
      options_.changes_as_video ||
      static_cast<int>(changed.size()) > options_.max_lossless_tiles;
  // Inside tiles the viewer already has exactly, only the changed pixels
  // need to go (a typed character: its own few pixels, not its tiles).
  std::optional<DesktopRect> pixels;
  if (!as_video && !changed.empty()) {
    const DesktopRect box = ChangedPixels(capture, changed);
    if (AllExact(box) &&
        box.area() * 2 <=
            static_cast<int64_t>(changed.size()) * kExactTile * kExactTile) {
      pixels = box;
    }
  }
  for (int index : changed) {
    CopyTile(capture, index);
    Tile& tile = tiles_[static_cast<size_t>(index)];
    if (as_video) {
      video_tiles_ += tile.exact ? 1 : 0;
      tile.exact = false;
      tile.drawn = now;
    } else {
      video_tiles_ -= tile.exact ? 0 : 1;
      tile.exact = true;
    }
  }
  if (pixels)
    plan.lossless = {*pixels};
  else
    (as_video ? plan.video : plan.lossless) = Merge(changed);

  // The top-off: still tiles the video drew, now exactly.
  if (video_tiles_ > 0) {
    std::vector<int> top_off;
    for (size_t i = 0; i < tiles_.size() && static_cast<int>(top_off.size()) <
                                                options_.max_top_off_tiles;
         ++i) {
      Tile& tile = tiles_[i];
      if (tile.exact || now - tile.drawn < options_.settle)
        continue;
      // Not dirty since it was drawn (or it would have been drawn again
      // above): the model is the capture there.
      tile.exact = true;
      --video_tiles_;
      top_off.push_back(static_cast<int>(i));
    }
    for (DesktopRect& rect : Merge(std::move(top_off)))
      plan.lossless.push_back(rect);
  }
  return plan;
}

void PicturePlanner::StartOver(const DesktopFrame& capture,
                               Clock::SteadyTime now) {
  const DesktopSize size = capture.size();
  if (model_.size() != size)
    model_ = DesktopFrame(size);
  for (int y = 0; y < size.height; ++y) {
    std::memcpy(model_.MutablePixelAt(0, y), capture.PixelAt(0, y),
                static_cast<size_t>(size.width) * DesktopFrame::kBytesPerPixel);
  }
  tiles_x_ = TileCount(size.width);
  tiles_y_ = TileCount(size.height);
  tiles_.assign(static_cast<size_t>(tiles_x_) * tiles_y_, Tile{false, now});
  video_tiles_ = static_cast<int>(tiles_.size());
}

DesktopRect PicturePlanner::TileRect(int index) const {
  const int tx = index % tiles_x_, ty = index / tiles_x_;
  return PixelsOf({tx, ty, tx, ty}, model_.size());
}

bool PicturePlanner::TileDiffers(const DesktopFrame& capture, int index) const {
  const DesktopRect r = TileRect(index);
  const size_t bytes =
      static_cast<size_t>(r.width) * DesktopFrame::kBytesPerPixel;
  for (int y = r.y; y < r.bottom(); ++y) {
    if (std::memcmp(capture.PixelAt(r.x, y), model_.PixelAt(r.x, y), bytes))
      return true;
  }
  return false;
}

void PicturePlanner::CopyTile(const DesktopFrame& capture, int index) {
  const DesktopRect r = TileRect(index);
  const size_t bytes =
      static_cast<size_t>(r.width) * DesktopFrame::kBytesPerPixel;
  for (int y = r.y; y < r.bottom(); ++y)
    std::memcpy(model_.MutablePixelAt(r.x, y), capture.PixelAt(r.x, y), bytes);
}

DesktopRect PicturePlanner::ChangedPixels(const DesktopFrame& capture,
                                          const std::vector<int>& tiles) const {
  int x0 = model_.size().width, y0 = model_.size().height, x1 = 0, y1 = 0;
  for (int index : tiles) {
    const DesktopRect r = TileRect(index);
    for (int y = r.y; y < r.bottom(); ++y) {
      for (int x = r.x; x < r.right(); ++x) {
        if (std::memcmp(capture.PixelAt(x, y), model_.PixelAt(x, y),
                        DesktopFrame::kBytesPerPixel) != 0) {
          x0 = std::min(x0, x);
          x1 = std::max(x1, x + 1);
          y0 = std::min(y0, y);
          y1 = std::max(y1, y + 1);
        }
      }
    }
  }
  if (x1 <= x0 || y1 <= y0)
    return {};
  return {x0, y0, x1 - x0, y1 - y0};
}

bool PicturePlanner::AllExact(const DesktopRect& rect) const {
  const TileSpan tiles = TilesOf(rect, model_.size());
  if (tiles.empty())
    return false;
  for (int ty = tiles.y0; ty <= tiles.y1; ++ty) {
    for (int tx = tiles.x0; tx <= tiles.x1; ++tx) {
      if (!tiles_[static_cast<size_t>(ty * tiles_x_ + tx)].exact)
        return false;
    }
  }
  return true;
}

// The changed area's content moved: by the distance most of its rows agree
// on (a scroll; row hashes), else by the one most of its distinctive row
// pieces agree on (a dragged window; rolling hashes in a window around
// each). Then the longest band of rows that all moved by it.
std::optional<PictureMove> PicturePlanner::FindMove(
    const DesktopFrame& capture,
    const std::vector<int>& changed) const {
  TileSpan span{tiles_x_, tiles_y_, -1, -1};
  for (int index : changed) {
    span.x0 = std::min(span.x0, index % tiles_x_);
    span.x1 = std::max(span.x1, index % tiles_x_);
    span.y0 = std::min(span.y0, index / tiles_x_);
    span.y1 = std::max(span.y1, index / tiles_x_);
  }
  const DesktopRect area = PixelsOf(span, model_.size());
  if (area.height < kMinMoveRows)
    return std::nullopt;
  std::optional<PictureMove> move;
  if (const auto dy = VerticalShift(capture, area))
    move = MovedRows(capture, area, *dy);
  if (!move) {
    if (const auto anchor = AnchoredShift(capture, changed))
      move = MovedArea(capture, *anchor);
  }
  if (!move || !AllExact(move->source) ||
      !AllExact(move->source.Translated(move->dx, move->dy))) {
    return std::nullopt;
  }
  return move;
}

// The longest band of the area's rows that all moved by dy.
std::optional<PictureMove> PicturePlanner::MovedRows(
    const DesktopFrame& capture,
    const DesktopRect& area,
    int dy) const {
  const int y0 = std::max(area.y, area.y + dy);
  const int y1 = std::min(area.bottom(), area.bottom() + dy);
  const size_t bytes =
      static_cast<size_t>(area.width) * DesktopFrame::kBytesPerPixel;
  int run_start = 0, run = 0, band_start = 0, band = 0;
  for (int y = y0; y < y1; ++y) {
    if (std::memcmp(capture.PixelAt(area.x, y), model_.PixelAt(area.x, y - dy),
                    bytes) != 0) {
      run = 0;
      continue;
    }
    if (run == 0)
      run_start = y;
    if (++run > band) {
      band = run;
      band_start = run_start;
    }
  }
  if (band < kMinMoveRows)
    return std::nullopt;
  return PictureMove{{area.x, band_start - dy, area.width, band}, 0, dy};
}

// The rectangle around an anchor that moved as a whole: the rows above and
// below where the anchor's piece moved too, then the columns left and right
// where all of those rows did.
std::optional<PictureMove> PicturePlanner::MovedArea(
    const DesktopFrame& capture,
    const Anchor& anchor) const {
  const int dx = anchor.dx, dy = anchor.dy;
  const DesktopSize size = model_.size();
  const size_t piece =
      static_cast<size_t>(kAnchorWidth) * DesktopFrame::kBytesPerPixel;
  const auto row_same = [&](int y) {
    return std::memcmp(capture.PixelAt(anchor.x, y),
                       model_.PixelAt(anchor.x - dx, y - dy), piece) == 0;
  };
  const int y_min = std::max(0, dy);
  const int y_max = std::min(size.height, size.height + dy);
  if (!row_same(anchor.y))
    return std::nullopt;  // a hash collision, not a match
  int y0 = anchor.y, y1 = anchor.y + 1;
  while (y0 > y_min && row_same(y0 - 1))
    --y0;
  while (y1 < y_max && row_same(y1))
    ++y1;
  if (y1 - y0 < kMinMoveRows)
    return std::nullopt;
  const auto column_same = [&](int x) {
    for (int y = y0; y < y1; ++y) {
      if (std::memcmp(capture.PixelAt(x, y), model_.PixelAt(x - dx, y - dy),
                      DesktopFrame::kBytesPerPixel) != 0) {
        return false;
      }
    }
    return true;
  };
  const int x_min = std::max(0, dx);
  const int x_max = std::min(size.width, size.width + dx);
  int x0 = anchor.x, x1 = anchor.x + kAnchorWidth;
  while (x0 > x_min && column_same(x0 - 1))
    --x0;
  while (x1 < x_max && column_same(x1))
    ++x1;
  return PictureMove{{x0 - dx, y0 - dy, x1 - x0, y1 - y0}, dx, dy};
}

std::optional<int> PicturePlanner::VerticalShift(
    const DesktopFrame& capture,
    const DesktopRect& area) const {
  const size_t bytes =
      static_cast<size_t>(area.width) * DesktopFrame::kBytesPerPixel;
  std::vector<uint64_t> now(static_cast<size_t>(area.height));
  std::vector<uint64_t> before(now.size());
  // Rows of the model by hash; -1 where a hash repeats (a plain
  // background row says nothing about where it came from).
  std::unordered_map<uint64_t, int> row_of;
  for (int i = 0; i < area.height; ++i) {
    const size_t at = static_cast<size_t>(i);
    now[at] = HashRow(capture.PixelAt(area.x, area.y + i), bytes);
    before[at] = HashRow(model_.PixelAt(area.x, area.y + i), bytes);
    auto [it, added] = row_of.emplace(before[at], i);
    if (!added)
      it->second = -1;
  }
  std::unordered_map<int, int> votes;
  int best = 0, best_votes = 0;
  for (int i = 0; i < area.height; ++i) {
    const size_t at = static_cast<size_t>(i);
    if (now[at] == before[at])
      continue;
    const auto it = row_of.find(now[at]);
    if (it == row_of.end() || it->second < 0)
      continue;
    const int dy = i - it->second;  // the row came from dy rows away
    if (const int count = ++votes[dy]; count > best_votes) {
      best = dy;
      best_votes = count;
    }
  }
  if (best == 0 || best_votes < kMinMoveRows / 2)
    return std::nullopt;
  return best;
}

std::optional<PicturePlanner::Anchor> PicturePlanner::AnchoredShift(
    const DesktopFrame& capture,
    const std::vector<int>& changed) const {
  const DesktopSize size = model_.size();
  const auto pixel = [](const DesktopFrame& frame, int x, int y) {
    uint32_t value;
    std::memcpy(&value, frame.PixelAt(x, y), 4);
    return value & 0xFFFFFFu;  // the fourth byte is not a colour
  };
  constexpr uint64_t kBase = 0x100000001b3u;
  uint64_t top = 1;  // kBase^(kAnchorWidth - 1)
  for (int i = 1; i < kAnchorWidth; ++i)
    top *= kBase;
  std::unordered_map<uint64_t, int> votes;  // (dx, dy) packed
  int best_votes = 0, anchors = 0;
  Anchor best{};
  // Pieces spread over the change (its first tiles may all be one edge).
  const size_t stride = std::max<size_t>(1, changed.size() / kMaxAnchors);
  for (size_t n = 0; n < changed.size() && anchors < kMaxAnchors; n += stride) {
    const DesktopRect tile = TileRect(changed[n]);
    if (tile.width < kAnchorWidth)
      continue;
    // The tile's busiest changed row (text, an edge) is the piece to look
    // for: a plain one would be found everywhere.
    const int ax = tile.x;
    int ay = -1, busiest = 2;  // at least three colour changes
    for (int y = tile.y; y < tile.bottom(); ++y) {
      if (std::memcmp(capture.PixelAt(ax, y), model_.PixelAt(ax, y),
                      kAnchorWidth * 4) == 0) {
        continue;
      }
      int changes = 0;
      for (int i = 1; i < kAnchorWidth; ++i)
        changes += pixel(capture, ax + i, y) != pixel(capture, ax + i - 1, y);
      if (changes > busiest) {
        busiest = changes;
        ay = y;
      }
    }
    if (ay < 0)
      continue;
    uint64_t hash = 0;
    for (int i = 0; i < kAnchorWidth; ++i)
      hash = hash * kBase + pixel(capture, ax + i, ay);
    ++anchors;
    // Where the piece was; a piece found in many places (a plain edge,
    // a repeated pattern) says nothing and gets no vote.
    std::vector<std::pair<int, int>> found;
    const int sx0 = std::max(0, ax - kMaxAnchorShift);
    const int sx1 = std::min(size.width - kAnchorWidth, ax + kMaxAnchorShift);
    for (int y = std::max(0, ay - kMaxAnchorShift);
         y <= std::min(size.height - 1, ay + kMaxAnchorShift) &&
         found.size() <= kMaxAnchorMatches;
         ++y) {
      uint64_t rolling = 0;
      for (int i = 0; i < kAnchorWidth; ++i)
        rolling = rolling * kBase + pixel(model_, sx0 + i, y);
      for (int x = sx0; x <= sx1; ++x) {
        if (x > sx0) {
          rolling = (rolling - pixel(model_, x - 1, y) * top) * kBase +
                    pixel(model_, x + kAnchorWidth - 1, y);
        }
        if (rolling == hash && (x != ax || y != ay))
          found.emplace_back(ax - x, ay - y);
      }
    }
    if (found.size() > kMaxAnchorMatches)
      continue;
    for (const auto& [dx, dy] : found) {
      const uint64_t key =
          (static_cast<uint64_t>(static_cast<uint32_t>(dx)) << 32) |
          static_cast<uint32_t>(dy);
      if (const int count = ++votes[key]; count > best_votes) {
        best_votes = count;
        best = {ax, ay, dx, dy};
      }
    }
  }
  if (best_votes < 2)
    return std::nullopt;
  return best;
}

// Tiles (sorted indices) as few rectangles: runs along a tile row, then
// runs of the same columns in the rows below (at most kMaxPatchTileRows).
std::vector<DesktopRect> PicturePlanner::Merge(std::vector<int> tiles) const {
  std::sort(tiles.begin(), tiles.end());
  std::vector<TileSpan> done, open, next;
  size_t i = 0;
  while (i < tiles.size()) {
    const int ty = tiles[i] / tiles_x_;
    next.clear();
    while (i < tiles.size() && tiles[i] / tiles_x_ == ty) {
      const int tx0 = tiles[i] % tiles_x_;
      int tx1 = tx0;
      while (i + 1 < tiles.size() && tiles[i + 1] == tiles[i] + 1 &&
             tiles[i + 1] / tiles_x_ == ty) {
        ++i;
        ++tx1;
      }
      ++i;
      auto above =
          std::find_if(open.begin(), open.end(), [&](const TileSpan& o) {
            return o.x0 == tx0 && o.x1 == tx1 && o.y1 == ty - 1 &&
                   o.y1 - o.y0 + 1 < kMaxPatchTileRows;
          });
      if (above != open.end()) {
        TileSpan grown = *above;
        grown.y1 = ty;
        open.erase(above);
        next.push_back(grown);
      } else {
        next.push_back({tx0, ty, tx1, ty});
      }
    }
    done.insert(done.end(), open.begin(), open.end());
    open.swap(next);
  }
  done.insert(done.end(), open.begin(), open.end());
  std::vector<DesktopRect> rects;
  rects.reserve(done.size());
  for (const TileSpan& span : done)
    rects.push_back(PixelsOf(span, model_.size()));
  return rects;
}

}  // namespace tether::streaming
