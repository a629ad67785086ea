#pragma once

// The customer's prompts: the first one (the security code check and the
// support terms) and one per permission. Each is a separate, non-modal,
// always-on-top window with big plain-language text. The default button —
// what Enter presses — is the SAFE answer ("No", "Don't allow"); Esc and the
// window's close button refuse too. The "allow" button arms itself after a
// short delay, so a key or click already on its way cannot grant anything.

#include <chrono>
#include <utility>
#include <vector>

#include <QDialog>
#include <QObject>
#include <QPointer>
#include <QString>

#include "customer-app/core/consent_provider.h"

class QPushButton;
class QTimer;

namespace tether::customer::ui {

inline constexpr std::chrono::milliseconds kDefaultArmDelay{800};

// What one prompt says; built by the factories below, shown by ConsentDialog.
struct PromptText {
  QString window_title;
  QString title;         // the question, big
  QString body;          // what it means, in plain words
  QString sas;           // terms prompt: "482 913", huge
  QString question;      // terms prompt: "Does it match?", under the code
  QString sas_question;  // terms prompt: what No means
  QString sentence;      // the whole question in one line (accessibility)
  // Facts in two columns ("File", "printer.pdf"), for the file prompt.
  std::vector<std::pair<QString, QString>> facts;
  QString quote;   // the technician's reason, as they wrote it
  QString notice;  // highlighted (recording)
  QString terms_heading;
  QString terms;  // scrollable, plain text
  QString footnote;
  QString allow_label;
  QString refuse_label;
};

PromptText TermsPromptText(const TermsPrompt& prompt);
// Empty allow_label when the permission is unknown (nothing to allow).
PromptText PermissionPromptText(const PermissionPrompt& prompt);

class ConsentDialog : public QDialog {
  Q_OBJECT

 public:
  ConsentDialog(const PromptText& text,
                std::chrono::milliseconds arm_delay,
                QWidget* parent = nullptr);

  QPushButton* allow_button() const { return allow_button_; }
  QPushButton* refuse_button() const { return refuse_button_; }
  bool armed() const;
  // Whether answered() was emitted.
  bool answered_already() const { return answered_; }

  // Closes without answering (the session ended: CloseAll).
  void Dismiss();

  void done(int result) override;

 signals:
  // Exactly once, unless Dismiss() came first.
  void answered(bool granted);

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  QPushButton* allow_button_ = nullptr;
  QPushButton* refuse_button_ = nullptr;
  QTimer* arm_timer_ = nullptr;
  int width_ = 620;
  bool answered_ = false;
  bool dismissed_ = false;
};

// The app's ConsentProvider: one ConsentDialog per question. Lives on the UI
// thread (the session delivers there). Answers are passed on exactly once.
class DialogConsentProvider : public QObject, public ConsentProvider {
  Q_OBJECT

 public:
  explicit DialogConsentProvider(
      std::chrono::milliseconds arm_delay = kDefaultArmDelay,
      QObject* parent = nullptr);
  ~DialogConsentProvider() override;

  void AskTerms(const TermsPrompt& prompt, Answer answer) override;
  void AskPermission(const PermissionPrompt& prompt, Answer answer) override;
  void CloseAll() override;

  // The prompts on screen now, oldest first.
  std::vector<ConsentDialog*> open_dialogs() const;

 signals:
  void promptShown(ConsentDialog* dialog);

 private:
  void Show(const PromptText& text, Answer answer);

  std::chrono::milliseconds arm_delay_;
  std::vector<QPointer<ConsentDialog>> dialogs_;
};

}  // namespace tether::customer::ui
