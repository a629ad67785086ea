// tether-loopback: a real support session on this machine, without the
// apps' windows. It starts a tether-relay process (fresh certificate,
// database and technician account in a temporary directory), signs a
// technician in, issues a code, lets a customer join with it, runs the
// end-to-end key exchange through the relay, shows both sides' SAS, and
// sends encrypted messages both ways — printing what the relay saw.
//
// Grows into the full local session (customer app + supporter console) as
// those exist; run through scripts/main-job.

#include <cstdio>
#include <string>

#include "base/bytes.h"
#include "crypto/e2e_channel.h"
#include "crypto/e2e_handshake.h"
#include "crypto/random.h"
#include "crypto/session_code.h"
#include "protocol/messages.h"
#include "protocol/peer.pb.h"
#include "tests/support/relay_process.h"
#include "tests/support/relay_test_client.h"

namespace {

using namespace tether;
using test::RelayTestClient;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "tether-loopback: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T Check(Result<T> result, const char* what) {
  if (!result) Fail(std::string(what) + ": " + result.error().message);
  return std::move(result).value();
}

void Send(RelayTestClient& client, const proto::PeerEnvelope& envelope) {
  const Bytes data = protocol::SerializeMessage(envelope);
  proto::ClientMessage message;
  message.mutable_relayed()->set_data(data.data(), data.size());
  if (!client.Send(message)) Fail("send failed");
}

proto::PeerEnvelope ReceiveEnvelope(RelayTestClient& client) {
  auto message = Check(client.Receive(), "waiting for the peer");
  if (!message.has_relayed()) Fail("expected relayed data from the peer");
  proto::PeerEnvelope envelope;
  const std::string& data = message.relayed().data();
  if (!protocol::ParsePayload(AsBytes(data), envelope)) Fail("bad envelope");
  return envelope;
}

void SendSealed(RelayTestClient& client, crypto::E2eChannel& channel,
                const proto::PeerMessage& message) {
  Bytes record = Check(channel.Seal(protocol::SerializeMessage(message)),
                       "sealing");
  proto::PeerEnvelope envelope;
  envelope.set_record(record.data(), record.size());
  Send(client, envelope);
  std::printf("    relay forwarded %zu bytes: %s...\n", record.size(),
              ToHex(ByteSpan(record).first(24)).c_str());
}

proto::PeerMessage ReceiveSealed(RelayTestClient& client,
                                 crypto::E2eChannel& channel) {
  proto::PeerEnvelope envelope = ReceiveEnvelope(client);
  if (!envelope.has_record()) Fail("expected an encrypted record");
  Bytes plain = Check(channel.Open(AsBytes(envelope.record())), "opening");
  proto::PeerMessage message;
  if (!protocol::ParsePayload(plain, message)) Fail("bad peer message");
  return message;
}

}  // namespace

