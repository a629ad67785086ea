#include "customer-app/core/customer_policy.h"

#include <algorithm>
#include <utility>

#include "base/log.h"
#include "protocol/file_sender.h"

namespace tether::customer {
namespace {

const char* PermissionName(proto::Permission permission) {
  switch (permission) {
    case proto::PERMISSION_VIEW_SCREEN:
      return "view screen";
    case proto::PERMISSION_REMOTE_CONTROL:
      return "remote control";
    case proto::PERMISSION_SEND_FILE:
      return "send file";
    case proto::PERMISSION_CLIPBOARD:
      return "clipboard";
    case proto::PERMISSION_VIEW_SWITCH:
      return "view switch";
    default:
      return "unknown";
  }
}

bool KnownPermission(proto::Permission permission) {
  return permission >= proto::PERMISSION_VIEW_SCREEN &&
         permission <= proto::PERMISSION_VIEW_SWITCH;
}

// "1234 56" style for people: "482 913".
std::string SpacedSas(const std::string& sas) {
  if (sas.size() != 6)
    return sas;
  return sas.substr(0, 3) + " " + sas.substr(3);
}

bool SameView(const proto::ViewTarget& a, const proto::ViewTarget& b) {
  if (a.target_case() != b.target_case())
    return false;
  switch (a.target_case()) {
    case proto::ViewTarget::kMonitorIndex:
      return a.monitor_index() == b.monitor_index();
    case proto::ViewTarget::kWindowId:
      return a.window_id() == b.window_id();
    default:
      return true;
  }
}

}  // namespace

std::string Quoted(const std::string& text) {
  return "\u201C" + text + "\u201D";
}

const char* RefusalName(Refusal refusal) {
  switch (refusal) {
    case Refusal::kBeforeAgreement:
      return "message before the customer agreed";
    case Refusal::kInputWithoutControl:
      return "input without remote control";
    case Refusal::kInputDuringPrompt:
      return "input while a consent prompt was open";
    case Refusal::kInvalidInput:
      return "invalid input event";
    case Refusal::kFileNotAccepted:
      return "file data without an allowed offer";
    case Refusal::kFileFailed:
      return "file could not be received";
    case Refusal::kClipboardWithoutGrant:
      return "clipboard without permission";
    case Refusal::kViewSwitchWithoutGrant:
      return "view switch without permission";
    case Refusal::kVideoWithoutViewSwitch:
      return "video from the technician without a view switch";
    case Refusal::kInvalidRequest:
      return "invalid request";
    case Refusal::kAskedTooOften:
      return "request the customer already refused too often";
    case Refusal::kTooManyRequests:
      return "too many or duplicate requests";
    case Refusal::kNotForCustomer:
      return "message the customer side does not take";
    case Refusal::kUnknownMessage:
      return "unknown message";
    case Refusal::kTooLarge:
      return "message over its size limit";
    case Refusal::kChatTooFast:
      return "chat or clipboard faster than a person writes";
  }
  return "?";
}

CustomerPolicy::CustomerPolicy(const Clock& clock,
                               ConsentProvider& consent,
                               PolicyActions& actions,
                               protocol::FileSink* files,
                               PolicyLimits limits)
    : clock_(clock),
      consent_(consent),
      actions_(actions),
      limits_(limits),
      transfers_(
          actions,
          files,
          {.record = [this](std::string text) { Record(std::move(text)); },
           .refuse = [this](Refusal refusal) { Refuse(refusal); },
           .technician = [this] { return Technician(); }}) {}

CustomerPolicy::~CustomerPolicy() {
  if (prompt_open())
    consent_.CloseAll();
}

Grants CustomerPolicy::grants() const {
  Grants g;
  g.viewing = viewing_;
  g.control = control_;
  g.files = transfers_.any_accepted();
  g.clipboard = clipboard_;
  g.viewing_technician = viewing_technician_;
  return g;
}

uint64_t CustomerPolicy::refused_total() const {
  uint64_t total = 0;
  for (uint64_t n : refusals_)
    total += n;
  return total;
}

std::string CustomerPolicy::Technician() const {
  return technician_.empty() ? "The technician" : technician_;
}

// ---------------------------------------------------------------------------
// Engine events.

void CustomerPolicy::OnRelayHello(const std::string& organisation,
                                  const std::string& terms) {
  if (phase_ != Phase::kConnecting)
    return;
  relay_organisation_ = organisation.substr(0, limits_.max_name_bytes);
  relay_terms_ = terms.substr(0, limits_.max_terms_bytes);
}

void CustomerPolicy::OnJoined(const std::string& technician,
                              const std::string& organisation) {
  if (phase_ != Phase::kConnecting)
    return;
  technician_ = technician.substr(0, limits_.max_name_bytes);
  organisation_ = organisation.substr(0, limits_.max_name_bytes);
  Record(Technician() +
         (organisation_.empty() ? "" : " (" + organisation_ + ")") +
         " accepted your request for help.");
  log::Info("session: the technician accepted the join");
}

void CustomerPolicy::OnSecured(const std::string& sas) {
  if (phase_ != Phase::kConnecting)
    return;
  sas_ = sas;
  secured_at_ = clock_.SteadyNow();
  phase_ = Phase::kAwaitingTerms;
  log::Info("session: end-to-end channel up; waiting for the terms");
  if (terms_)
    AskTerms();
}

void CustomerPolicy::OnMessage(const proto::PeerMessage& message) {
  if (phase_ == Phase::kEnded)
    return;
  using M = proto::PeerMessage;
  const M::BodyCase body = message.body_case();
  if (body == M::kTerms) {
    HandleTerms(message.terms());
    return;
  }
  if (body == M::kEnd)
    return;  // the engine ends the session and tells everyone
  if (phase_ != Phase::kActive) {
    if (body == M::kConsentRequest)
      Answer(message.consent_request().request_id(), false);
    Refuse(Refusal::kBeforeAgreement);
    return;
  }
  switch (body) {
    case M::kConsentRequest:
      HandleConsentRequest(message.consent_request());
      break;
    case M::kRevoke:
      HandleRevoke(message.revoke().permission(), /*by_customer=*/false);
      break;
    case M::kInput:
      HandleInput(message.input());
      break;
    case M::kFrameAck:
      if (viewing_)
        actions_.FrameAcked(message.frame_ack());
      break;
    case M::kKeyFrameRequest:
      if (viewing_)
        actions_.KeyFrameRequested();
      break;
    case M::kChat:
      if (message.chat().text().size() > limits_.max_chat_bytes) {
        Refuse(Refusal::kTooLarge);
      } else if (!TakeChatToken()) {
        Refuse(Refusal::kChatTooFast);
      } else {
        actions_.ShowChat(message.chat().text());
      }
      break;
    case M::kFileChunk:
      transfers_.HandleChunk(message.file_chunk());
      break;
    case M::kFileDone:
      transfers_.HandleDone(message.file_done().file_id());
      break;
    case M::kFileCancel:
      // The id space says which direction it is about (peer.proto).
      if (protocol::IsCustomerFileId(message.file_cancel().file_id())) {
        transfers_.HandleOutgoingCancel(message.file_cancel().file_id(),
                                        message.file_cancel().reason());
      } else {
        HandleFileCancel(message.file_cancel().file_id());
      }
      break;
    case M::kFileAccept:
      transfers_.HandleAccept(message.file_accept().file_id());
      break;
    case M::kFileOffer: {
      // Files are offered inside a ConsentRequest, so each one is asked.
      proto::PeerMessage cancel;
      cancel.mutable_file_cancel()->set_file_id(message.file_offer().file_id());
      cancel.mutable_file_cancel()->set_reason(
          "offer files with a consent request");
      actions_.Send(std::move(cancel));
      Refuse(Refusal::kInvalidRequest);
      break;
    }
    case M::kClipboard:
      if (!clipboard_) {
        Refuse(Refusal::kClipboardWithoutGrant);
      } else if (message.clipboard().text().size() >
                 limits_.max_clipboard_bytes) {
        Refuse(Refusal::kTooLarge);
      } else if (!TakeChatToken()) {
        // Each one also lands in the panel: the same bound as chat.
        Refuse(Refusal::kChatTooFast);
      } else {
        actions_.SetClipboard(message.clipboard().text());
      }
      break;
    case M::kViewSwitch:
      HandleViewSwitch(message.view_switch());
      break;
    case M::kVideoFrame:
      // The technician's screen, only while the customer lets it be shown.
      if (!viewing_technician_)
        Refuse(Refusal::kVideoWithoutViewSwitch);
      else
        actions_.TechnicianFrame(message.video_frame());
      break;
    case M::kStats:
      break;
    case M::kTermsAnswer:
    case M::kConsentAnswer:
    case M::kEmergencyStop:
    case M::kCursorShape:
    case M::kCursorPosition:
    case M::kMonitorList:
      Refuse(Refusal::kNotForCustomer);
      break;
    default:
      Refuse(Refusal::kUnknownMessage);
      break;
  }
}

void CustomerPolicy::OnEnded(const std::string& message) {
  if (phase_ == Phase::kEnded)
    return;
  EverythingOff();
  phase_ = Phase::kEnded;
  Record("The session ended: " + message);
  log::Info("session: ended");
  LogSummary();
}

std::optional<Clock::SteadyTime> CustomerPolicy::terms_deadline() const {
  if (phase_ != Phase::kAwaitingTerms)
    return std::nullopt;
  return secured_at_ + limits_.terms_wait;
}

void CustomerPolicy::Tick() {
  if (phase_ != Phase::kAwaitingTerms ||
      clock_.SteadyNow() < secured_at_ + limits_.terms_wait) {
    return;
  }
  log::Warn(
      "session: the technician's app sent no terms; asking with the "
      "relay's");
  AskTerms();
}

void CustomerPolicy::ViewFailed(const Error& error) {
  if (phase_ != Phase::kActive || !viewing_)
    return;
  viewing_ = false;
  actions_.StopView();
  proto::PeerMessage revoke;
  revoke.mutable_revoke()->set_permission(proto::PERMISSION_VIEW_SCREEN);
  actions_.Send(std::move(revoke));
  if (error.declined()) {
    // The customer said no in the desktop's own dialog: a refusal, not a
    // fault.
    log::Info("consent: screen view refused in the system's dialog");
    Record("You did not share your screen in your computer's own dialog, so " +
           Technician() + " cannot see it.");
  } else {
    log::Warn("session: the view ended: {}", error.message);
    Record("Your screen could no longer be shared: " + error.message + ".");
  }
  NotifyGrants();
}

void CustomerPolicy::ControlFailed(const Error& error) {
  if (phase_ != Phase::kActive || !control_)
    return;
  ControlOff();
  proto::PeerMessage revoke;
  revoke.mutable_revoke()->set_permission(proto::PERMISSION_REMOTE_CONTROL);
  actions_.Send(std::move(revoke));
  if (error.declined()) {
    log::Info("consent: remote control refused in the system's dialog");
    Record(
        "You did not allow remote interaction in your computer's own "
        "dialog, so " +
        Technician() + " cannot control it.");
  } else {
    log::Warn("session: remote control ended: {}", error.message);
    Record("Remote control could not be used: " + error.message + ".");
  }
  NotifyGrants();
}

void CustomerPolicy::TechnicianScreenFailed(const std::string& reason) {
  if (phase_ != Phase::kActive || !view_switch_allowed_)
    return;
  log::Warn("session: the technician's screen cannot be shown: {}", reason);
  Record(Technician() + "'s screen could not be shown.");
  HandleRevoke(proto::PERMISSION_VIEW_SWITCH, /*by_customer=*/true);
}

// ---------------------------------------------------------------------------
// The first prompt: SAS and terms.

void CustomerPolicy::HandleTerms(const proto::SessionTerms& terms) {
  if (terms_ || phase_ == Phase::kTermsPrompt || phase_ == Phase::kActive) {
    Refuse(Refusal::kInvalidRequest);  // the terms come once, first
    return;
  }
  if (terms.terms_text().size() > limits_.max_terms_bytes) {
    Refuse(Refusal::kTooLarge);
    EverythingOff();
    phase_ = Phase::kEnded;
    Record(
        "The technician's app sent terms too long to show; the session "
        "was ended.");
    actions_.EndSession(proto::END_REASON_PROTOCOL_ERROR,
                        "The technician's app sent terms that cannot be "
                        "shown. The session was ended; nothing was shared.");
    return;
  }
  terms_ = terms;
  if (phase_ == Phase::kAwaitingTerms)
    AskTerms();
}

void CustomerPolicy::AskTerms() {
  phase_ = Phase::kTermsPrompt;
  TermsPrompt prompt;
  prompt.sas = sas_;
  // The relay's word on who accepted the join counts; the technician's app
  // fills in what the relay did not say.
  const proto::SessionTerms none;
  const proto::SessionTerms& terms = terms_ ? *terms_ : none;
  prompt.technician = !technician_.empty() ? technician_
                                           : terms.technician_name().substr(
                                                 0, limits_.max_name_bytes);
  prompt.organisation =
      !organisation_.empty() ? organisation_
      : !relay_organisation_.empty()
          ? relay_organisation_
          : terms.organisation().substr(0, limits_.max_name_bytes);
  if (technician_.empty())
    technician_ = prompt.technician;
  if (organisation_.empty())
    organisation_ = prompt.organisation;
  prompt.terms_text = !relay_terms_.empty() ? relay_terms_ : terms.terms_text();
  prompt.recording = terms.recording();
  terms_open_ = true;
  log::Info("consent: asking to confirm the code and accept the terms");
  std::weak_ptr<int> alive = alive_;
  actions_.PromptOpening();
  consent_.AskTerms(prompt, [this, alive](bool accepted) {
    if (alive.expired())
      return;
    OnTermsAnswer(accepted);
  });
}

void CustomerPolicy::OnTermsAnswer(bool accepted) {
  if (phase_ != Phase::kTermsPrompt || !terms_open_)
    return;
  terms_open_ = false;
  proto::PeerMessage answer;
  answer.mutable_terms_answer()->set_accepted(accepted);
  actions_.Send(std::move(answer));
  if (!accepted) {
    log::Info("consent: the customer did not confirm the code; ending");
    Record("You did not confirm the code " + SpacedSas(sas_) +
           ". The session was ended; nothing was shared.");
    phase_ = Phase::kEnded;
    LogSummary();
    actions_.EndSession(proto::END_REASON_USER_ENDED,
                        "You did not confirm the code, so the session was "
                        "ended. Nothing was shared.");
    return;
  }
  phase_ = Phase::kActive;
  const bool recording = terms_ && terms_->recording();
  log::Info("consent: code confirmed and terms accepted{}",
            recording ? " (the technician records)" : "");
  Record("You confirmed the code " + SpacedSas(sas_) + " and accepted the " +
         "terms" + (organisation_.empty() ? "" : " of " + organisation_) +
         (recording ? "; the technician records the session." : "."));
  actions_.SessionAccepted();
}

// ---------------------------------------------------------------------------
// Permissions.

void CustomerPolicy::HandleConsentRequest(
    const proto::ConsentRequest& request) {
  const proto::Permission permission = request.permission();
  if (!KnownPermission(permission)) {
    Answer(request.request_id(), false);
    Refuse(Refusal::kInvalidRequest);
    return;
  }
  Pending pending;
  pending.request_id = request.request_id();
  pending.permission = permission;
  pending.prompt.permission = permission;
  pending.prompt.technician = Technician();
  pending.prompt.reason = request.reason().substr(0, limits_.max_chat_bytes);
  pending.prompt.desktop_asks_next =
      (permission == proto::PERMISSION_VIEW_SCREEN ||
       permission == proto::PERMISSION_REMOTE_CONTROL) &&
      actions_.DesktopAsksToo();

  bool already = false;
  switch (permission) {
    case proto::PERMISSION_VIEW_SCREEN: {
      pending.view = request.view();
      if (pending.view.target_case() == proto::ViewTarget::TARGET_NOT_SET)
        pending.view.set_whole_desktop(true);
      auto description = actions_.DescribeView(pending.view);
      if (!description) {
        Answer(request.request_id(), false);
        Refuse(Refusal::kInvalidRequest);
        return;
      }
      pending.prompt.view_description = *description;
      pending.description = "see " + *description;
      already = viewing_ && SameView(view_, pending.view);
      break;
    }
    case proto::PERMISSION_REMOTE_CONTROL:
      if (viewing_technician_) {
        // Nobody drives a desktop that nobody is watching.
        Answer(request.request_id(), false);
        Refuse(Refusal::kInvalidRequest);
        return;
      }
      pending.description = "control your mouse and keyboard";
      already = control_;
      break;
    case proto::PERMISSION_SEND_FILE: {
      if (!request.has_file()) {
        Answer(request.request_id(), false);
        Refuse(Refusal::kInvalidRequest);
        return;
      }
      const uint32_t file_id = request.file().file_id();
      if (protocol::IsCustomerFileId(file_id)) {
        // The customer's id space: a FileCancel could not say which
        // transfer it means.
        Answer(request.request_id(), false);
        Refuse(Refusal::kInvalidRequest);
        return;
      }
      const bool known =
          transfers_.receiving(file_id) ||
          (open_ && open_->file && open_->file->file_id == file_id) ||
          std::any_of(queue_.begin(), queue_.end(), [&](const Pending& p) {
            return p.file && p.file->file_id == file_id;
          });
      if (known) {
        Answer(request.request_id(), false);
        Refuse(Refusal::kTooManyRequests);
        return;
      }
      auto file =
          protocol::CheckFileOffer(request.file(), limits_.max_file_size);
      if (!file || !transfers_.can_receive()) {
        const std::string reason =
            file ? "files cannot be received: the download folder is not "
                   "available"
                 : file.error().message;
        Answer(request.request_id(), false);
        proto::PeerMessage cancel;
        cancel.mutable_file_cancel()->set_file_id(file_id);
        cancel.mutable_file_cancel()->set_reason(reason);
        actions_.Send(std::move(cancel));
        Record("A file offered by " + Technician() +
               " was refused without asking you: " + reason + ".");
        Refuse(Refusal::kFileFailed);
        return;
      }
      if (file->name.changes != protocol::kNameChangeNone) {
        log::Info("file offer: name sanitised ({})",
                  protocol::DescribeNameChanges(file->name.changes));
      }
      pending.prompt.file_name = file->name.name;
      pending.prompt.file_size = file->size;
      pending.prompt.file_destination = transfers_.destination();
      pending.description = "send you the file " + Quoted(file->name.name) +
                            " (" + protocol::FormatFileSize(file->size) + ")";
      pending.file = *std::move(file);
      break;
    }
    case proto::PERMISSION_CLIPBOARD:
      pending.description = "put text on your clipboard";
      already = clipboard_;
      break;
    case proto::PERMISSION_VIEW_SWITCH:
      pending.description = "show you their screen";
      already = view_switch_allowed_;
      break;
    default:
      break;
  }
  if (already) {
    // Granted and still in force: confirming it asks nothing new.
    Answer(request.request_id(), true);
    return;
  }
  if (said_no_[permission] >= limits_.max_refusals_per_permission) {
    Answer(request.request_id(), false);
    if (refusals_[static_cast<size_t>(Refusal::kAskedTooOften)] == 0) {
      Record(Technician() + " asked again after you said no " +
             std::to_string(limits_.max_refusals_per_permission) +
             " times. Tether now says no for you to requests like this.");
    }
    Refuse(Refusal::kAskedTooOften);
    return;
  }
  // One prompt per permission at a time (files: per file, checked above).
  const auto same = [&](const Pending& p) {
    return p.permission == permission &&
           permission != proto::PERMISSION_SEND_FILE;
  };
  if ((open_ && same(*open_)) ||
      std::any_of(queue_.begin(), queue_.end(), same) ||
      queue_.size() >= limits_.max_queued_prompts) {
    Answer(request.request_id(), false);
    Refuse(Refusal::kTooManyRequests);
    return;
  }
  pending.serial = next_serial_++;
  queue_.push_back(std::move(pending));
  OpenNextPrompt();
}

void CustomerPolicy::OpenNextPrompt() {
  while (!open_ && !queue_.empty() && phase_ == Phase::kActive) {
    open_ = std::move(queue_.front());
    queue_.pop_front();
    if (open_->cancelled) {
      Answer(open_->request_id, false);
      open_.reset();
      continue;
    }
    log::Info("consent: asking for {} (request {})",
              PermissionName(open_->permission), open_->request_id);
    const uint64_t serial = open_->serial;
    std::weak_ptr<int> alive = alive_;
    // The provider may answer before returning (tests do); the answer
    // then opens the next prompt itself.
    actions_.PromptOpening();
    consent_.AskPermission(open_->prompt, [this, alive, serial](bool granted) {
      if (alive.expired())
        return;
      OnPermissionAnswer(serial, granted);
    });
  }
}

void CustomerPolicy::OnPermissionAnswer(uint64_t serial, bool granted) {
  if (phase_ != Phase::kActive || !open_ || open_->serial != serial)
    return;  // stale: the session ended, or the prompt was closed
  Pending pending = std::move(*open_);
  open_.reset();
  if (granted && pending.permission == proto::PERMISSION_REMOTE_CONTROL &&
      viewing_technician_) {
    // The technician started showing their screen while the prompt was
    // open: control stays off until they stop and ask again.
    Answer(pending.request_id, false);
    Record("Remote control was not turned on: " + Technician() +
           " is showing their screen.");
  } else if (pending.cancelled) {
    Answer(pending.request_id, false);
    Record(Technician() + " withdrew the request to " + pending.description +
           ".");
    // The customer saw the prompt and said no: that counts towards the
    // no's after which Tether answers for them, withdrawn or not.
    if (!granted)
      ++said_no_[pending.permission];
  } else {
    log::Info("consent: {} {} (request {})", PermissionName(pending.permission),
              granted ? "allowed" : "refused", pending.request_id);
    Record(std::string(granted ? "You allowed " : "You did not allow ") +
           Technician() + " to " + pending.description + ".");
    Answer(pending.request_id, granted);
    if (granted)
      Apply(pending);
    else
      ++said_no_[pending.permission];
  }
  OpenNextPrompt();
}

void CustomerPolicy::Apply(const Pending& pending) {
  switch (pending.permission) {
    case proto::PERMISSION_VIEW_SCREEN:
      viewing_ = true;
      view_ = pending.view;
      actions_.StartView(pending.view);
      break;
    case proto::PERMISSION_REMOTE_CONTROL:
      control_ = true;
      actions_.SetControl(true);
      break;
    case proto::PERMISSION_SEND_FILE:
      transfers_.Accept(*pending.file);
      break;
    case proto::PERMISSION_CLIPBOARD:
      clipboard_ = true;
      break;
    case proto::PERMISSION_VIEW_SWITCH:
      view_switch_allowed_ = true;
      break;
    default:
      break;
  }
  NotifyGrants();
}

void CustomerPolicy::Revoke(proto::Permission permission) {
  if (phase_ != Phase::kActive || !KnownPermission(permission))
    return;
  HandleRevoke(permission, /*by_customer=*/true);
}

void CustomerPolicy::HandleRevoke(proto::Permission permission,
                                  bool by_customer) {
  const std::string who = by_customer ? "You" : Technician();
  bool changed = false;
  switch (permission) {
    case proto::PERMISSION_VIEW_SCREEN:
      if (viewing_) {
        viewing_ = false;
        actions_.StopView();
        changed = true;
        Record(who + (by_customer ? " stopped sharing your screen."
                                  : " stopped viewing your screen."));
      }
      break;
    case proto::PERMISSION_REMOTE_CONTROL:
      if (control_) {
        ControlOff();
        changed = true;
        Record(by_customer ? "You took back control of your mouse and keyboard."
                           : Technician() + " gave back remote control.");
      }
      break;
    case proto::PERMISSION_SEND_FILE:
      changed = transfers_.StopReceiving();
      break;
    case proto::PERMISSION_CLIPBOARD:
      if (clipboard_) {
        clipboard_ = false;
        changed = true;
        Record(who + " ended clipboard sharing.");
      }
      break;
    case proto::PERMISSION_VIEW_SWITCH:
      if (view_switch_allowed_) {
        view_switch_allowed_ = false;
        viewing_technician_ = false;
        changed = true;
        Record(who + " ended showing the technician's screen.");
      }
      break;
    default:
      if (!by_customer)
        Refuse(Refusal::kInvalidRequest);
      return;
  }
  if (!changed)
    return;
  log::Info("consent: {} revoked by the {}", PermissionName(permission),
            by_customer ? "customer" : "technician");
  if (by_customer) {
    proto::PeerMessage revoke;
    revoke.mutable_revoke()->set_permission(permission);
    actions_.Send(std::move(revoke));
  }
  NotifyGrants();
}

void CustomerPolicy::ControlOff() {
  control_ = false;
  actions_.SetControl(false);
}

void CustomerPolicy::EmergencyStop() {
  if (phase_ == Phase::kEnded)
    return;
  EverythingOff();
  phase_ = Phase::kEnded;
  log::Warn("session: emergency stop");
  Record("You pressed STOP. The session was ended at once.");
  LogSummary();
}

void CustomerPolicy::EverythingOff() {
  // Input first: nothing more reaches the desktop, whatever follows.
  const bool had_grants = control_ || viewing_ || clipboard_ ||
                          view_switch_allowed_ || transfers_.receiving_any();
  control_ = false;
  actions_.SetControl(false);
  if (viewing_) {
    viewing_ = false;
    actions_.StopView();
  }
  clipboard_ = false;
  view_switch_allowed_ = false;
  viewing_technician_ = false;
  transfers_.StopAll();
  // Open prompts close; their answers, if any still come, find no prompt.
  const bool prompts = prompt_open();
  queue_.clear();
  open_.reset();
  terms_open_ = false;
  if (prompts)
    consent_.CloseAll();
  if (had_grants)
    NotifyGrants();
}

// ---------------------------------------------------------------------------
// What the technician sends once agreed.

void CustomerPolicy::HandleInput(const proto::InputEvent& event) {
  if (!control_ || viewing_technician_) {
    Refuse(Refusal::kInputWithoutControl);
    return;
  }
  // A technician in control must not answer a prompt for the customer:
  // while one is open, their mouse and keys do not reach the desktop.
  if (prompt_open()) {
    Refuse(Refusal::kInputDuringPrompt);
    return;
  }
  using E = proto::InputEvent;
  bool valid = true;
  switch (event.event_case()) {
    case E::kMouseMove:
      break;
    case E::kMouseButton:
      valid = event.mouse_button().button() >= 1 &&
              event.mouse_button().button() <= 9;
      break;
    case E::kMouseWheel:
      valid = event.mouse_wheel().delta_x() >= -100 &&
              event.mouse_wheel().delta_x() <= 100 &&
              event.mouse_wheel().delta_y() >= -100 &&
              event.mouse_wheel().delta_y() <= 100;
      break;
    case E::kKey:
      valid = event.key().keysym() != 0;
      break;
    case E::kText:
      valid = !event.text().text().empty() &&
              event.text().text().size() <= limits_.max_input_text_bytes;
      break;
    default:
      valid = false;
      break;
  }
  if (!valid) {
    Refuse(Refusal::kInvalidInput);
    return;
  }
  actions_.Inject(event);
}

void CustomerPolicy::HandleFileCancel(uint32_t file_id) {
  if (transfers_.HandleCancel(file_id))
    return;
  // Not being received yet: its prompt, open or waiting, is withdrawn.
  bool found = false;
  if (open_ && open_->file && open_->file->file_id == file_id) {
    open_->cancelled = true;
    found = true;
  }
  for (Pending& p : queue_) {
    if (p.file && p.file->file_id == file_id) {
      p.cancelled = true;
      found = true;
    }
  }
  if (!found)
    Refuse(Refusal::kFileNotAccepted);
}

void CustomerPolicy::HandleViewSwitch(const proto::ViewSwitch& view_switch) {
  if (!view_switch.show_supporter_screen()) {
    if (viewing_technician_) {
      viewing_technician_ = false;
      Record(Technician() + " stopped showing their screen.");
      NotifyGrants();
    }
    return;
  }
  if (!view_switch_allowed_) {
    Refuse(Refusal::kViewSwitchWithoutGrant);
    return;
  }
  if (viewing_technician_)
    return;
  viewing_technician_ = true;
  if (control_) {
    // Nobody drives a desktop that nobody is watching.
    ControlOff();
    proto::PeerMessage revoke;
    revoke.mutable_revoke()->set_permission(proto::PERMISSION_REMOTE_CONTROL);
    actions_.Send(std::move(revoke));
    Record("Remote control was turned off while " + Technician() +
           " shows their screen.");
  }
  Record(Technician() + " started showing their screen.");
  log::Info("consent: view switch started; remote control off");
  NotifyGrants();
}

// ---------------------------------------------------------------------------
// Customer actions and bookkeeping.

bool CustomerPolicy::SendChat(const std::string& text) {
  if (phase_ != Phase::kActive || text.empty() ||
      text.size() > limits_.max_chat_bytes) {
    return false;
  }
  proto::PeerMessage chat;
  chat.mutable_chat()->set_text(text);
  chat.mutable_chat()->set_sent_at_unix_ms(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          clock_.WallNow().time_since_epoch())
          .count());
  actions_.Send(std::move(chat));
  return true;
}

