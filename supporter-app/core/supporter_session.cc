// SupporterSession (supporter_session_impl.h): signing in, one support
// session from its code to its end, the engine's events and the video.
// Requests and grants are in supporter_session_requests.cc, files in
// supporter_session_files.cc.

#include "supporter-app/core/supporter_session.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "base/log.h"
#include "base/utf8.h"
#include "supporter-app/core/sign_in_result.h"
#include "supporter-app/core/supporter_config.h"
#include "supporter-app/core/supporter_session_impl.h"

namespace tether::supporter {
namespace {

constexpr size_t kMaxTermsBytes = 60 * 1024;
constexpr size_t kMaxMonitors = 64;
constexpr auto kTickInterval = std::chrono::seconds(1);
// The relay drops a code at its expiry and says nothing; ours ends the
// session a little later, so that a join at the last second still counts.
constexpr auto kExpiryGrace = std::chrono::seconds(2);

constexpr char kWithdrawnText[] = "You withdrew the code.";
constexpr char kExpiredText[] =
    "The code expired before anybody used it. Start a new session for a new "
    "code.";
constexpr char kRejectedText[] =
    "You did not accept the customer, so the code no longer works.";
constexpr char kSignedOutText[] = "You signed out.";

// "user_ended" for END_REASON_USER_ENDED.
std::string ReasonWord(proto::EndReason reason) {
  std::string name = proto::EndReason_Name(reason);
  constexpr std::string_view kPrefix = "END_REASON_";
  if (name.starts_with(kPrefix))
    name = name.substr(kPrefix.size());
  std::transform(name.begin(), name.end(), name.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return name.empty() ? "unspecified" : name;
}

std::string Text(const crypto::SecretBytes& secret) {
  return std::string(reinterpret_cast<const char*>(secret.data()),
                     secret.size());
}

crypto::SecretBytes Secret(const std::string& text) {
  return crypto::SecretBytes(AsBytes(text));
}

}  // namespace

std::string Shown(std::string_view text) {
  return std::string(CutUtf8(protocol::CleanRelayText(text), kMaxNameBytes));
}

SupporterSessionImpl::~SupporterSessionImpl() {
  ticker_.Stop();
  // No observer calls from here on; the record is still finished.
  alive_.reset();
  if (run_) {
    CloseRun(SessionEnd{proto::END_REASON_USER_ENDED, "The app was closed.",
                        true, false},
             /*notify=*/false);
  }
  engine_.reset();  // joins; tells the relay if a session was going on
}

void SupporterSessionImpl::Init() {
  if (options_.config.protocol_dir.empty())
    options_.config.protocol_dir = DefaultProtocolDir();
  ticker_.StartRepeating(kTickInterval, [this] { Post([this] { Tick(); }); });
}

void SupporterSessionImpl::SignIn(std::string user,
                                  std::string password,
                                  std::string totp) {
  if (password.empty() && user == candidate_user_ &&
      !candidate_password_.empty()) {
    password = Text(candidate_password_);
  } else if (password.empty() && user == user_ && !password_.empty()) {
    password = Text(password_);
  }
  if (EngineAlive() && signed_in_on_engine_) {
    // The relay takes one sign-in per connection.
    SignInResult already;
    already.status = SignInStatus::kSignedIn;
    already.display_name = display_name_;
    already.message = "Signed in.";
    observer_->OnSignIn(already);
    return;
  }
  // A connection waiting for a password change takes nothing else.
  if (!EngineAlive() || must_change_password_) {
    if (auto started = StartEngine(); !started) {
      SignInResult failed;
      failed.status = SignInStatus::kUnreachable;
      failed.message = started.error().message;
      observer_->OnSignIn(failed);
      return;
    }
  }
  candidate_user_ = user;
  candidate_password_ = Secret(password);
  sign_in_started_ = true;
  engine_->Login(std::move(user), std::move(password), std::move(totp));
}

void SupporterSessionImpl::ChangePassword(std::string current,
                                          std::string next) {
  if (!EngineAlive()) {
    observer_->OnPasswordChanged(false, "Sign in first.");
    return;
  }
  if (current.empty())
    current =
        Text(candidate_password_.empty() ? password_ : candidate_password_);
  new_password_ = Secret(next);
  engine_->ChangePassword(std::move(current), std::move(next));
}

void SupporterSessionImpl::SignOut() {
  if (run_) {
    if (engine_ && run_->phase >= Phase::kCodeIssued &&
        run_->phase <= Phase::kJoinRequested) {
      engine_->CancelSession(run_->code);
    }
    CloseRun({proto::END_REASON_USER_ENDED, kSignedOutText, true, false},
             /*notify=*/true);
  }
  engine_.reset();
  user_.clear();
  candidate_user_.clear();
  password_ = {};
  candidate_password_ = {};
  new_password_ = {};
  have_credentials_ = false;
  signed_in_on_engine_ = false;
  sign_in_started_ = false;
  must_change_password_ = false;
  ReportState(SessionState::kEnded);
}

void SupporterSessionImpl::NewSession() {
  if (run_) {
    log::Warn("session: NewSession ignored: a session is going on");
    return;
  }
  if (!have_credentials_) {
    log::Warn("session: NewSession before signing in");
    observer_->OnNotice("Sign in before you start a session.");
    return;
  }
  run_ = std::make_unique<Run>();
  run_->serial = ++run_serial_;
  run_->recording = record_next_;
  if (!EngineAlive()) {
    // The relay closed the last connection with the last session.
    if (auto started = StartEngine(); !started) {
      CloseRun(
          {proto::END_REASON_PEER_LOST, started.error().message, false, false},
          /*notify=*/true);
      return;
    }
    candidate_user_ = user_;
    candidate_password_ = Secret(Text(password_));
    sign_in_started_ = true;
    engine_->Login(user_, Text(password_), "");
  }
  engine_->CreateSession();  // held by the engine until signed in
}

void SupporterSessionImpl::CancelCode() {
  if (!run_ || run_->phase > Phase::kJoinRequested)
    return;
  if (run_->phase >= Phase::kCodeIssued && EngineAlive())
    engine_->CancelSession(run_->code);
  // A code still on its way is withdrawn when it arrives
  // (OnSessionCreated finds no session waiting for it).
  CloseRun({proto::END_REASON_USER_ENDED, kWithdrawnText, true, false},
           /*notify=*/true);
}

void SupporterSessionImpl::Accept() {
  if (!run_ || run_->phase != Phase::kJoinRequested || !EngineAlive())
    return;
  run_->phase = Phase::kAccepted;
  engine_->DecideJoin(true);
  Record(SessionLogEvent::kJoinAccepted);
}

void SupporterSessionImpl::Reject() {
  if (!run_ || run_->phase != Phase::kJoinRequested || !EngineAlive())
    return;
  engine_->DecideJoin(false);
  Record(SessionLogEvent::kJoinRejected);
  CloseRun({proto::END_REASON_JOIN_REJECTED, kRejectedText, true, false},
           /*notify=*/true);
}

void SupporterSessionImpl::End() {
  if (!run_)
    return;
  if (run_->phase <= Phase::kJoinRequested) {
    CancelCode();
    return;
  }
  if (EngineAlive())
    engine_->End(proto::END_REASON_USER_ENDED, "");
}

CustomerGrants SupporterSessionImpl::grants() const {
  return run_ ? run_->grants : CustomerGrants{};
}

std::filesystem::path SupporterSessionImpl::session_log_path() const {
  return session_log_path_;
}

void SupporterSessionImpl::Post(std::function<void()> task) {
  options_.deliver([alive = weak_alive_, task = std::move(task)] {
    if (!alive.expired())
      task();
  });
}

void SupporterSessionImpl::PostToRun(uint64_t serial,
                                     std::function<void(Run&)> task) {
  Post([this, serial, task = std::move(task)] {
    if (run_ && run_->serial == serial)
      task(*run_);
  });
}

Result<void> SupporterSessionImpl::StartEngine() {
  engine_.reset();  // joins the old one; its queued calls do nothing
  engine_ended_ = false;
  signed_in_on_engine_ = false;
  sign_in_started_ = false;
  must_change_password_ = false;
  PeerSession::Options engine;
  engine.relay = options_.config.relay;
  engine.role = proto::ROLE_SUPPORTER;
  engine.app_version = std::string("tether-supporter ") + TETHER_VERSION;
  engine.deliver = [this](std::function<void()> task) {
    Post(std::move(task));
  };
  TETHER_TRY(started, PeerSession::Start(std::move(engine), this));
  engine_ = std::move(*started);
  return {};
}

void SupporterSessionImpl::ReportState(SessionState state) {
  if (reported_state_ == state)
    return;
  reported_state_ = state;
  observer_->OnStateChanged(state);
}

void SupporterSessionImpl::Tick() {
  if (!run_)
    return;
  if ((run_->phase == Phase::kCodeIssued ||
       run_->phase == Phase::kJoinRequested) &&
      options_.clock->WallNow() > run_->expires + kExpiryGrace) {
    if (EngineAlive()) {
      // The relay has forgotten the code already; this resets the
      // engine's state, and the relay's "no such code" is expected.
      ++expired_cancels_;
      engine_->CancelSession(run_->code);
    }
    CloseRun({proto::END_REASON_CODE_EXPIRED, kExpiredText, false, false},
             /*notify=*/true);
    return;
  }
  if (run_->video && run_->grants.viewing)
    observer_->OnStats(run_->video->TakeStats());
}

void SupporterSessionImpl::Record(SessionLogEvent event,
                                  const SessionLog::Fields& fields) {
  if (!run_ || !run_->session_log)
    return;
  if (auto written = run_->session_log->Write(event, fields);
      !written && !run_->session_log_failed) {
    run_->session_log_failed = true;
    if (alive_) {
      observer_->OnNotice("The session log could not be written: " +
                          written.error().message);
    }
  }
}

void SupporterSessionImpl::OpenSessionLog() {
  const std::filesystem::path& dir = options_.config.protocol_dir;
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (!error) {
    // Session logs name customers and hold the chat: not for other users.
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, error);
    error.clear();
  }
  auto created = SessionLog::Create(dir, run_->code);
  if (!created) {
    log::Warn("session log: {}", created.error().message);
    observer_->OnNotice("The session log cannot be written: " +
                        created.error().message);
    return;
  }
  run_->session_log = std::move(*created);
  session_log_path_ = run_->session_log->json_path();
}

void SupporterSessionImpl::CloseRun(SessionEnd end, bool notify) {
  if (!run_)
    return;
  const bool tell = notify && alive_ != nullptr;
  if (run_->files) {
    for (auto& [id, transfer] : run_->transfers) {
      if (transfer.shown.state == FileTransfer::State::kAsking ||
          transfer.shown.state == FileTransfer::State::kSending) {
        transfer.shown.state = FileTransfer::State::kCancelled;
        transfer.shown.message = "The session ended.";
        SessionLog::Fields fields = {
            {"name", transfer.shown.name},
            {"size", std::to_string(transfer.shown.size)},
            {"result", "cancelled"}};
        if (transfer.shown.direction ==
            FileTransfer::Direction::kFromCustomer) {
          // Its temporary file goes with run_->downloads below.
          fields.insert(fields.begin(), {"direction", "from_customer"});
        }
        Record(SessionLogEvent::kFileDone, fields);
        if (tell)
          observer_->OnTransfer(transfer.shown);
      }
    }
    run_->files.reset();
  }
  run_->screen.reset();
  run_->video.reset();
  if (run_->recorder) {
    const RecordingWriter::Summary summary = run_->recorder->Stop();
    const std::string path = run_->recorder->path().string();
    SessionLog::Fields fields = {
        {"path", path},
        {"frames", std::to_string(summary.frames)},
        {"duration", std::to_string(summary.duration.count()) + " ms"}};
    if (!summary.error.empty())
      fields.push_back({"error", summary.error});
    Record(SessionLogEvent::kRecordingStopped, fields);
    run_->recorder.reset();
    if (tell)
      observer_->OnRecording(false, path);
  }
  const bool had_grants = run_->grants.viewing || run_->grants.control ||
                          run_->grants.clipboard || run_->grants.view_switch;
  run_->grants = {};
  Record(SessionLogEvent::kSessionEnded,
         {{"reason", ReasonWord(end.reason)}, {"message", end.message}});
  std::unique_ptr<Run> run = std::move(run_);
  run.reset();  // closes the protocol files
  if (!tell)
    return;
  if (had_grants)
    observer_->OnGrantsChanged(CustomerGrants{});
  observer_->OnEnded(end);
  if (!EngineAlive())
    ReportState(have_credentials_ ? SessionState::kSignedIn
                                  : SessionState::kEnded);
}

void SupporterSessionImpl::OnVideoFrame(proto::VideoFrame frame) {
  if (run_->recording) {
    if (!run_->recorder) {
      std::filesystem::path base =
          run_->session_log ? run_->session_log->json_path()
                            : options_.config.protocol_dir /
                                  ("session_" + run_->code + ".jsonl");
      base.replace_extension();
      const uint64_t serial = run_->serial;
      run_->recorder = std::make_unique<RecordingWriter>(
          base, [this, serial](const std::string& error) {
            PostToRun(serial, [this, error](Run& run) {
              if (!run.recorder)
                return;
              observer_->OnNotice("The recording stopped: " + error);
              observer_->OnRecording(false, run.recorder->path().string());
            });
          });
      const std::string path = run_->recorder->path().string();
      Record(SessionLogEvent::kRecordingStarted, {{"path", path}});
      observer_->OnRecording(true, path);
    }
    run_->recorder->Add(frame);
  }
  run_->video->Receive(std::move(frame));
}

void SupporterSessionImpl::StartParts() {
  PeerSession* engine = engine_.get();
  const uint64_t serial = run_->serial;
  run_->video = std::make_unique<streaming::VideoReceiver>(
      streaming::VideoReceiverOptions{},
      [engine](proto::PeerMessage message) {
        return engine->Send(std::move(message));
      },
      [this, serial] {
        PostToRun(serial, [this](Run& run) {
          if (!run.video)
            return;
          if (auto picture = run.video->TakePicture())
            observer_->OnPicture(*picture);
        });
      },
      [this, serial](const std::string& why) {
        PostToRun(serial, [this, why](Run&) {
          if (EngineAlive()) {
            const std::string message =
                "The customer's app sent pictures this app cannot show (" +
                why + "). The session was ended.";
            engine_->End(proto::END_REASON_PROTOCOL_ERROR, message);
          }
        });
      });
  FileSender::Callbacks files;
  files.send = [engine](proto::PeerMessage message) {
    return engine->Send(std::move(message));
  };
  files.pending_bytes = [engine] { return engine->pending_bytes(); };
  files.prepared = [this, serial](uint32_t id, Result<PreparedFile> result) {
    PostToRun(serial, [this, id, result = std::move(result)](Run&) mutable {
      OnFilePrepared(id, std::move(result));
    });
  };
  files.progress = [this, serial](uint32_t id, uint64_t sent) {
    PostToRun(serial, [this, id, sent](Run&) { OnFileProgress(id, sent); });
  };
  files.finished = [this, serial](uint32_t id, Result<void> result) {
    PostToRun(serial, [this, id, result = std::move(result)](Run&) mutable {
      OnFileFinished(id, std::move(result));
    });
  };
  run_->files = std::make_unique<FileSender>(std::move(files));
}

void SupporterSessionImpl::SendTerms() {
  proto::PeerMessage terms;
  proto::SessionTerms& t = *terms.mutable_terms();
  t.set_technician_name(display_name_);
  t.set_organisation(organisation_);
  t.set_terms_text(terms_text_);
  t.set_recording(run_->recording);
  // Best first: VP9 codes screens in a fraction of VP8's bytes.
  t.add_decoders(proto::CODEC_VP9);
  t.add_decoders(proto::CODEC_VP8);
  // Its receiver keeps an exact layer (streaming/exact_layer.h).
  t.set_exact_pictures(true);
  if (!engine_->Send(std::move(terms)))
    log::Warn("session: the terms could not be sent");
}

void SupporterSessionImpl::OnStateChanged(SessionState state) {
  // kEnded is decided in OnEnded: the sign-in may outlive the connection.
  if (state != SessionState::kEnded)
    ReportState(state);
}

void SupporterSessionImpl::OnRelayHello(const proto::HelloAck& hello) {
  organisation_ = Shown(hello.organisation());
  // The customer shows the relay's own terms; ours only stand in when it
  // has none, and must stay under the customer's limit.
  terms_text_ = std::string(CutUtf8(hello.support_terms(), kMaxTermsBytes));
}

void SupporterSessionImpl::OnLoginResult(const proto::LoginResult& result) {
  const SignInResult shown = SignInResultFor(result);
  switch (shown.status) {
    case SignInStatus::kSignedIn:
      signed_in_on_engine_ = true;
      must_change_password_ = false;
      have_credentials_ = true;
      user_ = candidate_user_;
      password_ = Secret(Text(candidate_password_));
      display_name_ = shown.display_name.empty() ? user_ : shown.display_name;
      log::Info("signed in");
      break;
    case SignInStatus::kPasswordChangeRequired:
      must_change_password_ = true;
      break;
    default:
      log::Info("sign-in refused: {}",
                proto::LoginResult::Status_Name(result.status()));
      break;
  }
  observer_->OnSignIn(shown);
}

void SupporterSessionImpl::OnChangePasswordResult(
    const proto::ChangePasswordResult& result) {
  std::string message = protocol::CleanRelayText(result.message());
  if (result.ok()) {
    candidate_password_ = std::move(new_password_);
    if (signed_in_on_engine_)
      password_ = Secret(Text(candidate_password_));
    if (message.empty())
      message = "Your password was changed.";
  } else if (message.empty()) {
    message = "The new password was not accepted.";
  }
  new_password_ = {};
  observer_->OnPasswordChanged(result.ok(), message);
}

void SupporterSessionImpl::OnSessionCreated(
    const proto::SessionCreated& created) {
  if (!run_ || run_->phase != Phase::kAwaitingCode) {
    // Withdrawn before it came.
    if (EngineAlive())
      engine_->CancelSession(created.code());
    return;
  }
  run_->code = created.code();
  run_->expires = std::chrono::system_clock::time_point(
      std::chrono::seconds(created.expires_at_unix()));
  run_->phase = Phase::kCodeIssued;
  OpenSessionLog();
  const auto& relay = options_.config.relay;
  Record(SessionLogEvent::kSessionStarted,
         {{"code", run_->code},
          {"technician", display_name_},
          {"relay", relay.host + ":" + std::to_string(relay.port)}});
  observer_->OnCode(run_->code, run_->expires);
}

void SupporterSessionImpl::OnJoinRequest(const proto::JoinRequest& request) {
  if (!run_ || run_->phase != Phase::kCodeIssued ||
      request.code() != run_->code) {
    log::Warn("session: a join request for no waiting code");
    return;
  }
  run_->phase = Phase::kJoinRequested;
  const std::string host = Shown(request.host_name());
  const std::string user = Shown(request.user_name());
  const std::string address = Shown(request.source_address());
  Record(SessionLogEvent::kCustomerJoined,
         {{"host", host}, {"user", user}, {"address", address}});
  observer_->OnJoinRequest(host, user, address);
}

void SupporterSessionImpl::OnRelayError(const proto::ErrorReply& error) {
  const std::string text = protocol::CleanRelayText(error.message());
  if (error.code() == proto::ErrorReply::CODE_INVALID_CODE &&
      expired_cancels_ > 0) {
    --expired_cancels_;
    return;
  }
  if (run_ && run_->phase == Phase::kAwaitingCode) {
    // CreateSession refused: too many codes waiting, an auditor account.
    CloseRun(
        {proto::END_REASON_UNSPECIFIED,
         text.empty() ? "The relay did not give a code." : text, false, false},
        /*notify=*/true);
    return;
  }
  observer_->OnNotice(text.empty() ? "The relay refused a request." : text);
}

void SupporterSessionImpl::OnSecured(const std::string& sas) {
  if (!run_ || run_->phase != Phase::kAccepted) {
    log::Warn("session: secured without an accepted customer");
    return;
  }
  run_->phase = Phase::kSecured;
  StartParts();
  Record(SessionLogEvent::kSasShown, {{"sas", sas}});
  // Shown first: the technician reads it out while the terms travel.
  observer_->OnSas(sas);
  if (run_ && run_->phase == Phase::kSecured)
    SendTerms();
}

void SupporterSessionImpl::OnMessage(proto::PeerMessage message) {
  if (!run_ || run_->phase < Phase::kSecured)
    return;
  using M = proto::PeerMessage;
  switch (message.body_case()) {
    case M::kTermsAnswer: {
      if (run_->phase != Phase::kSecured)
        break;
      const bool agreed = message.terms_answer().accepted();
      if (agreed)
        run_->phase = Phase::kAgreed;
      run_->view_only = message.terms_answer().view_only();
      Record(SessionLogEvent::kTermsAnswered,
             {{"agreed", agreed ? "yes" : "no"},
              {"view_only", run_->view_only ? "yes" : "no"}});
      if (agreed && run_->view_only)
        observer_->OnViewOnly();
      observer_->OnCustomerAgreed(agreed);
      break;
    }
    case M::kConsentAnswer:
      OnConsentAnswer(message.consent_answer());
      break;
    case M::kRevoke:
      OnRevoke(message.revoke().permission());
      break;
    case M::kEmergencyStop: {
      log::Warn("session: the customer pressed STOP");
      Record(SessionLogEvent::kEmergencyStop);
      const bool had = run_->grants.viewing || run_->grants.control ||
                       run_->grants.clipboard || run_->grants.view_switch;
      if (run_->screen)
        run_->screen->Stop();
      run_->grants = {};
      if (had)
        observer_->OnGrantsChanged(run_->grants);
      break;  // the engine's OnEnded follows
    }
    case M::kVideoFrame:
      OnVideoFrame(std::move(*message.mutable_video_frame()));
      break;
    case M::kStats:
      run_->video->OnPeerStats(message.stats());
      break;
    case M::kCursorPosition:
      observer_->OnCursor(message.cursor_position());
      break;
    case M::kMonitorList: {
      const auto& list = message.monitor_list().monitors();
      std::vector<proto::Monitor> monitors(
          list.begin(),
          list.begin() + std::min(list.size(), static_cast<int>(kMaxMonitors)));
      for (proto::Monitor& monitor : monitors)
        monitor.set_name(Shown(monitor.name()));
      observer_->OnMonitors(monitors);
      break;
    }
    case M::kChat: {
      if (run_->phase != Phase::kAgreed)
        break;
      const std::string text(CutUtf8(message.chat().text(), kMaxChatBytes));
      Record(SessionLogEvent::kChat, {{"from", "customer"}, {"text", text}});
      observer_->OnChat(text, /*from_me=*/false);
      break;
    }
    case M::kFileAccept:
      OnFileAccept(message.file_accept().file_id());
      break;
    case M::kFileCancel:
      // The id space says which direction it is about (peer.proto).
      if (protocol::IsCustomerFileId(message.file_cancel().file_id()))
        OnIncomingCancel(message.file_cancel());
      else
        OnFileCancel(message.file_cancel());
      break;
    case M::kFileOffer:
      OnIncomingOffer(message.file_offer());
      break;
    case M::kFileChunk:
      OnIncomingChunk(message.file_chunk());
      break;
    case M::kFileDone:
      OnIncomingDone(message.file_done().file_id());
      break;
    case M::kCursorShape:
      break;  // the view draws its own cursor at OnCursor's position
    // The customer's acks of the technician's own screen ("show my
    // screen"): they pace the sender.
    case M::kFrameAck:
      if (run_->screen && run_->grants.showing_my_screen)
        run_->screen->OnFrameAck();
      break;
    case M::kKeyFrameRequest:
      if (run_->screen && run_->grants.showing_my_screen)
        run_->screen->RequestKeyFrame();
      break;
    default:
      // Messages only a technician sends, or unknown ones: nothing to
      // do, and nothing the customer could make us do.
      if (!unexpected_logged_) {
        unexpected_logged_ = true;
        log::Info(
            "session: ignored a message the technician's side does "
            "not take ({})",
            static_cast<int>(message.body_case()));
      }
      break;
  }
}

void SupporterSessionImpl::OnEnded(const SessionEnd& end) {
  engine_ended_ = true;
  const bool signing_in = sign_in_started_ && !signed_in_on_engine_;
  signed_in_on_engine_ = false;
  must_change_password_ = false;
  if (signing_in)
    observer_->OnSignIn(SignInResultForEnd(end));
  if (run_) {
    CloseRun(end, /*notify=*/true);
    return;
  }
  log::Info("relay connection closed: {}", end.message);
  ReportState(have_credentials_ ? SessionState::kSignedIn
                                : SessionState::kEnded);
}

Result<std::unique_ptr<SupporterSession>> SupporterSession::Start(
    Options options,
    Observer* observer) {
  if (observer == nullptr)
    return MakeError("a supporter session needs an observer");
  if (!options.deliver)
    return MakeError(
        "a supporter session needs Options::deliver (the app's "
        "thread)");
  const protocol::RelayEndpoint& relay = options.config.relay;
  if (relay.host.empty() || relay.port == 0)
    return MakeError("The relay address is not set.");
  if (relay.fingerprint.empty() == relay.ca_file.empty()) {
    return MakeError("Set exactly one of the relay's fingerprint and CA file.");
  }
  auto session =
      std::make_unique<SupporterSessionImpl>(std::move(options), observer);
  session->Init();
  return std::unique_ptr<SupporterSession>(std::move(session));
}

}  // namespace tether::supporter
