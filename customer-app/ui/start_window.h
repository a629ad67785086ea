#pragma once

// The first window: who is helping (organisation name and logo from the
// config), the code field, one Connect button, and — after a failed attempt
// — what went wrong in plain words.

#include <QString>
#include <QWidget>

#include "customer-app/ui/end_view.h"

class QFrame;
class QLabel;
class QPushButton;

namespace tether::customer {
struct CustomerConfig;
}

namespace tether::customer::ui {

class SessionCodeEdit;

class StartWindow : public QWidget {
  Q_OBJECT

 public:
  enum class Phase {
    kEnterCode,             // the code field and Connect
    kConnecting,            // reaching the server; Cancel
    kWaitingForTechnician,  // the relay took the code; Cancel
    kBlocked,               // the server failed its identity check: Close
  };

  StartWindow(const CustomerConfig& config, QWidget* parent = nullptr);

  void SetPhase(Phase phase);
  Phase phase() const { return phase_; }
  // Shows what ended the last attempt above the field; kDanger also blocks.
  void ShowProblem(const EndView& view);
  void ClearProblem();

  SessionCodeEdit* code_edit() const { return code_edit_; }
  QPushButton* connect_button() const { return connect_button_; }
  QPushButton* cancel_button() const { return cancel_button_; }
  QPushButton* close_button() const { return close_button_; }
  QLabel* problem_title() const { return problem_title_; }
  QLabel* problem_text() const { return problem_text_; }
  bool problem_visible() const;
  QLabel* hint_label() const { return hint_label_; }
  QLabel* status_label() const { return status_label_; }

 signals:
  void connectRequested(const QString& code);  // 8 digits
  void cancelRequested();
  void closeRequested();

 protected:
  void closeEvent(QCloseEvent* event) override;
  void showEvent(QShowEvent* event) override;

 private:
  void Refit();
  void UpdateConnectButton();
  void OnHintChanged(const QString& hint, bool is_error);

  Phase phase_ = Phase::kEnterCode;
  SessionCodeEdit* code_edit_ = nullptr;
  QLabel* prompt_label_ = nullptr;
  QLabel* hint_label_ = nullptr;
  QLabel* status_label_ = nullptr;
  QLabel* footer_ = nullptr;
  QPushButton* connect_button_ = nullptr;
  QPushButton* cancel_button_ = nullptr;
  QPushButton* close_button_ = nullptr;
  QFrame* problem_box_ = nullptr;
  QLabel* problem_title_ = nullptr;
  QLabel* problem_text_ = nullptr;
  QLabel* problem_details_ = nullptr;
};

}  // namespace tether::customer::ui
