#pragma once

// The one big field for the technician's 8-digit code. Accepts "1234 5678",
// "12345678", "1234-5678" and pasted text around the code; shows the digits
// grouped as "1234 5678" while the customer types, and says in plain words
// what is missing or wrong. The rules are customer::NormalizeSessionCode's;
// this only formats.

#include <QLineEdit>
#include <QString>

namespace tether::customer::ui {

class SessionCodeEdit : public QLineEdit {
  Q_OBJECT

 public:
  explicit SessionCodeEdit(QWidget* parent = nullptr);

  // True when the text holds a complete, well-formed code.
  bool valid() const { return !code_.isEmpty(); }
  // The 8 digits when valid(), else empty.
  const QString& code() const { return code_; }
  // One line for under the field: what to do next, or what is wrong.
  const QString& hint() const { return hint_; }
  // Whether hint() describes a mistake (shown in red) rather than progress.
  bool hint_is_error() const { return hint_is_error_; }

 signals:
  void validityChanged(bool valid);
  void hintChanged(const QString& hint, bool is_error);

 private:
  void OnTextChanged(const QString& text);

  QString code_;
  QString hint_;
  bool hint_is_error_ = false;
  bool reformatting_ = false;
};

}  // namespace tether::customer::ui
