// End-to-end tests of a real tether-relay process on 127.0.0.1 with real
// TLS and a real SQLite file: sign-in, codes, joining, forwarding, limits.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "crypto/password_hash.h"
#include "crypto/random.h"
#include "relay/store/sqlite_store.h"
#include "tests/support/relay_pairing.h"
#include "tests/support/relay_process.h"
#include "tests/support/relay_test_client.h"

namespace tether::relay {
namespace {

using tether::test::ConnectApp;
using tether::test::CreateCode;
using tether::test::DecisionMessage;
using tether::test::JoinMessage;
using tether::test::PairThroughCode;
using tether::test::RelayedMessage;
using tether::test::RelayProcess;
using tether::test::RelayTestClient;
using tether::test::SignedInTechnician;

using tether::test::kPassword;

class RelaySessionTest : public ::testing::Test {
 protected:
  void StartRelay(const std::string& extra_toml = "") {
    relay_ = std::make_unique<RelayProcess>(extra_toml);
    AddAccount("alice", AccountRole::kTechnician, /*must_change=*/false);
    AddAccount("audrey", AccountRole::kAuditor, /*must_change=*/false);
    AddAccount("newbie", AccountRole::kTechnician, /*must_change=*/true);
    auto started = relay_->Start();
    ASSERT_TRUE(started.has_value()) << started.error().message;
  }

  void AddAccount(const std::string& name, AccountRole role, bool must_change) {
    auto store = SqliteStore::Open(relay_->database(), Clock::System());
    ASSERT_TRUE(store.has_value()) << store.error().message;
    // Cheap parameters keep the test fast; the relay upgrades the hash to
    // the real ones at the first login, as it would after a config change.
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

  std::unique_ptr<RelayTestClient> Connect() { return ConnectApp(*relay_); }

  // A signed-in technician.
  std::unique_ptr<RelayTestClient> Technician(
      const std::string& user = "alice") {
    return SignedInTechnician(*relay_, user, kPassword);
  }

  static proto::ClientMessage Join(const std::string& code) {
    return JoinMessage(code);
  }
  static proto::ClientMessage Decision(const std::string& code, bool accept) {
    return DecisionMessage(code, accept);
  }
  static proto::ClientMessage Relayed(const std::string& data) {
    return RelayedMessage(data);
  }

  // Technician and customer paired through a fresh code.
  void Pair(std::unique_ptr<RelayTestClient>* technician,
            std::unique_ptr<RelayTestClient>* customer) {
    PairThroughCode(*relay_, "alice", kPassword, technician, customer);
  }

  std::unique_ptr<RelayProcess> relay_;
};

TEST_F(RelaySessionTest, HelloAckCarriesOrganisationAndTerms) {
  StartRelay();
  auto client = Connect();
  auto ack = client->Hello(proto::ROLE_CUSTOMER);
  ASSERT_TRUE(ack.has_value()) << ack.error().message;
  ASSERT_TRUE(ack->has_hello_ack());
  EXPECT_EQ(ack->hello_ack().organisation(), "Test IT");
  EXPECT_EQ(ack->hello_ack().support_terms(), "Test terms.");
}

TEST_F(RelaySessionTest, WrongProtocolVersionGetsAClearErrorAndIsClosed) {
  StartRelay();
  auto client = Connect();
  proto::ClientMessage hello;
  hello.mutable_hello()->set_protocol_version(99);
  hello.mutable_hello()->set_role(proto::ROLE_CUSTOMER);
  ASSERT_TRUE(client->Send(hello).has_value());
  auto reply = client->Receive();
  ASSERT_TRUE(reply.has_value());
  ASSERT_TRUE(reply->has_error());
  EXPECT_EQ(reply->error().code(), proto::ErrorReply::CODE_VERSION_MISMATCH);
  EXPECT_NE(reply->error().message().find("protocol 1"), std::string::npos);
  EXPECT_TRUE(client->WaitClosed());
}

TEST_F(RelaySessionTest, TechnicianSignsInWithTheRightPassword) {
  StartRelay();
  auto client = Connect();
  ASSERT_TRUE(client->Hello(proto::ROLE_SUPPORTER).has_value());
  auto result = client->Login("alice", kPassword);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->login_result().status(), proto::LoginResult::STATUS_OK);
  EXPECT_EQ(result->login_result().display_name(), "alice (IT)");
  EXPECT_EQ(result->login_result().role(), proto::ACCOUNT_ROLE_TECHNICIAN);
}

TEST_F(RelaySessionTest, WrongPasswordAndUnknownUserGetTheSameAnswer) {
  StartRelay();
  auto client = Connect();
  ASSERT_TRUE(client->Hello(proto::ROLE_SUPPORTER).has_value());
  auto wrong = client->Login("alice", "not the password");
  auto unknown = client->Login("mallory", "not the password");
  ASSERT_TRUE(wrong && unknown);
  EXPECT_EQ(wrong->login_result().status(),
            proto::LoginResult::STATUS_BAD_CREDENTIALS);
  EXPECT_EQ(unknown->login_result().status(),
            proto::LoginResult::STATUS_BAD_CREDENTIALS);
  EXPECT_EQ(wrong->login_result().message(), unknown->login_result().message());
}

TEST_F(RelaySessionTest, FirstPasswordMustBeChangedBeforeAnythingElse) {
  StartRelay();
  auto client = Connect();
  ASSERT_TRUE(client->Hello(proto::ROLE_SUPPORTER).has_value());
  auto result = client->Login("newbie", kPassword);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->login_result().status(),
            proto::LoginResult::STATUS_PASSWORD_CHANGE_REQUIRED);

