#pragma once

// The look of tether-supporter in one place. The customer app's palette
// (calm blue, red only for danger) at a denser scale: the technician works
// in this window all day, so body text is smaller than the customer's but
// the two things read aloud on the phone (code and SAS) are large.

#include <chrono>
#include <cstdint>
#include <string_view>

#include <QColor>
#include <QString>

class QApplication;
class QLabel;
class QPushButton;
class QWidget;

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

// What a button is for: "primary", "safe" (the default answer of a
// prompt: refuse), "allow", "danger" or "secondary".
void SetButtonRole(QPushButton* button, const char* role);
// Re-applies the style sheet after a dynamic property changed.
void Repolish(QWidget* widget);

// A label for text the other side chose (host, user, file names, chat):
// always plain text, never rich text or links, wrapped.
QLabel* UntrustedLabel(const QString& text, QWidget* parent = nullptr);
QLabel* TextLabel(const QString& text,
                  int point_size,
                  bool bold = false,
                  QWidget* parent = nullptr);

// Text from the customer's side, made safe to show: invalid UTF-8
// replaced, control and bidi-override characters removed (a file that
// reads "invoice.pdf" must not end in ".exe"), cut to `max_chars`.
QString DisplayText(std::string_view utf8,
                    int max_chars = 200,
                    bool keep_newlines = false);

// "482913" -> "482 913"; anything else as it is.
QString FormatSas(std::string_view sas);
// "12345678" -> "1234 5678"; anything else as it is.
QString FormatSessionCode(std::string_view digits);
// 12'345 -> "12.1 KB"; 1 -> "1 byte".
QString FormatFileSize(uint64_t bytes);
// 125 s -> "2:05"; negative counts as 0.
QString FormatCountdown(std::chrono::seconds left);

}  // namespace tether::supporter::ui
