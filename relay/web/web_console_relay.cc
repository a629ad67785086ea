// WebConsole: the relay itself (overview, configuration), its live
// sessions, and what the customer page offers.

#include "base/ascii.h"
#include "config/config_file.h"
#include "crypto/tls_config.h"
#include "protocol/host_port.h"
#include "protocol/version.h"
#include "relay/cluster/cluster.h"
#include "relay/config/customer_config_file.h"
#include "relay/web/web_console_call.h"

namespace tether::relay::web {
namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;

constexpr size_t kMaxLogoBytes = 256 << 10;

HttpResponse Attachment(std::string body,
                        std::string_view content_type,
                        std::string_view file_name) {
  HttpResponse answer;
  answer.content_type = std::string(content_type);
  answer.body = std::move(body);
  answer.headers.emplace_back(
      "Content-Disposition",
      "attachment; filename=\"" + std::string(file_name) + "\"");
  return answer;
}

}  // namespace

void WebConsole::Overview(Call& call) {
  const auto now = clock_.WallNow();
  Json site_files = Json::array();
  for (const auto& [path, file] : site_.files())
    site_files.push_back(Json{{"path", path}, {"sha256", file.sha256}});
  Json overview{
      {"version", std::string(protocol::TetherVersion())},
      {"mbedtls_version", std::string(crypto::MbedtlsVersion())},
      {"started_at", ApiTime(started_at_)},
      {"uptime", duration_cast<seconds>(now - started_at_).count()},
      {"certificate", Json{{"fingerprint", fingerprint_},
                           {"not_after", certificate_not_after_}}},
      {"connections", metrics_.connections_open},
      {"codes_waiting", broker_.waiting_sessions()},
      {"sessions_active", metrics_.sessions_active},
      {"slow_lane", metrics_.join_slow_lane != 0},
      {"web_sessions", sessions_.size()},
      {"site_files", std::move(site_files)},
  };
  // Walking the audit chain reads every row: off the loop.
  OffLoop(call, [this, overview = std::move(overview)]() mutable {
    auto verified = store_.VerifyAudit();
    if (!verified) {
      overview["audit"] = Json{{"ok", false},
                               {"rows", 0},
                               {"first_bad_id", nullptr},
                               {"problem", verified.error().message}};
    } else {
      overview["audit"] =
          Json{{"ok", verified->ok},
               {"rows", verified->rows_checked},
               {"first_bad_id", verified->first_bad_id
                                    ? Json(*verified->first_bad_id)
                                    : Json(nullptr)},
               {"problem", verified->problem}};
    }
    return JsonOk(Dump(overview));
  });
}

namespace {

// GET /api/sessions' list; LiveSessionsJson() is its text.
Json LiveSessionsArray(const std::vector<LiveSession>& sessions,
                       const std::string& relay_id) {
  Json list = Json::array();
  for (const LiveSession& s : sessions) {
    Json entry{{"id", s.id},
               {"technician", s.technician},
               {"technician_name", s.technician_name},
               {"technician_address", s.technician_address},
               {"customer_host", s.customer_host},
               {"customer_user", s.customer_user},
               {"customer_address", s.customer_address},
               {"started_at", ApiTime(s.started_at)},
               {"duration", s.duration.count()},
               {"bytes", s.bytes}};
    if (!relay_id.empty()) {
      entry["id"] = relay_id + "." + std::to_string(s.id);
      entry["relay"] = relay_id;
    }
    list.push_back(std::move(entry));
  }
  return list;
}

// What `role` and `user` may see of `sessions`: a technician only its own.
Json VisibleTo(const Json& sessions,
               AccountRole role,
               const std::string& user) {
  Json visible = Json::array();
  for (const Json& s : sessions) {
    if (!s.is_object())
      continue;
    const auto technician = StringMember(s, "technician");
    if (role == AccountRole::kTechnician &&
        (!technician || !EqualsIgnoreAsciiCase(*technician, user))) {
      continue;
    }
    visible.push_back(s);
  }
  return visible;
}

// The other relays' sessions, parsed from what they published, appended
// to `all`; this relay's own entry is skipped (its list here is fresher).
void AppendOthers(const Cluster::RelaySessions& others,
                  const std::string& own,
                  Json& all) {
  for (const auto& [relay, text] : others) {
    if (relay == own)
      continue;
    Json list = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!list.is_array())
      continue;
    for (Json& s : list)
      all.push_back(std::move(s));
  }
}

