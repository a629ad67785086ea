// Issue 8, "no setup over the network": every ClientMessage type sent in
// every connection state of a real tether-relay process. What a state does
// not allow is refused exactly as the relay refuses (ErrorReply NOT_ALLOWED,
// then End PROTOCOL_ERROR and the connection closed, or an ErrorReply with
// the connection left as it was), and nothing is escalated; what it allows
// is accepted. Afterwards a fresh technician still signs in and gets a code.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "crypto/password_hash.h"
#include "crypto/random.h"
#include "relay/store/sqlite_store.h"
#include "tests/support/relay_process.h"
#include "tests/support/relay_test_client.h"

namespace tether::relay {
namespace {

using tether::test::RelayProcess;
using tether::test::RelayTestClient;
using Body = proto::ClientMessage::BodyCase;

using tether::test::kPassword;
constexpr auto kWait = std::chrono::seconds(5);
constexpr auto kHashWait = std::chrono::seconds(10);  // argon2id replies

enum class State {
  kNoHello,
  kCustomer,              // Hello as ROLE_CUSTOMER
  kSupporterNotSignedIn,  // Hello as ROLE_SUPPORTER, no Login
  kMustChangePassword,    // signed in with a first password still in use
  kTechnician,            // signed in, ACCOUNT_ROLE_TECHNICIAN
  kAuditor,               // signed in, ACCOUNT_ROLE_AUDITOR
};

const char* Name(State state) {
  switch (state) {
    case State::kNoHello:
      return "no Hello";
    case State::kCustomer:
      return "customer";
    case State::kSupporterNotSignedIn:
      return "supporter not signed in";
    case State::kMustChangePassword:
      return "supporter must change password";
    case State::kTechnician:
      return "technician signed in";
    case State::kAuditor:
      return "auditor signed in";
  }
  return "?";
}

enum class Kind {
  kRefusedClosed,   // ErrorReply NOT_ALLOWED, End PROTOCOL_ERROR, closed
  kErrorStaysOpen,  // ErrorReply `error`; connection and state unchanged
  kReply,           // the reply `reply` (accepted)
  kNoReply,         // accepted silently (Heartbeat); state unchanged
  kEnded,           // End USER_ENDED, closed (the client asked to end)
};

struct Expect {
  Kind kind;
  proto::ErrorReply::Code error = proto::ErrorReply::CODE_UNSPECIFIED;
  proto::RelayMessage::BodyCase reply = proto::RelayMessage::BODY_NOT_SET;
};

Expect RefusedClosed() {
  return {Kind::kRefusedClosed};
}
Expect ErrorOpen(proto::ErrorReply::Code code) {
  return {Kind::kErrorStaysOpen, code};
}
Expect Reply(proto::RelayMessage::BodyCase reply) {
  return {Kind::kReply, proto::ErrorReply::CODE_UNSPECIFIED, reply};
}
Expect NoReply() {
  return {Kind::kNoReply};
}
Expect Ended() {
  return {Kind::kEnded};
}

// The matrix. One row per ClientMessage body (BODY_NOT_SET: an empty
// message); every listed state per row. A body the relay learns later
// fails OneofIsFullyListed until it gets a row here.
const std::map<Body, std::map<State, Expect>>& Matrix() {
  using R = proto::RelayMessage;
  using E = proto::ErrorReply;
  static const auto* matrix = new std::map<Body, std::map<State, Expect>>{
      {proto::ClientMessage::kHello,
       {{State::kNoHello, Reply(R::kHelloAck)},
        {State::kCustomer, RefusedClosed()},
        {State::kSupporterNotSignedIn, RefusedClosed()},
        {State::kMustChangePassword, RefusedClosed()},
        {State::kTechnician, RefusedClosed()},
        {State::kAuditor, RefusedClosed()}}},
      {proto::ClientMessage::kLogin,
       {{State::kNoHello, RefusedClosed()},
        {State::kCustomer, RefusedClosed()},
        {State::kSupporterNotSignedIn, Reply(R::kLoginResult)},
        {State::kMustChangePassword, RefusedClosed()},
        {State::kTechnician, RefusedClosed()},
        {State::kAuditor, RefusedClosed()}}},
      {proto::ClientMessage::kChangePassword,
       {{State::kNoHello, RefusedClosed()},
        {State::kCustomer, RefusedClosed()},
        {State::kSupporterNotSignedIn, RefusedClosed()},
        {State::kMustChangePassword, Reply(R::kChangePasswordResult)},
        {State::kTechnician, Reply(R::kChangePasswordResult)},
        {State::kAuditor, Reply(R::kChangePasswordResult)}}},
      {proto::ClientMessage::kCreateSession,
       {{State::kNoHello, RefusedClosed()},
        {State::kCustomer, RefusedClosed()},
        {State::kSupporterNotSignedIn, RefusedClosed()},
        {State::kMustChangePassword, RefusedClosed()},
        {State::kTechnician, Reply(R::kSessionCreated)},
        {State::kAuditor, ErrorOpen(E::CODE_NOT_ALLOWED)}}},
      {proto::ClientMessage::kCancelSession,
       {{State::kNoHello, RefusedClosed()},
        {State::kCustomer, RefusedClosed()},
        {State::kSupporterNotSignedIn, RefusedClosed()},
        {State::kMustChangePassword, RefusedClosed()},
        {State::kTechnician, ErrorOpen(E::CODE_INVALID_CODE)},
        {State::kAuditor, ErrorOpen(E::CODE_INVALID_CODE)}}},
      {proto::ClientMessage::kJoin,
       {{State::kNoHello, RefusedClosed()},
        {State::kCustomer, ErrorOpen(E::CODE_INVALID_CODE)},
        {State::kSupporterNotSignedIn, RefusedClosed()},
        {State::kMustChangePassword, RefusedClosed()},
        {State::kTechnician, RefusedClosed()},
        {State::kAuditor, RefusedClosed()}}},
      {proto::ClientMessage::kJoinDecision,
       {{State::kNoHello, RefusedClosed()},
        {State::kCustomer, RefusedClosed()},
        {State::kSupporterNotSignedIn, RefusedClosed()},
        {State::kMustChangePassword, RefusedClosed()},
        {State::kTechnician, ErrorOpen(E::CODE_NOT_ALLOWED)},
        {State::kAuditor, ErrorOpen(E::CODE_NOT_ALLOWED)}}},
      {proto::ClientMessage::kRelayed,
       {{State::kNoHello, RefusedClosed()},
        {State::kCustomer, RefusedClosed()},
        {State::kSupporterNotSignedIn, RefusedClosed()},
        {State::kMustChangePassword, RefusedClosed()},
        {State::kTechnician, RefusedClosed()},
        {State::kAuditor, RefusedClosed()}}},
      {proto::ClientMessage::kHeartbeat,
       {{State::kNoHello, RefusedClosed()},
        {State::kCustomer, NoReply()},
        {State::kSupporterNotSignedIn, NoReply()},
        {State::kMustChangePassword, NoReply()},
        {State::kTechnician, NoReply()},
        {State::kAuditor, NoReply()}}},
      {proto::ClientMessage::kEnd,
       {{State::kNoHello, RefusedClosed()},
        {State::kCustomer, Ended()},
        {State::kSupporterNotSignedIn, Ended()},
        {State::kMustChangePassword, Ended()},
        {State::kTechnician, Ended()},
        {State::kAuditor, Ended()}}},
      {proto::ClientMessage::BODY_NOT_SET,
       {{State::kNoHello, RefusedClosed()},
        {State::kCustomer, RefusedClosed()},
        {State::kSupporterNotSignedIn, RefusedClosed()},
        {State::kMustChangePassword, RefusedClosed()},
        {State::kTechnician, RefusedClosed()},
        {State::kAuditor, RefusedClosed()}}},
  };
  return *matrix;
}

// The lite runtime cannot print messages; the body is what tells.
std::string Describe(const proto::RelayMessage& message) {
  return "RelayMessage body " + std::to_string(message.body_case()) +
         (message.has_error() ? " (" + message.error().message() + ")" : "");
}

void AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// The lite runtime has no descriptors: find the oneof's members from the
// wire instead. A field of every number, as an empty submessage and as a
// varint, parsed; whichever sets the body is a member.
std::set<Body> DiscoverOneofMembers() {
  std::set<Body> found;
  for (uint32_t number = 1; number < 2048; ++number) {
    for (uint32_t wire_type : {0u, 2u}) {
      std::string bytes;
      AppendVarint(bytes, (uint64_t{number} << 3) | wire_type);
      AppendVarint(bytes, 0);  // varint 0, or length 0
      proto::ClientMessage message;
      if (message.ParseFromString(bytes) &&
          message.body_case() != proto::ClientMessage::BODY_NOT_SET) {
        found.insert(message.body_case());
      }
    }
  }
  return found;
}

// A plausible message of each body, as a real app would send it.
proto::ClientMessage MessageOf(Body body, State state) {
  proto::ClientMessage message;
  switch (body) {
    case proto::ClientMessage::kHello:
      message.mutable_hello()->set_protocol_version(
          proto::PROTOCOL_VERSION_CURRENT);
      message.mutable_hello()->set_role(state == State::kCustomer
                                            ? proto::ROLE_CUSTOMER
                                            : proto::ROLE_SUPPORTER);
      message.mutable_hello()->set_app_version("role-matrix 0");
      break;
    case proto::ClientMessage::kLogin:
      // Right credentials: a refusal must not depend on a wrong password.
      message.mutable_login()->set_user("tech");
      message.mutable_login()->set_password(kPassword);
      break;
    case proto::ClientMessage::kChangePassword:
      // Right current password, a blocklisted new one: the result is
      // "not changed" and the state must stay as it was.
      message.mutable_change_password()->set_current_password(kPassword);
      message.mutable_change_password()->set_new_password("password");
      break;
    case proto::ClientMessage::kCreateSession:
      message.mutable_create_session();
      break;
    case proto::ClientMessage::kCancelSession:
      message.mutable_cancel_session()->set_code("12345678");
      break;
    case proto::ClientMessage::kJoin:
      message.mutable_join()->set_code("00000000");
      message.mutable_join()->set_host_name("pc-042");
      message.mutable_join()->set_user_name("maria");
      break;
    case proto::ClientMessage::kJoinDecision:
      message.mutable_join_decision()->set_code("00000000");
      message.mutable_join_decision()->set_accept(true);
      break;
    case proto::ClientMessage::kRelayed:
      message.mutable_relayed()->set_data("not paired yet");
      break;
    case proto::ClientMessage::kHeartbeat:
      message.mutable_heartbeat()->set_sent_at_unix_ms(1);
      break;
    case proto::ClientMessage::kEnd:
      message.mutable_end()->set_reason(proto::END_REASON_USER_ENDED);
      break;
    case proto::ClientMessage::BODY_NOT_SET:
      break;
  }
  return message;
}

class RoleMatrixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    relay_ = std::make_unique<RelayProcess>();
    AddAccount("tech", AccountRole::kTechnician, false);
    AddAccount("audrey", AccountRole::kAuditor, false);
    AddAccount("newbie", AccountRole::kTechnician, true);
    AddAccount("root", AccountRole::kAdmin, false);
    auto started = relay_->Start();
    ASSERT_TRUE(started.has_value()) << started.error().message;
  }

