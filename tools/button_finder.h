#pragma once

// Where a person would click in the customer app, picked out of a picture
// by the look alone: the filled blue button is the safe choice ("Don't
// allow", "No", "Close", "Connect"), the white one left of it allows, the
// red one is STOP, the white field is the code field. Pure functions over
// a picture -- of one window (X11, tools/screen_person.h) or of the whole
// monitor (Wayland, tests/support/desktop_person.h) -- so both scripted
// persons click the same places; the clicking is theirs.

#include <cstdint>
#include <optional>
#include <vector>

namespace tether::tools {

struct ScreenRect {
  int x = 0, y = 0, width = 0, height = 0;
  int center_x() const { return x + width / 2; }
  int center_y() const { return y + height / 2; }
  bool Contains(int px, int py) const {
    return px >= x && py >= y && px < x + width && py < y + height;
  }
  bool operator==(const ScreenRect&) const = default;
};

// Pixels as a person sees them: 0x00RRGGBB, `width` per row.
struct Picture {
  int width = 0;
  int height = 0;
  std::vector<uint32_t> pixels;

  uint32_t at(int x, int y) const {
    return pixels[static_cast<size_t>(y) * width + x];
  }
};

// The customer app's colours (customer-app/ui/style.cc).
inline constexpr uint32_t kSafeBlue = 0x1E5AA8;
inline constexpr uint32_t kDangerRed = 0xC0262D;
inline constexpr uint32_t kWhite = 0xFFFFFF;

// Whether every channel of `a` is within `tolerance` of `b`'s.
bool NearColour(uint32_t a, uint32_t b, int tolerance = 10);

// The largest block of (nearly) `colour`, found by its horizontal runs of
// at least `min_run` pixels in consecutive rows; picture coordinates.
std::optional<ScreenRect> FindBlock(const Picture& picture,
                                    uint32_t colour,
                                    int min_run,
                                    int tolerance = 10);

// The filled blue button: the safe choice in a prompt, Connect in the
// start window, Close in the ended window.
std::optional<ScreenRect> FindSafeButton(const Picture& picture);

// The white "allow" button left of the blue one in a prompt: where to
// click it, and whether it can be pressed yet (it arms itself after a
// moment; its label is grey until then).
struct AllowButton {
  ScreenRect safe;  // the blue button beside it
  int x = 0, y = 0;
  bool pressable = false;
  bool operator==(const AllowButton&) const = default;
};
std::optional<AllowButton> FindAllowButton(const Picture& picture);

// The big red STOP in the panel.
std::optional<ScreenRect> FindStopButton(const Picture& picture);

// The white text field: the code field of the start window.
std::optional<ScreenRect> FindCodeField(const Picture& picture);

// The nearest white button left of `button` in its row ("Save a
// receipt…" left of Close): a stretch of its face, to click.
std::optional<ScreenRect> FindWhiteButtonLeftOf(const Picture& picture,
                                                const ScreenRect& button);

}  // namespace tether::tools
