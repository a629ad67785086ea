#include "tests/support/relay_pairing.h"

#include <gtest/gtest.h>

namespace tether::test {

std::unique_ptr<RelayTestClient> ConnectApp(const RelayProcess& relay) {
  auto client = RelayTestClient::Connect(relay.port(), relay.fingerprint());
  EXPECT_TRUE(client.has_value()) << client.error().message;
  return client ? std::move(*client) : nullptr;
}

std::unique_ptr<RelayTestClient> SignedInTechnician(
    const RelayProcess& relay,
    const std::string& user,
    const std::string& password) {
  auto client = ConnectApp(relay);
  if (!client)
    return nullptr;
  auto ack = client->Hello(proto::ROLE_SUPPORTER);
  EXPECT_TRUE(ack && ack->has_hello_ack());
  auto result = client->Login(user, password);
  EXPECT_TRUE(result.has_value()) << result.error().message;
  if (!result ||
      result->login_result().status() != proto::LoginResult::STATUS_OK) {
    ADD_FAILURE() << "login of " << user << " failed: "
                  << (result ? result->login_result().message() : "");
    return nullptr;
  }
  return client;
}

std::string CreateCode(RelayTestClient& technician) {
  proto::ClientMessage create;
  create.mutable_create_session();
  EXPECT_TRUE(technician.Send(create).has_value());
  auto created = technician.Receive();
  EXPECT_TRUE(created.has_value() && created->has_session_created());
  return created && created->has_session_created()
             ? created->session_created().code()
             : "";
}

proto::ClientMessage JoinMessage(const std::string& code,
                                 const std::string& host_name,
                                 const std::string& user_name) {
  proto::ClientMessage join;
  join.mutable_join()->set_code(code);
  join.mutable_join()->set_host_name(host_name);
  join.mutable_join()->set_user_name(user_name);
  return join;
}

proto::ClientMessage DecisionMessage(const std::string& code, bool accept) {
  proto::ClientMessage decision;
  decision.mutable_join_decision()->set_code(code);
  decision.mutable_join_decision()->set_accept(accept);
  return decision;
}

proto::ClientMessage RelayedMessage(const std::string& data) {
  proto::ClientMessage message;
  message.mutable_relayed()->set_data(data);
  return message;
}

void PairThroughCode(const RelayProcess& relay,
                     const std::string& user,
                     const std::string& password,
                     std::unique_ptr<RelayTestClient>* technician,
                     std::unique_ptr<RelayTestClient>* customer) {
  *technician = SignedInTechnician(relay, user, password);
  ASSERT_NE(*technician, nullptr);
  const std::string code = CreateCode(**technician);
  *customer = ConnectApp(relay);
  ASSERT_NE(*customer, nullptr);
  ASSERT_TRUE((*customer)->Hello(proto::ROLE_CUSTOMER).has_value());
  ASSERT_TRUE((*customer)->Send(JoinMessage(code)).has_value());
  auto request = (*technician)->Receive();
  ASSERT_TRUE(request.has_value() && request->has_join_request());
  ASSERT_TRUE((*technician)->Send(DecisionMessage(code, true)).has_value());
  auto joined = (*customer)->Receive();
  ASSERT_TRUE(joined.has_value() && joined->has_joined());
  auto peer = (*technician)->Receive();
  ASSERT_TRUE(peer.has_value() && peer->has_peer_joined());
}

}  // namespace tether::test