  void AddAccount(const std::string& name, AccountRole role, bool must_change) {
    auto store = SqliteStore::Open(relay_->database(), Clock::System());
    ASSERT_TRUE(store.has_value()) << store.error().message;
    auto hash =
        crypto::HashPassword(kPassword, crypto::RandomGenerator::Default(),
                             crypto::Argon2Params{1024, 1, 1});
    ASSERT_TRUE(hash.has_value());
    Account account;
    account.user_name = name;
    account.display_name = name + " (IT)";
    account.role = role;
    account.password_hash = *hash;
    account.must_change_password = must_change;
    ASSERT_TRUE((*store)->CreateAccount(account).has_value());
  }

  // Each connection from its own loopback address: the join guard and the
  // login throttle count per source, and the matrix is not an attack.
  std::unique_ptr<RelayTestClient> Connect() {
    const std::string source = "127.0.1." + std::to_string(++next_source_);
    auto client = RelayTestClient::Connect(
        relay_->port(), relay_->fingerprint(), kWait, source);
    EXPECT_TRUE(client.has_value()) << client.error().message;
    return client ? std::move(*client) : nullptr;
  }

  // A fresh connection brought into `state`; null (and a failure) if not.
  std::unique_ptr<RelayTestClient> Enter(State state) {
    auto client = Connect();
    if (!client)
      return nullptr;
    auto hello = [&](proto::Role role) {
      auto ack = client->Hello(role);
      EXPECT_TRUE(ack && ack->has_hello_ack());
      return ack && ack->has_hello_ack();
    };
    auto login = [&](const std::string& user,
                     proto::LoginResult::Status status) {
      proto::ClientMessage message;
      message.mutable_login()->set_user(user);
      message.mutable_login()->set_password(kPassword);
      if (!client->Send(message))
        return false;
      auto result = client->Receive(kHashWait);
      EXPECT_TRUE(result && result->has_login_result());
      if (!result || !result->has_login_result())
        return false;
      EXPECT_EQ(result->login_result().status(), status)
          << result->login_result().message();
      return result->login_result().status() == status;
    };
    bool ok = true;
    switch (state) {
      case State::kNoHello:
        break;
      case State::kCustomer:
        ok = hello(proto::ROLE_CUSTOMER);
        break;
      case State::kSupporterNotSignedIn:
        ok = hello(proto::ROLE_SUPPORTER);
        break;
      case State::kMustChangePassword:
        ok = hello(proto::ROLE_SUPPORTER) &&
             login("newbie",
                   proto::LoginResult::STATUS_PASSWORD_CHANGE_REQUIRED);
        break;
      case State::kTechnician:
        ok = hello(proto::ROLE_SUPPORTER) &&
             login("tech", proto::LoginResult::STATUS_OK);
        break;
      case State::kAuditor:
        ok = hello(proto::ROLE_SUPPORTER) &&
             login("audrey", proto::LoginResult::STATUS_OK);
        break;
    }
    return ok ? std::move(client) : nullptr;
  }

