// PeerSession's control plane: the relay's messages (HelloAck, sign-in and
// password answers, codes, join requests, pairing, End, refusals) and the
// supporter's commands, each held until the relay can take it.

#include <utility>

#include "base/log.h"
#include "protocol/messages.h"
#include "protocol/peer_session_impl.h"
#include "protocol/session_end.h"

namespace tether::protocol {

// ---- the control plane ----------------------------------------------------

void PeerSessionImpl::OnFrame(TlsConnection& /*connection*/, Bytes payload) {
  if (ended_)
    return;
  RestartLiveness();
  proto::RelayMessage message;
  if (auto parsed = ParsePayload(payload, message); !parsed) {
    log::Warn("from the relay: {}", parsed.error().message);
    Finish({proto::END_REASON_PROTOCOL_ERROR, kUnreadableRelayText, false});
    return;
  }
  switch (message.body_case()) {
    case proto::RelayMessage::kHelloAck:
      HandleHelloAck(message.hello_ack());
      break;
    case proto::RelayMessage::kLoginResult:
      HandleLoginResult(message.login_result());
      break;
    case proto::RelayMessage::kChangePasswordResult:
      HandleChangePasswordResult(message.change_password_result());
      break;
    case proto::RelayMessage::kSessionCreated:
      HandleSessionCreated(message.session_created());
      break;
    case proto::RelayMessage::kJoinRequest:
      HandleJoinRequest(message.join_request());
      break;
    case proto::RelayMessage::kJoined: {
      if (options_.role != proto::ROLE_CUSTOMER || plane_ != nullptr) {
        Finish({proto::END_REASON_PROTOCOL_ERROR, kUnreadableRelayText, false});
        return;
      }
      proto::Joined joined = message.joined();
      Notify([joined](Observer& o) { o.OnJoined(joined); });
      BeginKeyExchange();
      break;
    }
    case proto::RelayMessage::kPeerJoined:
      if (options_.role != proto::ROLE_SUPPORTER || plane_ != nullptr) {
        Finish({proto::END_REASON_PROTOCOL_ERROR, kUnreadableRelayText, false});
        return;
      }
      BeginKeyExchange();
      break;
    case proto::RelayMessage::kRelayed:
      HandleRelayed(message.relayed().data());
      break;
    case proto::RelayMessage::kHeartbeat:
      break;  // liveness was renewed above
    case proto::RelayMessage::kEnd:
      HandleEnd(message.end());
      break;
    case proto::RelayMessage::kError:
      HandleError(message.error());
      break;
    case proto::RelayMessage::BODY_NOT_SET:
      break;  // a message a newer relay knows; nothing to do with it
  }
}

void PeerSessionImpl::HandleHelloAck(const proto::HelloAck& ack) {
  if (hello_acked_)
    return;
  hello_acked_ = true;
  uv_timer_stop(&connect_timer_);
  proto::HelloAck copy = ack;
  Notify([copy](Observer& o) { o.OnRelayHello(copy); });
  if (options_.role == proto::ROLE_CUSTOMER) {
    proto::ClientMessage join;
    join.mutable_join()->set_code(code_);
    join.mutable_join()->set_host_name(options_.host_name);
    join.mutable_join()->set_user_name(options_.user_name);
    SendToRelay(join);
    ExpectTraffic(true);
    SetState(SessionState::kWaitingForPeer);
    return;
  }
  RunHeld(held_until_hello_);
}

void PeerSessionImpl::RunHeld(std::vector<std::function<void()>>& held) {
  auto commands = std::move(held);
  held.clear();
  for (auto& command : commands) {
    if (ended_)
      break;
    command();
  }
}

void PeerSessionImpl::HandleLoginResult(const proto::LoginResult& result) {
  proto::LoginResult copy = result;
  Notify([copy](Observer& o) { o.OnLoginResult(copy); });
  awaiting_answer_ = false;
  if (result.status() == proto::LoginResult::STATUS_OK) {
    signed_in_ = true;
    ExpectTraffic(true);
    if (state_ == SessionState::kConnecting)
      SetState(SessionState::kSignedIn);
    RunHeld(held_until_signed_in_);
  } else if (!signed_in_) {
    // The relay waits for the user's next try without heartbeats.
    ExpectTraffic(false);
  }
  RunHeld(held_until_answer_);
}

void PeerSessionImpl::HandleChangePasswordResult(
    const proto::ChangePasswordResult& result) {
  proto::ChangePasswordResult copy = result;
  Notify([copy](Observer& o) { o.OnChangePasswordResult(copy); });
  // A forced change that succeeded is followed by an OK LoginResult, which
  // is the answer to wait for.
  if (signed_in_ || !result.ok()) {
    if (!signed_in_)
      ExpectTraffic(false);
    awaiting_answer_ = false;
    RunHeld(held_until_answer_);
  }
}

void PeerSessionImpl::HandleSessionCreated(
    const proto::SessionCreated& created) {
  waiting_codes_.push_back(created.code());
  if (state_ == SessionState::kSignedIn) {
    SetState(SessionState::kWaitingForPeer);
  }
  proto::SessionCreated copy = created;
  Notify([copy](Observer& o) { o.OnSessionCreated(copy); });
}

void PeerSessionImpl::HandleJoinRequest(const proto::JoinRequest& request) {
  unanswered_joins_.push_back(request.code());
  proto::JoinRequest copy = request;
  Notify([copy](Observer& o) { o.OnJoinRequest(copy); });
}

void PeerSessionImpl::HandleEnd(const proto::End& end) {
  log::Info("the relay ended the session: {} ({})",
            CleanRelayText(end.message()), proto::EndReason_Name(end.reason()));
  Finish(EndForRelayEnd(end, options_.role, last_error_text_));
}

void PeerSessionImpl::HandleError(const proto::ErrorReply& error) {
  last_error_text_ = CleanRelayText(error.message());
  log::Warn("the relay refused a request: {} ({})", last_error_text_,
            proto::ErrorReply::Code_Name(error.code()));
  if (options_.role == proto::ROLE_CUSTOMER) {
    // The customer app has one thing to ask; any refusal ends it.
    Finish(EndForJoinRefused(error));
    return;
  }
  if (error.code() == proto::ErrorReply::CODE_VERSION_MISMATCH) {
    Finish({proto::END_REASON_PROTOCOL_ERROR, last_error_text_, false});
    return;
  }
  proto::ErrorReply copy = error;
  Notify([copy](Observer& o) { o.OnRelayError(copy); });
}

// ---- supporter commands ---------------------------------------------------

bool PeerSessionImpl::IsSupporter(const char* what) const {
  if (options_.role == proto::ROLE_SUPPORTER)
    return true;
  log::Warn("{} ignored: only the supporter app may call it", what);
  return false;
}

bool PeerSessionImpl::HoldUntilHello(std::function<void()> command) {
  if (hello_acked_)
    return false;
  held_until_hello_.push_back(std::move(command));
  return true;
}

bool PeerSessionImpl::HoldUntilAnswered(std::function<void()> command) {
  if (!hello_acked_) {
    held_until_hello_.push_back(std::move(command));
    return true;
  }
  if (awaiting_answer_) {
    held_until_answer_.push_back(std::move(command));
    return true;
  }
  awaiting_answer_ = true;
  return false;
}

void PeerSessionImpl::DoLogin(std::string user,
                              std::string password,
                              std::string totp) {
  if (ended_ || !IsSupporter("Login"))
    return;
  if (HoldUntilAnswered(
          [this, user, password, totp] { DoLogin(user, password, totp); })) {
    return;
  }
  proto::ClientMessage login;
  login.mutable_login()->set_user(std::move(user));
  login.mutable_login()->set_password(std::move(password));
  login.mutable_login()->set_totp(std::move(totp));
  SendToRelay(login);
  ExpectTraffic(true);
}

void PeerSessionImpl::DoChangePassword(std::string current, std::string next) {
  if (ended_ || !IsSupporter("ChangePassword"))
    return;
  if (HoldUntilAnswered(
          [this, current, next] { DoChangePassword(current, next); })) {
    return;
  }
  proto::ClientMessage change;
  change.mutable_change_password()->set_current_password(std::move(current));
  change.mutable_change_password()->set_new_password(std::move(next));
  SendToRelay(change);
  ExpectTraffic(true);
}

void PeerSessionImpl::DoCreateSession() {
  if (ended_ || !IsSupporter("CreateSession"))
    return;
  if (HoldUntilHello([this] { DoCreateSession(); }))
    return;
  if (!signed_in_) {
    held_until_signed_in_.push_back([this] { DoCreateSession(); });
    return;
  }
  proto::ClientMessage create;
  create.mutable_create_session();
  SendToRelay(create);
}

void PeerSessionImpl::DoDecideJoin(bool accept) {
  if (ended_ || !IsSupporter("DecideJoin"))
    return;
  if (unanswered_joins_.empty()) {
    log::Warn("DecideJoin ignored: no customer is waiting for an answer");
    return;
  }
  const std::string code = unanswered_joins_.front();
  unanswered_joins_.pop_front();
  proto::ClientMessage decision;
  decision.mutable_join_decision()->set_code(code);
  decision.mutable_join_decision()->set_accept(accept);
  SendToRelay(decision);
  if (accept) {
    // PeerJoined follows; the key exchange binds this code.
    accepted_code_ = code;
    return;
  }
  // The relay drops a refused code.
  std::erase(waiting_codes_, code);
  if (waiting_codes_.empty() && state_ == SessionState::kWaitingForPeer) {
    SetState(SessionState::kSignedIn);
  }
}

void PeerSessionImpl::DoCancelSession(std::string code) {
  if (ended_ || !IsSupporter("CancelSession"))
    return;
  if (HoldUntilHello([this, code] { DoCancelSession(code); }))
    return;
  if (!signed_in_ || code == accepted_code_) {
    // Before sign-in there is no code; once a customer was accepted the
    // session is ended with End(), not cancelled.
    log::Warn("CancelSession ignored: no code of this console is waiting");
    return;
  }
  proto::ClientMessage cancel;
  cancel.mutable_cancel_session()->set_code(code);
  SendToRelay(cancel);
  // The relay ends a customer who typed the code; nobody is left to
  // answer for.
  std::erase(unanswered_joins_, code);
  std::erase(waiting_codes_, code);
  if (waiting_codes_.empty() && state_ == SessionState::kWaitingForPeer) {
    SetState(SessionState::kSignedIn);
  }
}

}  // namespace tether::protocol
