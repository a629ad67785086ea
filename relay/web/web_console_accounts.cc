// WebConsole: the Accounts page (admin only). Every change goes through
// AccountAdmin, as `tether-relay user ...` does, off the loop; the web
// sessions of an account that was disabled, got a new password or another
// role end at once.

#include "crypto/totp.h"
#include "relay/accounts/account_admin.h"
#include "relay/web/qr_svg.h"
#include "relay/web/web_console_call.h"

namespace tether::relay::web {
namespace {

Json AccountJson(const Account& account, Clock::WallTime now) {
  Json status = Json::array();
  if (account.disabled)
    status.push_back("disabled");
  if (account.locked)
    status.push_back("locked");
  if (account.locked_until && *account.locked_until > now)
    status.push_back("throttled");
  if (account.must_change_password)
    status.push_back("must-change");
  return Json{{"user", account.user_name},
              {"display_name", account.display_name},
              {"role", std::string(ToString(account.role))},
              {"status", std::move(status)},
              {"totp", account.totp_secret.has_value()},
              {"last_login", account.last_login_at
                                 ? Json(ApiTime(*account.last_login_at))
                                 : Json(nullptr)},
              {"created_at", ApiTime(account.created_at)}};
}

}  // namespace

void WebConsole::ListAccounts(Call& call) {
  OffLoop(call, [this]() -> HttpResponse {
    auto accounts = store_.ListAccounts();
    if (!accounts)
      return ErrorAnswer(accounts.error());
    const auto now = clock_.WallNow();
    Json list = Json::array();
    for (const Account& account : *accounts)
      list.push_back(AccountJson(account, now));
    return JsonOk(Dump(Json{{"accounts", std::move(list)}}));
  });
}

void WebConsole::CreateAccount(Call& call) {
  const auto user = StringMember(call.body, "user");
  const std::string display =
      StringMember(call.body, "display_name").value_or("");
  const auto role_name = StringMember(call.body, "role");
  auto role = ParseAccountRole(role_name.value_or(""));
  if (!user || !role) {
    call.respond(JsonError(400, "bad_request",
                           "Give a user name and a role (admin, technician "
                           "or auditor)."));
    return;
  }
  OffLoop(call,
          [this, user = *user, display, role = *role, actor = call.actor(),
           peer = call.peer]() -> HttpResponse {
            AccountAdmin admin(store_, config_.password_policy, actor, peer);
            auto created = admin.Create(user, display, role, std::nullopt);
            if (!created)
              return ErrorAnswer(created.error());
            return JsonOk(Dump(Json{{"user", created->account.user_name},
                                    {"one_time_password", created->password}}),
                          201);
          });
}

void WebConsole::ChangeAccount(Call& call) {
  const std::string user = call.segments[2];
  const std::string what = call.segments[3];
  std::optional<AccountRole> role;
  if (what == "role") {
    auto parsed =
        ParseAccountRole(StringMember(call.body, "role").value_or(""));
    if (!parsed) {
      call.respond(JsonError(400, "bad_request",
                             "Give a role: admin, technician or auditor."));
      return;
    }
    role = *parsed;
  }
  // After these, what the account's signed-in browsers were allowed is
  // void.
  const bool ends_sessions =
      what == "disable" || what == "reset-password" || what == "role";
  OffLoopThen(
      call,
      [this, user, what, role, actor = call.actor(),
       peer = call.peer]() -> HttpResponse {
        AccountAdmin admin(store_, config_.password_policy, actor, peer);
        if (what == "reset-password") {
          auto reset = admin.ResetPassword(user, std::nullopt);
          if (!reset)
            return ErrorAnswer(reset.error());
          return JsonOk(Dump(Json{{"user", reset->account.user_name},
                                  {"one_time_password", reset->password}}));
        }
        Result<AccountAdmin::Changed> changed =
            what == "disable"  ? admin.SetDisabled(user, true)
            : what == "enable" ? admin.SetDisabled(user, false)
            : what == "unlock" ? admin.Unlock(user)
                               : admin.SetRole(user, *role);
        if (!changed)
          return ErrorAnswer(changed.error());
        return NoContent();
      },
      [this, user, ends_sessions](HttpResponse& answer) {
        if (!ends_sessions || answer.status >= 300)
          return;
        sessions_.EndAccount(user);
        // The apps' sign-ins too, here and on the other relays.
        if (on_accounts_changed_)
          on_accounts_changed_();
      });
}

void WebConsole::EnrollTotp(Call& call) {
  const std::string user = call.segments[2];
  OffLoop(
      call,
      [this, user, actor = call.actor(), peer = call.peer]() -> HttpResponse {
        AccountAdmin admin(store_, config_.password_policy, actor, peer);
        auto enrolled = admin.EnrollTotp(user);
        if (!enrolled)
          return ErrorAnswer(enrolled.error());
        const std::string uri =
            crypto::OtpauthUri(config_.accounts.totp_issuer,
                               enrolled->account.user_name, enrolled->secret);
        auto svg = QrCodeSvg(uri);
        if (!svg)
          return ErrorAnswer(svg.error());
        return JsonOk(
            Dump(Json{{"secret", crypto::Base32Encode(enrolled->secret)},
                      {"uri", uri},
                      {"qr_svg", *svg},
                      {"replaced", enrolled->replaced}}));
      });
}

void WebConsole::RemoveTotp(Call& call) {
  const std::string user = call.segments[2];
  OffLoop(
      call,
      [this, user, actor = call.actor(), peer = call.peer]() -> HttpResponse {
        AccountAdmin admin(store_, config_.password_policy, actor, peer);
        auto removed = admin.RemoveTotp(user);
        if (!removed)
          return ErrorAnswer(removed.error());
        return NoContent();
      });
}

}  // namespace tether::relay::web
