#include "streaming/picture_planner.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

namespace tether::streaming {
namespace {

using desktop::DesktopFrame;
using desktop::DesktopRect;
using desktop::DesktopSize;

// A scroll is looked for in changes of at least this many tiles (smaller
// ones are cheap as patches), moving at least this many rows.
constexpr size_t kMinScrollTiles = 4;
constexpr int kMinScrollRows = 16;
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
    const DesktopRect r = area.ClippedTo(capture.size());
    if (r.is_empty())
      return;
    for (int ty = r.y / kExactTile; ty <= (r.bottom() - 1) / kExactTile; ++ty) {
      for (int tx = r.x / kExactTile; tx <= (r.right() - 1) / kExactTile;
           ++tx) {
        const int index = ty * tiles_x_ + tx;
        if (looked[static_cast<size_t>(index)])
          continue;
        looked[static_cast<size_t>(index)] = 1;
        if (TileDiffers(capture, tx, ty))
          changed.push_back(index);
      }
    }
  };
  for (const DesktopRect& dirty : capture.dirty_rects())
    look(dirty);

  if (!options_.changes_as_video && changed.size() >= kMinScrollTiles) {
    if (std::optional<PictureMove> move = FindScroll(capture, changed)) {
      MoveRows(model_, move->source, move->dy);
      plan.moves.push_back(*move);
      // Every tile the move wrote, and every changed one, compared again.
      std::vector<int> before = std::move(changed);
      changed.clear();
      std::fill(looked.begin(), looked.end(), uint8_t{0});
      for (int index : before)
        look(TileRect(index));
      look(move->source.Translated(0, move->dy));
    }
  }

