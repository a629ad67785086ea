#pragma once

// What the files of WebConsole share: one request being answered, the
// route table's access levels, and JSON helpers. Internal to relay/web.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "relay/web/web_console.h"

namespace tether::relay::web {

using Json = nlohmann::json;

// Who may call a route. The API enforces this, not the pages.
enum class WebConsole::Access {
  kAnyone,    // the customer page, sign-in
  kSignedIn,  // every role (own account, live sessions filtered)
  kReader,    // admin and auditor (technicians: 403)
  kAdmin,
};

struct WebConsole::Route {
  std::string_view method;
  std::string_view pattern;  // "/api/accounts/*/totp": '*' is one segment
  Access access;
  void (WebConsole::*handler)(Call&);
};

struct WebConsole::Call {
  HttpRequest request;
  std::string peer;    // "203.0.113.7:51234"
  std::string source;  // the /32 or /64 the per-source caps count
  std::vector<std::string> segments;  // the path, split and decoded
  std::string cookie;                 // the session cookie's value, if any
  // The caller's session; valid only until the handler returns (look it
  // up again by `cookie` after work off the loop).
  WebSession* session = nullptr;
  Json body;  // the parsed JSON body of a POST, else null
  WebConnection::Respond respond;

  // "web:alice": the actor of every audit row this call writes.
  std::string actor() const { return "web:" + session->user; }
  std::string from() const { return "from " + peer; }
};

// A JSON object's string member; nullopt when absent or not a string.
std::optional<std::string> StringMember(const Json& object,
                                        std::string_view name);
// JSON text; invalid UTF-8 in strings becomes U+FFFD, never an exception.
std::string Dump(const Json& value);
// Times as the API writes them: "2026-12-06T23:10:00.000Z".
std::string ApiTime(Clock::WallTime time);
// The answer for a Result's error: 409 when the store refused a change
// that would break a rule (the last admin), 404 for an unknown account,
// 400 for a refused value, 500 otherwise.
HttpResponse ErrorAnswer(const Error& error);

}  // namespace tether::relay::web
