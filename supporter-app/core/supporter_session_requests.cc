// SupporterSession (supporter_session_impl.h): what the technician asks
// the customer for and what the customer granted or took back: view,
// control, clipboard, view switch ("show my screen"), and what goes out
// under those grants (input, clipboard) besides chat.

#include <cstdio>
#include <utility>

#include "base/log.h"
#include "supporter-app/core/supporter_session_impl.h"

namespace tether::supporter {
namespace {

constexpr size_t kMaxClipboardBytes = 1024 * 1024;

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

}  // namespace

void SupporterSessionImpl::RequestView(const proto::ViewTarget& target) {
  Ask(proto::PERMISSION_VIEW_SCREEN, ViewDetail(target),
      [&](proto::ConsentRequest& r) { *r.mutable_view() = target; });
}

void SupporterSessionImpl::RequestControl() {
  // A browser customer cannot take input: nothing to ask for.
  if (run_ && run_->view_only) {
    log::Info(
        "session: view only (the customer is in a browser); control "
        "is not asked for");
    return;
  }
  Ask(proto::PERMISSION_REMOTE_CONTROL, "mouse and keyboard");
}

void SupporterSessionImpl::RequestClipboard() {
  Ask(proto::PERMISSION_CLIPBOARD, "text to the customer's clipboard");
}

void SupporterSessionImpl::RequestViewSwitch() {
  Ask(proto::PERMISSION_VIEW_SWITCH, "the technician's screen");
}

void SupporterSessionImpl::ShowMyScreen(bool on) {
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
        [this, serial](const Error& error) {
          PostToRun(serial, [this, error](Run&) {
            observer_->OnNotice(
                error.declined()
                    ? std::string("Your screen is not shown: sharing was "
                                  "cancelled in your desktop's dialog.")
                    : "Your screen could not be shown: " + error.message);
            StopShowing("failure");
          });
        });
  }
  // The ViewSwitch went first on the same ordered link, so the customer
  // knows what the frames are before the first one arrives.
  run_->screen->Start(desktop::CaptureSource::WholeScreen());
  run_->grants.showing_my_screen = true;
  Record(SessionLogEvent::kViewSwitch, {{"showing", "yes"}});
  log::Info("view switch: showing the technician's screen");
  observer_->OnGrantsChanged(run_->grants);
}

void SupporterSessionImpl::SendChat(std::string text) {
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
  Record(SessionLogEvent::kChat, {{"from", "technician"}, {"text", text}});
  observer_->OnChat(text, /*from_me=*/true);
}

void SupporterSessionImpl::SendClipboard(std::string text) {
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
  Record(SessionLogEvent::kClipboardSent, {{"bytes", std::to_string(bytes)}});
}

void SupporterSessionImpl::SendInput(proto::InputEvent event) {
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

void SupporterSessionImpl::GiveBackControl() {
  if (!run_ || !run_->grants.control)
    return;
  proto::PeerMessage revoke;
  revoke.mutable_revoke()->set_permission(proto::PERMISSION_REMOTE_CONTROL);
  engine_->Send(std::move(revoke));
  run_->grants.control = false;
  Record(SessionLogEvent::kControlOff, {{"by", "technician"}});
  observer_->OnGrantsChanged(run_->grants);
}

bool SupporterSessionImpl::Ask(
    proto::Permission permission,
    const std::string& detail,
    const std::function<void(proto::ConsentRequest&)>& fill,
    uint32_t file_id) {
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
  Record(SessionLogEvent::kConsentAsked,
         {{"permission", PermissionWord(permission)}, {"detail", detail}});
  log::Info("consent: asked for {} (request {})", PermissionWord(permission),
            id);
  return true;
}

void SupporterSessionImpl::OnConsentAnswer(const proto::ConsentAnswer& answer) {
  auto it = run_->requests.find(answer.request_id());
  if (it == run_->requests.end()) {
    log::Warn("consent: an answer to no request ({})", answer.request_id());
    return;
  }
  const PendingRequest request = it->second;
  run_->requests.erase(it);
  const bool granted = answer.granted();
  Record(SessionLogEvent::kConsentAnswered,
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
        Record(SessionLogEvent::kControlOn);
      }
      break;
    case proto::PERMISSION_CLIPBOARD:
      grants.clipboard = grants.clipboard || granted;
      break;
    case proto::PERMISSION_VIEW_SWITCH:
      if (granted && !grants.view_switch) {
        grants.view_switch = true;
        Record(SessionLogEvent::kViewSwitch, {{"on", "yes"}});
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

void SupporterSessionImpl::OnRevoke(proto::Permission permission) {
  CustomerGrants& grants = run_->grants;
  bool changed = false;
  switch (permission) {
    case proto::PERMISSION_VIEW_SCREEN:
      changed = std::exchange(grants.viewing, false);
      break;
    case proto::PERMISSION_REMOTE_CONTROL:
      changed = std::exchange(grants.control, false);
      if (changed)
        Record(SessionLogEvent::kControlOff, {{"by", "customer"}});
      break;
    case proto::PERMISSION_CLIPBOARD:
      changed = std::exchange(grants.clipboard, false);
      break;
    case proto::PERMISSION_VIEW_SWITCH:
      changed = std::exchange(grants.view_switch, false);
      if (changed)
        Record(SessionLogEvent::kViewSwitch, {{"on", "no"}});
      if (grants.showing_my_screen) {
        // The customer's app already stopped looking; nothing more goes.
        if (run_->screen)
          run_->screen->Stop();
        grants.showing_my_screen = false;
        Record(SessionLogEvent::kViewSwitch,
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

void SupporterSessionImpl::StopShowing(const std::string& by) {
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
  Record(SessionLogEvent::kViewSwitch, {{"showing", "no"}, {"by", by}});
  log::Info("view switch: stopped showing the technician's screen");
  observer_->OnGrantsChanged(run_->grants);
}

}  // namespace tether::supporter
