#pragma once

// The technician's side of one sign-in and its support sessions: the facade
// the supporter console (supporter-app/ui) drives and tests drive headless.
// It signs in (password, TOTP, the forced first password change), opens a
// session (code + expiry), answers the join, shows the SAS, asks the
// customer for each permission and reports the answer, receives and
// decodes the screen off the UI thread, turns the view's input into
// InputEvents, sends files and chat, records the session log (and,
// when switched on, the video as WebM), and ends.
//
// Threads: construct, call and destroy on the app's thread (the one
// `deliver` posts to); every Observer call comes on it too. Network,
// decoding and recording run on threads this class owns. A decoded picture
// is handed over as a ready, immutable image; when the UI is slower than
// the stream, stale pictures are dropped, never queued.
//
// One support session at a time: it begins with NewSession() and ends with
// exactly one OnEnded() (customer or technician ended it, the code was
// withdrawn, rejected or expired, the connection was lost). The relay closes
// the connection with the session, so the next NewSession() connects and
// signs in again with the credentials of the last successful SignIn(), kept
// in wiped memory until SignOut() or destruction. An account with a second
// factor then asks again (OnSignIn: kTotpRequired).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "desktop/desktop_frame.h"
#include "protocol/peer_session.h"
#include "streaming/video_receiver.h"

namespace tether::supporter {

struct SupporterConfig {
  protocol::RelayEndpoint relay;
  std::string user_name;  // remembered for the sign-in form
  // Where the session log (and recordings) go; default
  // ~/Documents/Tether sessions.
  std::filesystem::path protocol_dir;
  // The technician's own X display, shown with ShowMyScreen(); empty:
  // $DISPLAY.
  std::string display;
  // Files the customer sends, once accepted; default ~/Downloads.
  std::filesystem::path download_dir;
  // Loads `tether-supporter.toml` (beside the binary, ~/.config/tether/,
  // or `path`); fields the file does not set keep their defaults.
  // Size-limited, strict parser.
  static Result<SupporterConfig> Load(const std::string& path);
};

enum class SignInStatus {
  kSignedIn,
  kWrongCredentials,        // user, password or TOTP code: one answer
  kTotpRequired,            // ask for the 6-digit code, then SignIn again
  kPasswordChangeRequired,  // ask for a new one, then ChangePassword
  kThrottled,               // retry_after says when
  kLocked,                  // an admin must unlock
  kDisabled,
  kUnreachable,      // no connection to the relay (message says why)
  kServerUntrusted,  // the relay's certificate is not the configured one
  kRelayOutdated,    // the relay does not speak TLS 1.3; IT must update it
  kRelayError,       // the relay could not check the sign-in
};

struct SignInResult {
  SignInStatus status = SignInStatus::kWrongCredentials;
  std::string display_name;
  std::chrono::seconds retry_after{0};
  std::string message;  // one plain sentence for the form
};

// What the customer allowed, as the technician's app knows it.
struct CustomerGrants {
  bool viewing = false;
  bool control = false;
  bool clipboard = false;
  bool view_switch = false;  // the customer may watch the technician's screen
  // ShowMyScreen(true) is on: the customer sees the technician's screen now
  // (not a grant, but it changes with them and the toolbar shows it).
  bool showing_my_screen = false;
};

// One decoded picture of the customer's screen (or the part being shown).
// The pictures and numbers of the customer's screen (streaming/).
using streaming::RemotePicture;
using streaming::VideoStats;

struct FileTransfer {
  // Files the technician sends, and files the customer offers (they have
  // their own id space: protocol::kCustomerFileIdBit).
  enum class Direction { kToCustomer, kFromCustomer };
  Direction direction = Direction::kToCustomer;
  uint32_t file_id = 0;
  std::string name;
  uint64_t size = 0;
  uint64_t sent = 0;  // from the customer: received so far
  // From the customer: kAsking waits for AcceptFile/DeclineFile, kSending
  // is receiving, kRefused is declined (or refused by the checks).
  enum class State { kAsking, kSending, kDone, kRefused, kFailed, kCancelled };
  State state = State::kAsking;
  std::string message;     // why it failed or was cancelled
  std::string saved_path;  // from the customer, once saved
};

class SupporterSession {
 public:
  class Observer {
   public:
    virtual ~Observer() = default;
    virtual void OnStateChanged(protocol::SessionState /*state*/) {}
    virtual void OnSignIn(const SignInResult& /*result*/) {}
    virtual void OnPasswordChanged(bool /*ok*/,
                                   const std::string& /*message*/) {}
    virtual void OnCode(const std::string& /*code*/,
                        std::chrono::system_clock::time_point /*expires*/) {}
    // Somebody typed the code: Accept or Reject.
    virtual void OnJoinRequest(const std::string& /*host_name*/,
                               const std::string& /*user_name*/,
                               const std::string& /*address*/) {}
    virtual void OnSas(const std::string& /*sas*/) {}
    // The customer confirmed the SAS and agreed to the terms (or refused).
    virtual void OnCustomerAgreed(bool /*agreed*/) {}
    // The customer's side takes no input (a browser): control cannot be
    // asked for in this session. Before OnCustomerAgreed(true).
    virtual void OnViewOnly() {}
    virtual void OnMonitors(const std::vector<proto::Monitor>& /*monitors*/) {}
    virtual void OnGrantsChanged(const CustomerGrants& /*grants*/) {}
    // The answer to Request*(), with what was asked.
    virtual void OnAnswer(proto::Permission /*permission*/, bool /*granted*/) {}
    // The newest picture; earlier ones not yet shown were dropped.
    virtual void OnPicture(const RemotePicture& /*picture*/) {}
    virtual void OnCursor(const proto::CursorPosition& /*position*/) {}
    virtual void OnStats(const VideoStats& /*stats*/) {}
    virtual void OnChat(const std::string& /*text*/, bool /*from_me*/) {}
    virtual void OnTransfer(const FileTransfer& /*transfer*/) {}
    virtual void OnRecording(bool /*on*/, const std::string& /*path*/) {}
    // Something the technician should know that does not end the session:
    // the protocol or the recording cannot be written, the relay refused
    // a request. One plain sentence.
    virtual void OnNotice(const std::string& /*message*/) {}
    // The last call for this support session (the sign-in may continue:
    // NewSession() again). `end.message` is shown as is.
    virtual void OnEnded(const protocol::SessionEnd& end) = 0;
  };

