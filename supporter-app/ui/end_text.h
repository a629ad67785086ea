#pragma once

// What the technician reads when a session, or the connection to the relay,
// ends: a headline in plain words and the core's own sentence, chosen from
// the SessionEnd the core reports.

#include <QString>

#include "app-ui/end_tone.h"
#include "protocol/peer_session.h"

namespace tether::supporter::ui {

struct EndText {
  using Tone = app_ui::EndTone;
  QString title;
  QString details;  // SessionEnd::message, shown as is (cleaned)
  Tone tone = Tone::kCalm;
};

inline constexpr char kUntrustedServerTitle[] =
    "This is not your company's server \u2014 do not continue";

EndText DescribeEnd(const protocol::SessionEnd& end);

}  // namespace tether::supporter::ui
