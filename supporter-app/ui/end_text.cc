#include "supporter-app/ui/end_text.h"

#include "app-ui/display_text.h"
#include "supporter-app/ui/style.h"

namespace tether::supporter::ui {

EndText DescribeEnd(const protocol::SessionEnd& end) {
  EndText text;
  text.details = app_ui::DisplayText(end.message, 300);
  if (end.server_untrusted) {
    // Checked first: whatever else happened, the technician must not type
    // a password into this connection again.
    text.title = QString::fromUtf8(kUntrustedServerTitle);
    if (text.details.isEmpty()) {
      text.details = QStringLiteral(
          "The server's identity does not match what IT configured. Do not "
          "sign in; tell your IT department.");
    }
    text.tone = EndText::Tone::kDanger;
    return text;
  }
  text.tone = EndText::Tone::kProblem;
  switch (end.reason) {
    case proto::END_REASON_USER_ENDED:
      text.title = end.local
                       ? QStringLiteral("You ended the session.")
                       : QStringLiteral("The customer ended the session.");
      text.tone = EndText::Tone::kCalm;
      break;
    case proto::END_REASON_PEER_ENDED:
      text.title = QStringLiteral("The customer ended the session.");
      text.tone = EndText::Tone::kCalm;
      break;
    case proto::END_REASON_EMERGENCY_STOP:
      text.title = QStringLiteral(
          "The customer pressed STOP. Nothing more reaches their computer.");
      break;
    case proto::END_REASON_JOIN_REJECTED:
      text.title =
          end.local
              ? QStringLiteral("You rejected the connection.")
              : QStringLiteral("The customer did not agree to the session.");
      text.tone = EndText::Tone::kCalm;
      break;
    case proto::END_REASON_CODE_EXPIRED:
      text.title =
          QStringLiteral("The code expired before the customer used it.");
      text.tone = EndText::Tone::kCalm;
      break;
    case proto::END_REASON_TIMEOUT:
      text.title = QStringLiteral("The connection timed out.");
      break;
    case proto::END_REASON_PEER_LOST:
      text.title = QStringLiteral("The connection was lost.");
      break;
    case proto::END_REASON_RELAY_SHUTDOWN:
      text.title = QStringLiteral("The relay was shut down.");
      break;
    case proto::END_REASON_PROTOCOL_ERROR:
      text.title = QStringLiteral("The session was closed after an error.");
      break;
    default:
      text.title = QStringLiteral("The session ended.");
      break;
  }
  if (text.details == text.title)
    text.details.clear();
  return text;
}

}  // namespace tether::supporter::ui
