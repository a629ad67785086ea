#include "supporter-app/ui/sign_in_view.h"

#include <QFormLayout>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>

#include "app-ui/app_style.h"
#include "app-ui/display_text.h"
#include "app-ui/end_tone.h"
#include "supporter-app/ui/style.h"

namespace tether::supporter::ui {
namespace {

constexpr int kCardWidth = 480;

QLineEdit* PasswordEdit(QWidget* parent) {
  auto* edit = new QLineEdit(parent);
  edit->setEchoMode(QLineEdit::Password);
  // No input method or autocompletion may see a password.
  edit->setInputMethodHints(Qt::ImhHiddenText | Qt::ImhSensitiveData |
                            Qt::ImhNoPredictiveText);
  return edit;
}

}  // namespace

SignInView::SignInView(const QString& relay,
                       const QString& user_name,
                       QWidget* parent)
    : QWidget(parent) {
  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(24, 24, 24, 24);
  outer->addStretch(1);

  QVBoxLayout* layout = AddCentredCard(outer, this, kCardWidth, 12);
  QWidget* card = layout->parentWidget();

  layout->addWidget(app_ui::TextLabel(QStringLiteral("Sign in to Tether"),
                                      kTitlePt, true, card));
  auto* relay_label = app_ui::TextLabel(QStringLiteral("Relay: %1").arg(relay),
                                        kBodyPt, false, card);
  relay_label->setProperty("role", QStringLiteral("secondary"));
  relay_label->setObjectName(QStringLiteral("RelayLabel"));
  layout->addWidget(relay_label);

  problem_box_ = new QFrame(card);
  problem_box_->setObjectName(QStringLiteral("ProblemBox"));
  auto* problem_layout = new QVBoxLayout(problem_box_);
  problem_layout->setContentsMargins(14, 10, 14, 10);
  problem_layout->setSpacing(4);
  problem_title_ = app_ui::TextLabel(QString(), kBodyPt, true, problem_box_);
  problem_text_ = app_ui::TextLabel(QString(), kBodyPt, false, problem_box_);
  problem_layout->addWidget(problem_title_);
  problem_layout->addWidget(problem_text_);
  problem_box_->hide();
  layout->addWidget(problem_box_);

  // User, password and (when asked for) the second factor.
  credentials_ = new QWidget(card);
  auto* form = new QFormLayout(credentials_);
  form->setContentsMargins(0, 0, 0, 0);
  form->setVerticalSpacing(10);
  user_edit_ = new QLineEdit(user_name, credentials_);
  user_edit_->setObjectName(QStringLiteral("UserEdit"));
  password_edit_ = PasswordEdit(credentials_);
  password_edit_->setObjectName(QStringLiteral("PasswordEdit"));
  totp_edit_ = new QLineEdit(credentials_);
  totp_edit_->setObjectName(QStringLiteral("TotpEdit"));
  totp_edit_->setMaxLength(6);
  totp_edit_->setValidator(new QRegularExpressionValidator(
      QRegularExpression(QStringLiteral("[0-9]{0,6}")), totp_edit_));
  totp_edit_->setInputMethodHints(Qt::ImhDigitsOnly | Qt::ImhSensitiveData);
  totp_edit_->setPlaceholderText(QStringLiteral("6 digits from your app"));
  form->addRow(QStringLiteral("&User"), user_edit_);
  password_label_ = new QLabel(QStringLiteral("&Password"), credentials_);
  password_label_->setBuddy(password_edit_);
  form->addRow(password_label_, password_edit_);
  totp_label_ = new QLabel(QStringLiteral("&Security code"), credentials_);
  totp_label_->setBuddy(totp_edit_);
  form->addRow(totp_label_, totp_edit_);
  layout->addWidget(credentials_);

  sign_in_button_ = new QPushButton(QStringLiteral("Sign in"), card);
  sign_in_button_->setObjectName(QStringLiteral("SignInButton"));
  app_ui::SetButtonRole(sign_in_button_, "primary");
  sign_in_button_->setDefault(true);
  layout->addWidget(sign_in_button_);

  // The forced change of a first (admin-issued) password.
  change_form_ = new QWidget(card);
  auto* change_layout = new QVBoxLayout(change_form_);
  change_layout->setContentsMargins(0, 0, 0, 0);
  change_layout->setSpacing(10);
  change_layout->addWidget(app_ui::TextLabel(
      QStringLiteral("Choose your own password before you continue. A long "
                     "passphrase is best; your company's rules apply."),
      kBodyPt, false, change_form_));
  auto* change_fields = new QFormLayout;
  change_fields->setVerticalSpacing(10);
  new_password_edit_ = PasswordEdit(change_form_);
  new_password_edit_->setObjectName(QStringLiteral("NewPasswordEdit"));
  repeat_password_edit_ = PasswordEdit(change_form_);
  repeat_password_edit_->setObjectName(QStringLiteral("RepeatPasswordEdit"));
  change_fields->addRow(QStringLiteral("&New password"), new_password_edit_);
  change_fields->addRow(QStringLiteral("&Repeat"), repeat_password_edit_);
  change_layout->addLayout(change_fields);
  change_button_ =
      new QPushButton(QStringLiteral("Change password"), change_form_);
  change_button_->setObjectName(QStringLiteral("ChangePasswordButton"));
  app_ui::SetButtonRole(change_button_, "primary");
  change_layout->addWidget(change_button_);
  layout->addWidget(change_form_);

  throttle_timer_ = new QTimer(this);
  throttle_timer_->setSingleShot(true);
  connect(throttle_timer_, &QTimer::timeout, this, [this] {
    throttled_ = false;
    UpdateButtons();
  });

  connect(sign_in_button_, &QPushButton::clicked, this, &SignInView::Submit);
  for (QLineEdit* edit : {user_edit_, password_edit_, totp_edit_}) {
    connect(edit, &QLineEdit::returnPressed, this, &SignInView::Submit);
    connect(edit, &QLineEdit::textChanged, this, &SignInView::UpdateButtons);
  }
  connect(change_button_, &QPushButton::clicked, this,
          &SignInView::SubmitChange);
  for (QLineEdit* edit : {new_password_edit_, repeat_password_edit_}) {
    connect(edit, &QLineEdit::returnPressed, this, &SignInView::SubmitChange);
    connect(edit, &QLineEdit::textChanged, this, &SignInView::UpdateButtons);
  }

  SetPhase(Phase::kCredentials);
  if (user_name.isEmpty())
    user_edit_->setFocus();
  else
    password_edit_->setFocus();
}

bool SignInView::problem_visible() const {
  return !problem_box_->isHidden();
}

QString SignInView::problem_tone() const {
  return problem_box_->property("tone").toString();
}

void SignInView::SetPhase(Phase phase) {
  phase_ = phase;
  const bool change = phase == Phase::kChangePassword;
  credentials_->setVisible(!change);
  sign_in_button_->setVisible(!change);
  change_form_->setVisible(change);
  totp_label_->setVisible(phase == Phase::kTotp);
  // Signing in again for a new session: the core still holds the
  // password, only the second factor is asked.
  password_label_->setVisible(!reauth_);
  password_edit_->setVisible(!reauth_);
  user_edit_->setReadOnly(reauth_ || busy_);
  totp_edit_->setVisible(phase == Phase::kTotp);
  UpdateButtons();
}

void SignInView::SetBusy(bool busy) {
  busy_ = busy;
  for (QLineEdit* edit :
       {password_edit_, totp_edit_, new_password_edit_, repeat_password_edit_})
    edit->setReadOnly(busy);
  user_edit_->setReadOnly(busy || reauth_);
  sign_in_button_->setText(busy ? QStringLiteral("Signing in\u2026")
                                : QStringLiteral("Sign in"));
  UpdateButtons();
}

void SignInView::UpdateButtons() {
  const bool ready = !busy_ && !throttled_;
  sign_in_button_->setEnabled(
      ready && !user_edit_->text().trimmed().isEmpty() &&
      (reauth_ || !password_edit_->text().isEmpty()) &&
      (phase_ != Phase::kTotp || totp_edit_->text().size() == 6));
  change_button_->setEnabled(ready && !new_password_edit_->text().isEmpty() &&
                             !repeat_password_edit_->text().isEmpty());
}

void SignInView::Submit() {
  if (!sign_in_button_->isEnabled() || phase_ == Phase::kChangePassword)
    return;
  ClearProblem();
  SetBusy(true);
  emit signInRequested(user_edit_->text().trimmed(),
                       reauth_ ? QString() : password_edit_->text(),
                       phase_ == Phase::kTotp ? totp_edit_->text() : QString());
}

void SignInView::SubmitChange() {
  if (!change_button_->isEnabled())
    return;
  if (new_password_edit_->text() != repeat_password_edit_->text()) {
    ShowProblem(QStringLiteral("The two new passwords differ."),
                QStringLiteral("Type the same new password twice."),
                EndText::Tone::kProblem);
    repeat_password_edit_->clear();
    repeat_password_edit_->setFocus();
    return;
  }
  if (new_password_edit_->text() == password_edit_->text()) {
    ShowProblem(QStringLiteral("Choose a different password."),
                QStringLiteral("The new password must not be the one IT gave "
                               "you."),
                EndText::Tone::kProblem);
    return;
  }
  ClearProblem();
  SetBusy(true);
  emit changePasswordRequested(password_edit_->text(),
                               new_password_edit_->text());
}

void SignInView::ShowResult(const SignInResult& result) {
  SetBusy(false);
  const QString message = app_ui::DisplayText(result.message, 300);
  if (result.status != SignInStatus::kTotpRequired &&
      result.status != SignInStatus::kThrottled &&
      result.status != SignInStatus::kPasswordChangeRequired) {
    // Any other answer starts the form over with the password field.
    reauth_ = false;
    SetPhase(Phase::kCredentials);
  }
  switch (result.status) {
    case SignInStatus::kSignedIn:
      ClearProblem();
      reauth_ = false;
      Reset();
      return;
    case SignInStatus::kTotpRequired: {
      // A first ask is no error; a second one means the code was wrong.
      const bool again = phase_ == Phase::kTotp;
      SetPhase(Phase::kTotp);
      if (again) {
        ShowProblem(QStringLiteral("That security code did not work."),
                    message.isEmpty()
                        ? QStringLiteral("Type the current 6 digits from your "
                                         "authenticator app.")
                        : message,
                    EndText::Tone::kProblem);
      } else {
        ShowProblem(QStringLiteral("Enter your security code."),
                    QStringLiteral("Type the 6 digits your authenticator app "
                                   "shows for Tether."),
                    EndText::Tone::kCalm);
      }
      totp_edit_->clear();
      totp_edit_->setFocus();
      return;
    }
    case SignInStatus::kPasswordChangeRequired:
      ClearProblem();
      SetPhase(Phase::kChangePassword);
      new_password_edit_->setFocus();
      return;
    case SignInStatus::kWrongCredentials:
      reauth_ = false;
      ShowProblem(QStringLiteral("Wrong user name, password or security code."),
                  message, EndText::Tone::kProblem);
      password_edit_->clear();
      totp_edit_->clear();
      SetPhase(Phase::kCredentials);
      password_edit_->setFocus();
      return;
    case SignInStatus::kThrottled: {
      const auto wait = std::max<long long>(1, result.retry_after.count());
      ShowProblem(QStringLiteral("Too many attempts."),
                  message.isEmpty()
                      ? QStringLiteral("Try again in %1 seconds.").arg(wait)
                      : message,
                  EndText::Tone::kProblem);
      throttled_ = true;
      throttle_timer_->start(static_cast<int>(wait * 1000));
      UpdateButtons();
      return;
    }
    case SignInStatus::kLocked:
      ShowProblem(QStringLiteral("This account is locked."),
                  message.isEmpty() ? QStringLiteral("An administrator must "
                                                     "unlock it.")
                                    : message,
                  EndText::Tone::kProblem);
      password_edit_->clear();
      return;
    case SignInStatus::kUnreachable:
      ShowProblem(QStringLiteral("The relay cannot be reached."),
                  message.isEmpty()
                      ? QStringLiteral("Check the network, or ask IT whether "
                                       "the relay is running.")
                      : message,
                  EndText::Tone::kProblem);
      SetPhase(Phase::kCredentials);
      return;
    case SignInStatus::kRelayOutdated:
      ShowProblem(QStringLiteral("The relay needs an update."), message,
                  EndText::Tone::kProblem);
      SetPhase(Phase::kCredentials);
      return;
    case SignInStatus::kServerUntrusted:
      // Nothing was sent to it; the form must not invite a second try
      // without the warning in view.
      ShowProblem(QString::fromUtf8(kUntrustedServerTitle),
                  message.isEmpty()
                      ? QStringLiteral("Its certificate is not the one IT "
                                       "configured. Do not sign in; tell "
                                       "your IT department.")
                      : message,
                  EndText::Tone::kDanger);
      password_edit_->clear();
      totp_edit_->clear();
      SetPhase(Phase::kCredentials);
      return;
    case SignInStatus::kRelayError:
      ShowProblem(QStringLiteral("The relay could not check your sign-in."),
                  message.isEmpty() ? QStringLiteral("Try again in a moment.")
                                    : message,
                  EndText::Tone::kProblem);
      SetPhase(Phase::kCredentials);
      return;
    case SignInStatus::kDisabled:
      ShowProblem(QStringLiteral("This account is disabled."),
                  message.isEmpty() ? QStringLiteral("Ask your administrator.")
                                    : message,
                  EndText::Tone::kProblem);
      password_edit_->clear();
      return;
  }
}

void SignInView::ShowPasswordChanged(bool ok, const QString& message) {
  SetBusy(false);
  if (ok) {
    // The core signs in with the new password; OnSignIn follows.
    ClearProblem();
    SetBusy(true);
    return;
  }
  ShowProblem(QStringLiteral("The password was not changed."), message,
              EndText::Tone::kProblem);
  new_password_edit_->clear();
  repeat_password_edit_->clear();
  new_password_edit_->setFocus();
}

void SignInView::ShowEnd(const EndText& text) {
  SetBusy(false);
  ShowProblem(text.title, text.details, text.tone);
  // Whatever was typed was for the connection that just failed.
  password_edit_->clear();
  totp_edit_->clear();
  SetPhase(Phase::kCredentials);
}

void SignInView::AskTotpAgain() {
  reauth_ = true;
  SetBusy(false);
  SetPhase(Phase::kTotp);
  ShowProblem(QStringLiteral("Enter a new security code."),
              QStringLiteral("The relay asks for your second factor again "
                             "for this session."),
              EndText::Tone::kCalm);
  totp_edit_->clear();
  totp_edit_->setFocus();
}

void SignInView::Reset() {
  reauth_ = false;
  password_edit_->clear();
  totp_edit_->clear();
  new_password_edit_->clear();
  repeat_password_edit_->clear();
  SetBusy(false);
  SetPhase(Phase::kCredentials);
}

void SignInView::ShowProblem(const QString& title,
                             const QString& text,
                             EndText::Tone tone) {
  app_ui::SetTone(problem_box_, tone);
  problem_title_->setText(title);
  problem_text_->setText(text);
  problem_text_->setVisible(!text.isEmpty());
  problem_box_->show();
}

void SignInView::ClearProblem() {
  problem_box_->hide();
}

}  // namespace tether::supporter::ui
