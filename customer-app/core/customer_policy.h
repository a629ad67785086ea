#pragma once

// The customer's side of every promise, as a state machine: what the
// technician may do right now, decided only by the customer's answers and
// enforced whatever the technician's app sends. No I/O, no threads, an
// injected clock; the session wires its decisions to the capturer, the
// input gate, the file receiver and the engine (PolicyActions).
//
// Order of a session:
//   1. the relay reports the technician accepted the join (OnJoined),
//   2. the E2E channel is up (OnSecured: the SAS),
//   3. the technician's SessionTerms arrive: one TermsPrompt (SAS + terms).
//      "No" ends the session; nothing was shared.
//   4. every permission is its own prompt (AskPermission) and its own
//      grant: the view (whole desktop, one monitor, one window), remote
//      control, each file, the clipboard, the view switch. Each answer is
//      sent back (ConsentAnswer) and written into the receipt.
// Until step 3 is answered "yes", every message but SessionTerms is
// refused. Anything not granted is refused, counted, and logged once per
// kind (never its content). One prompt is open at a time; a few more wait
// in a short queue; beyond that (or a duplicate of one waiting) requests
// are refused at once, so a flood of requests never opens a flood of
// dialogs. Remote control can be taken back at any time, and is turned off
// when the technician starts showing their own screen.
//
// Threads: one (the session's app thread); ConsentProvider answers come on
// it too.

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "crypto/digest.h"
#include "customer-app/core/consent_provider.h"
#include "customer-app/core/customer_session.h"
#include "customer-app/core/file_transfers.h"
#include "protocol/file_receiver.h"
#include "protocol/peer.pb.h"