  std::sort(changed.begin(), changed.end());
  const bool as_video =
      options_.changes_as_video ||
      static_cast<int>(changed.size()) > options_.max_lossless_tiles;
  for (int index : changed) {
    CopyTile(capture, index % tiles_x_, index / tiles_x_);
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
  tiles_x_ = (size.width + kExactTile - 1) / kExactTile;
  tiles_y_ = (size.height + kExactTile - 1) / kExactTile;
  tiles_.assign(static_cast<size_t>(tiles_x_) * tiles_y_, Tile{false, now});
  video_tiles_ = static_cast<int>(tiles_.size());
}

DesktopRect PicturePlanner::TileRect(int index) const {
  return DesktopRect{(index % tiles_x_) * kExactTile,
                     (index / tiles_x_) * kExactTile, kExactTile, kExactTile}
      .ClippedTo(model_.size());
}

bool PicturePlanner::TileDiffers(const DesktopFrame& capture,
                                 int tx,
                                 int ty) const {
  const DesktopRect r = TileRect(ty * tiles_x_ + tx);
  const size_t bytes =
      static_cast<size_t>(r.width) * DesktopFrame::kBytesPerPixel;
  for (int y = r.y; y < r.bottom(); ++y) {
    if (std::memcmp(capture.PixelAt(r.x, y), model_.PixelAt(r.x, y), bytes))
      return true;
  }
  return false;
}

void PicturePlanner::CopyTile(const DesktopFrame& capture, int tx, int ty) {
  const DesktopRect r = TileRect(ty * tiles_x_ + tx);
  const size_t bytes =
      static_cast<size_t>(r.width) * DesktopFrame::kBytesPerPixel;
  for (int y = r.y; y < r.bottom(); ++y)
    std::memcpy(model_.MutablePixelAt(r.x, y), capture.PixelAt(r.x, y), bytes);
}

bool PicturePlanner::AllExact(const DesktopRect& rect) const {
  const DesktopRect r = rect.ClippedTo(model_.size());
  if (r.is_empty())
    return false;
  for (int ty = r.y / kExactTile; ty <= (r.bottom() - 1) / kExactTile; ++ty) {
    for (int tx = r.x / kExactTile; tx <= (r.right() - 1) / kExactTile; ++tx) {
      if (!tiles_[static_cast<size_t>(ty * tiles_x_ + tx)].exact)
        return false;
    }
  }
  return true;
}

// Rows of the changed area that now show what the model had some rows
// further down (or up): the distance most rows agree on, then the longest
// band of rows that all moved by it.
std::optional<PictureMove> PicturePlanner::FindScroll(
    const DesktopFrame& capture,
    const std::vector<int>& changed) const {
  int tx0 = tiles_x_, ty0 = tiles_y_, tx1 = -1, ty1 = -1;
  for (int index : changed) {
    tx0 = std::min(tx0, index % tiles_x_);
    tx1 = std::max(tx1, index % tiles_x_);
    ty0 = std::min(ty0, index / tiles_x_);
    ty1 = std::max(ty1, index / tiles_x_);
  }
  const DesktopRect area =
      DesktopRect{tx0 * kExactTile, ty0 * kExactTile,
                  (tx1 - tx0 + 1) * kExactTile, (ty1 - ty0 + 1) * kExactTile}
          .ClippedTo(model_.size());
  if (area.height < 2 * kMinScrollRows)
    return std::nullopt;
  const size_t bytes =
      static_cast<size_t>(area.width) * DesktopFrame::kBytesPerPixel;
  std::vector<uint64_t> now(static_cast<size_t>(area.height));
  std::vector<uint64_t> before(now.size());
  // Rows of the model by hash; -1 where a hash repeats (a plain
  // background row says nothing about where it came from).
  std::unordered_map<uint64_t, int> row_of;
  for (int i = 0; i < area.height; ++i) {
    now[static_cast<size_t>(i)] =
        HashRow(capture.PixelAt(area.x, area.y + i), bytes);
    before[static_cast<size_t>(i)] =
        HashRow(model_.PixelAt(area.x, area.y + i), bytes);
    auto [it, added] = row_of.emplace(before[static_cast<size_t>(i)], i);
    if (!added)
      it->second = -1;
  }
  std::unordered_map<int, int> votes;
  int best = 0, best_votes = 0;
  for (int i = 0; i < area.height; ++i) {
    if (now[static_cast<size_t>(i)] == before[static_cast<size_t>(i)])
      continue;
    const auto it = row_of.find(now[static_cast<size_t>(i)]);
    if (it == row_of.end() || it->second < 0)
      continue;
    const int dy = it->second - i;  // the row came from dy rows below
    if (const int count = ++votes[dy]; count > best_votes) {
      best = dy;
      best_votes = count;
    }
  }
  if (best == 0 || best_votes < kMinScrollRows / 2)
    return std::nullopt;
  // The longest band of rows i with now[i] == before[i + best].
  int run_start = 0, run = 0, band_start = 0, band = 0;
  for (int i = 0; i < area.height; ++i) {
    const int from = i + best;
    const bool moved =
        from >= 0 && from < area.height &&
        now[static_cast<size_t>(i)] == before[static_cast<size_t>(from)];
    if (!moved) {
      run = 0;
      continue;
    }
    if (run == 0)
      run_start = i;
    if (++run > band) {
      band = run;
      band_start = run_start;
    }
  }
  if (band < kMinScrollRows)
    return std::nullopt;
  PictureMove move{{area.x, area.y + band_start + best, area.width, band},
                   -best};
  if (!AllExact(move.source) || !AllExact(move.source.Translated(0, move.dy)))
    return std::nullopt;
  return move;
}

// Tiles (sorted indices) as few rectangles: runs along a tile row, then
// runs of the same columns in the rows below (at most kMaxPatchTileRows).
std::vector<DesktopRect> PicturePlanner::Merge(std::vector<int> tiles) const {
  std::sort(tiles.begin(), tiles.end());
  struct Open {
    int tx0, tx1, ty0, ty1;
  };
  std::vector<Open> done, open, next;
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
      auto above = std::find_if(open.begin(), open.end(), [&](const Open& o) {
        return o.tx0 == tx0 && o.tx1 == tx1 && o.ty1 == ty - 1 &&
               o.ty1 - o.ty0 + 1 < kMaxPatchTileRows;
      });
      if (above != open.end()) {
        Open grown = *above;
        grown.ty1 = ty;
        open.erase(above);
        next.push_back(grown);
      } else {
        next.push_back({tx0, tx1, ty, ty});
      }
    }
    done.insert(done.end(), open.begin(), open.end());
    open.swap(next);
  }
  done.insert(done.end(), open.begin(), open.end());
  std::vector<DesktopRect> rects;
  rects.reserve(done.size());
  for (const Open& o : done) {
    rects.push_back(DesktopRect{o.tx0 * kExactTile, o.ty0 * kExactTile,
                                (o.tx1 - o.tx0 + 1) * kExactTile,
                                (o.ty1 - o.ty0 + 1) * kExactTile}
                        .ClippedTo(model_.size()));
  }
  return rects;
}

}  // namespace tether::streaming
