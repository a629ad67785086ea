// SupporterSession: the engine (supporter role) and, per support session,
// the parts it switches: the video receiver (decode thread), the recording
// writer (recording thread), the file sender (worker thread) and the
// session protocol. Everything here runs on the app thread; the parts'
// threads hand results over through Post().

#include "supporter-app/core/supporter_session.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "base/log.h"
#include "base/timer_thread.h"
#include "crypto/secure_memory.h"
#include "protocol/file_receiver.h"
#include "protocol/file_sender.h"
#include "protocol/session_end.h"
#include "streaming/screen_sender.h"
#include "supporter-app/core/recording_writer.h"
#include "supporter-app/core/session_protocol.h"
#include "supporter-app/core/sign_in_result.h"
#include "supporter-app/core/supporter_config.h"

namespace tether::supporter {
namespace {

using protocol::FileSender;
using protocol::PeerSession;
using protocol::PreparedFile;
using protocol::SessionEnd;
using protocol::SessionState;

// The customer's limits (customer-app/core/customer_policy.h): larger
// messages would only be refused there.
constexpr size_t kMaxChatBytes = 16 * 1024;
// Files the customer offers: waiting for the technician's answer at once,
// and in one session.
constexpr size_t kMaxWaitingIncomingFiles = 4;
constexpr size_t kMaxIncomingFilesPerSession = 256;
constexpr size_t kMaxClipboardBytes = 1024 * 1024;
constexpr size_t kMaxTermsBytes = 60 * 1024;
constexpr size_t kMaxNameBytes = 200;
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

const char* PermissionWord(proto::Permission permission) {
  switch (permission) {
    case proto::PERMISSION_VIEW_SCREEN:
      return "view";
    case proto::PERMISSION_REMOTE_CONTROL:
      return "control";
    case proto::PERMISSION_SEND_FILE:
      return "file";
    case proto::PERMISSION_CLIPBOARD:
      return "clipboard";
    case proto::PERMISSION_VIEW_SWITCH:
      return "view_switch";
    default:
      return "unknown";
  }
}

std::string ViewDetail(const proto::ViewTarget& target) {
  switch (target.target_case()) {
    case proto::ViewTarget::kMonitorIndex:
      return "monitor " + std::to_string(target.monitor_index());
    case proto::ViewTarget::kWindowId: {
      char text[32];
      std::snprintf(text, sizeof(text), "window 0x%llx",
                    static_cast<unsigned long long>(target.window_id()));
      return text;
    }
    default:
      return "whole desktop";
  }
}

std::string Hex(const crypto::Sha256Digest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t byte : digest) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0x0F];
  }
  return out;
}

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

// Cut to at most `max` bytes without splitting a UTF-8 sequence.
std::string CutUtf8(const std::string& text, size_t max) {
  if (text.size() <= max)
    return text;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
    --end;
  return text.substr(0, end);
}

std::string Shown(const std::string& text) {
  return CutUtf8(protocol::CleanRelayText(text), kMaxNameBytes);
}

std::string Text(const crypto::SecretBytes& secret) {
  return std::string(reinterpret_cast<const char*>(secret.data()),
                     secret.size());
}

crypto::SecretBytes Secret(const std::string& text) {
  return crypto::SecretBytes(AsBytes(text));
}