namespace tether::customer {

// Why a message from the technician was refused.
enum class Refusal {
  kBeforeAgreement,      // before the customer confirmed the SAS/terms
  kInputWithoutControl,  // InputEvent without a control grant
  kInputDuringPrompt,    // InputEvent while a consent prompt is open
  kInvalidInput,         // an InputEvent that makes no sense
  kFileNotAccepted,      // chunk/done/cancel for a file not allowed
  kFileFailed,           // an allowed file could not be received
  kClipboardWithoutGrant,
  kViewSwitchWithoutGrant,
  kVideoWithoutViewSwitch,  // technician's frames while not switched
  kInvalidRequest,          // a consent request that makes no sense
  kTooManyRequests,         // prompt queue full, or a duplicate request
  kNotForCustomer,          // messages only the customer sends
  kUnknownMessage,          // empty or unknown message
  kTooLarge,                // chat, clipboard or terms over their limit
  kAskedTooOften,           // a kind of request the customer kept refusing
  kChatTooFast,             // chat or clipboard faster than a person writes
};
inline constexpr size_t kRefusalKinds = 16;
const char* RefusalName(Refusal refusal);
// “text”: how the receipt quotes names and titles.
std::string Quoted(const std::string& text);

struct PolicyLimits {
  // Prompts waiting behind the open one.
  size_t max_queued_prompts = 3;
  // After the customer said no this many times to one kind of request
  // (viewing, control, files, ...), further ones are refused unasked: a
  // technician cannot wear the customer down with prompts.
  uint32_t max_refusals_per_permission = 3;
  uint64_t max_file_size = protocol::kDefaultMaxFileSize;
  size_t max_chat_bytes = 16 * 1024;
  // Chat and clipboard text from the technician (both land in the panel):
  // a burst of this many, then one per `chat_interval`. Whatever the technician
  // sends waits in front of the customer's panel (and its STOP button) in the
  // UI thread's queue, so its rate is bounded, not only its size.
  uint32_t chat_burst = 10;
  std::chrono::milliseconds chat_interval{500};
  size_t max_clipboard_bytes = 1024 * 1024;
  size_t max_input_text_bytes = 4096;
  size_t max_terms_bytes = 64 * 1024;
  size_t max_name_bytes = 200;
  // The technician's app sends its SessionTerms right after the channel is
  // up. If none come within this time, the customer is asked anyway, with
  // the relay's terms: the code check never waits on the other side.
  std::chrono::milliseconds terms_wait{5000};
};

// What the policy asks the session to do. Called on the policy's thread.
class PolicyActions {
 public:
  virtual ~PolicyActions() = default;
  // One message to the technician's app.
  virtual void Send(proto::PeerMessage message) = 0;
  // "your whole screen", "monitor 2 (HDMI-1)", "the window “a.pdf”"; an
  // error when there is no such monitor or window.
  virtual Result<std::string> DescribeView(const proto::ViewTarget& target) = 0;
  // Start (or switch to) sending `target`; StopView() stops at once.
  virtual void StartView(const proto::ViewTarget& target) = 0;
  virtual void StopView() = 0;
  // The input gate's switch; turned off before the policy tells anyone.
  virtual void SetControl(bool enabled) = 0;
  // Only ever called while remote control is granted.
  virtual void Inject(const proto::InputEvent& event) = 0;
  // A consent prompt is about to open: input already queued or being typed
  // must not reach it (the technician could otherwise click "Allow" for
  // the customer). Called before the prompt shows; input that arrives while
  // it is open is refused by the policy itself.
  virtual void PromptOpening() = 0;
  // Whether the desktop's own dialog asks the customer too once they
  // allowed viewing or control (Wayland's portal): the prompt says so.
  virtual bool DesktopAsksToo() const { return false; }
  virtual void FrameAcked(const proto::FrameAck& /*ack*/) {}
  virtual void KeyFrameRequested() {}
  // A frame of the technician's screen; only ever called while the
  // customer watches it (view switch on). The end of the switch shows in
  // GrantsChanged (viewing_technician).
  virtual void TechnicianFrame(const proto::VideoFrame& /*frame*/) {}
  // The customer confirmed the SAS and accepted the terms.
  virtual void SessionAccepted() {}
  virtual void ShowChat(const std::string& text) = 0;
  virtual void SetClipboard(const std::string& text) = 0;
  virtual void GrantsChanged(const Grants& grants) = 0;
  virtual void FileFinished(const std::string& path,
                            bool ok,
                            const std::string& message) = 0;
  // The customer's own file `file_id` was accepted by the technician: start
  // its chunks.
  virtual void StartSendingFile(uint32_t /*file_id*/) {}
  // Stop sending `file_id` (declined, cancelled, the session ended); with a
  // non-empty `cancel_reason` the technician is told (FileCancel).
  virtual void StopSendingFile(uint32_t /*file_id*/,
                               const std::string& /*cancel_reason*/,
                               SentFile::State /*state*/,
                               const std::string& /*message*/) {}
  // The policy ends the session (the customer said no).
  virtual void EndSession(proto::EndReason reason,
                          const std::string& message) = 0;
};

class CustomerPolicy {
 public:
  enum class Phase {
    kConnecting,     // not secured yet
    kAwaitingTerms,  // secured; the technician's SessionTerms not yet here
    kTermsPrompt,    // the customer is reading the SAS and the terms
    kActive,         // agreed; permissions are asked one by one
    kEnded,
  };

  // `files` may be null: file offers are then refused with the reason.
  CustomerPolicy(const Clock& clock,
                 ConsentProvider& consent,
                 PolicyActions& actions,
                 protocol::FileSink* files,
                 PolicyLimits limits = {});
  ~CustomerPolicy();  // closes open prompts
  CustomerPolicy(const CustomerPolicy&) = delete;
  CustomerPolicy& operator=(const CustomerPolicy&) = delete;

  // From the engine. The relay's organisation and support terms (set by
  // IT) are what the first prompt shows; the technician's SessionTerms only
  // stand in for what the relay left empty.
  void OnRelayHello(const std::string& organisation, const std::string& terms);
  void OnJoined(const std::string& technician, const std::string& organisation);
  void OnSecured(const std::string& sas);
  void OnMessage(const proto::PeerMessage& message);
  void OnEnded(const std::string& message);
  // Call at (or after) terms_deadline(): asks the customer with the relay's
  // terms when the technician's app sent none.
  void Tick();
  std::optional<Clock::SteadyTime> terms_deadline() const;
  // The allowed view cannot be captured (display gone, window closed), or
  // the customer cancelled the desktop's own sharing dialog (a declined
  // error: a refusal): the view ends, the technician is told (Revoke), the
  // receipt says why.
  void ViewFailed(const Error& error);
  // The allowed control cannot be used (Wayland: the desktop's dialog was
  // cancelled or interaction not allowed, the desktop has no remote
  // desktop service): control ends as ViewFailed ends the view.
  void ControlFailed(const Error& error);
  // The technician's screen cannot be shown (its frames keep failing to
  // decode: a broken or hostile app): the view switch ends and is taken
  // back like the customer's own "Stop showing", the receipt says why.
  void TechnicianScreenFailed(const std::string& reason);

