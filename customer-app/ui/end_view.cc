#include "customer-app/ui/end_view.h"

#include "protocol/session_end.h"

namespace tether::customer::ui {

bool IsServerIdentityProblem(const protocol::SessionEnd& end) {
  return end.server_untrusted;
}

EndView DescribeEnd(const protocol::SessionEnd& end,
                    const EndContext& context) {
  EndView view;
  const QString core_message = QString::fromStdString(end.message).trimmed();
  QString core_sentence = core_message;
  while (core_sentence.endsWith(QLatin1Char('.')))
    core_sentence.chop(1);
  auto with_details = [&](EndView v) {
    // The core's own sentence, unless it says what the title says.
    // Only for problems: a calm end needs no technical words.
    if (v.tone != EndView::Tone::kCalm && !core_sentence.isEmpty() &&
        core_sentence.compare(v.title, Qt::CaseInsensitive) != 0) {
      v.details = core_message;
    }
    return v;
  };

  if (!context.paired && IsServerIdentityProblem(end)) {
    return with_details(
        {QStringLiteral(
             "This is not your company's server \u2014 do not continue."),
         QStringLiteral(
             "Tether could not confirm that it was talking to your company's "
             "support server, so it stopped before anything was shared. "
             "Close this window and call your IT department."),
         {},
         EndView::Tone::kDanger,
         /*can_retry=*/false});
  }

  if (!context.paired && end.relay_outdated) {
    // Trying again cannot help; only IT can.
    return {QStringLiteral("The support server needs an update"),
            QString::fromUtf8(protocol::kOutdatedRelayText) +
                QStringLiteral(" Nothing was shared. Close this window and "
                               "call your IT department."),
            {},
            EndView::Tone::kProblem,
            /*can_retry=*/false};
  }

  switch (end.reason) {
    case proto::END_REASON_EMERGENCY_STOP:
      return with_details(
          {QStringLiteral("Session ended by you"),
           QStringLiteral("You pressed STOP. The technician was disconnected "
                          "at once and can no longer see or control your "
                          "computer."),
           {},
           EndView::Tone::kCalm,
           true});
    case proto::END_REASON_USER_ENDED:
      if (end.local) {
        return with_details(
            {QStringLiteral("Session ended by you"),
             QStringLiteral("The technician can no longer see or control "
                            "your computer."),
             {},
             EndView::Tone::kCalm,
             true});
      }
      [[fallthrough]];
    case proto::END_REASON_PEER_ENDED:
      return with_details(
          {QStringLiteral("The technician ended the session"),
           QStringLiteral("They can no longer see or control your computer."),
           {},
           EndView::Tone::kCalm,
           true});
    case proto::END_REASON_CODE_EXPIRED:
      return with_details(
          {QStringLiteral("This code is wrong or has expired"),
           QStringLiteral("Check the 8 digits with your technician, or ask "
                          "them for a new code."),
           {},
           EndView::Tone::kProblem,
           true});
    case proto::END_REASON_JOIN_REJECTED:
      return with_details(
          {QStringLiteral("The technician did not accept the connection"),
           QStringLiteral("Nothing was shared. If you expected to be "
                          "helped, ask your technician for a new code."),
           {},
           EndView::Tone::kProblem,
           true});
    case proto::END_REASON_RELAY_SHUTDOWN:
      if (context.paired) {
        return with_details(
            {QStringLiteral("The support server was shut down"),
             QStringLiteral("The session has ended. The technician can no "
                            "longer see or control your computer."),
             {},
             EndView::Tone::kProblem,
             true});
      }
      break;
    case proto::END_REASON_PROTOCOL_ERROR:
      if (context.paired) {
        return with_details(
            {QStringLiteral("The session ended because of a technical "
                            "problem"),
             QStringLiteral("Tether closed the connection to be safe. The "
                            "technician can no longer see or control your "
                            "computer."),
             {},
             EndView::Tone::kProblem,
             true});
      }
      break;
    default:
      break;
  }

  // Timeouts, lost connections, and anything else.
  if (!context.paired && !context.reached_relay) {
    return with_details(
        {QStringLiteral("Could not reach the support server"),
         QStringLiteral("Check that this computer is connected to your "
                        "company's network (or VPN), then try again. If it "
                        "keeps happening, call your IT department."),
         {},
         EndView::Tone::kProblem,
         true});
  }
  if (!context.paired) {
    return with_details(
        {QStringLiteral("The connection was lost"),
         QStringLiteral("Your technician did not connect in time. Ask them "
                        "for a new code and try again."),
         {},
         EndView::Tone::kProblem,
         true});
  }
  return with_details(
      {QStringLiteral("The connection was lost"),
       QStringLiteral("The session has ended. The technician can no longer "
                      "see or control your computer."),
       {},
       EndView::Tone::kProblem,
       true});
}

}  // namespace tether::customer::ui