  static void ExpectRefusedClosed(RelayTestClient& client) {
    auto error = client.Receive(kWait);
    ASSERT_TRUE(error.has_value()) << error.error().message;
    ASSERT_TRUE(error->has_error()) << "accepted: " << Describe(*error);
    EXPECT_EQ(error->error().code(), proto::ErrorReply::CODE_NOT_ALLOWED);
    auto end = client.Receive(kWait);
    ASSERT_TRUE(end.has_value()) << end.error().message;
    ASSERT_TRUE(end->has_end()) << Describe(*end);
    EXPECT_EQ(end->end().reason(), proto::END_REASON_PROTOCOL_ERROR);
    EXPECT_TRUE(client.WaitClosed(kWait));
  }

  // Still in `state`, by what only that state gets for one more message;
  // for the states below a technician, proof that nothing was escalated.
  void ExpectStillIn(RelayTestClient& client, State state) {
    SCOPED_TRACE("probe: still " + std::string(Name(state)));
    switch (state) {
      case State::kNoHello:
        FAIL() << "no open cell without Hello";
      case State::kCustomer: {
        // Only a customer awaiting a code can Join.
        ASSERT_TRUE(client.Send(MessageOf(proto::ClientMessage::kJoin, state)));
        auto reply = client.Receive(kWait);
        ASSERT_TRUE(reply && reply->has_error());
        EXPECT_EQ(reply->error().code(), proto::ErrorReply::CODE_INVALID_CODE);
        return;
      }
      case State::kSupporterNotSignedIn:
      case State::kMustChangePassword: {
        proto::ClientMessage create;
        create.mutable_create_session();
        ASSERT_TRUE(client.Send(create));
        ExpectRefusedClosed(client);
        return;
      }
      case State::kTechnician:
      case State::kAuditor: {
        // A signed-in supporter hears "no customer waiting"; anyone else
        // would be closed. An auditor still cannot create a session.
        ASSERT_TRUE(
            client.Send(MessageOf(proto::ClientMessage::kJoinDecision, state)));
        auto reply = client.Receive(kWait);
        ASSERT_TRUE(reply && reply->has_error());
        EXPECT_EQ(reply->error().code(), proto::ErrorReply::CODE_NOT_ALLOWED);
        if (state == State::kAuditor) {
          proto::ClientMessage create;
          create.mutable_create_session();
          ASSERT_TRUE(client.Send(create));
          auto refused = client.Receive(kWait);
          ASSERT_TRUE(refused && refused->has_error());
          EXPECT_EQ(refused->error().code(),
                    proto::ErrorReply::CODE_NOT_ALLOWED);
        }
        return;
      }
    }
  }