constexpr char kOthersUnavailable[] =
    "Sessions on the other relays cannot be listed right now: this relay "
    "cannot reach the directory the relays share.";

}  // namespace

std::string LiveSessionsJson(const std::vector<LiveSession>& sessions,
                             const std::string& relay_id) {
  return Dump(LiveSessionsArray(sessions, relay_id));
}

void WebConsole::ListSessions(Call& call) {
  const std::string& own = config_.cluster.relay_id;
  Json all = LiveSessionsArray(broker_.LiveSessions(), own);
  const AccountRole role = call.session->role;
  const std::string user = call.session->user;
  if (cluster_ == nullptr) {
    call.respond(JsonOk(Dump(Json{{"sessions", VisibleTo(all, role, user)}})));
    return;
  }
  cluster_->FetchSessions(
      [respond = call.respond, all = std::move(all), own, role,
       user](Result<Cluster::RelaySessions> others) mutable {
        Json answer;
        if (others)
          AppendOthers(*others, own, all);
        else
          answer["note"] = kOthersUnavailable;
        answer["sessions"] = VisibleTo(all, role, user);
        respond(JsonOk(Dump(answer)));
      });
}

void WebConsole::EndSession(Call& call) {
  if (call.session->role == AccountRole::kAuditor) {
    call.respond(JsonError(403, "forbidden", "Your role does not allow this."));
    return;
  }
  // "<n>", or in a cluster "<relay id>.<n>".
  std::string text = call.segments[2];
  std::string relay;
  if (const size_t dot = text.rfind('.'); dot != std::string::npos) {
    relay = text.substr(0, dot);
    text = text.substr(dot + 1);
  }
  uint64_t id = 0;
  const bool numeric = !text.empty() && text.size() <= 19 &&
                       std::all_of(text.begin(), text.end(),
                                   [](char c) { return c >= '0' && c <= '9'; });
  if (numeric)
    id = std::stoull(text);
  const HttpResponse not_found =
      JsonError(404, "not_found", "That session is not running.");
  const std::string& own = config_.cluster.relay_id;
  if (!numeric || (!relay.empty() && !IsRelayId(relay))) {
    call.respond(not_found);
    return;
  }
  const AccountRole role = call.session->role;
  const std::string user = call.session->user;
  const std::string detail_from = ", " + call.from();
  if (!relay.empty() && relay != own) {
    // Another relay's: ended there, once its published list shows it is
    // running and this account may end it.
    if (cluster_ == nullptr) {
      call.respond(not_found);
      return;
    }
    const std::string key = relay + "." + text;
    cluster_->FetchSessions([cluster = cluster_, respond = call.respond,
                             not_found, key, relay, id, role, user,
                             actor = call.actor(), detail_from,
                             own](Result<Cluster::RelaySessions> others) {
      if (!others) {
        respond(JsonError(503, "unavailable", kOthersUnavailable, 30));
        return;
      }
      Json all = Json::array();
      AppendOthers(*others, own, all);
      for (const Json& s : VisibleTo(all, role, user)) {
        if (StringMember(s, "id").value_or("") != key)
          continue;
        cluster->EndSessionElsewhere(
            relay, id, actor,
            "technician " + StringMember(s, "technician").value_or("") +
                ", customer " + StringMember(s, "customer_host").value_or("") +
                detail_from + " (on relay " + own + "'s console)");
        respond(NoContent());
        return;
      }
      respond(not_found);
    });
    return;
  }
  const auto sessions = broker_.LiveSessions();
  auto it = std::find_if(sessions.begin(), sessions.end(),
                         [&](const LiveSession& s) { return s.id == id; });
  // A technician may end only its own: another's is "not found", as if it
  // did not exist.
  if (it == sessions.end() || (role == AccountRole::kTechnician &&
                               !EqualsIgnoreAsciiCase(it->technician, user))) {
    call.respond(not_found);
    return;
  }
  broker_.EndSession(id, call.actor(),
                     "technician " + it->technician + ", customer " +
                         it->customer_host + detail_from);
  call.respond(NoContent());
}

