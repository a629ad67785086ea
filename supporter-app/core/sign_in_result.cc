#include "supporter-app/core/sign_in_result.h"

#include <string>

#include "protocol/session_end.h"

namespace tether::supporter {
namespace {

// "30 seconds", "5 minutes".
std::string Wait(uint32_t seconds) {
  if (seconds < 120)
    return std::to_string(seconds) + (seconds == 1 ? " second" : " seconds");
  return std::to_string((seconds + 59) / 60) + " minutes";
}

}  // namespace

SignInResult SignInResultFor(const proto::LoginResult& result) {
  SignInResult out;
  const std::string relay_text = protocol::CleanRelayText(result.message());
  switch (result.status()) {
    case proto::LoginResult::STATUS_OK:
      out.status = SignInStatus::kSignedIn;
      out.display_name = protocol::CleanRelayText(result.display_name());
      out.message = "Signed in.";
      break;
    case proto::LoginResult::STATUS_BAD_CREDENTIALS:
      // One answer for user, password and code: the relay does not say
      // which was wrong, and neither do we. A throttle may come with it.
      out.status = SignInStatus::kWrongCredentials;
      out.retry_after = std::chrono::seconds(result.retry_after_seconds());
      out.message = "The user name, password or code is wrong.";
      if (result.retry_after_seconds() > 0) {
        out.message += " Wait " + Wait(result.retry_after_seconds()) +
                       " before trying again.";
      }
      break;
    case proto::LoginResult::STATUS_TOTP_REQUIRED:
      out.status = SignInStatus::kTotpRequired;
      out.message = "Enter the 6-digit code from your authenticator app.";
      break;
    case proto::LoginResult::STATUS_THROTTLED:
      out.status = SignInStatus::kThrottled;
      out.retry_after = std::chrono::seconds(result.retry_after_seconds());
      // The relay says why (failed attempts, or too many sign-ins from
      // this network at once); without a reason, failed attempts.
      if (!relay_text.empty()) {
        out.message = relay_text;
      } else if (result.retry_after_seconds() > 0) {
        out.message = "Too many failed attempts. Wait " +
                      Wait(result.retry_after_seconds()) +
                      " before trying again.";
      } else {
        out.message =
            "Too many failed attempts. Wait a moment before trying again.";
      }
      break;
    case proto::LoginResult::STATUS_LOCKED:
      out.status = SignInStatus::kLocked;
      out.message =
          "This account is locked after too many failed attempts. Ask your "
          "administrator to unlock it.";
      break;
    case proto::LoginResult::STATUS_PASSWORD_CHANGE_REQUIRED:
      out.status = SignInStatus::kPasswordChangeRequired;
      out.display_name = protocol::CleanRelayText(result.display_name());
      out.message = "Choose a new password before you continue.";
      break;
    case proto::LoginResult::STATUS_DISABLED:
      // The relay knows why (switched off by IT, unused too long, a second
      // factor required but not set up); its sentence says which.
      out.status = SignInStatus::kDisabled;
      out.message = !relay_text.empty()
                        ? relay_text
                        : "This account is disabled. Ask your administrator.";
      break;
    default:
      out.status = SignInStatus::kRelayError;
      out.message = !relay_text.empty()
                        ? relay_text
                        : "The relay could not check the sign-in. Try again "
                          "later or ask your administrator.";
      break;
  }
  return out;
}

SignInResult SignInResultForEnd(const protocol::SessionEnd& end) {
  SignInResult out;
  if (end.server_untrusted) {
    out.status = SignInStatus::kServerUntrusted;
    // The engine's sentence names the check that failed and says nothing
    // was sent; the password was not either.
    out.message = end.message +
                  " Your password was not sent. Tell IT before you try again.";
    return out;
  }
  if (end.relay_outdated) {
    out.status = SignInStatus::kRelayOutdated;
    out.message = end.message + " Your password was not sent.";
    return out;
  }
  out.status = SignInStatus::kUnreachable;
  out.message = !end.message.empty()
                    ? end.message
                    : std::string(protocol::kConnectionLostText);
  return out;
}

}  // namespace tether::supporter
