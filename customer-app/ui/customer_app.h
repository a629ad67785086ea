#pragma once

// tether-customer's screens in order: the start window (code, Connect), the
// prompts (DialogConsentProvider), the panel and the control border while a
// technician is connected, and the ended window. It renders the session's
// state and forwards the customer's clicks; CustomerSession decides.
//
// Threads: the UI thread only. Observer calls arrive there because
// Options::deliver posts to it. (The global STOP hotkey belongs to the
// session: it calls EmergencyStop() from its own thread, and OnEnded()
// follows here.)

#include <functional>
#include <memory>

#include <QObject>
#include <QString>

#include "customer-app/core/customer_session.h"
#include "customer-app/ui/end_view.h"

namespace tether::customer::ui {

class ControlBorder;
class DialogConsentProvider;
class EndedWindow;
class SessionPanel;
class StartWindow;
class TechnicianScreenWindow;

class CustomerApp : public QObject, private CustomerSession::Observer {
  Q_OBJECT

 public:
  using SessionFactory = std::function<Result<std::unique_ptr<CustomerSession>>(
      CustomerSession::Options,
      ConsentProvider*,
      CustomerSession::Observer*)>;

  struct Options {
    CustomerConfig config;
    // CustomerSession::Start in the app; a fake in tests.
    SessionFactory start_session;
    // Where observer calls run; empty: app_ui::PostToUiThread, onto the Qt
    // UI thread through one SlicedTaskQueue, so STOP never waits behind the
    // technician's traffic.
    std::function<void(std::function<void()>)> deliver;
    // Shown to the technician when joining; empty: this machine's.
    std::string host_name;
    std::string user_name;
    std::chrono::milliseconds prompt_arm_delay{800};
  };

  explicit CustomerApp(Options options, QObject* parent = nullptr);
  ~CustomerApp() override;

  // Shows the start window.
  void Show();

  StartWindow* start_window() const { return start_window_.get(); }
  SessionPanel* panel() const { return panel_.get(); }
  ControlBorder* border() const { return border_.get(); }
  EndedWindow* ended_window() const { return ended_window_.get(); }
  // Null until the technician first shows their screen.
  TechnicianScreenWindow* technician_screen_window() const {
    return technician_screen_.get();
  }
  DialogConsentProvider* consent() const { return consent_.get(); }
  CustomerSession* session() const { return session_.get(); }

 signals:
  // The customer closed the last window: the app quits.
  void finished();

 private:
  // CustomerSession::Observer (UI thread).
  void OnStateChanged(protocol::SessionState state) override;
  void OnTechnician(const std::string& name,
                    const std::string& organisation) override;
  void OnSas(const std::string& sas) override;
  void OnGrantsChanged(const Grants& grants) override;
  void OnChat(const std::string& text, bool from_me) override;
  void OnClipboard(const std::string& text) override;
  void OnTechnicianPicture(
      std::shared_ptr<const desktop::DesktopFrame> picture) override;
  void OnFileSending(const SentFile& file) override;
  void OnFileReceived(const std::string& path,
                      bool ok,
                      const std::string& message) override;
  void OnEnded(const protocol::SessionEnd& end) override;

  void Connect(const QString& code);
  void CancelConnecting();
  void CloseStartWindow();
  void ShowPanel();
  void OnStopPressed();
  void Finish();
  // Prompts, the control border, the panel and the technician's screen go
  // (at the end, and before the app quits).
  void CloseSessionWindows();

  Options options_;
  std::unique_ptr<DialogConsentProvider> consent_;
  std::unique_ptr<StartWindow> start_window_;
  std::unique_ptr<ControlBorder> border_;
  std::unique_ptr<SessionPanel> panel_;
  std::unique_ptr<EndedWindow> ended_window_;
  // Shown while the customer watches the technician's screen; hidden, not
  // destroyed, when that ends (the end may come from its own button).
  std::unique_ptr<TechnicianScreenWindow> technician_screen_;
  // Declared after the windows that point at it.
  std::unique_ptr<CustomerSession> session_;

  EndContext context_;
  bool ended_ = false;
  bool quit_after_end_ = false;
  QString technician_;
};

}  // namespace tether::customer::ui