void WebConsole::ShowConfig(Call& call) {
  call.respond(JsonOk(Dump(Json{{"text", DescribeRelayConfig(config_)}})));
}

void WebConsole::CustomerConfig(Call& call) {
  // The address the browser reached is the relay's port: apps use it too.
  std::string host = config_.web.public_host;
  uint16_t port = 443;
  if (const std::string* header = call.request.Header("host")) {
    if (auto parsed = protocol::ParseHostPort(*header, 443)) {
      port = parsed->port;
      if (host.empty())
        host = parsed->host;
    }
  }
  if (host.empty()) {
    call.respond(JsonError(400, "bad_request",
                           "The request names no host; set web.public_host."));
    return;
  }
  audit_.Audit(call.actor(), "customer-config.download", host, call.from());
  protocol::RelayEndpoint relay;
  relay.host = host;
  relay.port = port;
  relay.fingerprint = fingerprint_;
  call.respond(Attachment(CustomerConfigFile(config_, relay),
                          "application/toml", "tether-customer.toml"));
}

void WebConsole::PublicInfo(Call& call) {
  Json info{{"organisation", config_.server.organisation},
            {"fingerprint", fingerprint_},
            {"logo", !config_.web.logo.empty()}};
  OffLoop(call, [this, info = std::move(info)]() mutable {
    Json downloads = Json::array();
    if (auto files = downloads_.List()) {
      for (const DownloadFile& file : *files) {
        downloads.push_back(Json{{"name", file.name},
                                 {"size", file.size},
                                 {"sha256", file.sha256},
                                 {"signature", file.signature}});
      }
    }
    info["downloads"] = std::move(downloads);
    return JsonOk(Dump(info));
  });
}

void WebConsole::Download(Call& call) {
  const std::string name = call.segments[1];
  if (!IsPlainFileName(name)) {
    call.respond(JsonError(404, "not_found", "There is no such download."));
    return;
  }
  OffLoop(call, [this, name]() -> HttpResponse {
    auto found = downloads_.Find(name);
    if (!found)
      return JsonError(404, "not_found", "There is no such download.");
    HttpResponse answer;
    answer.content_type = std::string(ContentTypeOf(name));
    answer.file = found->first;
    answer.file_size = found->second;
    answer.headers.emplace_back("Content-Disposition",
                                "attachment; filename=\"" + name + "\"");
    return answer;
  });
}

void WebConsole::Logo(Call& call) {
  const std::filesystem::path logo = config_.web.logo;
  const std::string_view type = ContentTypeOf(logo);
  if (logo.empty() || (type != "image/png" && type != "image/svg+xml")) {
    call.respond(JsonError(404, "not_found", "This relay has no logo."));
    return;
  }
  OffLoop(call, [logo, type]() -> HttpResponse {
    auto data = config::ReadSmallFile(logo, kMaxLogoBytes, "the logo");
    if (!data)
      return JsonError(404, "not_found", "This relay has no logo.");
    HttpResponse answer;
    answer.content_type = std::string(type);
    answer.body = std::move(*data);
    answer.cacheable = true;
    return answer;
  });
}

}  // namespace tether::relay::web