// Calls `tick` every `interval` on a thread of its own until destroyed.
class SupporterSessionImpl final : public SupporterSession,
                                   private PeerSession::Observer {
 public:
  using AppObserver = SupporterSession::Observer;

  SupporterSessionImpl(SupporterSession::Options options, AppObserver* observer)
      : options_(std::move(options)), observer_(observer) {}

  ~SupporterSessionImpl() override {
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

  void Init() {
    if (options_.config.protocol_dir.empty())
      options_.config.protocol_dir = DefaultProtocolDir();
    ticker_.StartRepeating(kTickInterval, [this] { Post([this] { Tick(); }); });
  }

  // ---- sign-in --------------------------------------------------------------

  void SignIn(std::string user,
              std::string password,
              std::string totp) override {
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

  void ChangePassword(std::string current, std::string next) override {
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

  void SignOut() override {
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

  // ---- the support session ------------------------------------------------

  void NewSession() override {
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
        CloseRun({proto::END_REASON_PEER_LOST, started.error().message, false,
                  false},
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

  void CancelCode() override {
    if (!run_ || run_->phase > Phase::kJoinRequested)
      return;
    if (run_->phase >= Phase::kCodeIssued && EngineAlive())
      engine_->CancelSession(run_->code);
    // A code still on its way is withdrawn when it arrives
    // (OnSessionCreated finds no session waiting for it).
    CloseRun({proto::END_REASON_USER_ENDED, kWithdrawnText, true, false},
             /*notify=*/true);
  }

  void Accept() override {
    if (!run_ || run_->phase != Phase::kJoinRequested || !EngineAlive())
      return;
    run_->phase = Phase::kAccepted;
    engine_->DecideJoin(true);
    Record(ProtocolEvent::kJoinAccepted);
  }

  void Reject() override {
    if (!run_ || run_->phase != Phase::kJoinRequested || !EngineAlive())
      return;
    engine_->DecideJoin(false);
    Record(ProtocolEvent::kJoinRejected);
    CloseRun({proto::END_REASON_JOIN_REJECTED, kRejectedText, true, false},
             /*notify=*/true);
  }

  void RequestView(const proto::ViewTarget& target) override {
    Ask(proto::PERMISSION_VIEW_SCREEN, ViewDetail(target),
        [&](proto::ConsentRequest& r) { *r.mutable_view() = target; });
  }

  void RequestControl() override {
    Ask(proto::PERMISSION_REMOTE_CONTROL, "mouse and keyboard");
  }

  void RequestClipboard() override {
    Ask(proto::PERMISSION_CLIPBOARD, "text to the customer's clipboard");
  }

  void RequestViewSwitch() override {
    Ask(proto::PERMISSION_VIEW_SWITCH, "the technician's screen");
  }

  void ShowMyScreen(bool on) override {
    if (!run_ || run_->phase != Phase::kAgreed ||
        run_->grants.showing_my_screen == on) {
      return;
    }
    if (on && !run_->grants.view_switch) {
      observer_->OnNotice(
          "The customer has not allowed you to show your screen.");
      return;
    }
    if (!on) {
      StopShowing("technician");
      return;
    }
    proto::PeerMessage message;
    message.mutable_view_switch()->set_show_supporter_screen(true);
    if (!engine_->Send(std::move(message))) {
      observer_->OnNotice("Your screen could not be shown: the link is busy.");
      return;
    }
    if (!run_->screen) {
      PeerSession* engine = engine_.get();
      const uint64_t serial = run_->serial;
      streaming::ScreenSender::Options screen;
      screen.display = options_.config.display;
      screen.send_cursor = false;  // the customer's window: the picture only
      run_->screen = std::make_unique<streaming::ScreenSender>(
          std::move(screen),
          [engine](proto::PeerMessage frame) {
            return engine->Send(std::move(frame));
          },
          [engine] { return engine->pending_bytes(); },
          [this, serial](const std::string& reason) {
            PostToRun(serial, [this, reason](Run&) {
              observer_->OnNotice("Your screen could not be shown: " + reason);
              StopShowing("failure");
            });
          });
    }
    // The ViewSwitch went first on the same ordered link, so the customer
    // knows what the frames are before the first one arrives.
    run_->screen->Start(desktop::CaptureSource::WholeScreen());
    run_->grants.showing_my_screen = true;
    Record(ProtocolEvent::kViewSwitch, {{"showing", "yes"}});
    log::Info("view switch: showing the technician's screen");
    observer_->OnGrantsChanged(run_->grants);
  }

  Result<uint32_t> SendFile(const std::filesystem::path& path) override {
    if (!run_ || run_->phase != Phase::kAgreed || !run_->files) {
      return MakeError(
          "Files can be sent once the customer has agreed to the session.");
    }
    const uint32_t id = run_->next_file_id++;
    if (auto prepared = run_->files->Prepare(id, path); !prepared)
      return Unexpected(std::move(prepared).error());
    Transfer& transfer = run_->transfers[id];
    transfer.shown.file_id = id;
    transfer.shown.name = path.filename().string();
    transfer.shown.state = FileTransfer::State::kAsking;
    transfer.shown.message = "Checking the file.";
    observer_->OnTransfer(transfer.shown);
    return id;
  }

  void CancelFile(uint32_t file_id) override {
    if (!run_)
      return;
    if (Transfer* incoming = Incoming(file_id)) {
      if (run_->downloads)
        run_->downloads->Discard(file_id);
      SendFileCancel(file_id, "The technician cancelled the transfer.");
      EndIncoming(*incoming, FileTransfer::State::kCancelled,
                  "You cancelled the transfer.", "cancelled");
      return;
    }
    auto it = run_->transfers.find(file_id);
    if (it == run_->transfers.end())
      return;
    Transfer& transfer = it->second;
    if (transfer.shown.state != FileTransfer::State::kAsking &&
        transfer.shown.state != FileTransfer::State::kSending) {
      return;
    }
    // The customer hears of it only once it was offered.
    run_->files->Cancel(file_id, transfer.offered
                                     ? "The technician cancelled the transfer."
                                     : "");
    EndTransfer(transfer, FileTransfer::State::kCancelled,
                "You cancelled the transfer.", "cancelled");
  }

  void SendChat(std::string text) override {
    if (!run_ || run_->phase != Phase::kAgreed || text.empty()) {
      log::Info("chat: not sent (no agreed session)");
      return;
    }
    if (text.size() > kMaxChatBytes) {
      observer_->OnNotice("A chat message can be at most 16 KB long.");
      return;
    }
    proto::PeerMessage chat;
    chat.mutable_chat()->set_text(text);
    chat.mutable_chat()->set_sent_at_unix_ms(
        std::chrono::duration_cast<std::chrono::milliseconds>(
            options_.clock->WallNow().time_since_epoch())
            .count());
    if (!engine_->Send(std::move(chat))) {
      observer_->OnNotice("The chat message could not be sent.");
      return;
    }
    Record(ProtocolEvent::kChat, {{"from", "technician"}, {"text", text}});
    observer_->OnChat(text, /*from_me=*/true);
  }

  void SendClipboard(std::string text) override {
    if (!run_ || !run_->grants.clipboard) {
      log::Info("clipboard: not sent (not allowed by the customer)");
      return;
    }
    if (text.size() > kMaxClipboardBytes) {
      observer_->OnNotice("Clipboard text can be at most 1 MB.");
      return;
    }
    const size_t bytes = text.size();
    proto::PeerMessage clipboard;
    clipboard.mutable_clipboard()->set_text(std::move(text));
    if (!engine_->Send(std::move(clipboard))) {
      observer_->OnNotice("The clipboard text could not be sent.");
      return;
    }
    Record(ProtocolEvent::kClipboardSent, {{"bytes", std::to_string(bytes)}});
  }

  void SendInput(proto::InputEvent event) override {
    if (!run_ || !run_->grants.control) {
      // The customer would refuse it anyway; counted, logged once (never
      // the event itself).
      if (run_ && run_->input_dropped++ == 0)
        log::Info("input: dropped while remote control is not allowed");
      return;
    }
    proto::PeerMessage input;
    *input.mutable_input() = std::move(event);
    if (!engine_->Send(std::move(input)) && run_->input_dropped++ == 0)
      log::Warn("input: dropped, the link is full");
  }

  void GiveBackControl() override {
    if (!run_ || !run_->grants.control)
      return;
    proto::PeerMessage revoke;
    revoke.mutable_revoke()->set_permission(proto::PERMISSION_REMOTE_CONTROL);
    engine_->Send(std::move(revoke));
    run_->grants.control = false;
    Record(ProtocolEvent::kControlOff, {{"by", "technician"}});
    observer_->OnGrantsChanged(run_->grants);
  }

  void RecordNextSession(bool on) override { record_next_ = on; }

  void End() override {
    if (!run_)
      return;
    if (run_->phase <= Phase::kJoinRequested) {
      CancelCode();
      return;
    }
    if (EngineAlive())
      engine_->End(proto::END_REASON_USER_ENDED, "");
  }

  CustomerGrants grants() const override {
    return run_ ? run_->grants : CustomerGrants{};
  }

  std::filesystem::path protocol_path() const override {
    return protocol_path_;
  }

 private:
  enum class Phase {
    kAwaitingCode,   // CreateSession sent (or held until signed in)
    kCodeIssued,     // OnCode shown
    kJoinRequested,  // somebody typed it; Accept or Reject
    kAccepted,       // key exchange running
    kSecured,        // SAS shown, terms sent
    kAgreed,         // the customer confirmed: requests may go out
  };

  struct Transfer {
    FileTransfer shown;
    bool offered = false;  // the customer has seen the offer
    // From the customer: what its offer promised, once it passed the checks.
    std::optional<protocol::IncomingFile> incoming;
    uint64_t reported = 0;  // received bytes last shown
  };

  struct PendingRequest {
    proto::Permission permission = proto::PERMISSION_UNSPECIFIED;
    uint32_t file_id = 0;
  };

  // One support session, from NewSession() to OnEnded().
  struct Run {
    uint64_t serial = 0;
    Phase phase = Phase::kAwaitingCode;
    std::string code;
    std::chrono::system_clock::time_point expires;
    bool recording = false;
    CustomerGrants grants;
    uint32_t next_request_id = 1;
    std::map<uint32_t, PendingRequest> requests;
    uint32_t next_file_id = 1;
    std::map<uint32_t, Transfer> transfers;
    uint64_t input_dropped = 0;
    std::unique_ptr<SessionProtocol> protocol;
    bool protocol_failed = false;
    // Threads: destroyed (joined) before the engine they send through.
    std::unique_ptr<streaming::VideoReceiver> video;
    std::unique_ptr<RecordingWriter> recorder;
    std::unique_ptr<FileSender> files;
    // Files from the customer; its destructor deletes unfinished ones.
    std::unique_ptr<protocol::FileReceiver> downloads;
    std::unique_ptr<streaming::ScreenSender> screen;  // "show my screen"
  };

  // ---- threads ------------------------------------------------------------

  // Runs `task` on the app thread, unless this session is gone by then.
  // Any thread: reads only the const weak_alive_, never alive_ itself.
  void Post(std::function<void()> task) {
    options_.deliver([alive = weak_alive_, task = std::move(task)] {
      if (!alive.expired())
        task();
    });
  }

  // Runs `task` on the app thread if the support session `serial` is still
  // the current one.
  void PostToRun(uint64_t serial, std::function<void(Run&)> task) {
    Post([this, serial, task = std::move(task)] {
      if (run_ && run_->serial == serial)
        task(*run_);
    });
  }

  bool EngineAlive() const { return engine_ != nullptr && !engine_ended_; }

  Result<void> StartEngine() {
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
    auto started = PeerSession::Start(std::move(engine), this);
    if (!started)
      return Unexpected(std::move(started).error());
    engine_ = std::move(*started);
    return {};
  }

  void ReportState(SessionState state) {
    if (reported_state_ == state)
      return;
    reported_state_ = state;
    observer_->OnStateChanged(state);
  }

  void Tick() {
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

  // ---- the session protocol -----------------------------------------------

  void Record(ProtocolEvent event, const SessionProtocol::Fields& fields = {}) {
    if (!run_ || !run_->protocol)
      return;
    if (auto written = run_->protocol->Write(event, fields);
        !written && !run_->protocol_failed) {
      run_->protocol_failed = true;
      if (alive_) {
        observer_->OnNotice("The session protocol could not be written: " +
                            written.error().message);
      }
    }
  }

  void OpenProtocol() {
    const std::filesystem::path& dir = options_.config.protocol_dir;
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (!error) {
      // Protocols name customers and hold the chat: not for other users.
      std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::replace,
                                   error);
      error.clear();
    }
    auto protocol = SessionProtocol::Create(dir, run_->code);
    if (!protocol) {
      log::Warn("session protocol: {}", protocol.error().message);
      observer_->OnNotice("The session protocol cannot be written: " +
                          protocol.error().message);
      return;
    }
    run_->protocol = std::move(*protocol);
    protocol_path_ = run_->protocol->json_path();
  }

  // ---- ending a support session --------------------------------------------

  // Stops the session's threads, completes its record, and (with
  // `notify`) tells the app. run_ is null before the app hears OnEnded, so
  // the app may start the next session from inside it.
  void CloseRun(SessionEnd end, bool notify) {
    if (!run_)
      return;
    const bool tell = notify && alive_ != nullptr;
    if (run_->files) {
      for (auto& [id, transfer] : run_->transfers) {
        if (transfer.shown.state == FileTransfer::State::kAsking ||
            transfer.shown.state == FileTransfer::State::kSending) {
          transfer.shown.state = FileTransfer::State::kCancelled;
          transfer.shown.message = "The session ended.";
          SessionProtocol::Fields fields = {
              {"name", transfer.shown.name},
              {"size", std::to_string(transfer.shown.size)},
              {"result", "cancelled"}};
          if (transfer.shown.direction ==
              FileTransfer::Direction::kFromCustomer) {
            // Its temporary file goes with run_->downloads below.
            fields.insert(fields.begin(), {"direction", "from_customer"});
          }
          Record(ProtocolEvent::kFileDone, fields);
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
      SessionProtocol::Fields fields = {
          {"path", path},
          {"frames", std::to_string(summary.frames)},
          {"duration", std::to_string(summary.duration.count()) + " ms"}};
      if (!summary.error.empty())
        fields.push_back({"error", summary.error});
      Record(ProtocolEvent::kRecordingStopped, fields);
      run_->recorder.reset();
      if (tell)
        observer_->OnRecording(false, path);
    }
    const bool had_grants = run_->grants.viewing || run_->grants.control ||
                            run_->grants.clipboard || run_->grants.view_switch;
    run_->grants = {};
    Record(ProtocolEvent::kSessionEnded,
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

  // ---- requests -------------------------------------------------------------

  // Sends a ConsentRequest; false (and OnAnswer(false)) when it cannot go.
  bool Ask(proto::Permission permission,
           const std::string& detail,
           const std::function<void(proto::ConsentRequest&)>& fill = {},
           uint32_t file_id = 0) {
    if (!run_ || run_->phase != Phase::kAgreed) {
      log::Info("consent: {} not asked: the customer has not agreed yet",
                PermissionWord(permission));
      observer_->OnAnswer(permission, false);
      return false;
    }
    const uint32_t id = run_->next_request_id++;
    proto::PeerMessage message;
    proto::ConsentRequest& request = *message.mutable_consent_request();
    request.set_request_id(id);
    request.set_permission(permission);
    if (fill)
      fill(request);
    if (!engine_->Send(std::move(message))) {
      observer_->OnAnswer(permission, false);
      return false;
    }
    run_->requests[id] = {permission, file_id};
    Record(ProtocolEvent::kConsentAsked,
           {{"permission", PermissionWord(permission)}, {"detail", detail}});
    log::Info("consent: asked for {} (request {})", PermissionWord(permission),
              id);
    return true;
  }

  void OnConsentAnswer(const proto::ConsentAnswer& answer) {
    auto it = run_->requests.find(answer.request_id());
    if (it == run_->requests.end()) {
      log::Warn("consent: an answer to no request ({})", answer.request_id());
      return;
    }
    const PendingRequest request = it->second;
    run_->requests.erase(it);
    const bool granted = answer.granted();
    Record(ProtocolEvent::kConsentAnswered,
           {{"permission", PermissionWord(request.permission)},
            {"granted", granted ? "yes" : "no"}});
    CustomerGrants& grants = run_->grants;
    const CustomerGrants before = grants;
    switch (request.permission) {
      case proto::PERMISSION_VIEW_SCREEN:
        grants.viewing = grants.viewing || granted;
        break;
      case proto::PERMISSION_REMOTE_CONTROL:
        if (granted && !grants.control) {
          grants.control = true;
          Record(ProtocolEvent::kControlOn);
        }
        break;
      case proto::PERMISSION_CLIPBOARD:
        grants.clipboard = grants.clipboard || granted;
        break;
      case proto::PERMISSION_VIEW_SWITCH:
        if (granted && !grants.view_switch) {
          grants.view_switch = true;
          Record(ProtocolEvent::kViewSwitch, {{"on", "yes"}});
        }
        break;
      case proto::PERMISSION_SEND_FILE: {
        auto transfer = run_->transfers.find(request.file_id);
        if (transfer == run_->transfers.end())
          break;
        if (!granted &&
            transfer->second.shown.state == FileTransfer::State::kAsking) {
          run_->files->Cancel(request.file_id, "");
          EndTransfer(transfer->second, FileTransfer::State::kRefused,
                      "The customer did not accept the file.", "refused");
        } else if (granted) {
          // The chunks start with the customer's FileAccept, which says
          // the file could be opened there too.
          transfer->second.shown.message = "Accepted by the customer.";
          observer_->OnTransfer(transfer->second.shown);
        }
        break;
      }
      default:
        break;
    }
    if (before.viewing != grants.viewing || before.control != grants.control ||
        before.clipboard != grants.clipboard ||
        before.view_switch != grants.view_switch) {
      observer_->OnGrantsChanged(grants);
    }
    observer_->OnAnswer(request.permission, granted);
  }

  void OnRevoke(proto::Permission permission) {
    CustomerGrants& grants = run_->grants;
    bool changed = false;
    switch (permission) {
      case proto::PERMISSION_VIEW_SCREEN:
        changed = std::exchange(grants.viewing, false);
        break;
      case proto::PERMISSION_REMOTE_CONTROL:
        changed = std::exchange(grants.control, false);
        if (changed)
          Record(ProtocolEvent::kControlOff, {{"by", "customer"}});
        break;
      case proto::PERMISSION_CLIPBOARD:
        changed = std::exchange(grants.clipboard, false);
        break;
      case proto::PERMISSION_VIEW_SWITCH:
        changed = std::exchange(grants.view_switch, false);
        if (changed)
          Record(ProtocolEvent::kViewSwitch, {{"on", "no"}});
        if (grants.showing_my_screen) {
          // The customer's app already stopped looking; nothing more goes.
          if (run_->screen)
            run_->screen->Stop();
          grants.showing_my_screen = false;
          Record(ProtocolEvent::kViewSwitch,
                 {{"showing", "no"}, {"by", "customer"}});
          changed = true;
        }
        break;
      case proto::PERMISSION_SEND_FILE:
        // The customer stopped every file it had accepted.
        for (auto& [id, transfer] : run_->transfers) {
          if (transfer.shown.state == FileTransfer::State::kSending) {
            run_->files->Cancel(id, "");
            EndTransfer(transfer, FileTransfer::State::kCancelled,
                        "The customer stopped the transfer.", "cancelled");
          }
        }
        return;
      default:
        return;
    }
    if (changed) {
      log::Info("consent: the customer revoked {}", PermissionWord(permission));
      observer_->OnGrantsChanged(grants);
    }
  }

  // Stops showing the technician's screen and tells the customer (`by`:
  // who ended it, for the protocol).
  void StopShowing(const std::string& by) {
    if (!run_ || !run_->grants.showing_my_screen)
      return;
    // Stop() returns once no frame is in flight, so the ViewSwitch below
    // is the last word on the link.
    if (run_->screen)
      run_->screen->Stop();
    run_->grants.showing_my_screen = false;
    if (EngineAlive()) {
      proto::PeerMessage message;
      message.mutable_view_switch()->set_show_supporter_screen(false);
      engine_->Send(std::move(message));
    }
    Record(ProtocolEvent::kViewSwitch, {{"showing", "no"}, {"by", by}});
    log::Info("view switch: stopped showing the technician's screen");
    observer_->OnGrantsChanged(run_->grants);
  }

  // ---- files ----------------------------------------------------------------

  void EndTransfer(Transfer& transfer,
                   FileTransfer::State state,
                   const std::string& message,
                   const std::string& result) {
    transfer.shown.state = state;
    transfer.shown.message = message;
    Record(ProtocolEvent::kFileDone,
           {{"name", transfer.shown.name},
            {"size", std::to_string(transfer.shown.size)},
            {"result", result}});
    observer_->OnTransfer(transfer.shown);
  }

  void OnFilePrepared(uint32_t file_id, Result<PreparedFile> prepared) {
    auto it = run_->transfers.find(file_id);
    if (it == run_->transfers.end() ||
        it->second.shown.state != FileTransfer::State::kAsking) {
      return;  // cancelled meanwhile
    }
    Transfer& transfer = it->second;
    if (!prepared) {
      run_->files->Cancel(file_id, "");
      transfer.shown.state = FileTransfer::State::kFailed;
      transfer.shown.message = prepared.error().message;
      observer_->OnTransfer(transfer.shown);
      return;
    }
    transfer.shown.name = prepared->name;
    transfer.shown.size = prepared->size;
    Record(ProtocolEvent::kFileOffered,
           {{"name", prepared->name},
            {"size", std::to_string(prepared->size)},
            {"sha256", Hex(prepared->sha256)}});
    const PreparedFile offer = *prepared;
    const bool asked = Ask(
        proto::PERMISSION_SEND_FILE, offer.name,
        [&](proto::ConsentRequest& request) {
          proto::FileOffer& file = *request.mutable_file();
          file.set_file_id(offer.file_id);
          file.set_name(offer.name);
          file.set_size(offer.size);
          file.set_sha256(offer.sha256.data(), offer.sha256.size());
        },
        file_id);
    // Ask() may have ended things (OnAnswer called back into the app).
    if (!run_)
      return;
    auto again = run_->transfers.find(file_id);
    if (again == run_->transfers.end())
      return;
    if (!asked) {
      run_->files->Cancel(file_id, "");
      EndTransfer(again->second, FileTransfer::State::kFailed,
                  "The file could not be offered.", "failed");
      return;
    }
    again->second.offered = true;
    again->second.shown.message = "Waiting for the customer's answer.";
    observer_->OnTransfer(again->second.shown);
  }

  void OnFileAccept(uint32_t file_id) {
    auto it = run_->transfers.find(file_id);
    if (it == run_->transfers.end() ||
        it->second.shown.state != FileTransfer::State::kAsking ||
        !it->second.offered) {
      return;
    }
    it->second.shown.state = FileTransfer::State::kSending;
    it->second.shown.message.clear();
    run_->files->Start(file_id);
    observer_->OnTransfer(it->second.shown);
  }

  void OnFileCancel(const proto::FileCancel& cancel) {
    auto it = run_->transfers.find(cancel.file_id());
    if (it == run_->transfers.end())
      return;
    Transfer& transfer = it->second;
    const std::string reason = Shown(cancel.reason());
    using State = FileTransfer::State;
    switch (transfer.shown.state) {
      case State::kRefused:
        // Refused without a prompt (too big, no download folder): the
        // reason follows the answer.
        if (!reason.empty()) {
          transfer.shown.message =
              "The customer's app refused the file: " + reason;
          observer_->OnTransfer(transfer.shown);
        }
        break;
      case State::kAsking:
      case State::kSending:
      case State::kDone:
        run_->files->Cancel(cancel.file_id(), "");
        EndTransfer(transfer, State::kFailed,
                    "The customer's side stopped the transfer" +
                        (reason.empty() ? std::string(".") : ": " + reason),
                    "failed");
        break;
      default:
        break;
    }
  }

  // ---- files from the customer ---------------------------------------------

  void SendFileCancel(uint32_t file_id, const std::string& reason) {
    proto::PeerMessage cancel;
    cancel.mutable_file_cancel()->set_file_id(file_id);
    cancel.mutable_file_cancel()->set_reason(reason);
    engine_->Send(std::move(cancel));
  }

  // The customer's file `file_id` while it is asked about or received.
  Transfer* Incoming(uint32_t file_id) {
    if (!run_)
      return nullptr;
    auto it = run_->transfers.find(file_id);
    if (it == run_->transfers.end() || !it->second.incoming)
      return nullptr;
    const auto state = it->second.shown.state;
    if (state != FileTransfer::State::kAsking &&
        state != FileTransfer::State::kSending) {
      return nullptr;
    }
    return &it->second;
  }

  void EndIncoming(Transfer& transfer,
                   FileTransfer::State state,
                   const std::string& message,
                   const std::string& result) {
    transfer.shown.state = state;
    transfer.shown.message = message;
    SessionProtocol::Fields fields = {
        {"direction", "from_customer"},
        {"name", transfer.shown.name},
        {"size", std::to_string(transfer.shown.size)},
        {"result", result}};
    if (!transfer.shown.saved_path.empty())
      fields.push_back({"path", transfer.shown.saved_path});
    Record(ProtocolEvent::kFileDone, fields);
    observer_->OnTransfer(transfer.shown);
  }

  void OnIncomingOffer(const proto::FileOffer& offer) {
    const uint32_t file_id = offer.file_id();
    // Only the customer's own id space, only once it agreed, never twice:
    // anything else gets a FileCancel and no row.
    if (run_->phase != Phase::kAgreed || !protocol::IsCustomerFileId(file_id)) {
      SendFileCancel(file_id, "files are taken only during an agreed session");
      return;
    }
    if (run_->transfers.contains(file_id))
      return;  // a duplicate: the first offer stands
    // A flood of offers must not become a flood of rows: a few wait for
    // an answer at a time, and a session takes a bounded number.
    size_t waiting = 0;
    size_t offered = 0;
    for (const auto& [id, t] : run_->transfers) {
      if (t.shown.direction != FileTransfer::Direction::kFromCustomer)
        continue;
      ++offered;
      if (t.shown.state == FileTransfer::State::kAsking)
        ++waiting;
    }
    if (waiting >= kMaxWaitingIncomingFiles ||
        offered >= kMaxIncomingFilesPerSession) {
      SendFileCancel(file_id, "too many files offered; wait for an answer");
      return;
    }
    Transfer& transfer = run_->transfers[file_id];
    transfer.shown.direction = FileTransfer::Direction::kFromCustomer;
    transfer.shown.file_id = file_id;
    transfer.shown.size = offer.size();
    auto checked =
        protocol::CheckFileOffer(offer, protocol::kDefaultMaxFileSize);
    if (!checked) {
      transfer.shown.name = Shown(CutUtf8(offer.name(), 200));
      SendFileCancel(file_id, checked.error().message);
      EndIncoming(transfer, FileTransfer::State::kRefused,
                  "The file was refused: " + checked.error().message,
                  "refused");
      return;
    }
    if (checked->name.changes != protocol::kNameChangeNone) {
      log::Info("incoming file: name sanitised ({})",
                protocol::DescribeNameChanges(checked->name.changes));
    }
    transfer.shown.name = checked->name.name;
    transfer.shown.message = "The customer offers this file.";
    Record(ProtocolEvent::kFileOffered,
           {{"direction", "from_customer"},
            {"name", checked->name.name},
            {"size", std::to_string(checked->size)},
            {"sha256", Hex(checked->sha256)}});
    transfer.incoming = *std::move(checked);
    observer_->OnTransfer(transfer.shown);
  }

  void AcceptFile(uint32_t file_id) override {
    Transfer* transfer = Incoming(file_id);
    if (transfer == nullptr ||
        transfer->shown.state != FileTransfer::State::kAsking) {
      return;
    }
    if (!run_->downloads) {
      auto downloads = OpenDownloads();
      if (!downloads) {
        SendFileCancel(file_id,
                       "the technician's download folder is not usable");
        EndIncoming(*transfer, FileTransfer::State::kFailed,
                    downloads.error().message, "failed");
        return;
      }
      run_->downloads = std::move(*downloads);
    }
    if (auto opened = run_->downloads->Open(*transfer->incoming); !opened) {
      SendFileCancel(file_id, opened.error().message);
      EndIncoming(*transfer, FileTransfer::State::kFailed,
                  opened.error().message, "failed");
      return;
    }
    proto::PeerMessage accept;
    accept.mutable_file_accept()->set_file_id(file_id);
    engine_->Send(std::move(accept));
    transfer->shown.state = FileTransfer::State::kSending;
    transfer->shown.message = "Saving to " + run_->downloads->destination();
    observer_->OnTransfer(transfer->shown);
  }

  void DeclineFile(uint32_t file_id) override {
    Transfer* transfer = Incoming(file_id);
    if (transfer == nullptr ||
        transfer->shown.state != FileTransfer::State::kAsking) {
      return;
    }
    SendFileCancel(file_id, "The technician declined the file.");
    EndIncoming(*transfer, FileTransfer::State::kRefused,
                "You declined the file.", "declined");
  }

  Result<std::unique_ptr<protocol::FileReceiver>> OpenDownloads() {
    const std::filesystem::path& dir = options_.config.download_dir;
    if (dir.empty())
      return MakeError("No download folder is set (download_dir).");
    // The technician's own folder: created when missing, like ~/Downloads
    // on a fresh account.
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    auto receiver = protocol::FileReceiver::Create({dir, 4});
    if (!receiver) {
      return MakeError("Files cannot be saved in " + dir.string() + ": " +
                       receiver.error().message);
    }
    return receiver;
  }

  void FailIncoming(Transfer& transfer, const std::string& why) {
    run_->downloads->Discard(transfer.shown.file_id);
    SendFileCancel(transfer.shown.file_id, why);
    EndIncoming(transfer, FileTransfer::State::kFailed,
                "The file could not be saved: " + why, "failed");
  }

  void OnIncomingChunk(const proto::FileChunk& chunk) {
    Transfer* transfer = Incoming(chunk.file_id());
    if (transfer == nullptr ||
        transfer->shown.state != FileTransfer::State::kSending) {
      return;  // not accepted (or already ended): nothing is written
    }
    auto written = run_->downloads->Write(
        chunk.file_id(), chunk.offset(),
        ByteSpan(reinterpret_cast<const uint8_t*>(chunk.data().data()),
                 chunk.data().size()));
    if (!written) {
      FailIncoming(*transfer, written.error().message);
      return;
    }
    transfer->shown.sent = chunk.offset() + chunk.data().size();
    // About a hundred updates per file, not one per chunk.
    const uint64_t step =
        std::max<uint64_t>(transfer->shown.size / 100, 256 * 1024);
    if (transfer->shown.sent - transfer->reported >= step) {
      transfer->reported = transfer->shown.sent;
      observer_->OnTransfer(transfer->shown);
    }
  }

  void OnIncomingDone(uint32_t file_id) {
    Transfer* transfer = Incoming(file_id);
    if (transfer == nullptr ||
        transfer->shown.state != FileTransfer::State::kSending) {
      return;
    }
    auto saved = run_->downloads->Finish(file_id);
    if (!saved) {
      // Finish() already deleted the temporary file.
      SendFileCancel(file_id, saved.error().message);
      EndIncoming(*transfer, FileTransfer::State::kFailed,
                  "The file could not be saved: " + saved.error().message,
                  "failed");
      return;
    }
    log::Info("incoming file: file {} saved ({} bytes)", file_id,
              transfer->shown.size);
    transfer->shown.sent = transfer->shown.size;
    transfer->shown.saved_path = *saved;
    EndIncoming(*transfer, FileTransfer::State::kDone, "Saved to " + *saved,
                "ok");
  }

  void OnIncomingCancel(const proto::FileCancel& cancel) {
    Transfer* transfer = Incoming(cancel.file_id());
    if (transfer == nullptr)
      return;
    if (run_->downloads)
      run_->downloads->Discard(cancel.file_id());
    const std::string reason = Shown(CutUtf8(cancel.reason(), 200));
    EndIncoming(*transfer, FileTransfer::State::kCancelled,
                "The customer stopped the transfer" +
                    (reason.empty() ? std::string(".") : ": " + reason),
                "cancelled");
  }

  void OnFileProgress(uint32_t file_id, uint64_t sent) {
    auto it = run_->transfers.find(file_id);
    if (it == run_->transfers.end() ||
        it->second.shown.state != FileTransfer::State::kSending) {
      return;
    }
    it->second.shown.sent = sent;
    observer_->OnTransfer(it->second.shown);
  }

  void OnFileFinished(uint32_t file_id, Result<void> result) {
    auto it = run_->transfers.find(file_id);
    if (it == run_->transfers.end() ||
        it->second.shown.state != FileTransfer::State::kSending) {
      return;
    }
    if (result) {
      it->second.shown.sent = it->second.shown.size;
      EndTransfer(it->second, FileTransfer::State::kDone, "", "sent");
    } else {
      EndTransfer(it->second, FileTransfer::State::kFailed,
                  "The file could not be sent: " + result.error().message,
                  "failed");
    }
  }

  // ---- video ----------------------------------------------------------------

  void OnVideoFrame(proto::VideoFrame frame) {
    if (run_->recording) {
      if (!run_->recorder) {
        std::filesystem::path base =
            run_->protocol ? run_->protocol->json_path()
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
        Record(ProtocolEvent::kRecordingStarted, {{"path", path}});
        observer_->OnRecording(true, path);
      }
      run_->recorder->Add(frame);
    }
    run_->video->Receive(std::move(frame));
  }

  void StartParts() {
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

  void SendTerms() {
    proto::PeerMessage terms;
    proto::SessionTerms& t = *terms.mutable_terms();
    t.set_technician_name(display_name_);
    t.set_organisation(organisation_);
    t.set_terms_text(terms_text_);
    t.set_recording(run_->recording);
    if (!engine_->Send(std::move(terms)))
      log::Warn("session: the terms could not be sent");
  }

  // ---- PeerSession::Observer (app thread, through Post) -------------------

  void OnStateChanged(SessionState state) override {
    // kEnded is decided in OnEnded: the sign-in may outlive the connection.
    if (state != SessionState::kEnded)
      ReportState(state);
  }

  void OnRelayHello(const proto::HelloAck& hello) override {
    organisation_ = Shown(hello.organisation());
    // The customer shows the relay's own terms; ours only stand in when it
    // has none, and must stay under the customer's limit.
    terms_text_ = CutUtf8(hello.support_terms(), kMaxTermsBytes);
  }

  void OnLoginResult(const proto::LoginResult& result) override {
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

  void OnChangePasswordResult(
      const proto::ChangePasswordResult& result) override {
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

  void OnSessionCreated(const proto::SessionCreated& created) override {
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
    OpenProtocol();
    const auto& relay = options_.config.relay;
    Record(ProtocolEvent::kSessionStarted,
           {{"code", run_->code},
            {"technician", display_name_},
            {"relay", relay.host + ":" + std::to_string(relay.port)}});
    observer_->OnCode(run_->code, run_->expires);
  }

  void OnJoinRequest(const proto::JoinRequest& request) override {
    if (!run_ || run_->phase != Phase::kCodeIssued ||
        request.code() != run_->code) {
      log::Warn("session: a join request for no waiting code");
      return;
    }
    run_->phase = Phase::kJoinRequested;
    const std::string host = Shown(request.host_name());
    const std::string user = Shown(request.user_name());
    const std::string address = Shown(request.source_address());
    Record(ProtocolEvent::kCustomerJoined,
           {{"host", host}, {"user", user}, {"address", address}});
    observer_->OnJoinRequest(host, user, address);
  }

  void OnRelayError(const proto::ErrorReply& error) override {
    const std::string text = protocol::CleanRelayText(error.message());
    if (error.code() == proto::ErrorReply::CODE_INVALID_CODE &&
        expired_cancels_ > 0) {
      --expired_cancels_;
      return;
    }
    if (run_ && run_->phase == Phase::kAwaitingCode) {
      // CreateSession refused: too many codes waiting, an auditor account.
      CloseRun({proto::END_REASON_UNSPECIFIED,
                text.empty() ? "The relay did not give a code." : text, false,
                false},
               /*notify=*/true);
      return;
    }
    observer_->OnNotice(text.empty() ? "The relay refused a request." : text);
  }

  void OnSecured(const std::string& sas) override {
    if (!run_ || run_->phase != Phase::kAccepted) {
      log::Warn("session: secured without an accepted customer");
      return;
    }
    run_->phase = Phase::kSecured;
    StartParts();
    Record(ProtocolEvent::kSasShown, {{"sas", sas}});
    // Shown first: the technician reads it out while the terms travel.
    observer_->OnSas(sas);
    if (run_ && run_->phase == Phase::kSecured)
      SendTerms();
  }

  void OnMessage(proto::PeerMessage message) override {
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
        Record(ProtocolEvent::kTermsAnswered,
               {{"agreed", agreed ? "yes" : "no"}});
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
        Record(ProtocolEvent::kEmergencyStop);
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
            list.begin() +
                std::min(list.size(), static_cast<int>(kMaxMonitors)));
        for (proto::Monitor& monitor : monitors)
          monitor.set_name(Shown(monitor.name()));
        observer_->OnMonitors(monitors);
        break;
      }
      case M::kChat: {
        if (run_->phase != Phase::kAgreed)
          break;
        const std::string text = CutUtf8(message.chat().text(), kMaxChatBytes);
        Record(ProtocolEvent::kChat, {{"from", "customer"}, {"text", text}});
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

  void OnEnded(const SessionEnd& end) override {
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

  SupporterSession::Options options_;
  AppObserver* const observer_;
  // Reset first thing in the destructor: tasks posted before find it gone.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  const std::weak_ptr<int> weak_alive_ = alive_;

  std::unique_ptr<PeerSession> engine_;
  bool engine_ended_ = false;
  bool signed_in_on_engine_ = false;
  bool sign_in_started_ = false;
  bool must_change_password_ = false;
  std::optional<SessionState> reported_state_;

  // The last successful sign-in, for the next session's connection, and
  // the one being tried. Wiped when replaced and at the end.
  bool have_credentials_ = false;
  std::string user_;
  crypto::SecretBytes password_;
  std::string candidate_user_;
  crypto::SecretBytes candidate_password_;
  crypto::SecretBytes new_password_;
  std::string display_name_;

  std::string organisation_;
  std::string terms_text_;
  bool record_next_ = false;
  int expired_cancels_ = 0;
  bool unexpected_logged_ = false;

  std::unique_ptr<Run> run_;
  uint64_t run_serial_ = 0;
  std::filesystem::path protocol_path_;
  TimerThread ticker_;
};

}  // namespace

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
