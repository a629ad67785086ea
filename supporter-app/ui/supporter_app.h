#pragma once

// tether-supporter's screens in order: sign-in, home (New session, code,
// join request, SAS), the session window, and the reason a session ended.
// It renders SupporterSession's state and forwards the technician's clicks;
// the core decides and talks to the relay and the customer.
//
// Threads: the UI thread only; Observer calls arrive there because
// Options::deliver posts to it.

#include <functional>
#include <memory>
#include <string>

#include <QObject>
#include <QString>

#include "supporter-app/core/supporter_session.h"
#include "supporter-app/ui/home_view.h"
#include "supporter-app/ui/remote_input.h"

namespace tether::supporter::ui {

class JoinDialog;
class MainWindow;
class SessionWindow;
class SignInView;

class SupporterApp : public QObject, private SupporterSession::Observer {
  Q_OBJECT

 public:
  using SessionFactory =
      std::function<Result<std::unique_ptr<SupporterSession>>(
          SupporterSession::Options,
          SupporterSession::Observer*)>;
  // Turns the view's input into InputEvents for the session (the app:
  // MappedInputSink over input_mapper.h). May return nullptr: the view
  // then forwards nothing.
  using InputSinkFactory =
      std::function<std::unique_ptr<RemoteInputSink>(SupporterSession*)>;

  struct Options {
    SupporterConfig config;
    SessionFactory start_session;  // SupporterSession::Start; a fake in tests
    // Where observer calls run; empty: app_ui::PostToUiThread, in slices so
    // the technician's clicks never wait behind the customer's traffic.
    std::function<void(std::function<void()>)> deliver;
    InputSinkFactory make_input_sink;
    HomeView::Clock now;  // empty: the system clock
  };

  explicit SupporterApp(Options options, QObject* parent = nullptr);
  ~SupporterApp() override;

  void Show();

  MainWindow* main_window() const { return main_window_.get(); }
  SignInView* sign_in() const { return sign_in_; }
  HomeView* home() const { return home_; }
  SessionWindow* session_window() const { return session_window_.get(); }
  JoinDialog* join_dialog() const { return join_dialog_.get(); }
  SupporterSession* session() const { return session_.get(); }
  bool signed_in() const { return signed_in_; }
  // "relay.example.com:8443"; "relay1.example.com:8443 and 2 more" for a
  // list of relays.
  QString relay_text() const;

 signals:
  void finished();

 private:
  // SupporterSession::Observer (UI thread).
  void OnStateChanged(protocol::SessionState state) override;
  void OnSignIn(const SignInResult& result) override;
  void OnPasswordChanged(bool ok, const std::string& message) override;
  void OnCode(const std::string& code,
              std::chrono::system_clock::time_point expires) override;
  void OnJoinRequest(const std::string& host_name,
                     const std::string& user_name,
                     const std::string& address) override;
  void OnSas(const std::string& sas) override;
  void OnCustomerAgreed(bool agreed) override;
  void OnViewOnly() override;
  void OnMonitors(const std::vector<proto::Monitor>& monitors) override;
  void OnGrantsChanged(const CustomerGrants& grants) override;
  void OnAnswer(proto::Permission permission, bool granted) override;
  void OnPicture(const RemotePicture& picture) override;
  void OnCursor(const proto::CursorPosition& position) override;
  void OnStats(const VideoStats& stats) override;
  void OnChat(const std::string& text, bool from_me) override;
  void OnTransfer(const FileTransfer& transfer) override;
  void OnRecording(bool on, const std::string& path) override;
  void OnNotice(const std::string& message) override;
  void OnEnded(const protocol::SessionEnd& end) override;

  void SignIn(const QString& user,
              const QString& password,
              const QString& totp);
  void ChangePassword(const QString& current, const QString& next);
  void NewSession();
  void CancelCode();
  void EndSession();
  void SignOut();
  void OpenSessionWindow();
  void CloseJoinDialog();
  void Quit();

  Options options_;
  SignInView* sign_in_ = nullptr;  // owned by main_window_
  HomeView* home_ = nullptr;       // owned by main_window_
  std::unique_ptr<MainWindow> main_window_;
  std::unique_ptr<JoinDialog> join_dialog_;
  // Declared before the window that points at both, after the session's
  // users are gone: the session outlives the window and the sink.
  std::unique_ptr<SupporterSession> session_;
  std::unique_ptr<RemoteInputSink> input_sink_;
  std::unique_ptr<SessionWindow> session_window_;

  bool signed_in_ = false;
  bool paired_ = false;      // the technician accepted a customer
  bool in_session_ = false;  // between NewSession and OnEnded
  bool view_only_ = false;   // the customer is in a browser
  bool quit_after_end_ = false;
  bool record_next_ = false;
  bool recording_ = false;
  QString recording_path_;
  QString sas_;
  QString customer_;
  CustomerGrants grants_;
};

}  // namespace tether::supporter::ui
