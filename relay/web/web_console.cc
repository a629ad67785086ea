#include "relay/web/web_console.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "base/log.h"
#include "config/config_file.h"
#include "crypto/digest.h"
#include "crypto/random.h"
#include "crypto/totp.h"
#include "relay/accounts/account_admin.h"
#include "relay/limits/source_key.h"
#include "relay/store/record_writer.h"
#include "relay/web/qr_svg.h"
#include "relay/web/web_console_call.h"

namespace tether::relay::web {
namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;

constexpr std::string_view kCookieName = "tether_session";
// Blocking jobs of the console at once, and waiting.
constexpr size_t kPoolRunning = 2;
constexpr size_t kPoolQueued = 64;
constexpr uint32_t kRequestBurst = 60;
constexpr size_t kRateSources = 10'000;
// Fields of a sign-in; anything longer is not a name, password or code.
constexpr size_t kMaxField = 1024;
constexpr auto kChangeTicketLifetime = std::chrono::minutes(5);
constexpr size_t kMaxChangeTickets = 1000;

std::string CookieHeader(std::string_view value, bool clear) {
  std::string cookie = std::string(kCookieName) + "=" + std::string(value) +
                       "; Path=/; HttpOnly; Secure; SameSite=Strict";
  if (clear)
    cookie += "; Max-Age=0";
  return cookie;
}

// The value of our cookie in a Cookie header ("a=1; tether_session=…").
std::string CookieValue(const HttpRequest& request) {
  const std::string* header = request.Header("cookie");
  if (header == nullptr)
    return "";
  std::string_view rest(*header);
  while (!rest.empty()) {
    const size_t end = rest.find(';');
    std::string_view pair = rest.substr(0, end);
    rest = end == std::string_view::npos ? "" : rest.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ')
      pair.remove_prefix(1);
    if (pair.starts_with(kCookieName) && pair.size() > kCookieName.size() &&
        pair[kCookieName.size()] == '=') {
      return std::string(pair.substr(kCookieName.size() + 1));
    }
  }
  return "";
}

// Compares in time independent of where the strings differ.
bool SameSecret(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string TokenKey(std::string_view token) {
  return ToHex(crypto::Sha256(
      ByteSpan(reinterpret_cast<const uint8_t*>(token.data()), token.size())));
}

Json SessionJson(const WebSession& session, seconds idle) {
  return Json{{"user", session.user},
              {"display_name", session.display_name},
              {"role", std::string(ToString(session.role))},
              {"totp", session.totp},
              {"csrf_token", session.csrf_token},
              {"expires_at", ApiTime(session.expires_at)},
              {"idle_timeout", idle.count()}};
}

// The path split at '/' and each piece percent-decoded; nullopt for a
// piece that decodes to something no route names ("..", a '/', NUL).
std::optional<std::vector<std::string>> Segments(std::string_view path) {
  std::vector<std::string> out;
  if (path.empty() || path.front() != '/')
    return std::nullopt;
  path.remove_prefix(1);
  while (true) {
    const size_t slash = path.find('/');
    auto piece = PercentDecode(path.substr(0, slash));
    if (!piece || *piece == "." || *piece == ".." ||
        piece->find('/') != std::string::npos) {
      return std::nullopt;
    }
    out.push_back(std::move(*piece));
    if (slash == std::string_view::npos)
      break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

std::optional<std::string> StringMember(const Json& object,
                                        std::string_view name) {
  if (!object.is_object())
    return std::nullopt;
  auto it = object.find(name);
  if (it == object.end() || !it->is_string())
    return std::nullopt;
  return it->get<std::string>();
}

std::string Dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string ApiTime(Clock::WallTime time) {
  return FormatIsoUtc(time);
}

HttpResponse ErrorAnswer(const Error& error) {
  const std::string& m = error.message;
  if (m.find("last enabled admin") != std::string::npos ||
      m.find("already exists") != std::string::npos) {
    return JsonError(409, "conflict", m);
  }
  if (m.rfind("no account '", 0) == 0)
    return JsonError(404, "not_found", m);
  if (m.rfind("password refused", 0) == 0 || m.rfind("a user name", 0) == 0 ||
      m.rfind("a display name", 0) == 0 || m.find("'system'") == 0) {
    return JsonError(400, "bad_request", m);
  }
  log::Error("web console: {}", m);
  return JsonError(500, "internal", m);
}

struct WebConsole::ChangeTicket {
  std::string user;
  bool second_factor = false;
  Clock::SteadyTime expires{};
};

// The API of docs/web-api.md: who may call what.
const std::vector<WebConsole::Route>& WebConsole::Routes() {
  using A = Access;
  static const std::vector<Route> routes = {
      {"POST", "/api/session", A::kAnyone, &WebConsole::SignIn},
      {"GET", "/api/session", A::kSignedIn, &WebConsole::GetSession},
      {"DELETE", "/api/session", A::kSignedIn, &WebConsole::SignOut},
      {"POST", "/api/session/password", A::kAnyone,
       &WebConsole::ChangeFirstPassword},
      {"POST", "/api/me/password", A::kSignedIn,
       &WebConsole::ChangeOwnPassword},
      {"POST", "/api/me/totp", A::kSignedIn, &WebConsole::BeginOwnTotp},
      {"POST", "/api/me/totp/confirm", A::kSignedIn,
       &WebConsole::ConfirmOwnTotp},
      {"GET", "/api/overview", A::kReader, &WebConsole::Overview},
      {"GET", "/api/sessions", A::kSignedIn, &WebConsole::ListSessions},
      {"POST", "/api/sessions/*/end", A::kSignedIn, &WebConsole::EndSession},
      {"GET", "/api/accounts", A::kAdmin, &WebConsole::ListAccounts},
      {"POST", "/api/accounts", A::kAdmin, &WebConsole::CreateAccount},
      {"POST", "/api/accounts/*/disable", A::kAdmin,
       &WebConsole::ChangeAccount},
      {"POST", "/api/accounts/*/enable", A::kAdmin, &WebConsole::ChangeAccount},
      {"POST", "/api/accounts/*/unlock", A::kAdmin, &WebConsole::ChangeAccount},
      {"POST", "/api/accounts/*/reset-password", A::kAdmin,
       &WebConsole::ChangeAccount},
      {"POST", "/api/accounts/*/role", A::kAdmin, &WebConsole::ChangeAccount},
      {"POST", "/api/accounts/*/totp", A::kAdmin, &WebConsole::EnrollTotp},
      {"DELETE", "/api/accounts/*/totp", A::kAdmin, &WebConsole::RemoveTotp},
      // Technicians read their own events; the handler narrows the query.
      {"GET", "/api/events", A::kSignedIn, &WebConsole::Records},
      {"GET", "/api/events.csv", A::kReader, &WebConsole::Records},
      {"GET", "/api/events.jsonl", A::kReader, &WebConsole::Records},
      {"GET", "/api/audit", A::kReader, &WebConsole::Records},
      {"GET", "/api/audit.csv", A::kReader, &WebConsole::Records},
      {"GET", "/api/audit.jsonl", A::kReader, &WebConsole::Records},
      {"GET", "/api/config", A::kReader, &WebConsole::ShowConfig},
      {"GET", "/api/customer-config", A::kSignedIn,
       &WebConsole::CustomerConfig},
      {"GET", "/api/public", A::kAnyone, &WebConsole::PublicInfo},
      {"GET", "/downloads/*", A::kAnyone, &WebConsole::Download},
      {"GET", "/logo", A::kAnyone, &WebConsole::Logo},
  };
  return routes;
}

std::filesystem::path WebConsole::DefaultSiteFolder() {
  return config::ProgramFolder().parent_path() / "share" / "tether-relay" /
         "web";
}

Result<std::unique_ptr<WebConsole>> WebConsole::Create(const Parts& parts) {
  const std::filesystem::path folder = parts.config->web.site.empty()
                                           ? DefaultSiteFolder()
                                           : parts.config->web.site;
  auto site = WebSite::Load(folder);
  if (!site) {
    return MakeError("web console: " + site.error().message +
                     " (set web.site, or web.enabled = false)");
  }
  return std::unique_ptr<WebConsole>(new WebConsole(parts, std::move(*site)));
}

WebConsole::WebConsole(const Parts& parts, WebSite site)
    : config_(*parts.config),
      store_(*parts.store),
      audit_(*parts.audit),
      accounts_(*parts.accounts),
      broker_(*parts.broker),
      cluster_(parts.cluster),
      on_accounts_changed_(parts.on_accounts_changed),
      metrics_(*parts.metrics),
      clock_(*parts.clock),
      random_(*parts.random),
      fingerprint_(parts.fingerprint),
      certificate_not_after_(parts.certificate_not_after),
      started_at_(parts.clock->WallNow()),
      site_(std::move(site)),
      downloads_(parts.config->web.downloads),
      pool_(parts.loop, kPoolRunning, kPoolQueued),
      sessions_(*parts.clock,
                *parts.random,
                WebSessions::Limits{parts.config->web.idle_timeout,
                                    parts.config->web.session_lifetime}),
      rate_(parts.config->web.requests_per_second,
            kRequestBurst,
            kRateSources,
            *parts.clock),
      alive_(std::make_shared<bool>(true)) {}

WebConsole::~WebConsole() {
  *alive_ = false;
}

void WebConsole::Handle(HttpRequest request,
                        const std::string& peer_address,
                        WebConnection::Respond respond) {
  Call call;
  call.peer = peer_address;
  call.source = SourceOf(peer_address);
  call.respond = std::move(respond);
  ++requests_;
  if (!rate_.Allow(call.source)) {
    ++requests_throttled_;
    // Answered at the next tick, a second or so later: until then the
    // connection reads nothing, so a flooding client costs a queue entry
    // instead of an answer per request.
    throttled_.push_back(std::move(call.respond));
    return;
  }
  const std::string_view path = request.path();
  if (request.method == "GET") {
    if (const SiteFile* file = site_.Find(path)) {
      HttpResponse page;
      page.content_type = file->content_type;
      page.body = file->body;
      page.cacheable = true;
      call.respond(std::move(page));
      return;
    }
  }
  auto segments = Segments(path);
  if (!segments) {
    call.respond(JsonError(400, "bad_request", "That address is not valid."));
    return;
  }
  // The patterns, split once.
  static const std::vector<std::vector<std::string>> patterns = [] {
    std::vector<std::vector<std::string>> split;
    for (const Route& route : Routes())
      split.push_back(*Segments(route.pattern));
    return split;
  }();
  const Route* found = nullptr;
  bool path_known = false;
  for (size_t r = 0; r < Routes().size(); ++r) {
    const Route& route = Routes()[r];
    const std::vector<std::string>& pattern = patterns[r];
    if (pattern.size() != segments->size())
      continue;
    bool match = true;
    for (size_t i = 0; i < pattern.size() && match; ++i) {
      match = pattern[i] == "*" ? !(*segments)[i].empty()
                                : pattern[i] == (*segments)[i];
    }
    if (!match)
      continue;
    path_known = true;
    if (route.method == request.method) {
      found = &route;
      break;
    }
  }
  if (found == nullptr) {
    call.respond(
        path_known
            ? JsonError(405, "method", "That method is not allowed here.")
            : JsonError(404, "not_found", "There is nothing here."));
    return;
  }
  call.segments = std::move(*segments);
  call.request = std::move(request);
  const bool changes = call.request.method != "GET";

  // A browser names the page's origin on every state-changing request; one
  // from another site is refused whatever else it carries.
  if (changes) {
    if (call.request.Header("origin") != nullptr &&
        !OriginIsOwnSite(call.request)) {
      call.respond(
          JsonError(403, "csrf", "Requests from other sites are refused."));
      return;
    }
  }
  if (found->access != Access::kAnyone) {
    call.cookie = CookieValue(call.request);
    call.session = sessions_.Find(call.cookie);
    if (call.session == nullptr) {
      call.respond(JsonError(401, "signed_out",
                             "You are not signed in (or your session ended). "
                             "Sign in again."));
      return;
    }
    const AccountRole role = call.session->role;
    if ((found->access == Access::kAdmin && role != AccountRole::kAdmin) ||
        (found->access == Access::kReader &&
         role == AccountRole::kTechnician)) {
      call.respond(
          JsonError(403, "forbidden", "Your role does not allow this."));
      return;
    }
    if (changes) {
      const std::string* token = call.request.Header("x-csrf-token");
      if (token == nullptr || !SameSecret(*token, call.session->csrf_token)) {
        call.respond(JsonError(403, "csrf",
                               "The request lacks this page's CSRF token. "
                               "Reload the page."));
        return;
      }
    }
  }
  if (changes && !call.request.body.empty()) {
    const std::string* type = call.request.Header("content-type");
    if (type == nullptr || type->rfind("application/json", 0) != 0) {
      call.respond(JsonError(415, "bad_request", "The body must be JSON."));
      return;
    }
    call.body = Json::parse(call.request.body, nullptr, false);
    if (call.body.is_discarded() || !call.body.is_object()) {
      call.respond(
          JsonError(400, "bad_request", "The body is not a JSON object."));
      return;
    }
  } else if (found->access == Access::kAnyone && changes) {
    // Sign-in: a cross-site form cannot send JSON without asking first.
    call.respond(JsonError(415, "bad_request", "The body must be JSON."));
    return;
  }
  (this->*found->handler)(call);
}

void WebConsole::OffLoop(Call& call, std::function<HttpResponse()> work) {
  OffLoopThen(call, std::move(work), [](HttpResponse&) {});
}

void WebConsole::OffLoopThen(Call& call,
                             std::function<HttpResponse()> work,
                             std::function<void(HttpResponse&)> done) {
  auto answer = std::make_shared<HttpResponse>();
  auto respond = call.respond;
  const bool posted =
      pool_.Post([answer, work = std::move(work)] { *answer = work(); },
                 [answer, respond, done = std::move(done)] {
                   done(*answer);
                   respond(std::move(*answer));
                 });
  if (!posted) {
    call.respond(
        JsonError(503, "busy", "The relay is busy. Try again in a moment.", 2));
  }
}

void WebConsole::SignIn(Call& call) {
  const auto user = StringMember(call.body, "user");
  const auto password = StringMember(call.body, "password");
  const std::string totp = StringMember(call.body, "totp").value_or("");
  if (!user || !password || user->size() > kMaxField ||
      password->size() > kMaxField || totp.size() > kMaxField) {
    call.respond(
        JsonError(400, "bad_request", "Give a user name and a password."));
    return;
  }
  // As the apps: a few password checks per source at once.
  if (sign_ins_by_source_.count(call.source) >=
      config_.limits.logins_per_source) {
    call.respond(
        JsonError(429, "throttled",
                  "Sign-ins from your address are already being checked.", 1));
    return;
  }
  sign_ins_by_source_.Add(call.source);
  LoginRequest request{*user, *password, totp, call.peer};
  std::weak_ptr<bool> alive = alive_;
  accounts_.Login(std::move(request), [this, alive, respond = call.respond,
                                       peer = call.peer, source = call.source,
                                       user = *user](LoginOutcome outcome) {
    auto still = alive.lock();
    if (!still || !*still)
      return;
    sign_ins_by_source_.Remove(source);
    using Status = LoginOutcome::Status;
    auto refuse = [&](int status, std::string_view code) {
      respond(JsonError(status, code, outcome.message,
                        outcome.retry_after_seconds));
    };
    switch (outcome.status) {
      case Status::kOk:
        FinishSignIn(respond, peer, outcome);
        return;
      case Status::kPasswordChangeRequired: {
        auto token = RandomToken(random_);
        if (!token) {
          refuse(500, "internal");
          return;
        }
        if (change_tickets_.size() >= kMaxChangeTickets) {
          const auto now = clock_.SteadyNow();
          std::erase_if(change_tickets_, [&](const auto& entry) {
            return entry.second.expires <= now;
          });
        }
        if (change_tickets_.size() >= kMaxChangeTickets) {
          refuse(503, "busy");
          return;
        }
        change_tickets_[TokenKey(*token)] =
            ChangeTicket{outcome.user_name, outcome.second_factor,
                         clock_.SteadyNow() + kChangeTicketLifetime};
        // The error's shape, with the token the change must show.
        respond(JsonOk(Dump(Json{{"error", outcome.message},
                                 {"code", "password_change_required"},
                                 {"change_token", *token}}),
                       403));
        return;
      }
      case Status::kBadCredentials:
        refuse(401, "bad_credentials");
        return;
      case Status::kTotpRequired:
        refuse(401, "totp_required");
        return;
      case Status::kThrottled:
        refuse(429, "throttled");
        return;
      case Status::kLocked:
        refuse(423, "locked");
        return;
      case Status::kDisabled:
        refuse(403, "disabled");
        return;
      case Status::kBusy:
        refuse(503, "busy");
        return;
      case Status::kUnavailable:
        refuse(503, "unavailable");
        return;
      case Status::kInternalError:
        refuse(500, "internal");
        return;
    }
  });
}

void WebConsole::FinishSignIn(const WebConnection::Respond& respond,
                              const std::string& peer,
                              const LoginOutcome& outcome) {
  if (outcome.role == AccountRole::kAdmin && config_.web.admin_requires_totp &&
      !outcome.second_factor) {
    audit_.Audit("web:" + outcome.user_name, "web.signin_refused",
                 outcome.user_name, "admin without TOTP, from " + peer);
    respond(JsonError(
        403, "totp_enrolment_required",
        "An admin signs in to the web console with a code from an "
        "authenticator app. Enrol one on the relay's machine: tether-relay "
        "user totp-enroll " +
            outcome.user_name));
    return;
  }
  WebSession session;
  session.user = outcome.user_name;
  session.display_name = outcome.display_name;
  session.role = outcome.role;
  session.password_changed_at = outcome.password_changed_at;
  session.totp = outcome.second_factor;
  auto cookie = sessions_.Create(std::move(session));
  if (!cookie) {
    respond(JsonError(503, "busy", cookie.error().message));
    return;
  }
  const WebSession* created = sessions_.Find(*cookie);
  audit_.Audit("web:" + outcome.user_name, "web.signin", outcome.user_name,
               "from " + peer);
  HttpResponse answer =
      JsonOk(Dump(SessionJson(*created, config_.web.idle_timeout)));
  answer.headers.emplace_back("Set-Cookie", CookieHeader(*cookie, false));
  respond(std::move(answer));
}

void WebConsole::ChangeFirstPassword(Call& call) {
  const auto user = StringMember(call.body, "user");
  const auto password = StringMember(call.body, "password");
  const auto new_password = StringMember(call.body, "new_password");
  const auto token = StringMember(call.body, "change_token");
  if (!user || !password || !new_password || !token ||
      user->size() > kMaxField || password->size() > kMaxField ||
      new_password->size() > kMaxField || token->size() > 128) {
    call.respond(JsonError(400, "bad_request",
                           "Give the user name, the current and the new "
                           "password, and the change token from sign-in."));
    return;
  }
  // The ticket proves this browser passed the password and the second
  // factor a moment ago: the change alone never skips TOTP.
  auto it = change_tickets_.find(TokenKey(*token));
  if (it == change_tickets_.end() || it->second.expires <= clock_.SteadyNow() ||
      !SameSecret(it->second.user, *user)) {
    call.respond(JsonError(401, "signed_out",
                           "That sign-in is too old. Sign in again."));
    return;
  }
  // Taken while the change runs (it cannot be used twice at once), given
  // back when the new password is refused, so the person can try another.
  const std::string key = it->first;
  ChangeTicket ticket = std::move(it->second);
  change_tickets_.erase(it);
  std::weak_ptr<bool> alive = alive_;
  accounts_.ChangePassword(
      *user, *password, *new_password, call.peer,
      [this, alive, respond = call.respond, peer = call.peer, key,
       ticket](PasswordChangeOutcome outcome) {
        auto still = alive.lock();
        if (!still || !*still)
          return;
        if (!outcome.ok) {
          change_tickets_.emplace(key, ticket);
          respond(JsonError(400, "password_refused", outcome.message));
          return;
        }
        outcome.login.second_factor = ticket.second_factor;
        FinishSignIn(respond, peer, outcome.login);
      });
}

void WebConsole::GetSession(Call& call) {
  call.respond(
      JsonOk(Dump(SessionJson(*call.session, config_.web.idle_timeout))));
}

void WebConsole::SignOut(Call& call) {
  audit_.Audit(call.actor(), "web.signout", call.session->user, call.from());
  sessions_.End(call.cookie);
  HttpResponse answer = NoContent();
  answer.headers.emplace_back("Set-Cookie", CookieHeader("", true));
  call.respond(std::move(answer));
}

void WebConsole::ChangeOwnPassword(Call& call) {
  const auto password = StringMember(call.body, "password");
  const auto new_password = StringMember(call.body, "new_password");
  if (!password || !new_password || password->size() > kMaxField ||
      new_password->size() > kMaxField) {
    call.respond(JsonError(400, "bad_request",
                           "Give the current and the new password."));
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  const std::string user = call.session->user;
  accounts_.ChangePassword(
      user, *password, *new_password, call.peer,
      [this, alive, respond = call.respond,
       user](PasswordChangeOutcome outcome) {
        auto still = alive.lock();
        if (!still || !*still)
          return;
        if (!outcome.ok) {
          respond(JsonError(400, "password_refused", outcome.message));
          return;
        }
        // A new password signs the account out everywhere, here too.
        sessions_.EndAccount(user);
        HttpResponse answer = NoContent();
        answer.headers.emplace_back("Set-Cookie", CookieHeader("", true));
        respond(std::move(answer));
      });
}

void WebConsole::BeginOwnTotp(Call& call) {
  const Bytes secret = crypto::GenerateTotpSecret(random_);
  const std::string uri = crypto::OtpauthUri(config_.accounts.totp_issuer,
                                             call.session->user, secret);
  auto svg = QrCodeSvg(uri);
  if (!svg) {
    call.respond(ErrorAnswer(svg.error()));
    return;
  }
  call.session->pending_totp = secret;
  call.respond(JsonOk(Dump(Json{{"secret", crypto::Base32Encode(secret)},
                                {"uri", uri},
                                {"qr_svg", *svg}})));
}

void WebConsole::ConfirmOwnTotp(Call& call) {
  const auto code = StringMember(call.body, "code");
  if (!call.session->pending_totp) {
    call.respond(JsonError(409, "conflict",
                           "Start the TOTP set-up first (Set up TOTP)."));
    return;
  }
  const Bytes secret = *call.session->pending_totp;
  const int64_t now =
      duration_cast<seconds>(clock_.WallNow().time_since_epoch()).count();
  auto step = crypto::VerifyTotp(secret, code.value_or(""), now, std::nullopt);
  if (!code || !step || !step->has_value()) {
    call.respond(JsonError(400, "bad_request",
                           "That code does not match. Type the 6 digits the "
                           "app shows now."));
    return;
  }
  const std::string user = call.session->user;
  const std::string actor = call.actor();
  const std::string cookie = call.cookie;
  OffLoopThen(
      call,
      [this, user, actor, secret, peer = call.peer]() -> HttpResponse {
        AccountAdmin admin(store_, config_.password_policy, actor, peer);
        auto stored = admin.StoreTotp(user, secret);
        if (!stored)
          return ErrorAnswer(stored.error());
        return NoContent();
      },
      [this, cookie](HttpResponse& answer) {
        if (answer.status != 204)
          return;
        if (WebSession* session = sessions_.Find(cookie)) {
          session->pending_totp.reset();
          session->totp = true;
        }
      });
}

void WebConsole::Tick() {
  // At most one per browser connection (each waits for its answer).
  std::deque<WebConnection::Respond> due;
  due.swap(throttled_);
  for (auto& respond : due) {
    respond(JsonError(429, "throttled",
                      "Too many requests from your address. Wait a moment "
                      "and try again.",
                      1));
  }
}

size_t WebConsole::EndSignInsNotAllowed(const SignInCheck& allowed) {
  return sessions_.EndIf([&](const WebSession& session) {
    return !allowed(session.user, session.role, session.password_changed_at);
  });
}

}  // namespace tether::relay::web
