#include "supporter-app/ui/supporter_app.h"

#include <QDesktopServices>
#include <QFileInfo>
#include <QMetaObject>
#include <QPushButton>
#include <QUrl>

#include "app-ui/display_text.h"
#include "app-ui/ui_thread.h"
#include "base/log.h"
#include "protocol/host_port.h"
#include "protocol/peer_session.h"
#include "supporter-app/ui/join_dialog.h"
#include "supporter-app/ui/main_window.h"
#include "supporter-app/ui/session_window.h"
#include "supporter-app/ui/sign_in_view.h"
#include "supporter-app/ui/style.h"

namespace tether::supporter::ui {

SupporterApp::SupporterApp(Options options, QObject* parent)
    : QObject(parent), options_(std::move(options)) {
  if (!options_.deliver)
    options_.deliver = &app_ui::PostToUiThread;
  sign_in_ = new SignInView(relay_text(),
                            QString::fromStdString(options_.config.user_name));
  home_ = new HomeView(options_.now);
  main_window_ = std::make_unique<MainWindow>(sign_in_, home_);

  connect(sign_in_, &SignInView::signInRequested, this, &SupporterApp::SignIn);
  connect(sign_in_, &SignInView::changePasswordRequested, this,
          &SupporterApp::ChangePassword);
  connect(home_, &HomeView::newSessionRequested, this,
          &SupporterApp::NewSession);
  connect(home_, &HomeView::cancelRequested, this, &SupporterApp::CancelCode);
  connect(home_, &HomeView::endRequested, this, &SupporterApp::EndSession);
  connect(home_, &HomeView::signOutRequested, this, &SupporterApp::SignOut);
  connect(home_, &HomeView::recordNextChanged, this, [this](bool on) {
    record_next_ = on;
    if (session_ != nullptr)
      session_->RecordNextSession(on);
  });
  connect(home_, &HomeView::openSessionLogFolderRequested, this,
          [](const QString& path) {
            QDesktopServices::openUrl(
                QUrl::fromLocalFile(QFileInfo(path).absolutePath()));
          });
  connect(main_window_.get(), &MainWindow::closeRequested, this,
          &SupporterApp::Quit);
}

SupporterApp::~SupporterApp() {
  // The window and the sink point at the session: they go first. The
  // session calls no observer method while being destroyed.
  session_window_.reset();
  input_sink_.reset();
  join_dialog_.reset();
  session_.reset();
}

QString SupporterApp::relay_text() const {
  // A list of relays (relay.hosts): the first, tried first, and how many
  // more (one line on the sign-in form).
  const auto addresses = protocol::RelayAddresses(options_.config.relay);
  if (addresses.empty())
    return {};
  QString text = QString::fromStdString(
      protocol::JoinHostPort(addresses[0].host, addresses[0].port));
  if (addresses.size() > 1)
    text += QStringLiteral(" and %1 more").arg(addresses.size() - 1);
  return text;
}

void SupporterApp::Show() {
  main_window_->show();
  main_window_->raise();
  main_window_->activateWindow();
}

void SupporterApp::SignIn(const QString& user,
                          const QString& password,
                          const QString& totp) {
  if (session_ == nullptr) {
    SupporterSession::Options session_options;
    session_options.config = options_.config;
    session_options.config.user_name = user.toStdString();
    session_options.deliver = options_.deliver;
    auto started =
        options_.start_session
            ? options_.start_session(std::move(session_options), this)
            : Result<std::unique_ptr<SupporterSession>>(
                  MakeError("no session factory"));
    if (!started.has_value()) {
      log::Warn("could not start the supporter session: {}",
                started.error().message);
      EndText text;
      text.title = QStringLiteral("Tether could not connect.");
      text.details = QString::fromStdString(started.error().message);
      text.tone = EndText::Tone::kProblem;
      sign_in_->ShowEnd(text);
      return;
    }
    session_ = std::move(*started);
  }
  options_.config.user_name = user.toStdString();
  session_->SignIn(user.toStdString(), password.toStdString(),
                   totp.toStdString());
}

void SupporterApp::ChangePassword(const QString& current, const QString& next) {
  if (session_ == nullptr)
    return;
  session_->ChangePassword(current.toStdString(), next.toStdString());
}

void SupporterApp::OnSignIn(const SignInResult& result) {
  if (signed_in_) {
    // The core signs in again for every new session (the relay closes the
    // connection with each one).
    if (result.status == SignInStatus::kSignedIn) {
      sign_in_->ShowResult(result);
      main_window_->ShowHome();
      return;
    }
    if (result.status == SignInStatus::kTotpRequired) {
      sign_in_->AskTotpAgain();
      main_window_->ShowSignIn();
      return;
    }
    // The account changed underneath (locked, password changed) or the
    // relay is gone: back to the form with the reason.
    signed_in_ = false;
    main_window_->ShowSignIn();
  }
  sign_in_->ShowResult(result);
  if (result.status != SignInStatus::kSignedIn)
    return;
  signed_in_ = true;
  QString name = app_ui::DisplayText(result.display_name, 60).trimmed();
  if (name.isEmpty())
    name = QString::fromStdString(options_.config.user_name);
  home_->SetSignedIn(name, relay_text());
  home_->SetPhase(HomeView::Phase::kIdle);
  main_window_->ShowHome();
  // The choice survives signing out and in again.
  home_->SetRecordNext(record_next_);
  if (record_next_)
    session_->RecordNextSession(true);
}

void SupporterApp::OnPasswordChanged(bool ok, const std::string& message) {
  sign_in_->ShowPasswordChanged(ok, app_ui::DisplayText(message, 300));
}

void SupporterApp::NewSession() {
  if (session_ == nullptr || !signed_in_ || in_session_)
    return;
  // The previous session's window goes; its protocol is on disk.
  session_window_.reset();
  input_sink_.reset();
  paired_ = false;
  recording_ = false;
  sas_.clear();
  customer_.clear();
  grants_ = {};
  view_only_ = false;
  in_session_ = true;
  home_->SetPhase(HomeView::Phase::kStarting);
  session_->NewSession();
}

void SupporterApp::CancelCode() {
  if (session_ != nullptr && in_session_ && !paired_)
    session_->CancelCode();  // OnEnded (local) brings New session back
}

void SupporterApp::EndSession() {
  if (session_ != nullptr && in_session_)
    session_->End();
}

void SupporterApp::SignOut() {
  if (in_session_)
    return;  // the button is disabled then; End first
  CloseJoinDialog();
  session_window_.reset();
  input_sink_.reset();
  if (session_ != nullptr)
    session_->SignOut();  // forgets the kept credentials
  session_.reset();       // not inside an observer call: a button click
  signed_in_ = false;
  sign_in_->Reset();
  main_window_->ShowSignIn();
}

void SupporterApp::Quit() {
  if (session_ != nullptr && in_session_) {
    quit_after_end_ = true;
    session_->End();
    return;
  }
  CloseJoinDialog();
  if (session_window_ != nullptr)
    session_window_->hide();
  main_window_->hide();
  emit finished();
}

void SupporterApp::OnStateChanged(protocol::SessionState state) {
  if (!in_session_)
    return;
  switch (state) {
    case protocol::SessionState::kKeyExchange:
      paired_ = true;
      home_->SetPhase(HomeView::Phase::kSecuring);
      home_->SetStatus(QStringLiteral("Securing the connection\u2026"));
      break;
    case protocol::SessionState::kSecured:
      paired_ = true;
      if (session_window_ == nullptr) {
        home_->SetPhase(HomeView::Phase::kSecuring);
        home_->SetStatus(QStringLiteral(
            "Waiting for the customer to confirm the code and agree\u2026"));
      }
      break;
    default:
      break;
  }
}

void SupporterApp::OnCode(const std::string& code,
                          std::chrono::system_clock::time_point expires) {
  if (in_session_)
    home_->ShowCode(code, expires);
}

void SupporterApp::OnJoinRequest(const std::string& host_name,
                                 const std::string& user_name,
                                 const std::string& address) {
  if (!in_session_ || session_ == nullptr)
    return;
  CloseJoinDialog();
  customer_ = QStringLiteral("%1 on %2 (%3)")
                  .arg(app_ui::DisplayText(user_name, 40),
                       app_ui::DisplayText(host_name, 60),
                       app_ui::DisplayText(address, 60));
  join_dialog_ = std::make_unique<JoinDialog>(host_name, user_name, address,
                                              main_window_.get());
  join_dialog_->setWindowFlag(Qt::Dialog);
  connect(join_dialog_.get(), &JoinDialog::accepted_join, this, [this] {
    if (session_ == nullptr || !in_session_)
      return;
    paired_ = true;
    session_->Accept();
    home_->SetPhase(HomeView::Phase::kSecuring);
    home_->SetStatus(QStringLiteral("Securing the connection\u2026"));
  });
  connect(join_dialog_.get(), &JoinDialog::rejected_join, this, [this] {
    if (session_ != nullptr && in_session_)
      session_->Reject();  // OnEnded follows
  });
  join_dialog_->open();
  join_dialog_->raise();
  join_dialog_->activateWindow();
}

void SupporterApp::CloseJoinDialog() {
  if (join_dialog_ == nullptr)
    return;
  // Closed by the app (the session ended): no answer is sent.
  join_dialog_->blockSignals(true);
  join_dialog_->hide();
  join_dialog_.release()->deleteLater();
}

void SupporterApp::OnSas(const std::string& sas) {
  sas_ = app_ui::FormatSas(sas);
  home_->ShowSas(sas);
  if (session_window_ != nullptr)
    session_window_->SetSas(sas_);
}

void SupporterApp::OnViewOnly() {
  view_only_ = true;
  if (session_window_ != nullptr)
    session_window_->SetViewOnly();
}

void SupporterApp::OnCustomerAgreed(bool agreed) {
  if (!in_session_)
    return;
  if (!agreed) {
    home_->SetStatus(QStringLiteral("The customer did not agree."));
    return;  // OnEnded follows
  }
  OpenSessionWindow();
  // Seeing the screen is what nearly every session starts with; the
  // customer is still asked.
  proto::ViewTarget whole;
  whole.set_whole_desktop(true);
  session_->RequestView(whole);
}

void SupporterApp::OpenSessionWindow() {
  if (session_window_ != nullptr)
    return;
  if (options_.make_input_sink)
    input_sink_ = options_.make_input_sink(session_.get());
  session_window_ =
      std::make_unique<SessionWindow>(session_.get(), input_sink_.get());
  session_window_->SetCustomer(customer_);
  session_window_->SetSas(sas_);
  if (view_only_)
    session_window_->SetViewOnly();
  session_window_->SetGrants(grants_);
  session_window_->SetRecording(recording_, recording_path_);
  session_window_->show();
  session_window_->raise();
  session_window_->activateWindow();
  home_->SetPhase(HomeView::Phase::kInSession);
  home_->SetStatus(QStringLiteral("In session with %1.").arg(customer_));
}

void SupporterApp::OnMonitors(const std::vector<proto::Monitor>& monitors) {
  if (session_window_ != nullptr)
    session_window_->SetMonitors(monitors);
}

void SupporterApp::OnGrantsChanged(const CustomerGrants& grants) {
  grants_ = grants;
  if (session_window_ != nullptr)
    session_window_->SetGrants(grants);
}

void SupporterApp::OnAnswer(proto::Permission permission, bool granted) {
  if (session_window_ != nullptr)
    session_window_->OnAnswer(permission, granted);
}

void SupporterApp::OnPicture(const RemotePicture& picture) {
  if (session_window_ != nullptr)
    session_window_->SetPicture(picture);
}

void SupporterApp::OnCursor(const proto::CursorPosition& position) {
  if (session_window_ != nullptr)
    session_window_->SetCursor(position);
}

void SupporterApp::OnStats(const VideoStats& stats) {
  if (session_window_ != nullptr)
    session_window_->SetStats(stats);
}

void SupporterApp::OnChat(const std::string& text, bool from_me) {
  if (session_window_ != nullptr)
    session_window_->AddChat(text, from_me);
}

void SupporterApp::OnTransfer(const FileTransfer& transfer) {
  if (session_window_ != nullptr)
    session_window_->UpdateTransfer(transfer);
}

void SupporterApp::OnRecording(bool on, const std::string& path) {
  recording_ = on;
  recording_path_ = QString::fromStdString(path);
  if (session_window_ != nullptr)
    session_window_->SetRecording(on, recording_path_);
}

void SupporterApp::OnNotice(const std::string& message) {
  const QString text = app_ui::DisplayText(message, 300);
  if (session_window_ != nullptr && !session_window_->ended())
    session_window_->ShowNotice(text);
  else
    home_->SetStatus(text);
}

void SupporterApp::OnEnded(const protocol::SessionEnd& end) {
  CloseJoinDialog();
  const bool was_in_session = in_session_;
  in_session_ = false;
  log::Info("session ended (reason {}, {})", static_cast<int>(end.reason),
            end.local ? "here" : "remote");
  const EndText text = DescribeEnd(end);
  const QString session_log_path =
      session_ != nullptr
          ? QString::fromStdString(session_->session_log_path().string())
          : QString();

  if (quit_after_end_) {
    quit_after_end_ = false;
    Quit();
    return;
  }
  if (!signed_in_ || end.server_untrusted) {
    // The connection itself is gone (or cannot be trusted): back to the
    // form. The session is replaced at the next sign-in, not here, inside
    // its own callback.
    signed_in_ = false;
    if (session_window_ != nullptr)
      session_window_->ShowEnded(text, session_log_path);
    sign_in_->ShowEnd(text);
    main_window_->ShowSignIn();
    QMetaObject::invokeMethod(
        this,
        [this] {
          if (!signed_in_ && !in_session_) {
            session_window_.reset();
            input_sink_.reset();
            session_.reset();
          }
        },
        Qt::QueuedConnection);
    return;
  }
  if (!was_in_session)
    return;
  if (session_window_ != nullptr)
    session_window_->ShowEnded(text, session_log_path);
  // Withdrawing an unused code is no news; anything else is reported.
  if (!paired_ && end.local && end.reason == proto::END_REASON_USER_ENDED) {
    home_->SetPhase(HomeView::Phase::kIdle);
  } else {
    home_->ShowEnded(text, paired_ ? session_log_path : QString());
  }
  main_window_->raise();
}

}  // namespace tether::supporter::ui
