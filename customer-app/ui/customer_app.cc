#include "customer-app/ui/customer_app.h"

#include <pwd.h>
#include <unistd.h>

#include <QClipboard>
#include <QFileInfo>
#include <QGuiApplication>
#include <QPushButton>
#include <QSysInfo>
#include <QTimer>

#include "app-ui/display_text.h"
#include "app-ui/ui_thread.h"
#include "base/log.h"
#include "customer-app/ui/consent_dialogs.h"
#include "customer-app/ui/control_border.h"
#include "customer-app/ui/ended_window.h"
#include "customer-app/ui/session_panel.h"
#include "customer-app/ui/start_window.h"
#include "customer-app/ui/style.h"
#include "customer-app/ui/technician_screen_window.h"
#include "desktop/backend.h"

namespace tether::customer::ui {
namespace {

// After STOP the core reports the end at once; if it ever did not, the
// customer still sees that the session is over.
constexpr int kStopWatchdogMs = 3000;

std::string LocalUserName() {
  QString user = qEnvironmentVariable("USER");
  if (user.isEmpty()) {
    if (const passwd* pw = getpwuid(getuid()); pw != nullptr)
      user = QString::fromLocal8Bit(pw->pw_name);
  }
  return user.toStdString();
}

}  // namespace

CustomerApp::CustomerApp(Options options, QObject* parent)
    : QObject(parent), options_(std::move(options)) {
  if (!options_.deliver)
    options_.deliver = &app_ui::PostToUiThread;
  if (options_.host_name.empty())
    options_.host_name = QSysInfo::machineHostName().toStdString();
  if (options_.user_name.empty())
    options_.user_name = LocalUserName();

  consent_ = std::make_unique<DialogConsentProvider>(options_.prompt_arm_delay);
  border_ = std::make_unique<ControlBorder>();
  start_window_ = std::make_unique<StartWindow>(options_.config);
  connect(start_window_.get(), &StartWindow::connectRequested, this,
          &CustomerApp::Connect);
  connect(start_window_.get(), &StartWindow::cancelRequested, this,
          &CustomerApp::CancelConnecting);
  connect(start_window_.get(), &StartWindow::closeRequested, this,
          &CustomerApp::CloseStartWindow);
}

CustomerApp::~CustomerApp() {
  consent_->CloseAll();
  border_->SetVisible(false);
  if (technician_screen_ != nullptr)
    technician_screen_->CloseForEnd();
  // The session goes before the windows that point at it; it calls no
  // observer method while being destroyed.
  session_.reset();
}

void CustomerApp::Show() {
  start_window_->show();
  CenterOnScreen(start_window_.get());
  start_window_->raise();
  start_window_->activateWindow();
}

void CustomerApp::Connect(const QString& code) {
  // A previous attempt (wrong code, server unreachable) is over; its
  // callbacks have all run (OnEnded is the last one).
  session_.reset();
  panel_.reset();
  context_ = EndContext{};
  ended_ = false;
  technician_.clear();

  CustomerSession::Options session_options;
  session_options.config = options_.config;
  session_options.code = code.toStdString();
  session_options.host_name = options_.host_name;
  session_options.user_name = options_.user_name;
  session_options.deliver = options_.deliver;
  start_window_->SetPhase(StartWindow::Phase::kConnecting);
  start_window_->cancel_button()->setEnabled(true);

  Result<std::unique_ptr<CustomerSession>> started =
      options_.start_session
          ? options_.start_session(std::move(session_options), consent_.get(),
                                   this)
          : Result<std::unique_ptr<CustomerSession>>(
                MakeError("no session factory"));
  if (!started.has_value()) {
    log::Warn("could not start the session: {}", started.error().message);
    EndView view;
    view.title = QStringLiteral("Tether could not start the connection");
    view.text = QStringLiteral(
        "The settings for your company's support server seem to be wrong. "
        "Please call your IT department.");
    view.details = QString::fromStdString(started.error().message);
    view.tone = EndView::Tone::kProblem;
    view.can_retry = true;
    start_window_->ShowProblem(view);
    return;
  }
  session_ = std::move(*started);
}

void CustomerApp::CancelConnecting() {
  if (session_ == nullptr || ended_)
    return;
  start_window_->cancel_button()->setEnabled(false);
  session_->End();  // OnEnded (local) brings the code field back
}

void CustomerApp::CloseStartWindow() {
  if (session_ != nullptr && !ended_) {
    quit_after_end_ = true;
    session_->End();
    return;
  }
  Finish();
}

void CustomerApp::ShowPanel() {
  if (panel_ != nullptr || session_ == nullptr)
    return;
  panel_ = std::make_unique<SessionPanel>(session_.get());
  connect(panel_.get(), &SessionPanel::stopped, this,
          &CustomerApp::OnStopPressed);
  panel_->SetHotkeyAvailable(session_->stop_hotkey_active(),
                             desktop::DetectBackend(options_.config.display) ==
                                 desktop::Backend::kPortal);
  if (!technician_.isEmpty())
    panel_->SetTechnician(technician_, QString());
  panel_->SetGrants(session_->grants());
  panel_->PlaceOnScreen();
  panel_->show();
  panel_->raise();
  start_window_->hide();
}

void CustomerApp::OnStopPressed() {
  border_->SetVisible(false);
  consent_->CloseAll();
  QTimer::singleShot(kStopWatchdogMs, this, [this] {
    if (ended_)
      return;
    protocol::SessionEnd end;
    end.reason = proto::END_REASON_EMERGENCY_STOP;
    end.local = true;
    OnEnded(end);
  });
}

void CustomerApp::CloseSessionWindows() {
  consent_->CloseAll();
  border_->SetVisible(false);
  if (panel_ != nullptr)
    panel_->CloseForEnd();
  if (technician_screen_ != nullptr)
    technician_screen_->CloseForEnd();
}

void CustomerApp::Finish() {
  CloseSessionWindows();
  start_window_->hide();
  if (ended_window_ != nullptr)
    ended_window_->hide();
  emit finished();
}

void CustomerApp::OnStateChanged(protocol::SessionState state) {
  if (ended_)
    return;
  switch (state) {
    case protocol::SessionState::kConnecting:
      start_window_->SetPhase(StartWindow::Phase::kConnecting);
      break;
    case protocol::SessionState::kSignedIn:
      context_.reached_relay = true;
      break;
    case protocol::SessionState::kWaitingForPeer:
      context_.reached_relay = true;
      start_window_->SetPhase(StartWindow::Phase::kWaitingForTechnician);
      break;
    case protocol::SessionState::kKeyExchange:
    case protocol::SessionState::kSecured:
      context_.reached_relay = true;
      context_.paired = true;
      ShowPanel();
      break;
    case protocol::SessionState::kEnded:
      break;  // OnEnded follows
  }
}

void CustomerApp::OnTechnician(const std::string& name,
                               const std::string& organisation) {
  technician_ = app_ui::DisplayText(name, 60).trimmed();
  context_.reached_relay = true;
  context_.paired = true;
  ShowPanel();
  if (panel_ != nullptr)
    panel_->SetTechnician(technician_,
                          app_ui::DisplayText(organisation, 80).trimmed());
}

void CustomerApp::OnSas(const std::string& sas) {
  if (panel_ != nullptr)
    panel_->SetSas(app_ui::FormatSas(sas));
}

void CustomerApp::OnGrantsChanged(const Grants& grants) {
  if (ended_)
    return;
  if (panel_ != nullptr)
    panel_->SetGrants(grants);
  border_->SetVisible(grants.control);
  if (grants.viewing_technician) {
    if (technician_screen_ == nullptr) {
      technician_screen_ = std::make_unique<TechnicianScreenWindow>();
      connect(technician_screen_.get(), &TechnicianScreenWindow::stopRequested,
              this, [this] {
                if (session_ != nullptr && !ended_)
                  session_->RevokeViewSwitch();  // OnGrantsChanged hides it
              });
    }
    technician_screen_->SetTechnician(technician_);
    if (!technician_screen_->isVisible()) {
      technician_screen_->resize(technician_screen_->sizeHint());
      technician_screen_->show();
      technician_screen_->raise();
    }
  } else if (technician_screen_ != nullptr) {
    technician_screen_->CloseForEnd();
  }
}

void CustomerApp::OnTechnicianPicture(
    std::shared_ptr<const desktop::DesktopFrame> picture) {
  // Never logged or kept beyond the newest picture.
  if (!ended_ && technician_screen_ != nullptr &&
      technician_screen_->isVisible()) {
    technician_screen_->SetPicture(std::move(picture));
  }
}

void CustomerApp::OnChat(const std::string& text, bool from_me) {
  if (panel_ != nullptr)
    panel_->AddChat(app_ui::DisplayText(text, 2000, /*keep_newlines=*/false),
                    from_me);
}

void CustomerApp::OnClipboard(const std::string& text) {
  // Only after the customer allowed it (the core checks); never logged.
  if (ended_)
    return;
  if (QClipboard* clipboard = QGuiApplication::clipboard())
    clipboard->setText(
        QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size())));
  if (panel_ != nullptr)
    panel_->AddNotice(QStringLiteral("%1 put text on your clipboard.")
                          .arg(technician_.isEmpty()
                                   ? QStringLiteral("Your technician")
                                   : technician_));
}

