#pragma once

// The main window after sign-in: one big "New session" button; then the
// code shown large with Copy, an expiry countdown and Cancel; then, once the
// customer is accepted, the SAS to read out ("read this to the customer");
// and after a session the reason it ended and where its protocol is.

#include <chrono>
#include <functional>
#include <string>

#include <QString>
#include <QWidget>

#include "supporter-app/ui/end_text.h"

class QCheckBox;
class QFrame;
class QLabel;
class QPushButton;
class QTimer;

namespace tether::supporter::ui {

class HomeView : public QWidget {
  Q_OBJECT

 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  enum class Phase {
    kIdle,       // New session (and what happened last time)
    kStarting,   // asked the relay for a code
    kCode,       // the code, Copy, countdown, Cancel
    kSecuring,   // accepted: key exchange, SAS, waiting for the customer
    kInSession,  // the session window is open
  };

  // `now` is the wall clock (the code's expiry is wall-clock time); tests
  // pass their own.
  explicit HomeView(Clock now = {}, QWidget* parent = nullptr);

  void SetSignedIn(const QString& display_name, const QString& relay);
  void SetPhase(Phase phase);
  Phase phase() const { return phase_; }
  // `code`: 8 digits from the relay.
  void ShowCode(const std::string& code,
                std::chrono::system_clock::time_point expires);
  void ShowSas(const std::string& sas);
  // One line under the SAS ("Waiting for the customer to confirm…").
  void SetStatus(const QString& text);
  // Back to kIdle with the reason and the protocol file.
  void ShowEnded(const EndText& text, const QString& session_log_path);
  void SetRecordNext(bool on);
  // Updates the countdown (a 1 s timer calls it; tests call it directly).
  void Tick();

  QPushButton* new_session_button() const { return new_session_button_; }
  QPushButton* copy_button() const { return copy_button_; }
  QPushButton* cancel_button() const { return cancel_button_; }
  QPushButton* end_button() const { return end_button_; }
  QPushButton* sign_out_button() const { return sign_out_button_; }
  QPushButton* open_folder_button() const { return open_folder_button_; }
  QCheckBox* record_check() const { return record_check_; }
  QLabel* code_label() const { return code_label_; }
  QLabel* countdown_label() const { return countdown_label_; }
  QLabel* sas_label() const { return sas_label_; }
  QLabel* status_label() const { return status_label_; }
  QLabel* ended_title() const { return ended_title_; }
  QLabel* ended_text() const { return ended_text_; }
  QLabel* session_log_label() const { return session_log_label_; }
  bool ended_visible() const;
  bool sas_visible() const;
  // The 8 digits on the clipboard after Copy.
  const QString& code_digits() const { return code_digits_; }

 signals:
  void newSessionRequested();
  void cancelRequested();
  void endRequested();
  void signOutRequested();
  void recordNextChanged(bool on);
  void openSessionLogFolderRequested(const QString& path);

 private:
  void Copy();

  Clock now_;
  Phase phase_ = Phase::kIdle;
  std::chrono::system_clock::time_point expires_{};
  QString code_digits_;
  QString session_log_path_;
  QTimer* tick_timer_ = nullptr;
  QLabel* who_label_ = nullptr;
  QPushButton* sign_out_button_ = nullptr;
  QWidget* idle_page_ = nullptr;
  QPushButton* new_session_button_ = nullptr;
  QCheckBox* record_check_ = nullptr;
  QFrame* ended_box_ = nullptr;
  QLabel* ended_title_ = nullptr;
  QLabel* ended_text_ = nullptr;
  QLabel* session_log_label_ = nullptr;
  QPushButton* open_folder_button_ = nullptr;
  QWidget* code_page_ = nullptr;
  QLabel* code_label_ = nullptr;
  QPushButton* copy_button_ = nullptr;
  QLabel* countdown_label_ = nullptr;
  QPushButton* cancel_button_ = nullptr;
  QWidget* sas_page_ = nullptr;
  QLabel* sas_caption_ = nullptr;
  QLabel* sas_label_ = nullptr;
  QLabel* status_label_ = nullptr;
  QPushButton* end_button_ = nullptr;
};

}  // namespace tether::supporter::ui
