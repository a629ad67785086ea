#include "tools/button_finder.h"

#include <algorithm>
#include <cstdlib>

namespace tether::tools {
namespace {

constexpr uint32_t kText = 0x1B2430;  // an enabled button's label
// The gap Qt leaves between the two prompt buttons is 14 px; 40 px further
// left is well inside any "allow" button (they are wider than 120 px).
constexpr int kButtonGap = 14;
constexpr int kIntoAllowButton = kButtonGap + 40;

}  // namespace

bool NearColour(uint32_t a, uint32_t b, int tolerance) {
  for (int shift = 0; shift <= 16; shift += 8) {
    const int ca = static_cast<int>((a >> shift) & 0xFF);
    const int cb = static_cast<int>((b >> shift) & 0xFF);
    if (std::abs(ca - cb) > tolerance)
      return false;
  }
  return true;
}

std::optional<ScreenRect> FindBlock(const Picture& picture,
                                    uint32_t colour,
                                    int min_run,
                                    int tolerance) {
  std::optional<ScreenRect> best;
  std::optional<ScreenRect> current;
  auto close_block = [&] {
    if (current && (!best || int64_t{current->width} * current->height >
                                 int64_t{best->width} * best->height)) {
      best = current;
    }
    current.reset();
  };
  for (int y = 0; y < picture.height; ++y) {
    int row_left = -1, row_right = -1;
    for (int x = 0; x < picture.width;) {
      if (!NearColour(picture.at(x, y), colour, tolerance)) {
        ++x;
        continue;
      }
      const int start = x;
      while (x < picture.width &&
             NearColour(picture.at(x, y), colour, tolerance))
        ++x;
      if (x - start >= min_run) {
        row_left = row_left < 0 ? start : std::min(row_left, start);
        row_right = std::max(row_right, x);
      }
    }
    if (row_left < 0) {
      close_block();
      continue;
    }
    if (!current) {
      current = ScreenRect{row_left, y, row_right - row_left, 1};
    } else {
      const int left = std::min(current->x, row_left);
      const int right = std::max(current->x + current->width, row_right);
      current = ScreenRect{left, current->y, right - left, y - current->y + 1};
    }
  }
  close_block();
  return best;
}

std::optional<ScreenRect> FindSafeButton(const Picture& picture) {
  auto block = FindBlock(picture, kSafeBlue, 16);
  if (!block)
    return std::nullopt;
  // The focus frame of another button in the same rows (2 px of the same
  // blue) widens the block: the filled button is what its middle row shows.
  const int y = block->center_y();
  int left = -1, right = -1;
  for (int x = block->x; x < block->x + block->width;) {
    if (!NearColour(picture.at(x, y), kSafeBlue)) {
      ++x;
      continue;
    }
    const int start = x;
    while (x < block->x + block->width &&
           NearColour(picture.at(x, y), kSafeBlue))
      ++x;
    if (x - start >= 16) {
      left = left < 0 ? start : left;
      right = x;
    }
  }
  if (left >= 0) {
    block->x = left;
    block->width = right - left;
  }
  return block;
}

std::optional<AllowButton> FindAllowButton(const Picture& picture) {
  const auto safe = FindSafeButton(picture);
  if (!safe || safe->x - kIntoAllowButton < 0)
    return std::nullopt;
  AllowButton allow{*safe, safe->x - kIntoAllowButton, safe->center_y(), false};
  // Pressable once its label is dark, as a person waits until it can be
  // pressed.
  for (int row = std::max(0, allow.y - 8);
       row <= std::min(picture.height - 1, allow.y + 8) && !allow.pressable;
       ++row) {
    for (int col = std::max(0, safe->x - 220); col < safe->x - kButtonGap;
         ++col) {
      if (NearColour(picture.at(col, row), kText, 40)) {
        allow.pressable = true;
        break;
      }
    }
  }
  return allow;
}

std::optional<ScreenRect> FindStopButton(const Picture& picture) {
  return FindBlock(picture, kDangerRed, 40);
}

std::optional<ScreenRect> FindCodeField(const Picture& picture) {
  return FindBlock(picture, kWhite, 120);
}

std::optional<ScreenRect> FindWhiteButtonLeftOf(const Picture& picture,
                                                const ScreenRect& button) {
  // Pure white only: the window around the buttons (#F5F7FA) is nearly so.
  constexpr int kPureWhite = 4;
  constexpr int kMinFace = 16;
  const int y = button.center_y();
  if (y < 0 || y >= picture.height)
    return std::nullopt;
  int right = -1;
  for (int x = std::min(button.x, picture.width) - 1; x >= 0; --x) {
    const bool white = NearColour(picture.at(x, y), kWhite, kPureWhite);
    if (white && right < 0)
      right = x;
    if (!white && right >= 0) {
      if (right - x >= kMinFace)
        return ScreenRect{x + 1, y, right - x, 1};
      right = -1;
    }
  }
  return std::nullopt;
}

}  // namespace tether::tools