void CustomerApp::OnFileReceived(const std::string& path,
                                 bool ok,
                                 const std::string& message) {
  if (panel_ == nullptr)
    return;
  if (ok) {
    const QFileInfo saved(app_ui::DisplayText(path, 300));
    panel_->AddNotice(QStringLiteral("Saved \u201C%1\u201D to %2")
                          .arg(saved.fileName(), saved.path()));
  } else {
    panel_->AddNotice(QStringLiteral("A file could not be saved: %1")
                          .arg(app_ui::DisplayText(message, 300)));
  }
}

void CustomerApp::OnFileSending(const SentFile& file) {
  if (panel_ != nullptr)
    panel_->SetSentFile(file);
}

void CustomerApp::OnEnded(const protocol::SessionEnd& end) {
  if (ended_)
    return;
  ended_ = true;
  CloseSessionWindows();
  log::Info("session ended (reason {}, {})", static_cast<int>(end.reason),
            end.local ? "here" : "remote");

  if (quit_after_end_) {
    Finish();
    return;
  }
  const EndView view = DescribeEnd(end, context_);
  if (context_.paired) {
    start_window_->hide();
    ended_window_ = std::make_unique<EndedWindow>(view, session_.get());
    connect(ended_window_.get(), &EndedWindow::finished, this,
            &CustomerApp::Finish);
    ended_window_->show();
    CenterOnScreen(ended_window_.get());
    ended_window_->raise();
    ended_window_->activateWindow();
    return;
  }
  // Before a technician was involved: back to the code field, with the
  // reason unless the customer cancelled.
  if (end.local && end.reason == proto::END_REASON_USER_ENDED &&
      !IsServerIdentityProblem(end)) {
    start_window_->ClearProblem();
    start_window_->SetPhase(StartWindow::Phase::kEnterCode);
  } else {
    start_window_->ShowProblem(view);
  }
  start_window_->show();
  start_window_->raise();
}

}  // namespace tether::customer::ui