  void RunCell(State state, Body body, const Expect& expect) {
    auto client = Enter(state);
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->Send(MessageOf(body, state)).has_value());
    switch (expect.kind) {
      case Kind::kRefusedClosed:
        ExpectRefusedClosed(*client);
        return;
      case Kind::kErrorStaysOpen: {
        auto reply = client->Receive(kWait);
        ASSERT_TRUE(reply.has_value()) << reply.error().message;
        ASSERT_TRUE(reply->has_error()) << Describe(*reply);
        EXPECT_EQ(reply->error().code(), expect.error)
            << reply->error().message();
        ExpectStillIn(*client, state);
        return;
      }
      case Kind::kReply: {
        auto reply = client->Receive(kHashWait);
        ASSERT_TRUE(reply.has_value()) << reply.error().message;
        ASSERT_EQ(reply->body_case(), expect.reply) << Describe(*reply);
        if (reply->has_login_result()) {
          EXPECT_EQ(reply->login_result().status(),
                    proto::LoginResult::STATUS_OK);
        }
        if (reply->has_session_created()) {
          EXPECT_EQ(reply->session_created().code().size(), 8u);
        }
        if (reply->has_change_password_result()) {
          // The blocklisted password was not taken; nothing else changed.
          EXPECT_FALSE(reply->change_password_result().ok());
          ExpectStillIn(*client, state);
        }
        return;
      }
      case Kind::kNoReply:
        ExpectStillIn(*client, state);
        return;
      case Kind::kEnded: {
        auto end = client->Receive(kWait);
        ASSERT_TRUE(end.has_value()) << end.error().message;
        ASSERT_TRUE(end->has_end()) << Describe(*end);
        EXPECT_EQ(end->end().reason(), proto::END_REASON_USER_ENDED);
        EXPECT_TRUE(client->WaitClosed(kWait));
        return;
      }
    }
  }

  // A technician that has never been seen signs in and gets a code.
  void ExpectFreshTechnicianServed() {
    ASSERT_TRUE(relay_->AddTechnician("fresh", "Fresh (IT)", kPassword));
    auto client = Connect();
    ASSERT_NE(client, nullptr);
    auto ack = client->Hello(proto::ROLE_SUPPORTER);
    ASSERT_TRUE(ack && ack->has_hello_ack());
    proto::ClientMessage login;
    login.mutable_login()->set_user("fresh");
    login.mutable_login()->set_password(kPassword);
    ASSERT_TRUE(client->Send(login));
    auto result = client->Receive(kHashWait);
    ASSERT_TRUE(result && result->has_login_result());
    ASSERT_EQ(result->login_result().status(), proto::LoginResult::STATUS_OK)
        << result->login_result().message();
    proto::ClientMessage create;
    create.mutable_create_session();
    ASSERT_TRUE(client->Send(create));
    auto created = client->Receive(kWait);
    ASSERT_TRUE(created && created->has_session_created());
    EXPECT_EQ(created->session_created().code().size(), 8u);
  }

  std::unique_ptr<RelayProcess> relay_;
  int next_source_ = 1;
};