int main() {
  auto& random = crypto::RandomGenerator::Default();
  std::printf("== Tether loopback session ==\n\n");

  test::RelayProcess relay;
  // Accounts as IT creates them: locally, with the relay's own commands.
  auto admin = relay.RunCommand({"user", "add", "root", "--role", "admin",
                                 "--generate"});
  if (admin.exit_code != 0) Fail("user add root: " + admin.output);
  auto tech = relay.RunCommand(
      {"user", "add", "tech", "--role", "technician", "--display-name",
       "Tina Technician"},
      "first loopback passphrase\n");
  if (tech.exit_code != 0) Fail("user add tech: " + tech.output);
  std::printf("IT created an admin and a technician account:\n%s\n",
              relay.RunCommand({"user", "list"}).output.c_str());
  if (auto started = relay.Start(); !started) Fail(started.error().message);
  std::printf("relay     listening on 127.0.0.1:%u (TLS 1.2, AES-256-GCM)\n",
              relay.port());
  std::printf("          certificate pin %s\n\n", relay.fingerprint().c_str());

  auto technician = Check(RelayTestClient::Connect(relay.port(),
                                                   relay.fingerprint()),
                          "technician connecting");
  Check(technician->Hello(proto::ROLE_SUPPORTER), "technician hello");
  auto login = Check(technician->Login("tech", "first loopback passphrase"),
                     "signing in");
  if (login.login_result().status() ==
      proto::LoginResult::STATUS_PASSWORD_CHANGE_REQUIRED) {
    // The first password was set by IT: the technician picks their own.
    std::printf("technician must replace the first password: does so\n");
    proto::ClientMessage change;
    change.mutable_change_password()->set_current_password(
        "first loopback passphrase");
    change.mutable_change_password()->set_new_password(
        "tina's own long passphrase");
    if (!technician->Send(change)) Fail("change password");
    auto changed = Check(technician->Receive(std::chrono::seconds(30)),
                         "changing the password");
    if (!changed.change_password_result().ok()) {
      Fail("password change refused: " +
           changed.change_password_result().message());
    }
    login = Check(technician->Receive(std::chrono::seconds(30)), "sign-in");
  }
  if (login.login_result().status() != proto::LoginResult::STATUS_OK) {
    Fail("sign-in refused: " + login.login_result().message());
  }
  std::printf("technician signed in as %s\n",
              login.login_result().display_name().c_str());
  proto::ClientMessage create;
  create.mutable_create_session();
  if (!technician->Send(create)) Fail("create session");
  auto created = Check(technician->Receive(), "new session");
  const std::string code = created.session_created().code();
  std::printf("technician's code: %s\n\n",
              crypto::FormatSessionCode(code).c_str());

  auto customer = Check(RelayTestClient::Connect(relay.port(),
                                                 relay.fingerprint()),
                        "customer connecting");
  auto ack = Check(customer->Hello(proto::ROLE_CUSTOMER), "customer hello");
  std::printf("customer  connected to %s's relay, types the code\n",
              ack.hello_ack().organisation().c_str());
  proto::ClientMessage join;
  join.mutable_join()->set_code(crypto::FormatSessionCode(code));
  join.mutable_join()->set_host_name("loopback-pc");
  join.mutable_join()->set_user_name("maria");
  if (!customer->Send(join)) Fail("join");
  auto request = Check(technician->Receive(), "join request");
  std::printf("technician sees: %s@%s wants to join — accepts\n",
              request.join_request().user_name().c_str(),
              request.join_request().host_name().c_str());
  proto::ClientMessage accept;
  accept.mutable_join_decision()->set_code(code);
  accept.mutable_join_decision()->set_accept(true);
  if (!technician->Send(accept)) Fail("accept");
  Check(customer->Receive(), "joined");
  Check(technician->Receive(), "peer joined");

  // End-to-end key exchange through the relay (crypto/e2e_handshake.h).
  const crypto::E2eContext context{1, code};
  auto supporter_side = Check(crypto::E2eHandshake::Create(
      crypto::E2eRole::kSupporter, context, random), "handshake");
  auto customer_side = Check(crypto::E2eHandshake::Create(
      crypto::E2eRole::kCustomer, context, random), "handshake");
  proto::PeerEnvelope step;
  auto commitment = Check(supporter_side->SupporterCommit(), "commit");
  step.mutable_key_exchange()->set_commitment(commitment.data(),
                                              commitment.size());
  Send(*technician, step);
  auto got = ReceiveEnvelope(*customer);
  auto customer_key = Check(customer_side->CustomerRespond(
      AsBytes(got.key_exchange().commitment())), "respond");
  step.mutable_key_exchange()->set_customer_public_key(customer_key.data(),
                                                       customer_key.size());
  Send(*customer, step);
  got = ReceiveEnvelope(*technician);
  auto supporter_key = Check(supporter_side->SupporterReveal(
      AsBytes(got.key_exchange().customer_public_key())), "reveal");
  step.mutable_key_exchange()->set_supporter_public_key(supporter_key.data(),
                                                        supporter_key.size());
  Send(*technician, step);
  got = ReceiveEnvelope(*customer);
  Check(customer_side->CustomerVerify(
            AsBytes(got.key_exchange().supporter_public_key())),
        "verify");
  std::printf("\nSAS on the technician's screen: %s\n",
              supporter_side->sas().c_str());
  std::printf("SAS on the customer's screen:   %s   (%s)\n\n",
              customer_side->sas().c_str(),
              supporter_side->sas() == customer_side->sas()
                  ? "they match: no one in the middle"
                  : "MISMATCH: stop");
  if (supporter_side->sas() != customer_side->sas()) return 1;

  auto to_customer = Check(supporter_side->TakeChannel(), "channel");
  auto to_supporter = Check(customer_side->TakeChannel(), "channel");
  proto::PeerMessage terms;
  terms.mutable_terms()->set_technician_name("Tina Technician");
  terms.mutable_terms()->set_terms_text(ack.hello_ack().support_terms());
  std::printf("technician -> customer: session terms\n");
  SendSealed(*technician, *to_customer, terms);
  auto received = ReceiveSealed(*customer, *to_supporter);
  std::printf("    customer reads: technician %s\n",
              received.terms().technician_name().c_str());
  proto::PeerMessage chat;
  chat.mutable_chat()->set_text("Hello, I can see the problem now.");
  std::printf("technician -> customer: chat\n");
  SendSealed(*technician, *to_customer, chat);
  received = ReceiveSealed(*customer, *to_supporter);
  std::printf("    customer reads: \"%s\"\n", received.chat().text().c_str());
  std::printf("customer -> technician: chat\n");
  proto::PeerMessage answer;
  answer.mutable_chat()->set_text("Thank you!");
  SendSealed(*customer, *to_supporter, answer);
  received = ReceiveSealed(*technician, *to_customer);
  std::printf("    technician reads: \"%s\"\n\n", received.chat().text().c_str());

  proto::ClientMessage end;
  end.mutable_end()->set_reason(proto::END_REASON_USER_ENDED);
  if (!technician->Send(end)) Fail("end");
  customer->WaitClosed();
  auto stopped = Check(relay.Stop(), "stopping the relay");
  std::printf("relay stopped (exit %d). What it kept:\n", stopped);
  auto audit = relay.RunCommand({"audit", "verify"});
  std::printf("%s", audit.output.c_str());
  auto events = relay.RunCommand({"events", "export", "--format", "csv"});
  std::printf("%s", events.output.c_str());
  return 0;
}
