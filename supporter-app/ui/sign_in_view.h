#pragma once

// The first screen: which relay this console talks to, user and password,
// the 6-digit TOTP field once the relay asks for it, the forced change of a
// first password, and every refusal in one plain sentence (including the
// red "not your company's server" warning). It only collects input and
// shows answers; SupporterApp talks to the core.

#include <QString>
#include <QWidget>

#include "supporter-app/core/supporter_session.h"
#include "supporter-app/ui/end_text.h"

class QFrame;
class QLabel;
class QLineEdit;
class QPushButton;
class QTimer;

namespace tether::supporter::ui {

class SignInView : public QWidget {
  Q_OBJECT

 public:
  enum class Phase {
    kCredentials,     // user + password
    kTotp,            // the relay wants the second factor too
    kChangePassword,  // first sign-in: a new password before anything else
  };

  SignInView(const QString& relay,
             const QString& user_name,
             QWidget* parent = nullptr);

  // The answer to the last request (any status).
  void ShowResult(const SignInResult& result);
  void ShowPasswordChanged(bool ok, const QString& message);
  // The connection ended before the sign-in completed.
  void ShowEnd(const EndText& text);
  // Signed in, but the next session's fresh sign-in wants the second
  // factor again: only the TOTP field (the core keeps the password).
  void AskTotpAgain();
  bool reauthenticating() const { return reauth_; }
  // Start over (after signing out): passwords cleared, user kept.
  void Reset();
  // Waiting for the relay: fields read-only, the button says so.
  void SetBusy(bool busy);

  Phase phase() const { return phase_; }
  bool busy() const { return busy_; }
  QLineEdit* user_edit() const { return user_edit_; }
  QLineEdit* password_edit() const { return password_edit_; }
  QLineEdit* totp_edit() const { return totp_edit_; }
  QLineEdit* new_password_edit() const { return new_password_edit_; }
  QLineEdit* repeat_password_edit() const { return repeat_password_edit_; }
  QPushButton* sign_in_button() const { return sign_in_button_; }
  QPushButton* change_button() const { return change_button_; }
  QLabel* problem_title() const { return problem_title_; }
  QLabel* problem_text() const { return problem_text_; }
  bool problem_visible() const;
  QString problem_tone() const;

 signals:
  void signInRequested(const QString& user,
                       const QString& password,
                       const QString& totp);
  void changePasswordRequested(const QString& current, const QString& next);

 private:
  void SetPhase(Phase phase);
  void ShowProblem(const QString& title,
                   const QString& text,
                   EndText::Tone tone);
  void ClearProblem();
  void Submit();
  void SubmitChange();
  void UpdateButtons();

  Phase phase_ = Phase::kCredentials;
  bool busy_ = false;
  bool throttled_ = false;
  bool reauth_ = false;
  QLineEdit* user_edit_ = nullptr;
  QLabel* password_label_ = nullptr;
  QLineEdit* password_edit_ = nullptr;
  QLabel* totp_label_ = nullptr;
  QLineEdit* totp_edit_ = nullptr;
  QWidget* credentials_ = nullptr;
  QWidget* change_form_ = nullptr;
  QLineEdit* new_password_edit_ = nullptr;
  QLineEdit* repeat_password_edit_ = nullptr;
  QPushButton* sign_in_button_ = nullptr;
  QPushButton* change_button_ = nullptr;
  QFrame* problem_box_ = nullptr;
  QLabel* problem_title_ = nullptr;
  QLabel* problem_text_ = nullptr;
  QTimer* throttle_timer_ = nullptr;
};

}  // namespace tether::supporter::ui
