#pragma once

// The look of tether-customer in one place: calm colours, big type, one
// obvious action per screen. Widgets mark what a button is for with
// app_ui::SetButtonRole(); the application style sheet does the rest.

#include <cstdint>

#include <QColor>
#include <QString>

class QApplication;
class QWidget;

namespace tether::customer::ui {

// Point sizes. Body text is never below kBodyPt.
inline constexpr int kBodyPt = 14;
inline constexpr int kSmallPt = 12;  // secondary lines only (hints, details)
inline constexpr int kTitlePt = 20;
inline constexpr int kCodePt = 30;  // the session code field
inline constexpr int kSasPt = 40;   // the security code in the first prompt

// The colour of everything that says "the technician is in control".
inline const QColor kControlColour{0xE6, 0x4A, 0x19};

// Fusion style, the palette, the default font and the style sheet.
void ApplyCustomerStyle(QApplication* app);

// Resizes a top-level window to `width` and the height its wrapped text
// needs at that width (capped to the screen), so no line is squeezed.
void FitToContents(QWidget* window, int width);

// Moves a top-level window to the middle of the screen it is on.
void CenterOnScreen(QWidget* window);

// "12345678" -> "1234 5678".
QString FormatSessionCode(const QString& digits);
// 12'345 -> "12 KB"; 1 -> "1 byte" (the core's wording).
QString FormatFileSize(uint64_t bytes);

}  // namespace tether::customer::ui