void CustomerPolicy::Answer(uint32_t request_id, bool granted) {
  proto::PeerMessage answer;
  answer.mutable_consent_answer()->set_request_id(request_id);
  answer.mutable_consent_answer()->set_granted(granted);
  actions_.Send(std::move(answer));
}

bool CustomerPolicy::TakeChatToken() {
  const auto now = clock_.SteadyNow();
  const double burst = limits_.chat_burst;
  if (chat_tokens_ < 0) {
    chat_tokens_ = burst;
  } else if (limits_.chat_interval.count() > 0) {
    const std::chrono::duration<double> elapsed = now - chat_refilled_;
    const std::chrono::duration<double> interval = limits_.chat_interval;
    chat_tokens_ = std::min(burst, chat_tokens_ + elapsed / interval);
  }
  chat_refilled_ = now;
  if (chat_tokens_ < 1)
    return false;
  chat_tokens_ -= 1;
  return true;
}

void CustomerPolicy::Refuse(Refusal refusal) {
  uint64_t& count = refusals_[static_cast<size_t>(refusal)];
  if (count++ == 0) {
    log::Warn("refused: {} (further ones are counted, not logged)",
              RefusalName(refusal));
  }
}

void CustomerPolicy::Record(std::string text) {
  receipt_.push_back({clock_.WallNow(), std::move(text)});
}

void CustomerPolicy::NotifyGrants() {
  actions_.GrantsChanged(grants());
}

void CustomerPolicy::LogSummary() const {
  for (size_t i = 0; i < kRefusalKinds; ++i) {
    if (refusals_[i] > 0) {
      log::Info("refused in this session: {} x {}", refusals_[i],
                RefusalName(static_cast<Refusal>(i)));
    }
  }
}

// ---- the customer's own files -------------------------------------------

bool CustomerPolicy::OfferFile(uint32_t file_id,
                               const std::string& name,
                               uint64_t size,
                               const crypto::Sha256Digest& sha256) {
  if (phase_ != Phase::kActive)
    return false;
  return transfers_.Offer(file_id, name, size, sha256);
}

void CustomerPolicy::CancelOutgoingFile(uint32_t file_id) {
  transfers_.CancelOutgoing(file_id);
}

void CustomerPolicy::OutgoingFileFinished(uint32_t file_id,
                                          bool ok,
                                          const std::string& why) {
  transfers_.OutgoingFinished(file_id, ok, why);
}

}  // namespace tether::customer
