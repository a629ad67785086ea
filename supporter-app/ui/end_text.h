#pragma once

// What the technician reads when a session, or the connection to the relay,
// ends: a headline in plain words and the core's own sentence, chosen from
// the SessionEnd the core reports.

#include <QString>

#include "protocol/peer_session.h"

namespace tether::supporter::ui {

struct EndText {
  enum class Tone {
    kCalm,     // ended as expected (by you, by the customer)
    kProblem,  // something went wrong; trying again may help
    kDanger,   // the server is not the company's: do not continue
  };
  QString title;
  QString details;  // SessionEnd::message, shown as is (cleaned)
  Tone tone = Tone::kCalm;
};

inline constexpr char kUntrustedServerTitle[] =
    "This is not your company's server \u2014 do not continue";

EndText DescribeEnd(const protocol::SessionEnd& end);

// "calm", "problem", "danger": the ProblemBox style sheet property.
const char* ToneName(EndText::Tone tone);

}  // namespace tether::supporter::ui
