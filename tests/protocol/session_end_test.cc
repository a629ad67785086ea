#include "protocol/session_end.h"

#include <gtest/gtest.h>

#include <string>

namespace tether::protocol {
namespace {

proto::End RelayEnd(proto::EndReason reason, const std::string& message) {
  proto::End end;
  end.set_reason(reason);
  end.set_message(message);
  return end;
}

RelayDialer::DialError DialError(RelayDialer::Failure failure,
                                 int status = 0,
                                 const std::string& reason = "") {
  RelayDialer::DialError error;
  error.failure = failure;
  error.status = status;
  error.reason = reason;
  return error;
}

const RelayEndpoint kRelay{"relay.corp", 8443, "sha256:00", "", "", {}};
const std::optional<ProxyAddress> kProxy = ProxyAddress{"proxy.corp", 3128};

TEST(SessionEndTest, PeerEndingNamesTheOtherSide) {
  EXPECT_EQ(EndForPeerEnded(proto::ROLE_CUSTOMER, false).message,
            "The technician ended the session.");
  EXPECT_EQ(EndForPeerEnded(proto::ROLE_SUPPORTER, false).message,
            "The customer ended the session.");
  const SessionEnd stopped = EndForPeerEnded(proto::ROLE_SUPPORTER, true);
  EXPECT_EQ(stopped.reason, proto::END_REASON_EMERGENCY_STOP);
  EXPECT_EQ(stopped.message,
            "The customer pressed STOP and ended the session.");
  EXPECT_FALSE(stopped.local);
}

TEST(SessionEndTest, RelayEndsKeepTheirReasonAndReadWell) {
  const SessionEnd rejected =
      EndForRelayEnd(RelayEnd(proto::END_REASON_JOIN_REJECTED, "whatever"),
                     proto::ROLE_CUSTOMER, "");
  EXPECT_EQ(rejected.reason, proto::END_REASON_JOIN_REJECTED);
  EXPECT_EQ(rejected.message, "The technician did not accept this connection.");
  EXPECT_EQ(EndForRelayEnd(RelayEnd(proto::END_REASON_PEER_ENDED, ""),
                           proto::ROLE_CUSTOMER, "")
                .message,
            "The technician ended the session.");
  EXPECT_EQ(EndForRelayEnd(RelayEnd(proto::END_REASON_RELAY_SHUTDOWN, ""),
                           proto::ROLE_SUPPORTER, "")
                .message,
            "The relay is shutting down; the session has ended.");
  for (proto::Role role : {proto::ROLE_CUSTOMER, proto::ROLE_SUPPORTER}) {
    const SessionEnd by_it = EndForRelayEnd(
        RelayEnd(proto::END_REASON_ENDED_BY_IT, "anything"), role, "");
    EXPECT_EQ(by_it.reason, proto::END_REASON_ENDED_BY_IT);
    EXPECT_EQ(by_it.message,
              "Your IT department ended this session from the relay's "
              "console.");
  }
}

TEST(SessionEndTest, RelaySentencesAreUsedWhenTheyExplainMore) {
  EXPECT_EQ(EndForRelayEnd(RelayEnd(proto::END_REASON_CODE_EXPIRED,
                                    "The technician cancelled this session."),
                           proto::ROLE_CUSTOMER, "")
                .message,
            "The technician cancelled this session.");
  EXPECT_EQ(EndForRelayEnd(RelayEnd(proto::END_REASON_CODE_EXPIRED, ""),
                           proto::ROLE_CUSTOMER, "")
                .message,
            "This code has expired.");
  // A protocol error: the ErrorReply before it says more than "join rate
  // limited".
  EXPECT_EQ(EndForRelayEnd(
                RelayEnd(proto::END_REASON_PROTOCOL_ERROR, "join rate limited"),
                proto::ROLE_CUSTOMER, "Please try again in 5 minutes.")
                .message,
            "Please try again in 5 minutes.");
}

TEST(SessionEndTest, RelayTextIsCleanedAndCut) {
  EXPECT_EQ(CleanRelayText("a\nb\x1b[31mc"), "a b [31mc");
  EXPECT_EQ(CleanRelayText(std::string(1000, 'x')).size(), 300u);
}

TEST(SessionEndTest, RefusedJoinSaysWhetherTheCodeWasWrong) {
  proto::ErrorReply invalid;
  invalid.set_code(proto::ErrorReply::CODE_INVALID_CODE);
  invalid.set_message("This code is not valid.");
  const SessionEnd wrong = EndForJoinRefused(invalid);
  EXPECT_EQ(wrong.reason, proto::END_REASON_CODE_EXPIRED);
  EXPECT_EQ(wrong.message, kWrongCodeText);
  proto::ErrorReply limited;
  limited.set_code(proto::ErrorReply::CODE_RATE_LIMITED);
  limited.set_message("Too many wrong codes. Try again in 2 minutes.");
  EXPECT_EQ(EndForJoinRefused(limited).message,
            "Too many wrong codes. Try again in 2 minutes.");
}

TEST(SessionEndTest, DialFailuresNameWhatCouldNotBeReached) {
  using Failure = RelayDialer::Failure;
  EXPECT_EQ(EndForDialFailure(DialError(Failure::kResolve), kRelay, {}).message,
            "Could not find the relay \"relay.corp\". Check the address and "
            "the network.");
  EXPECT_EQ(EndForDialFailure(DialError(Failure::kConnect), kRelay, {}).message,
            "Could not connect to the relay at relay.corp:8443.");
  EXPECT_EQ(
      EndForDialFailure(DialError(Failure::kConnect), kRelay, kProxy).message,
      "Could not connect to the proxy at proxy.corp:3128.");
  EXPECT_EQ(
      EndForDialFailure(DialError(Failure::kProxyRefused, 403, "Forbidden"),
                        kRelay, kProxy)
          .message,
      "The proxy refused to connect to the relay (HTTP 403 Forbidden).");
  EXPECT_EQ(EndForDialFailure(DialError(Failure::kProxyRefused, 407,
                                        "Proxy Authentication Required"),
                              kRelay, kProxy)
                .message,
            "The proxy asks for a password, which this app does not support "
            "(HTTP 407 Proxy Authentication Required).");
  const SessionEnd garbled =
      EndForDialFailure(DialError(Failure::kProxyGarbled), kRelay, kProxy);
  EXPECT_EQ(garbled.reason, proto::END_REASON_PROTOCOL_ERROR);
  EXPECT_EQ(garbled.message,
            "The proxy at proxy.corp:3128 did not answer as an HTTP proxy.");
}

TEST(SessionEndTest, ClosedConnectionTellsCertificateFromNetwork) {
  ClosedConnection pin;
  pin.certificate_rejected = true;
  pin.pinned = true;
  const SessionEnd mismatch = EndForClosedConnection(pin);
  EXPECT_EQ(mismatch.reason, proto::END_REASON_PROTOCOL_ERROR);
  EXPECT_TRUE(mismatch.server_untrusted);
  EXPECT_NE(mismatch.message.find("does not match the one this app was set "
                                  "up for"),
            std::string::npos);
  ClosedConnection ca = pin;
  ca.pinned = false;
  EXPECT_NE(EndForClosedConnection(ca).message.find("could not be verified"),
            std::string::npos);
  EXPECT_TRUE(EndForClosedConnection(ca).server_untrusted);
  EXPECT_EQ(EndForClosedConnection({}).message, kNoSecureConnectionText);
  EXPECT_FALSE(EndForClosedConnection({}).server_untrusted);
  ClosedConnection lost;
  lost.tls_ready = true;
  EXPECT_EQ(EndForClosedConnection(lost).message, kConnectionLostText);
  EXPECT_EQ(EndForClosedConnection(lost).reason, proto::END_REASON_PEER_LOST);
  lost.idle_before_login = true;
  EXPECT_EQ(EndForClosedConnection(lost).reason, proto::END_REASON_TIMEOUT);
}

}  // namespace
}  // namespace tether::protocol
