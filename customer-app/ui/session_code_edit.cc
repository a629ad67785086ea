#include "customer-app/ui/session_code_edit.h"

#include <QFont>
#include <QStyle>

#include "app-ui/app_style.h"
#include "customer-app/core/customer_session.h"
#include "customer-app/ui/style.h"

namespace tether::customer::ui {
namespace {

constexpr int kCodeDigits = 8;

bool IsSeparator(QChar c) {
  return c == QLatin1Char(' ') || c == QLatin1Char('-') || c == QChar(0x00A0) ||
         c == QChar(0x2009) || c == QChar(0x202F) || c == QChar(0x2010) ||
         c == QChar(0x2011) || c == QChar(0x2013);
}

// Only ASCII digits and the separators people type between the groups.
bool OnlyDigitsAndSeparators(const QString& text) {
  for (QChar c : text) {
    if (!(c >= QLatin1Char('0') && c <= QLatin1Char('9')) && !IsSeparator(c))
      return false;
  }
  return true;
}

QString DigitsOf(const QString& text, int up_to) {
  QString digits;
  for (int i = 0; i < up_to && i < text.size(); ++i) {
    if (text[i] >= QLatin1Char('0') && text[i] <= QLatin1Char('9'))
      digits.append(text[i]);
  }
  return digits;
}

// The position just after the `n`th digit of `text` (0: the start).
int PositionAfterDigits(const QString& text, int n) {
  if (n <= 0)
    return 0;
  int seen = 0;
  for (int i = 0; i < text.size(); ++i) {
    if (text[i] >= QLatin1Char('0') && text[i] <= QLatin1Char('9')) {
      if (++seen == n)
        return i + 1;
    }
  }
  return static_cast<int>(text.size());
}

}  // namespace

SessionCodeEdit::SessionCodeEdit(QWidget* parent) : QLineEdit(parent) {
  setObjectName(QStringLiteral("SessionCodeEdit"));
  QFont code_font(QStringLiteral("DejaVu Sans Mono"));
  code_font.setPointSize(kCodePt);
  code_font.setBold(true);
  code_font.setLetterSpacing(QFont::AbsoluteSpacing, 4);
  setFont(code_font);
  setAlignment(Qt::AlignCenter);
  setMaxLength(200);  // room for a pasted sentence around the code
  setInputMethodHints(Qt::ImhPreferNumbers | Qt::ImhNoPredictiveText);
  setPlaceholderText(QStringLiteral("1234 5678"));
  setAccessibleName(QStringLiteral("Session code"));
  connect(this, &QLineEdit::textChanged, this, &SessionCodeEdit::OnTextChanged);
  OnTextChanged(QString());
}

void SessionCodeEdit::OnTextChanged(const QString& text) {
  if (reformatting_)
    return;
  const Result<std::string> normalized =
      NormalizeSessionCode(text.toStdString());

  // What the field should show: the grouped code when it is complete (even
  // if it was pasted inside a sentence), the typed digits grouped while it
  // is not, and anything else as it is (so the customer sees the mistake).
  QString shown = text;
  if (normalized.has_value()) {
    shown = FormatSessionCode(QString::fromStdString(*normalized));
  } else if (OnlyDigitsAndSeparators(text)) {
    shown = FormatSessionCode(DigitsOf(text, static_cast<int>(text.size())));
  }
  if (shown != text) {
    const int digits_before_cursor =
        static_cast<int>(DigitsOf(text, cursorPosition()).size());
    const bool cursor_at_end = cursorPosition() == text.size();
    reformatting_ = true;
    setText(shown);
    setCursorPosition(cursor_at_end
                          ? static_cast<int>(shown.size())
                          : PositionAfterDigits(shown, digits_before_cursor));
    reformatting_ = false;
  }

  const bool was_valid = valid();
  QString hint;
  bool is_error = false;
  if (normalized.has_value()) {
    code_ = QString::fromStdString(*normalized);
    hint = QStringLiteral("That looks right. Press Connect.");
  } else {
    code_.clear();
    const int digits = static_cast<int>(DigitsOf(shown, shown.size()).size());
    if (OnlyDigitsAndSeparators(shown) && digits < kCodeDigits) {
      const int missing = kCodeDigits - digits;
      hint =
          digits == 0
              ? QStringLiteral("The code has 8 digits.")
              : (missing == 1 ? QStringLiteral("1 more digit.")
                              : QStringLiteral("%1 more digits.").arg(missing));
    } else {
      hint = QString::fromStdString(normalized.error().message);
      is_error = true;
    }
  }

  const QString state = shown.isEmpty() ? QString()
                        : valid()       ? QStringLiteral("valid")
                        : is_error      ? QStringLiteral("invalid")
                                        : QString();
  if (property("state").toString() != state) {
    setProperty("state", state);
    app_ui::Repolish(this);
  }
  if (hint != hint_ || is_error != hint_is_error_) {
    hint_ = hint;
    hint_is_error_ = is_error;
    emit hintChanged(hint_, hint_is_error_);
  }
  if (was_valid != valid())
    emit validityChanged(valid());
}

}  // namespace tether::customer::ui
