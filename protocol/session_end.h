#pragma once

// Every way a peer session can end, in the words its user reads
// (SessionEnd::message), with the reason for the receipt. One place, so the
// wording stays consistent and each sentence is tested without a network
// (tests/protocol/session_end_test.cc).
//
// Reasons: the network failed or the other side went away -> PEER_LOST; a
// broken rule or a failed security check -> PROTOCOL_ERROR; the relay's own
// End reasons pass through.

#include <optional>
#include <string>
#include <string_view>

#include "protocol/peer_session.h"
#include "protocol/proxy_settings.h"
#include "protocol/relay_dialer.h"

namespace tether::protocol {

// What both apps say when IT ended the session from the relay's web
// console; the relay sends the same words (apps before 0.3 show those).
inline constexpr char kEndedByItText[] =
    "Your IT department ended this session from the relay's console.";

inline constexpr char kConnectionLostText[] =
    "The connection to the relay was lost.";
inline constexpr char kNoAnswerText[] =
    "The relay did not answer in time. Check the relay address and the "
    "network.";
inline constexpr char kOutdatedRelayText[] =
    "This server uses an outdated protocol; ask IT to update it.";
inline constexpr char kNoSecureConnectionText[] =
    "A secure connection to the relay could not be opened.";
inline constexpr char kUnreadableRelayText[] =
    "The relay sent data this app cannot read.";
inline constexpr char kWrongCodeText[] =
    "This code is wrong or has expired. Check the 8 digits with your "
    "technician.";
inline constexpr char kYouEndedText[] = "You ended the session.";

// Text from the relay, made fit to show: control characters blanked, cut
// to 300 bytes (the relay is the company's own, but its words still go
// straight to a dialog).
std::string CleanRelayText(std::string_view text);

// The TCP (and proxy) step failed.
SessionEnd EndForDialFailure(const RelayDialer::DialError& error,
                             const RelayEndpoint& relay,
                             const std::optional<ProxyAddress>& proxy);

// The TLS connection closed without an End from the relay.
struct ClosedConnection {
  bool certificate_rejected = false;
  bool protocol_refused = false;  // the relay does not speak TLS 1.3
  bool pinned = false;            // pin mode rather than CA mode
  bool tls_ready = false;         // the handshake had completed
  // A supporter connected but nobody signed in: the relay drops those.
  bool idle_before_login = false;
};
SessionEnd EndForClosedConnection(const ClosedConnection& closed);

// The relay's End, as told to an app of `role`. `last_error` is the text of
// the relay's last ErrorReply, which explains a PROTOCOL_ERROR better.
SessionEnd EndForRelayEnd(const proto::End& end,
                          proto::Role role,
                          const std::string& last_error);

// The relay refused the customer's Join (wrong code, rate limit, ...).
SessionEnd EndForJoinRefused(const proto::ErrorReply& error);

// The peer's EndSession; `stopped` when it had sent EmergencyStop first.
SessionEnd EndForPeerEnded(proto::Role role, bool stopped);

}  // namespace tether::protocol
