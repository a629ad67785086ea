#pragma once

// The look of tether-supporter in one place. The customer app's palette
// (calm blue, red only for danger) at a denser scale: the technician works
// in this window all day, so body text is smaller than the customer's but
// the two things read aloud on the phone (code and SAS) are large.

#include <chrono>
#include <cstdint>
#include <string_view>

#include <QColor>
#include <QFrame>
#include <QString>
#include <QVBoxLayout>

class QApplication;

namespace tether::supporter::ui {

// Point sizes. Body text is never below kBodyPt.
inline constexpr int kBodyPt = 11;
inline constexpr int kSmallPt = 10;  // secondary lines only
inline constexpr int kTitlePt = 16;
inline constexpr int kCodePt = 40;  // the session code read to the customer
inline constexpr int kSasPt = 34;   // the security code read to the customer

// "The customer's computer is under your control" (toolbar, status bar).
inline const QColor kControlColour{0xE6, 0x4A, 0x19};

// Fusion style, the palette, the default font and the style sheet.
void ApplySupporterStyle(QApplication* app);

// A card (the style sheet's "Card" frame) `width` px wide, centred in the
// page's `outer` column: added between the stretches above and below it.
// Returns the card's own column, `spacing` px between its rows.
QVBoxLayout* AddCentredCard(QVBoxLayout* outer,
                            QWidget* page,
                            int width,
                            int spacing);

// "12345678" -> "1234 5678"; anything else as it is.
QString FormatSessionCode(std::string_view digits);
// 12'345 -> "12.1 KB"; 1 -> "1 byte".
QString FormatFileSize(uint64_t bytes);
// 125 s -> "2:05"; negative counts as 0.
QString FormatCountdown(std::chrono::seconds left);

}  // namespace tether::supporter::ui