TEST_F(RoleMatrixTest, OneofIsFullyListed) {
  const std::set<Body> members = DiscoverOneofMembers();
  // Sanity: the discovery works at all (the bodies of today).
  EXPECT_GE(members.size(), 10u);
  for (Body body : members) {
    EXPECT_TRUE(Matrix().contains(body))
        << "ClientMessage body " << static_cast<int>(body)
        << " is not in the role matrix: add its row";
  }
  for (const auto& [body, row] : Matrix()) {
    if (body != proto::ClientMessage::BODY_NOT_SET) {
      EXPECT_TRUE(members.contains(body)) << static_cast<int>(body);
    }
    EXPECT_EQ(row.size(), 6u) << "every state, body " << static_cast<int>(body);
  }
}

TEST_F(RoleMatrixTest, EveryMessageInEveryStateThenAFreshTechnicianIsServed) {
  const auto started = std::chrono::steady_clock::now();
  for (const auto& [body, row] : Matrix()) {
    for (const auto& [state, expect] : row) {
      SCOPED_TRACE(std::string(Name(state)) + " x body " +
                   std::to_string(static_cast<int>(body)));
      RunCell(state, body, expect);
    }
  }
  ExpectFreshTechnicianServed();
  std::printf(
      "role matrix: %.1f s\n",
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
          .count());
}

