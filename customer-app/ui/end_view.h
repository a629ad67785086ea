#pragma once

// What the customer reads when a session (or an attempt to start one) ends:
// a headline and one or two plain sentences, chosen from the SessionEnd the
// core reports and from how far the session got.

#include <QString>

#include "app-ui/end_tone.h"
#include "protocol/peer_session.h"

namespace tether::customer::ui {

struct EndContext {
  bool reached_relay = false;  // the relay answered (state past kConnecting)
  bool paired = false;         // the technician accepted (key exchange began)
};

struct EndView {
  using Tone = app_ui::EndTone;
  QString title;
  QString text;
  QString details;  // the core's own sentence, when it adds something
  Tone tone = Tone::kCalm;
  // The start window may offer the code field again (wrong code, server
  // unreachable). False for a server that failed its identity check.
  bool can_retry = true;
};

EndView DescribeEnd(const protocol::SessionEnd& end, const EndContext& context);

// Whether the relay's certificate or key did not match what IT configured
// (pinned fingerprint or CA); the engine says so in SessionEnd.
bool IsServerIdentityProblem(const protocol::SessionEnd& end);

}  // namespace tether::customer::ui