  proto::ClientMessage change;
  change.mutable_change_password()->set_current_password(kPassword);
  change.mutable_change_password()->set_new_password("password");  // blocked
  ASSERT_TRUE(client->Send(change).has_value());
  auto refused = client->Receive(std::chrono::seconds(20));
  ASSERT_TRUE(refused && refused->has_change_password_result());
  EXPECT_FALSE(refused->change_password_result().ok());

  change.mutable_change_password()->set_new_password(
      "a much longer fresh passphrase");
  ASSERT_TRUE(client->Send(change).has_value());
  auto changed = client->Receive(std::chrono::seconds(20));
  ASSERT_TRUE(changed && changed->has_change_password_result());
  EXPECT_TRUE(changed->change_password_result().ok())
      << changed->change_password_result().message();
  auto signed_in = client->Receive(std::chrono::seconds(20));
  ASSERT_TRUE(signed_in && signed_in->has_login_result());
  EXPECT_EQ(signed_in->login_result().status(), proto::LoginResult::STATUS_OK);
}

TEST_F(RelaySessionTest, CreateJoinAcceptThenBytesFlowBothWaysUnchanged) {
  StartRelay();
  std::unique_ptr<RelayTestClient> technician, customer;
  Pair(&technician, &customer);

  std::string binary(70000, '\0');
  for (size_t i = 0; i < binary.size(); ++i)
    binary[i] = static_cast<char>(i * 7);
  ASSERT_TRUE(customer->Send(Relayed(binary)).has_value());
  ASSERT_TRUE(technician->Send(Relayed("from the technician")).has_value());
  auto at_technician = technician->Receive();
  auto at_customer = customer->Receive();
  ASSERT_TRUE(at_technician && at_customer);
  EXPECT_EQ(at_technician->relayed().data(), binary);
  EXPECT_EQ(at_customer->relayed().data(), "from the technician");
}

TEST_F(RelaySessionTest, JoinRequestShowsTheCustomersHostAndUser) {
  StartRelay();
  auto technician = Technician();
  const std::string code = CreateCode(*technician);
  ASSERT_EQ(code.size(), 8u);
  auto customer = Connect();
  ASSERT_TRUE(customer->Hello(proto::ROLE_CUSTOMER).has_value());
  ASSERT_TRUE(customer->Send(Join(code.substr(0, 4) + " " + code.substr(4)))
                  .has_value());
  auto request = technician->Receive();
  ASSERT_TRUE(request && request->has_join_request());
  EXPECT_EQ(request->join_request().host_name(), "pc-042");
  EXPECT_EQ(request->join_request().user_name(), "maria");
  EXPECT_EQ(request->join_request().code(), code);
}

TEST_F(RelaySessionTest, ACodeWorksOnlyOnce) {
  StartRelay();
  std::unique_ptr<RelayTestClient> technician, customer;
  auto tech = Technician();
  const std::string code = CreateCode(*tech);
  auto first = Connect();
  ASSERT_TRUE(first->Hello(proto::ROLE_CUSTOMER).has_value());
  ASSERT_TRUE(first->Send(Join(code)).has_value());
  ASSERT_TRUE(tech->Receive().has_value());
  ASSERT_TRUE(tech->Send(Decision(code, true)).has_value());
  ASSERT_TRUE(first->Receive().has_value());

  auto second = Connect();
  ASSERT_TRUE(second->Hello(proto::ROLE_CUSTOMER).has_value());
  ASSERT_TRUE(second->Send(Join(code)).has_value());
  auto reply = second->Receive();
  ASSERT_TRUE(reply && reply->has_error());
  EXPECT_EQ(reply->error().code(), proto::ErrorReply::CODE_INVALID_CODE);
}

TEST_F(RelaySessionTest, RejectedCustomerIsToldAndTheCodeIsGone) {
  StartRelay();
  auto technician = Technician();
  const std::string code = CreateCode(*technician);
  auto customer = Connect();
  ASSERT_TRUE(customer->Hello(proto::ROLE_CUSTOMER).has_value());
  ASSERT_TRUE(customer->Send(Join(code)).has_value());
  ASSERT_TRUE(technician->Receive().has_value());
  ASSERT_TRUE(technician->Send(Decision(code, false)).has_value());
  auto end = customer->Receive();
  ASSERT_TRUE(end && end->has_end());
  EXPECT_EQ(end->end().reason(), proto::END_REASON_JOIN_REJECTED);
  EXPECT_TRUE(customer->WaitClosed());

  auto again = Connect();
  ASSERT_TRUE(again->Hello(proto::ROLE_CUSTOMER).has_value());
  ASSERT_TRUE(again->Send(Join(code)).has_value());
  auto reply = again->Receive();
  ASSERT_TRUE(reply && reply->has_error());
  EXPECT_EQ(reply->error().code(), proto::ErrorReply::CODE_INVALID_CODE);
}

TEST_F(RelaySessionTest, AtMostThreeWaitingCodesPerTechnician) {
  StartRelay();
  auto technician = Technician();
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(CreateCode(*technician).size(), 8u);
  proto::ClientMessage create;
  create.mutable_create_session();
  ASSERT_TRUE(technician->Send(create).has_value());
  auto reply = technician->Receive();
  ASSERT_TRUE(reply && reply->has_error());
  EXPECT_EQ(reply->error().code(), proto::ErrorReply::CODE_TOO_MANY_SESSIONS);
}

TEST_F(RelaySessionTest, AuditorsCannotStartSessions) {
  StartRelay();
  auto auditor = Technician("audrey");
  proto::ClientMessage create;
  create.mutable_create_session();
  ASSERT_TRUE(auditor->Send(create).has_value());
  auto reply = auditor->Receive();
  ASSERT_TRUE(reply && reply->has_error());
  EXPECT_EQ(reply->error().code(), proto::ErrorReply::CODE_NOT_ALLOWED);
}

TEST_F(RelaySessionTest, CustomersCannotUseTechnicianMessages) {
  StartRelay();
  auto customer = Connect();
  ASSERT_TRUE(customer->Hello(proto::ROLE_CUSTOMER).has_value());
  proto::ClientMessage create;
  create.mutable_create_session();
  ASSERT_TRUE(customer->Send(create).has_value());
  auto reply = customer->Receive();
  ASSERT_TRUE(reply && reply->has_error());
  EXPECT_EQ(reply->error().code(), proto::ErrorReply::CODE_NOT_ALLOWED);
  EXPECT_TRUE(customer->WaitClosed());
}

TEST_F(RelaySessionTest, EndingTellsThePeer) {
  StartRelay();
  std::unique_ptr<RelayTestClient> technician, customer;
  Pair(&technician, &customer);
  proto::ClientMessage end;
  end.mutable_end()->set_reason(proto::END_REASON_EMERGENCY_STOP);
  ASSERT_TRUE(customer->Send(end).has_value());
  auto told = technician->Receive();
  ASSERT_TRUE(told && told->has_end());
  EXPECT_EQ(told->end().reason(), proto::END_REASON_EMERGENCY_STOP);
  EXPECT_TRUE(technician->WaitClosed());
}

TEST_F(RelaySessionTest, SigtermTellsClientsAndExitsZero) {
  StartRelay();
  std::unique_ptr<RelayTestClient> technician, customer;
  Pair(&technician, &customer);
  auto stopped = relay_->Stop();
  ASSERT_TRUE(stopped.has_value()) << stopped.error().message;
  EXPECT_EQ(*stopped, 0);
  auto told = customer->Receive();
  ASSERT_TRUE(told && told->has_end());
  EXPECT_EQ(told->end().reason(), proto::END_REASON_RELAY_SHUTDOWN);
}

TEST_F(RelaySessionTest,
       SilentConnectionIsDroppedAfterTheFirstMessageDeadline) {
  StartRelay("[timeouts]\nfirst_message = \"1s\"\n");
  auto client = Connect();
  auto end = client->Receive(std::chrono::seconds(5));
  EXPECT_TRUE(client->WaitClosed(std::chrono::seconds(5)));
}

}  // namespace
}  // namespace tether::relay