  // From the customer.
  void Revoke(proto::Permission permission);
  void EmergencyStop();
  // False (and nothing sent) before the customer agreed or after the end.
  bool SendChat(const std::string& text);
  // The customer's own file, read and hashed: offers it to the technician
  // (FileOffer, no prompt: the customer chose it). False (nothing sent)
  // before the customer agreed, after the end, or for an id outside the
  // customer's id space (protocol::kCustomerFileIdBit) or already used.
  bool OfferFile(uint32_t file_id,
                 const std::string& name,
                 uint64_t size,
                 const crypto::Sha256Digest& sha256);
  // The customer stops sending `file_id` (StopSendingFile follows).
  void CancelOutgoingFile(uint32_t file_id);
  // The sender finished `file_id`: FileDone went out (ok) or reading failed.
  void OutgoingFileFinished(uint32_t file_id, bool ok, const std::string& why);

  Phase phase() const { return phase_; }
  Grants grants() const;
  const std::vector<ReceiptEntry>& receipt() const { return receipt_; }
  uint64_t refused(Refusal refusal) const {
    return refusals_[static_cast<size_t>(refusal)];
  }
  uint64_t refused_total() const;
  bool prompt_open() const { return open_.has_value() || terms_open_; }
  size_t queued_prompts() const { return queue_.size(); }
  const std::string& technician() const { return technician_; }

 private:
  struct Pending {
    uint64_t serial = 0;
    uint32_t request_id = 0;
    proto::Permission permission = proto::PERMISSION_UNSPECIFIED;
    proto::ViewTarget view;
    std::string description;  // for the receipt: "see your whole screen"
    std::optional<protocol::IncomingFile> file;
    PermissionPrompt prompt;
    bool cancelled = false;  // the technician withdrew the file meanwhile
  };

  void HandleTerms(const proto::SessionTerms& terms);
  void AskTerms();
  void OnTermsAnswer(bool accepted);
  void HandleConsentRequest(const proto::ConsentRequest& request);
  // False when the technician's chat goes faster than the bucket allows.
  bool TakeChatToken();
  void OpenNextPrompt();
  void OnPermissionAnswer(uint64_t serial, bool granted);
  void Apply(const Pending& pending);
  void HandleRevoke(proto::Permission permission, bool by_customer);
  void HandleInput(const proto::InputEvent& event);
  void HandleFileCancel(uint32_t file_id);
  void HandleViewSwitch(const proto::ViewSwitch& view_switch);
  void ControlOff();
  void EverythingOff();
  void Answer(uint32_t request_id, bool granted);
  void Refuse(Refusal refusal);
  void Record(std::string text);
  void NotifyGrants();
  void LogSummary() const;
  std::string Technician() const;

  const Clock& clock_;
  ConsentProvider& consent_;
  PolicyActions& actions_;
  PolicyLimits limits_;
  // Answers captured before the destructor find this gone and do nothing.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);

  Phase phase_ = Phase::kConnecting;
  std::string technician_;
  std::string organisation_;
  std::string sas_;
  Clock::SteadyTime secured_at_{};
  std::string relay_organisation_;
  std::string relay_terms_;
  std::optional<proto::SessionTerms> terms_;
  bool terms_open_ = false;

  std::optional<Pending> open_;
  std::deque<Pending> queue_;
  uint64_t next_serial_ = 1;

  bool viewing_ = false;
  proto::ViewTarget view_;
  bool control_ = false;
  bool clipboard_ = false;
  bool view_switch_allowed_ = false;
  bool viewing_technician_ = false;
  FileTransfers transfers_;

  std::array<uint64_t, kRefusalKinds> refusals_{};
  // Token bucket for the technician's chat (PolicyLimits::chat_burst).
  double chat_tokens_ = -1;  // -1: full, set at the first message
  Clock::SteadyTime chat_refilled_{};
  // How often the customer said no, per proto::Permission.
  std::map<int, uint32_t> said_no_;
  std::vector<ReceiptEntry> receipt_;
};

}  // namespace tether::customer
