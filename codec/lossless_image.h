#pragma once

// Lossless pictures of screen areas: WebP lossless (libwebp), which codes
// text and flat user-interface colours in a fraction of their raw size and
// gives back exactly the pixels it was given. The video codec blurs text a
// little however high its quality; these make the viewer's picture exact
// (streaming/picture_planner.h decides where).
//
// Both directions are bounded: an encoded area is at most kMaxLosslessArea
// pixels, and a decode checks the bitstream's size and stated dimensions
// before libwebp allocates anything.

#include <cstdint>
#include <span>
#include <vector>

#include "base/result.h"
#include "desktop/desktop_frame.h"

namespace tether::codec {

// 4096 x 4096: a whole 4K screen in one piece.
inline constexpr int64_t kMaxLosslessArea = int64_t{4096} * 4096;

// `rect` of `frame` (BGRX: the fourth byte is ignored) as one WebP lossless
// image. Errors: a rect outside the frame or above kMaxLosslessArea.
Result<std::vector<uint8_t>> EncodeLossless(const desktop::DesktopFrame& frame,
                                            const desktop::DesktopRect& rect);

// Decodes `data` into `rect` of `frame` (writable), which it must fill
// exactly; the fourth byte of each pixel becomes 0xFF. Errors: a rect
// outside the frame, a bitstream that is not WebP lossless of exactly
// that size, or a corrupt one; the frame may then be partly written.
Result<void> DecodeLossless(std::span<const uint8_t> data,
                            const desktop::DesktopRect& rect,
                            desktop::DesktopFrame& frame);

}  // namespace tether::codec
