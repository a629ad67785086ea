#pragma once

// The small always-on-top panel shown while a technician is connected: who
// it is, what they may do right now, the security code, a chat, a switch to
// take control back, and the big red STOP. It has no minimise button and
// restores itself if minimised anyway; closing it asks "End the session?".
// There is no way to hide it while the session runs.

#include <functional>

#include <QString>
#include <QWidget>

#include "customer-app/core/customer_session.h"

class QCheckBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QListWidgetItem;
class QProgressBar;
class QPushButton;
class QVBoxLayout;

namespace tether::customer::ui {

class SessionPanel : public QWidget {
  Q_OBJECT

 public:
  // `session` must outlive the panel's use of it; calls go straight to it
  // (STOP never waits for a queued hop).
  explicit SessionPanel(CustomerSession* session, QWidget* parent = nullptr);

  void SetTechnician(const QString& name, const QString& organisation);
  void SetSas(const QString& sas);  // already grouped: "482 913"
  void SetGrants(const Grants& grants);
  // The chat keeps the newest kMaxChatItems lines.
  static constexpr int kMaxChatItems = 100;
  void AddChat(const QString& text, bool from_me);
  // A line from Tether itself in the chat (a file was saved, …).
  void AddNotice(const QString& text);
  // `available`: the global STOP chord works. Otherwise, when this desktop
  // offers no global shortcuts at all (Wayland without the GlobalShortcuts
  // portal), the panel says so; when another program holds the chord, it
  // only offers the button.
  void SetHotkeyAvailable(bool available, bool desktop_offers_none = false);
  // Asks before ending; the default shows a message box. Tests replace it.
  void SetConfirmEnd(std::function<bool()> confirm);
  // How the file to send is chosen; the default is a QFileDialog. Tests
  // replace it. An empty path means "cancelled".
  void SetChooseFile(std::function<QString()> choose);
  // A file the customer sends changed (progress, accepted, finished).
  void SetSentFile(const SentFile& file);
  // The session is over: the panel may close without asking.
  void CloseForEnd();
  // Top-right corner of the screen it is on.
  void PlaceOnScreen();

  QPushButton* stop_button() const { return stop_button_; }
  QCheckBox* control_toggle() const { return control_toggle_; }
  QLineEdit* chat_input() const { return chat_input_; }
  QPushButton* chat_send() const { return chat_send_; }
  QListWidget* chat_list() const { return chat_list_; }
  QLabel* technician_label() const { return technician_label_; }
  QLabel* sas_label() const { return sas_label_; }
  QPushButton* send_file_button() const { return send_file_button_; }
  QLabel* file_label() const { return file_label_; }
  QProgressBar* file_progress() const { return file_progress_; }
  QPushButton* file_cancel() const { return file_cancel_; }
  // The lines under "… can now:", as shown.
  QStringList GrantLines() const;

 signals:
  // After EmergencyStop() returned (the app hides the border at once).
  void stopped();

 protected:
  void closeEvent(QCloseEvent* event) override;
  void changeEvent(QEvent* event) override;
  void showEvent(QShowEvent* event) override;

 private:
  void Refit();
  void AppendToChat(QListWidgetItem* item);
  void SendChat();
  void SendFile();
  void AddGrantLine(const QString& text, const char* colour);

  CustomerSession* session_;
  std::function<bool()> confirm_end_;
  bool may_close_ = false;
  bool ending_ = false;
  bool refit_pending_ = false;
  QString technician_ = QStringLiteral("Your technician");
  Grants grants_;

  QLabel* technician_label_ = nullptr;
  QLabel* organisation_label_ = nullptr;
  QLabel* sas_label_ = nullptr;
  QLabel* can_label_ = nullptr;
  QVBoxLayout* grant_lines_ = nullptr;
  QCheckBox* control_toggle_ = nullptr;
  QLabel* control_hint_ = nullptr;
  QListWidget* chat_list_ = nullptr;
  QLineEdit* chat_input_ = nullptr;
  QPushButton* chat_send_ = nullptr;
  std::function<QString()> choose_file_;
  QPushButton* send_file_button_ = nullptr;
  QLabel* file_label_ = nullptr;
  QProgressBar* file_progress_ = nullptr;
  QPushButton* file_cancel_ = nullptr;
  uint32_t shown_file_id_ = 0;  // the file the row shows; 0: none
  QPushButton* stop_button_ = nullptr;
  QLabel* hotkey_label_ = nullptr;
};

}  // namespace tether::customer::ui
