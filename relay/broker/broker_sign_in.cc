// The broker's sign-in flow: Hello (either role), then for a technician
// Login, a forced first ChangePassword, later ChangePassword, with at most
// limits.logins_per_source password checks per source address at once.
// Codes, joins and pairing are in broker.cc.

#include <string>
#include <utility>

#include "base/log.h"
#include "relay/broker/broker.h"
#include "relay/broker/broker_client.h"

namespace tether::relay {
namespace {

constexpr int kMaxLoginAttemptsPerConnection = 5;
constexpr uint32_t kBusyRetrySeconds = 2;
constexpr char kTooManySignIns[] =
    "Too many sign-ins from your network at once. Try again in a moment.";

proto::LoginResult::Status ToWire(LoginOutcome::Status status) {
  using S = LoginOutcome::Status;
  switch (status) {
    case S::kOk:
      return proto::LoginResult::STATUS_OK;
    case S::kBadCredentials:
      return proto::LoginResult::STATUS_BAD_CREDENTIALS;
    case S::kTotpRequired:
      return proto::LoginResult::STATUS_TOTP_REQUIRED;
    case S::kThrottled:
    case S::kBusy:
    case S::kUnavailable:  // with its own message and retry time
      return proto::LoginResult::STATUS_THROTTLED;
    case S::kLocked:
      return proto::LoginResult::STATUS_LOCKED;
    case S::kPasswordChangeRequired:
      return proto::LoginResult::STATUS_PASSWORD_CHANGE_REQUIRED;
    case S::kDisabled:
      return proto::LoginResult::STATUS_DISABLED;
    case S::kInternalError:
      return proto::LoginResult::STATUS_UNSPECIFIED;
  }
  return proto::LoginResult::STATUS_UNSPECIFIED;
}

proto::AccountRole ToWire(AccountRole role) {
  switch (role) {
    case AccountRole::kAdmin:
      return proto::ACCOUNT_ROLE_ADMIN;
    case AccountRole::kTechnician:
      return proto::ACCOUNT_ROLE_TECHNICIAN;
    case AccountRole::kAuditor:
      return proto::ACCOUNT_ROLE_AUDITOR;
  }
  return proto::ACCOUNT_ROLE_UNSPECIFIED;
}

}  // namespace

void Broker::HandleHello(Client& client, const proto::ClientMessage& message) {
  if (client.stage != Stage::kAwaitingHello) {
    ProtocolViolation(client, "Hello sent twice");
    return;
  }
  const proto::Hello& hello = message.hello();
  if (hello.protocol_version() != proto::PROTOCOL_VERSION_CURRENT) {
    const std::string text =
        "This relay speaks Tether protocol " +
        std::to_string(proto::PROTOCOL_VERSION_CURRENT) + "; the app speaks " +
        std::to_string(hello.protocol_version()) +
        ". Install the app version that matches the relay.";
    SendError(client, proto::ErrorReply::CODE_VERSION_MISMATCH, text);
    EndClient(client, proto::END_REASON_PROTOCOL_ERROR, "version mismatch");
    return;
  }
  if (hello.role() == proto::ROLE_SUPPORTER) {
    client.stage = Stage::kAwaitingLogin;
  } else if (hello.role() == proto::ROLE_CUSTOMER) {
    client.stage = Stage::kAwaitingJoin;
  } else {
    ProtocolViolation(client, "unknown role");
    return;
  }
  client.role = hello.role();
  proto::RelayMessage reply;
  auto* ack = reply.mutable_hello_ack();
  ack->set_protocol_version(proto::PROTOCOL_VERSION_CURRENT);
  ack->set_relay_version(TETHER_VERSION);
  ack->set_organisation(config_.server.organisation);
  ack->set_support_terms(config_.server.support_terms);
  client.link->Send(reply);
  RenewDeadline(client);
}

void Broker::HandleLogin(Client& client, const proto::ClientMessage& message) {
  if (client.stage != Stage::kAwaitingLogin) {
    ProtocolViolation(client, "Login not allowed now");
    return;
  }
  if (++client.login_attempts > kMaxLoginAttemptsPerConnection) {
    EndClient(client, proto::END_REASON_PROTOCOL_ERROR,
              "too many login attempts on one connection");
    return;
  }
  if (!TakeLoginSlot(client)) {
    proto::RelayMessage reply;
    auto* result = reply.mutable_login_result();
    result->set_status(proto::LoginResult::STATUS_THROTTLED);
    result->set_retry_after_seconds(kBusyRetrySeconds);
    result->set_message(kTooManySignIns);
    client.link->Send(reply);
    return;
  }
  client.stage = Stage::kLoginPending;
  const proto::Login& login = message.login();
  LoginRequest request{login.user(), login.password(), login.totp(),
                       client.link->peer_address()};
  const uint64_t id = client.id;
  accounts_.Login(std::move(request),
                  [this, id, source = client.source_key](LoginOutcome outcome) {
                    ReturnLoginSlot(source);
                    FinishLogin(id, outcome);
                  });
}

bool Broker::TakeLoginSlot(const Client& client) {
  if (logins_by_source_.count(client.source_key) >=
      config_.limits.logins_per_source) {
    ++metrics_.logins_refused_busy;
    return false;
  }
  logins_by_source_.Add(client.source_key);
  return true;
}

void Broker::ReturnLoginSlot(const std::string& source) {
  logins_by_source_.Remove(source);
}

void Broker::FinishLogin(uint64_t client_id, const LoginOutcome& outcome) {
  Client* client = FindById(client_id);
  if (client == nullptr || (client->stage != Stage::kLoginPending &&
                            client->stage != Stage::kChangePending)) {
    return;
  }
  proto::RelayMessage reply;
  auto* result = reply.mutable_login_result();
  result->set_status(ToWire(outcome.status));
  result->set_retry_after_seconds(outcome.retry_after_seconds);
  result->set_message(outcome.message);
  switch (outcome.status) {
    case LoginOutcome::Status::kOk:
      client->stage = Stage::kSupporter;
      client->account = outcome.user_name;
      client->display_name = outcome.display_name;
      client->account_role = outcome.role;
      client->password_changed_at = outcome.password_changed_at;
      result->set_display_name(outcome.display_name);
      result->set_role(ToWire(outcome.role));
      client->link->set_max_frame_size(config_.limits.control_frame_max);
      ++metrics_.logins_ok;
      log::Info("{} signed in from {}", outcome.user_name,
                client->link->peer_address());
      break;
    case LoginOutcome::Status::kPasswordChangeRequired:
      client->stage = Stage::kMustChangePassword;
      client->account = outcome.user_name;
      client->password_change_was_required = true;
      // The password was right: a new window to choose the next one, as
      // absolute as the first.
      client->signin_deadline =
          clock_.SteadyNow() + config_.timeouts.unauthenticated_idle;
      break;
    default:
      client->stage = Stage::kAwaitingLogin;
      ++metrics_.logins_failed;
      if (outcome.status == LoginOutcome::Status::kLocked) {
        ++metrics_.account_lockouts;
      }
      break;
  }
  client->link->Send(reply);
  RenewDeadline(*client);
}

void Broker::HandleChangePassword(Client& client,
                                  const proto::ClientMessage& message) {
  if (client.stage != Stage::kMustChangePassword &&
      client.stage != Stage::kSupporter) {
    ProtocolViolation(client, "ChangePassword not allowed now");
    return;
  }
  if (!TakeLoginSlot(client)) {
    proto::RelayMessage reply;
    reply.mutable_change_password_result()->set_ok(false);
    reply.mutable_change_password_result()->set_message(kTooManySignIns);
    client.link->Send(reply);
    return;
  }
  const Stage before = client.stage;
  client.stage = Stage::kChangePending;
  const uint64_t id = client.id;
  const proto::ChangePassword& change = message.change_password();
  accounts_.ChangePassword(
      client.account, change.current_password(), change.new_password(),
      client.link->peer_address(),
      [this, id, before,
       source = client.source_key](PasswordChangeOutcome outcome) {
        ReturnLoginSlot(source);
        Client* c = FindById(id);
        if (c == nullptr || c->stage != Stage::kChangePending)
          return;
        proto::RelayMessage reply;
        reply.mutable_change_password_result()->set_ok(outcome.ok);
        reply.mutable_change_password_result()->set_message(outcome.message);
        c->link->Send(reply);
        if (outcome.ok && before == Stage::kMustChangePassword) {
          FinishLogin(id, outcome.login);  // now signed in
        } else {
          c->stage = before;
          // Its own new password: the sign-in goes on under it.
          if (outcome.ok)
            c->password_changed_at = outcome.login.password_changed_at;
        }
      });
}

}  // namespace tether::relay
