#include "customer-app/ui/end_view.h"

#include <gtest/gtest.h>

#include "protocol/session_end.h"

namespace tether::customer::ui {
namespace {

protocol::SessionEnd End(proto::EndReason reason,
                         std::string message = {},
                         bool local = false) {
  protocol::SessionEnd end;
  end.reason = reason;
  end.message = std::move(message);
  end.local = local;
  return end;
}

protocol::SessionEnd Untrusted(std::string message) {
  protocol::SessionEnd end = End(proto::END_REASON_PROTOCOL_ERROR, message);
  end.server_untrusted = true;
  return end;
}

constexpr EndContext kUnreached{false, false};
constexpr EndContext kAtRelay{true, false};
constexpr EndContext kPaired{true, true};

TEST(EndViewTest, EmergencyStopSaysYouStoppedIt) {
  const EndView view =
      DescribeEnd(End(proto::END_REASON_EMERGENCY_STOP, {}, true), kPaired);
  EXPECT_EQ(view.title, QStringLiteral("Session ended by you"));
  EXPECT_EQ(view.tone, EndView::Tone::kCalm);
}

TEST(EndViewTest, LocalEndSaysSessionEndedByYou) {
  const EndView view = DescribeEnd(
      End(proto::END_REASON_USER_ENDED, "Session ended by you", true), kPaired);
  EXPECT_EQ(view.title, QStringLiteral("Session ended by you"));
  EXPECT_TRUE(view.details.isEmpty()) << "the core's sentence repeats it";
}

TEST(EndViewTest, TechnicianEndingSaysSo) {
  EXPECT_EQ(DescribeEnd(End(proto::END_REASON_PEER_ENDED), kPaired).title,
            QStringLiteral("The technician ended the session"));
  EXPECT_EQ(
      DescribeEnd(End(proto::END_REASON_USER_ENDED, {}, false), kPaired).title,
      QStringLiteral("The technician ended the session"));
}

TEST(EndViewTest, WrongOrExpiredCodeCanBeRetried) {
  const EndView view = DescribeEnd(
      End(proto::END_REASON_CODE_EXPIRED, "This code is wrong or has expired."),
      kAtRelay);
  EXPECT_EQ(view.title, QStringLiteral("This code is wrong or has expired"));
  EXPECT_EQ(view.tone, EndView::Tone::kProblem);
  EXPECT_TRUE(view.can_retry);
  EXPECT_TRUE(view.details.isEmpty()) << "the same sentence twice";
}

TEST(EndViewTest, RejectedJoinSaysTheTechnicianDidNotAccept) {
  const EndView view =
      DescribeEnd(End(proto::END_REASON_JOIN_REJECTED), kAtRelay);
  EXPECT_EQ(view.title,
            QStringLiteral("The technician did not accept the connection"));
  EXPECT_TRUE(view.can_retry);
}

TEST(EndViewTest, NoAnswerFromTheServerSaysItIsUnreachable) {
  for (auto reason : {proto::END_REASON_TIMEOUT, proto::END_REASON_PEER_LOST,
                      proto::END_REASON_UNSPECIFIED}) {
    const EndView view = DescribeEnd(
        End(reason, "connect to relay.example.com:8443: connection refused"),
        kUnreached);
    EXPECT_EQ(view.title, QStringLiteral("Could not reach the support server"))
        << reason;
    EXPECT_TRUE(view.can_retry);
    EXPECT_EQ(view.details, QStringLiteral("connect to relay.example.com:8443: "
                                           "connection refused"));
  }
}

TEST(EndViewTest, LostConnectionDuringTheSessionSaysConnectionWasLost) {
  const EndView view = DescribeEnd(
      End(proto::END_REASON_PEER_LOST, "The connection to the relay was lost."),
      kPaired);
  EXPECT_EQ(view.title, QStringLiteral("The connection was lost"));
  EXPECT_EQ(view.tone, EndView::Tone::kProblem);
}

TEST(EndViewTest, RelayShutdownDuringTheSessionSaysSo) {
  EXPECT_EQ(DescribeEnd(End(proto::END_REASON_RELAY_SHUTDOWN), kPaired).title,
            QStringLiteral("The support server was shut down"));
}

TEST(EndViewTest, OutdatedRelayAsksForITAndBlocksRetry) {
  protocol::SessionEnd end =
      End(proto::END_REASON_PROTOCOL_ERROR, protocol::kOutdatedRelayText);
  end.relay_outdated = true;
  const EndView view = DescribeEnd(end, kUnreached);
  EXPECT_EQ(view.title, QStringLiteral("The support server needs an update"));
  EXPECT_TRUE(view.text.startsWith(QStringLiteral(
      "This server uses an outdated protocol; ask IT to update it.")))
      << view.text.toStdString();
  EXPECT_FALSE(view.can_retry) << "trying again cannot help";
}

TEST(EndViewTest, CertificateMismatchWarnsNotToContinueAndBlocksRetry) {
  for (const char* message :
       {"The server's key does not match the pinned fingerprint.",
        "certificate verify failed: The certificate is not correctly signed "
        "by the trusted CA"}) {
    const EndView view = DescribeEnd(Untrusted(message), kUnreached);
    EXPECT_EQ(view.title,
              QStringLiteral(
                  "This is not your company's server \u2014 do not continue."))
        << message;
    EXPECT_EQ(view.tone, EndView::Tone::kDanger);
    EXPECT_FALSE(view.can_retry);
  }
}

TEST(EndViewTest, CertificateWordsInOtherErrorsAreNotAServerIdentityWarning) {
  // Only the engine's flag counts, never the wording of a message.
  for (const EndContext context : {kUnreached, kPaired}) {
    const EndView view = DescribeEnd(
        End(proto::END_REASON_PROTOCOL_ERROR, "bad certificate in a file"),
        context);
    EXPECT_NE(view.tone, EndView::Tone::kDanger);
  }
  EXPECT_FALSE(IsServerIdentityProblem(
      End(proto::END_REASON_PROTOCOL_ERROR, "Fingerprint mismatch")));
  EXPECT_TRUE(IsServerIdentityProblem(Untrusted("")));
}

}  // namespace
}  // namespace tether::customer::ui