// The roles the Hello cannot take: the reserved admin console and none.
TEST_F(RoleMatrixTest, HelloWithAnyOtherRoleIsRefused) {
  for (proto::Role role : {proto::ROLE_ADMIN_CONSOLE, proto::ROLE_UNSPECIFIED,
                           static_cast<proto::Role>(99)}) {
    SCOPED_TRACE(static_cast<int>(role));
    auto client = Connect();
    ASSERT_NE(client, nullptr);
    proto::ClientMessage hello;
    hello.mutable_hello()->set_protocol_version(
        proto::PROTOCOL_VERSION_CURRENT);
    hello.mutable_hello()->set_role(role);
    ASSERT_TRUE(client->Send(hello));
    ExpectRefusedClosed(*client);
  }
  ExpectFreshTechnicianServed();
}

// An admin account signs in as a supporter and gets no more than a
// technician: administration is local-only (tether-relay subcommands).
TEST_F(RoleMatrixTest, AdminAccountIsATechnicianOnTheWire) {
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Hello(proto::ROLE_SUPPORTER));
  proto::ClientMessage login;
  login.mutable_login()->set_user("root");
  login.mutable_login()->set_password(kPassword);
  ASSERT_TRUE(client->Send(login));
  auto result = client->Receive(kHashWait);
  ASSERT_TRUE(result && result->has_login_result());
  ASSERT_EQ(result->login_result().status(), proto::LoginResult::STATUS_OK);
  EXPECT_EQ(result->login_result().role(), proto::ACCOUNT_ROLE_ADMIN);
  ASSERT_TRUE(
      client->Send(MessageOf(proto::ClientMessage::kJoin, State::kTechnician)));
  ExpectRefusedClosed(*client);
}

// Paired: Relayed is forwarded, Heartbeat accepted, anything else closes
// the session for both.
TEST_F(RoleMatrixTest, PairedClientsMayOnlyRelayHeartbeatOrEnd) {
  for (Body body :
       {proto::ClientMessage::kHello, proto::ClientMessage::kLogin,
        proto::ClientMessage::kChangePassword,
        proto::ClientMessage::kCreateSession,
        proto::ClientMessage::kCancelSession, proto::ClientMessage::kJoin,
        proto::ClientMessage::kJoinDecision}) {
    SCOPED_TRACE(static_cast<int>(body));
    auto technician = Enter(State::kTechnician);
    ASSERT_NE(technician, nullptr);
    ASSERT_TRUE(technician->Send(
        MessageOf(proto::ClientMessage::kCreateSession, State::kTechnician)));
    auto created = technician->Receive(kWait);
    ASSERT_TRUE(created && created->has_session_created());
    auto customer = Enter(State::kCustomer);
    ASSERT_NE(customer, nullptr);
    proto::ClientMessage join =
        MessageOf(proto::ClientMessage::kJoin, State::kCustomer);
    join.mutable_join()->set_code(created->session_created().code());
    ASSERT_TRUE(customer->Send(join));
    auto request = technician->Receive(kWait);
    ASSERT_TRUE(request && request->has_join_request());
    proto::ClientMessage decision =
        MessageOf(proto::ClientMessage::kJoinDecision, State::kTechnician);
    decision.mutable_join_decision()->set_code(
        created->session_created().code());
    ASSERT_TRUE(technician->Send(decision));
    auto joined = customer->Receive(kWait);
    ASSERT_TRUE(joined && joined->has_joined());
    auto peer_joined = technician->Receive(kWait);
    ASSERT_TRUE(peer_joined && peer_joined->has_peer_joined());

    ASSERT_TRUE(customer->Send(
        MessageOf(proto::ClientMessage::kHeartbeat, State::kCustomer)));
    proto::ClientMessage relayed;
    relayed.mutable_relayed()->set_data("paired bytes");
    ASSERT_TRUE(customer->Send(relayed));
    auto forwarded = technician->Receive(kWait);
    ASSERT_TRUE(forwarded && forwarded->has_relayed());
    EXPECT_EQ(forwarded->relayed().data(), "paired bytes");

    // Both sides try the control message; the technician's is refused
    // and ends the session for the customer as well.
    ASSERT_TRUE(technician->Send(MessageOf(body, State::kTechnician)));
    ExpectRefusedClosed(*technician);
    auto lost = customer->Receive(kWait);
    ASSERT_TRUE(lost && lost->has_end());
    EXPECT_EQ(lost->end().reason(), proto::END_REASON_PEER_LOST);
    EXPECT_TRUE(customer->WaitClosed(kWait));
  }
  ExpectFreshTechnicianServed();
}

}  // namespace
}  // namespace tether::relay
