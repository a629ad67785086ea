#include "protocol/session_end.h"

namespace tether::protocol {
namespace {

constexpr size_t kMaxRelayText = 300;

constexpr char kPinMismatchText[] =
    "The relay's certificate does not match the one this app was set up "
    "for. The connection was stopped before anything was sent.";
constexpr char kCertificateUntrustedText[] =
    "The relay's certificate could not be verified (it is not issued by the "
    "expected authority or not for this relay's name). The connection was "
    "stopped before anything was sent.";
constexpr char kStoppedByCustomerText[] =
    "The customer pressed STOP and ended the session.";

std::string PeerName(proto::Role role) {
  return role == proto::ROLE_SUPPORTER ? "customer" : "technician";
}

SessionEnd Remote(proto::EndReason reason, std::string message) {
  return {reason, std::move(message), false};
}

}  // namespace

std::string CleanRelayText(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxRelayText)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  return out;
}

SessionEnd EndForDialFailure(const RelayDialer::DialError& error,
                             const RelayEndpoint& relay,
                             const std::optional<ProxyAddress>& proxy) {
  using Failure = RelayDialer::Failure;
  // With a proxy, the TCP step is to the proxy.
  const std::string what = proxy ? "the proxy" : "the relay";
  const std::string host = proxy ? proxy->host : relay.host;
  const std::string where =
      proxy ? proxy->ToString() : relay.host + ":" + std::to_string(relay.port);
  switch (error.failure) {
    case Failure::kResolve:
      return Remote(proto::END_REASON_PEER_LOST,
                    "Could not find " + what + " \"" + host +
                        "\". Check the address and the network.");
    case Failure::kConnect:
      return Remote(proto::END_REASON_PEER_LOST,
                    "Could not connect to " + what + " at " + where + ".");
    case Failure::kProxyRefused: {
      const std::string status = "(HTTP " + std::to_string(error.status) +
                                 (error.reason.empty() ? "" : " ") +
                                 error.reason + ")";
      if (error.status == 407) {
        return Remote(proto::END_REASON_PEER_LOST,
                      "The proxy asks for a password, which this app does "
                      "not support " +
                          status + ".");
      }
      return Remote(
          proto::END_REASON_PEER_LOST,
          "The proxy refused to connect to the relay " + status + ".");
    }
    case Failure::kProxyGarbled:
      return Remote(
          proto::END_REASON_PROTOCOL_ERROR,
          "The proxy at " + where + " did not answer as an HTTP proxy.");
  }
  return Remote(proto::END_REASON_PEER_LOST, kConnectionLostText);
}

SessionEnd EndForClosedConnection(const ClosedConnection& closed) {
  if (closed.certificate_rejected) {
    SessionEnd end =
        Remote(proto::END_REASON_PROTOCOL_ERROR,
               closed.pinned ? kPinMismatchText : kCertificateUntrustedText);
    end.server_untrusted = true;
    return end;
  }
  if (closed.protocol_refused) {
    SessionEnd end =
        Remote(proto::END_REASON_PROTOCOL_ERROR, kOutdatedRelayText);
    end.relay_outdated = true;
    return end;
  }
  if (!closed.tls_ready) {
    return Remote(proto::END_REASON_PEER_LOST, kNoSecureConnectionText);
  }
  if (closed.idle_before_login) {
    return Remote(proto::END_REASON_TIMEOUT,
                  "The relay closed the connection because nobody signed in "
                  "in time.");
  }
  return Remote(proto::END_REASON_PEER_LOST, kConnectionLostText);
}

SessionEnd EndForRelayEnd(const proto::End& end,
                          proto::Role role,
                          const std::string& last_error) {
  const std::string relay_text = CleanRelayText(end.message());
  auto or_default = [&](const char* fallback) {
    return relay_text.empty() ? std::string(fallback) : relay_text;
  };
  switch (end.reason()) {
    case proto::END_REASON_PEER_ENDED:
      return EndForPeerEnded(role, /*stopped=*/false);
    case proto::END_REASON_EMERGENCY_STOP:
      return Remote(end.reason(), role == proto::ROLE_SUPPORTER
                                      ? kStoppedByCustomerText
                                      : "The session was stopped.");
    case proto::END_REASON_JOIN_REJECTED:
      return Remote(end.reason(),
                    "The technician did not accept this connection.");
    case proto::END_REASON_CODE_EXPIRED:
      // "The technician did not answer in time.", "... cancelled ...".
      return Remote(end.reason(), or_default("This code has expired."));
    case proto::END_REASON_TIMEOUT:
      return Remote(end.reason(),
                    "The relay closed the connection because it was too "
                    "slow or silent for too long.");
    case proto::END_REASON_PEER_LOST:
      // "The other side left the session.", "The technician is no longer
      // connected.".
      return Remote(end.reason(),
                    or_default("The other side lost its connection."));
    case proto::END_REASON_RELAY_SHUTDOWN:
      return Remote(end.reason(),
                    "The relay is shutting down; the session has ended.");
    case proto::END_REASON_ENDED_BY_IT:
      return Remote(end.reason(), kEndedByItText);
    case proto::END_REASON_PROTOCOL_ERROR:
      // The ErrorReply before it says more ("Too many wrong codes ... try
      // again in 5 minutes.") than the End ("join rate limited").
      return Remote(end.reason(), !last_error.empty()
                                      ? last_error
                                      : "The relay ended the session (" +
                                            or_default("no reason given") +
                                            ").");
    default:
      return Remote(end.reason(), or_default("The relay ended the session."));
  }
}

SessionEnd EndForJoinRefused(const proto::ErrorReply& error) {
  if (error.code() == proto::ErrorReply::CODE_INVALID_CODE) {
    return Remote(proto::END_REASON_CODE_EXPIRED, kWrongCodeText);
  }
  const std::string text = CleanRelayText(error.message());
  return Remote(proto::END_REASON_PROTOCOL_ERROR,
                text.empty() ? kUnreadableRelayText : text);
}

SessionEnd EndForPeerEnded(proto::Role role, bool stopped) {
  if (stopped) {
    return Remote(proto::END_REASON_EMERGENCY_STOP, kStoppedByCustomerText);
  }
  return Remote(proto::END_REASON_PEER_ENDED,
                "The " + PeerName(role) + " ended the session.");
}

}  // namespace tether::protocol