  struct Options {
    SupporterConfig config;
    std::function<void(std::function<void()>)> deliver;
    // When the code expires and what chat messages are stamped with; tests
    // pass a ManualClock. Must outlive the session.
    const Clock* clock = &Clock::System();
  };

  static Result<std::unique_ptr<SupporterSession>> Start(Options options,
                                                         Observer* observer);
  virtual ~SupporterSession() = default;
  SupporterSession(const SupporterSession&) = delete;
  SupporterSession& operator=(const SupporterSession&) = delete;

  // Sign-in. `totp` empty until OnSignIn says kTotpRequired. An empty
  // `password` for the same `user` reuses the one given before (the TOTP
  // step, and signing in again for the next session). OnSignIn follows.
  virtual void SignIn(std::string user,
                      std::string password,
                      std::string totp) = 0;
  // After kPasswordChangeRequired; an empty `current` is the password just
  // signed in with. OnPasswordChanged, then OnSignIn(kSignedIn), follow.
  virtual void ChangePassword(std::string current, std::string next) = 0;
  // Ends any support session, closes the connection and forgets the
  // credentials.
  virtual void SignOut() = 0;

  // A new support session: OnCode follows (ignored while one is going
  // on). CancelCode() withdraws it before a customer was accepted (OnEnded
  // follows). A code that expires unused ends the session too.
  virtual void NewSession() = 0;
  virtual void CancelCode() = 0;
  virtual void Accept() = 0;
  virtual void Reject() = 0;

  // Each asks the customer; OnAnswer follows (or OnEnded).
  virtual void RequestView(const proto::ViewTarget& target) = 0;
  virtual void RequestControl() = 0;
  virtual void RequestClipboard() = 0;
  virtual void RequestViewSwitch() = 0;
  // Once the customer allowed the view switch: starts (or stops) showing
  // the technician's own display (SupporterConfig::display) to the
  // customer. Recorded in the session log; OnGrantsChanged reports
  // showing_my_screen. Ignored (OnNotice says why) without the grant. It
  // stops by itself when the customer revokes the switch or the display
  // cannot be captured.
  virtual void ShowMyScreen(bool on) = 0;
  // Offers a file (the customer is asked per file); OnTransfer reports.
  // The file is read (hashed, then sent) on a worker thread. An error
  // (not a file, unreadable, no session) comes back at once.
  virtual Result<uint32_t> SendFile(const std::filesystem::path& path) = 0;
  // Either direction: stops the transfer (a file from the customer is
  // deleted, the customer is told).
  virtual void CancelFile(uint32_t file_id) = 0;
  // A file the customer offered (OnTransfer, kFromCustomer, kAsking): save
  // it in SupporterConfig::download_dir (temporary file, SHA-256 checked,
  // renamed only when complete, never replacing), or decline it.
  virtual void AcceptFile(uint32_t file_id) = 0;
  virtual void DeclineFile(uint32_t file_id) = 0;
  virtual void SendChat(std::string text) = 0;
  virtual void SendClipboard(std::string text) = 0;
  // Input from the view, already in remote desktop coordinates (see
  // input_mapper.h); dropped unless the customer granted control.
  virtual void SendInput(proto::InputEvent event) = 0;
  virtual void GiveBackControl() = 0;

  // Recording of the received stream to WebM in the protocol folder. The
  // customer is told (SessionTerms.recording), so switch it on before the
  // session starts: RecordNextSession(true).
  virtual void RecordNextSession(bool on) = 0;

  virtual void End() = 0;

  virtual CustomerGrants grants() const = 0;
  // The session log file (JSON lines) of the current/last session.
  virtual std::filesystem::path session_log_path() const = 0;

 protected:
  SupporterSession() = default;
};

}  // namespace tether::supporter
