#pragma once

// The one SupporterSession (supporter_session.h): the engine (supporter
// role) and, per support session, the parts it switches: the video
// receiver (decode thread), the recording writer (recording thread), the
// file sender (worker thread) and the session log. Everything here
// runs on the app thread; the parts' threads hand results over through
// Post(). Its member functions live in three files, one job each:
//   supporter_session.cc           sign-in, a support session from code to
//                                  end, the engine's events, video
//   supporter_session_requests.cc  consent requests and answers, grants,
//                                  chat, clipboard, input, view switch
//   supporter_session_files.cc     files to and from the customer
// Internal to supporter-app/core: only those three include this header.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/timer_thread.h"
#include "crypto/secure_memory.h"
#include "protocol/file_receiver.h"
#include "protocol/file_sender.h"
#include "protocol/session_end.h"
#include "streaming/screen_sender.h"
#include "streaming/video_receiver.h"
#include "supporter-app/core/recording_writer.h"
#include "supporter-app/core/session_log.h"
#include "supporter-app/core/supporter_session.h"

namespace tether::supporter {

using protocol::FileSender;
using protocol::PeerSession;
using protocol::PreparedFile;
using protocol::SessionEnd;
using protocol::SessionState;

// The customer's limits (customer-app/core/customer_policy.h): larger
// messages would only be refused there.
inline constexpr size_t kMaxChatBytes = 16 * 1024;
inline constexpr size_t kMaxNameBytes = 200;

// Text from the other side made printable and cut to a name's length.
std::string Shown(std::string_view text);

class SupporterSessionImpl final : public SupporterSession,
                                   private PeerSession::Observer {
 public:
  using AppObserver = SupporterSession::Observer;

  SupporterSessionImpl(SupporterSession::Options options, AppObserver* observer)
      : options_(std::move(options)), observer_(observer) {}

  ~SupporterSessionImpl() override;

  void Init();

  // ---- sign-in --------------------------------------------------------------

  void SignIn(std::string user,
              std::string password,
              std::string totp) override;

  void ChangePassword(std::string current, std::string next) override;

  void SignOut() override;

  // ---- the support session ------------------------------------------------

  void NewSession() override;

  void CancelCode() override;

  void Accept() override;

  void Reject() override;

  void RequestView(const proto::ViewTarget& target) override;

  void RequestControl() override;

  void RequestClipboard() override;

  void RequestViewSwitch() override;

  void ShowMyScreen(bool on) override;

  Result<uint32_t> SendFile(const std::filesystem::path& path) override;

  void CancelFile(uint32_t file_id) override;

  void SendChat(std::string text) override;

  void SendClipboard(std::string text) override;

  void SendInput(proto::InputEvent event) override;

  void GiveBackControl() override;

  void RecordNextSession(bool on) override { record_next_ = on; }

  void End() override;

  CustomerGrants grants() const override;

  std::filesystem::path session_log_path() const override;

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
    bool view_only = false;  // the customer said its side takes no input
    CustomerGrants grants;
    uint32_t next_request_id = 1;
    std::map<uint32_t, PendingRequest> requests;
    uint32_t next_file_id = 1;
    std::map<uint32_t, Transfer> transfers;
    uint64_t input_dropped = 0;
    std::unique_ptr<SessionLog> session_log;
    bool session_log_failed = false;
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
  void Post(std::function<void()> task);

  // Runs `task` on the app thread if the support session `serial` is still
  // the current one.
  void PostToRun(uint64_t serial, std::function<void(Run&)> task);

  bool EngineAlive() const { return engine_ != nullptr && !engine_ended_; }

  Result<void> StartEngine();

  void ReportState(SessionState state);

  void Tick();

  // ---- the session log -----------------------------------------------

  void Record(SessionLogEvent event, const SessionLog::Fields& fields = {});

  void OpenSessionLog();

  // ---- ending a support session --------------------------------------------

  // Stops the session's threads, completes its record, and (with
  // `notify`) tells the app. run_ is null before the app hears OnEnded, so
  // the app may start the next session from inside it.
  void CloseRun(SessionEnd end, bool notify);

  // ---- requests -------------------------------------------------------------

  // Sends a ConsentRequest; false (and OnAnswer(false)) when it cannot go.
  bool Ask(proto::Permission permission,
           const std::string& detail,
           const std::function<void(proto::ConsentRequest&)>& fill = {},
           uint32_t file_id = 0);

  void OnConsentAnswer(const proto::ConsentAnswer& answer);

  void OnRevoke(proto::Permission permission);

  // Stops showing the technician's screen and tells the customer (`by`:
  // who ended it, for the protocol).
  void StopShowing(const std::string& by);

  // ---- files ----------------------------------------------------------------

  void EndTransfer(Transfer& transfer,
                   FileTransfer::State state,
                   const std::string& message,
                   const std::string& result);

  void OnFilePrepared(uint32_t file_id, Result<PreparedFile> prepared);

  void OnFileAccept(uint32_t file_id);

  void OnFileCancel(const proto::FileCancel& cancel);

  // ---- files from the customer ---------------------------------------------

  void SendFileCancel(uint32_t file_id, const std::string& reason);

  // The customer's file `file_id` while it is asked about or received.
  Transfer* Incoming(uint32_t file_id);

  void EndIncoming(Transfer& transfer,
                   FileTransfer::State state,
                   const std::string& message,
                   const std::string& result);

  void OnIncomingOffer(const proto::FileOffer& offer);

  void AcceptFile(uint32_t file_id) override;

  void DeclineFile(uint32_t file_id) override;

  Result<std::unique_ptr<protocol::FileReceiver>> OpenDownloads();

  void FailIncoming(Transfer& transfer, const std::string& why);

  void OnIncomingChunk(const proto::FileChunk& chunk);

  void OnIncomingDone(uint32_t file_id);

  void OnIncomingCancel(const proto::FileCancel& cancel);

  void OnFileProgress(uint32_t file_id, uint64_t sent);

  void OnFileFinished(uint32_t file_id, Result<void> result);

  // ---- video ----------------------------------------------------------------

  void OnVideoFrame(proto::VideoFrame frame);

  void StartParts();

  void SendTerms();

  // ---- PeerSession::Observer (app thread, through Post) -------------------

  void OnStateChanged(SessionState state) override;

  void OnRelayHello(const proto::HelloAck& hello) override;

  void OnLoginResult(const proto::LoginResult& result) override;

  void OnChangePasswordResult(
      const proto::ChangePasswordResult& result) override;

  void OnSessionCreated(const proto::SessionCreated& created) override;

  void OnJoinRequest(const proto::JoinRequest& request) override;

  void OnRelayError(const proto::ErrorReply& error) override;

  void OnSecured(const std::string& sas) override;

  void OnMessage(proto::PeerMessage message) override;

  void OnEnded(const SessionEnd& end) override;

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
  std::filesystem::path session_log_path_;
  TimerThread ticker_;
};

}  // namespace tether::supporter
