#pragma once

// The session window: the customer's screen (RemoteView) with the toolbar a
// technician works from (control, key combinations, monitor, scale, show my
// screen, file, clipboard, recording, end), chat and file transfers docked
// on the right, and a status bar with the live numbers, the SAS and what
// the customer allowed. Every toolbar action calls one SupporterSession
// method; the customer's answers come back through Set*/OnAnswer.
//
// Shortcuts (also in each tooltip and docs/supporter.md): Ctrl+Alt+Shift
// with C control, D Ctrl+Alt+Del, T Alt+Tab, W Super, F fit/1:1, 0-9
// monitor, P show my screen, U send file, V send clipboard, M chat,
// K release the keyboard, E end. Ctrl+Alt+Shift is never sent to the
// customer, so these work while controlling.

#include <cstdint>
#include <vector>

#include <QMainWindow>
#include <QString>

#include "supporter-app/core/supporter_session.h"
#include "supporter-app/ui/end_text.h"
#include "supporter-app/ui/remote_input.h"

class QAction;
class QComboBox;
class QDockWidget;
class QFileDialog;
class QFrame;
class QLabel;
class QPushButton;
class QToolButton;

namespace tether::supporter::ui {

class ChatPanel;
class RemoteView;
class TransferPanel;

class SessionWindow : public QMainWindow {
  Q_OBJECT

 public:
  // `session` and `sink` outlive the window (SupporterApp owns all three).
  SessionWindow(SupporterSession* session,
                RemoteInputSink* sink,
                QWidget* parent = nullptr);
  ~SessionWindow() override;

  // "sam on sam-laptop (192.0.2.7)"
  void SetCustomer(const QString& description);
  void SetSas(const QString& sas);
  void SetGrants(const CustomerGrants& grants);
  // The customer is in a browser: the picture only, never control.
  void SetViewOnly();
  void SetMonitors(const std::vector<proto::Monitor>& monitors);
  void OnAnswer(proto::Permission permission, bool granted);
  void SetPicture(const RemotePicture& picture);
  void SetCursor(const proto::CursorPosition& position);
  void SetStats(const VideoStats& stats);
  void AddChat(const std::string& text, bool from_me);
  void UpdateTransfer(const FileTransfer& transfer);
  void SetRecording(bool on, const QString& path);
  // Input, toolbar and chat off; the reason and the protocol file shown.
  void ShowEnded(const EndText& text, const QString& session_log_path);

  // One sentence from the core (chat notice + status bar).
  void ShowNotice(const QString& text) { Notice(text); }

  // Offers `path` to the customer (the file dialog ends here).
  void SendFile(const QString& path);
  // Sends the local clipboard's text, asking for permission first if the
  // customer has not allowed clipboard sharing yet.
  void SendClipboard();

  bool ended() const { return ended_; }
  RemoteView* view() const { return view_; }
  ChatPanel* chat() const { return chat_; }
  TransferPanel* transfers() const { return transfers_; }
  QAction* control_action() const { return control_action_; }
  QAction* ctrl_alt_del_action() const { return ctrl_alt_del_action_; }
  QAction* alt_tab_action() const { return alt_tab_action_; }
  QAction* super_action() const { return super_action_; }
  QAction* scale_action() const { return scale_action_; }
  QAction* view_switch_action() const { return view_switch_action_; }
  QAction* send_file_action() const { return send_file_action_; }
  QAction* clipboard_action() const { return clipboard_action_; }
  QAction* chat_action() const { return chat_action_; }
  QAction* record_action() const { return record_action_; }
  QAction* end_action() const { return end_action_; }
  QComboBox* monitor_combo() const { return monitor_combo_; }
  QLabel* stats_label() const { return stats_label_; }
  QLabel* sas_label() const { return sas_label_; }
  QLabel* grants_label() const { return grants_label_; }
  QLabel* control_badge() const { return control_badge_; }
  QLabel* ended_title() const { return ended_title_; }
  QLabel* ended_protocol() const { return ended_session_log_; }
  bool ended_banner_visible() const;
  // The open "Send file" dialog, if any (tests pick a file through it).
  QFileDialog* file_dialog() const { return file_dialog_; }

 signals:
  void closed();

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void BuildToolBar();
  void BuildStatusBar();
  void ToggleControl();
  // "Show my screen": asks first, shows once allowed, stops when showing.
  void ToggleShowMyScreen();
  void UpdateShowMyScreenUi();
  void OpenFileDialog();
  void UpdateControlUi();
  void Notice(const QString& text);
  QAction* AddAction(const QString& text,
                     const QString& tip,
                     const char* key,
                     void (SessionWindow::*slot)());

  SupporterSession* session_;
  RemoteInputSink* sink_;
  CustomerGrants grants_;
  bool control_pending_ = false;
  bool view_only_ = false;
  bool clipboard_pending_ = false;
  bool view_switch_pending_ = false;  // asked; the grant starts the showing
  bool ended_ = false;

  RemoteView* view_ = nullptr;
  ChatPanel* chat_ = nullptr;
  TransferPanel* transfers_ = nullptr;
  QDockWidget* chat_dock_ = nullptr;
  QDockWidget* transfer_dock_ = nullptr;
  QFrame* ended_banner_ = nullptr;
  QLabel* ended_title_ = nullptr;
  QLabel* ended_text_ = nullptr;
  QLabel* ended_session_log_ = nullptr;
  QFileDialog* file_dialog_ = nullptr;

  QAction* control_action_ = nullptr;
  QToolButton* control_button_ = nullptr;
  QToolButton* keys_button_ = nullptr;
  QAction* ctrl_alt_del_action_ = nullptr;
  QAction* alt_tab_action_ = nullptr;
  QAction* super_action_ = nullptr;
  QAction* scale_action_ = nullptr;
  QAction* view_switch_action_ = nullptr;
  QAction* send_file_action_ = nullptr;
  QAction* clipboard_action_ = nullptr;
  QAction* chat_action_ = nullptr;
  QAction* release_action_ = nullptr;
  QAction* record_action_ = nullptr;
  QAction* end_action_ = nullptr;
  QComboBox* monitor_combo_ = nullptr;
  std::vector<QAction*> monitor_shortcuts_;

  QLabel* customer_label_ = nullptr;
  QLabel* stats_label_ = nullptr;
  QLabel* sas_label_ = nullptr;
  QLabel* grants_label_ = nullptr;
  QLabel* control_badge_ = nullptr;
  QLabel* record_badge_ = nullptr;
};

}  // namespace tether::supporter::ui
