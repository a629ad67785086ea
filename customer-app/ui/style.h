#pragma once

// The look of tether-customer in one place: calm colours, big type, one
// obvious action per screen. Widgets mark what a button is for with
// SetButtonRole(); the application style sheet does the rest.

#include <cstdint>
#include <string>
#include <string_view>

#include <QColor>
#include <QString>

class QApplication;
class QLabel;
class QPushButton;
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

// What a button is for: "primary" (the one obvious action), "safe" (the
// default answer of a prompt: refuse), "allow" (the other answer), "danger"
// (STOP) or "secondary".
void SetButtonRole(QPushButton* button, const char* role);

// Resizes a top-level window to `width` and the height its wrapped text
// needs at that width (capped to the screen), so no line is squeezed.
void FitToContents(QWidget* window, int width);

// Moves a top-level window to the middle of the screen it is on.
void CenterOnScreen(QWidget* window);

// A label for text the technician's side chose (names, reasons, file names):
// always plain text, never rich text or links, wrapped.
QLabel* UntrustedLabel(const QString& text, QWidget* parent = nullptr);
// A label in the given size, optionally bold, wrapped.
QLabel* TextLabel(const QString& text,
                  int point_size,
                  bool bold = false,
                  QWidget* parent = nullptr);

// Text from the other side, made safe to show: valid UTF-8 as QString,
// control and bidirectional-override characters removed (a name that reads
// "invoice.pdf" must not end in ".exe"), at most `max_chars` characters.
// Newlines survive only with `keep_newlines`.
QString DisplayText(std::string_view utf8,
                    int max_chars = 200,
                    bool keep_newlines = false);

// A file name as DisplayText shows it, cut in the middle when longer than
// `max_chars`, so its real extension always shows ("Invoice____…pdf.desktop",
// never "Invoice____.pdf…").
QString DisplayFileName(std::string_view utf8, int max_chars = 120);

// "482913" -> "482 913"; anything else is returned as it is.
QString FormatSas(std::string_view sas);
// "12345678" -> "1234 5678".
QString FormatSessionCode(const QString& digits);
// 12'345 -> "12.1 KB"; 1 -> "1 byte".
QString FormatFileSize(uint64_t bytes);

}  // namespace tether::customer::ui
