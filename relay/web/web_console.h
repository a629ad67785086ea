#pragma once

// The web console for IT and the customer page, behind the relay's HTTPS
// port: the JSON API of docs/web-api.md, the pages from the package's
// folder, downloads. Sign-in uses the relay's accounts through the same
// AccountService as the apps (argon2id off the loop, the same throttling
// and lockout); blocking work (SQLite, account changes, file hashing) runs
// on a bounded WorkerPool; the loop only routes and answers.
//
// Loop thread only.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "relay/accounts/account_service.h"
#include "relay/accounts/account_watch.h"
#include "relay/broker/broker.h"
#include "relay/config/relay_config.h"
#include "relay/limits/request_rate.h"
#include "relay/limits/source_counts.h"
#include "relay/metrics/relay_metrics.h"
#include "relay/server/worker_pool.h"
#include "relay/store/store.h"
#include "relay/store/store_writer.h"
#include "relay/web/downloads_folder.h"
#include "relay/web/http_request.h"
#include "relay/web/web_connection.h"
#include "relay/web/web_sessions.h"
#include "relay/web/web_site.h"

struct uv_loop_s;

namespace tether::crypto {
class RandomGenerator;
}

namespace tether::relay {
class Cluster;
}

namespace tether::relay::web {

class WebConsole {
 public:
  // What the console needs of the running relay; all must outlive it.
  struct Parts {
    const RelayConfig* config = nullptr;
    uv_loop_s* loop = nullptr;
    Store* store = nullptr;
    StoreWriter* audit = nullptr;
    AccountService* accounts = nullptr;
    Broker* broker = nullptr;
    // In a cluster: the other relays' sessions are listed and ended too.
    Cluster* cluster = nullptr;
    // After IT disabled an account, reset its password or changed its role.
    std::function<void()> on_accounts_changed;
    const RelayMetrics* metrics = nullptr;
    const Clock* clock = nullptr;
    crypto::RandomGenerator* random = nullptr;
    std::string fingerprint;            // "sha256:…"
    std::string certificate_not_after;  // ISO 8601
  };

  // Loads the site's files (an error names the folder and the file).
  static Result<std::unique_ptr<WebConsole>> Create(const Parts& parts);
  ~WebConsole();
  WebConsole(const WebConsole&) = delete;
  WebConsole& operator=(const WebConsole&) = delete;

  // One request from `peer_address` ("203.0.113.7:51234").
  void Handle(HttpRequest request,
              const std::string& peer_address,
              WebConnection::Respond respond);
  using Respond = WebConnection::Respond;

  // About once a second: answers the requests held back for going over
  // their source's rate.
  void Tick();
  // Ends the web sessions whose account changed under them (disabled, new
  // password, other role: by anyone, relay/accounts/account_watch.h). How
  // many ended.
  size_t EndSignInsNotAllowed(const SignInCheck& allowed);

  // The folder the pages come from when web.site is empty.
  static std::filesystem::path DefaultSiteFolder();

  size_t signed_in() const { return sessions_.size(); }
  uint64_t requests() const { return requests_; }
  uint64_t requests_throttled() const { return requests_throttled_; }

 private:
  struct Call;
  enum class Access;
  struct Route;
  struct ChangeTicket;

  explicit WebConsole(const Parts& parts, WebSite site);
  static const std::vector<Route>& Routes();

  // Sign-in and own account (web_console.cc).
  void SignIn(Call& call);
  void ChangeFirstPassword(Call& call);
  void GetSession(Call& call);
  void SignOut(Call& call);
  void ChangeOwnPassword(Call& call);
  void BeginOwnTotp(Call& call);
  void ConfirmOwnTotp(Call& call);
  // The answer to a sign-in that proved the password (and code).
  void FinishSignIn(const WebConnection::Respond& respond,
                    const std::string& peer,
                    const LoginOutcome& outcome);

  // The relay and its sessions (web_console_relay.cc).
  void Overview(Call& call);
  void ListSessions(Call& call);
  void EndSession(Call& call);
  void ShowConfig(Call& call);
  void CustomerConfig(Call& call);
  void PublicInfo(Call& call);
  void Download(Call& call);
  void Logo(Call& call);

  // Accounts (web_console_accounts.cc).
  void ListAccounts(Call& call);
  void CreateAccount(Call& call);
  void ChangeAccount(Call& call);
  void EnrollTotp(Call& call);
  void RemoveTotp(Call& call);

  // Events and the audit log (web_console_records.cc).
  void Records(Call& call);

  // Runs `work` on the pool and answers with what it returns; 503 when the
  // pool is full.
  void OffLoop(Call& call, std::function<HttpResponse()> work);
  // Posts `work` and then `done` (loop thread) with what it returned.
  void OffLoopThen(Call& call,
                   std::function<HttpResponse()> work,
                   std::function<void(HttpResponse&)> done);

  const RelayConfig& config_;
  Store& store_;
  StoreWriter& audit_;
  AccountService& accounts_;
  Broker& broker_;
  Cluster* cluster_;
  std::function<void()> on_accounts_changed_;
  const RelayMetrics& metrics_;
  const Clock& clock_;
  crypto::RandomGenerator& random_;
  const std::string fingerprint_;
  const std::string certificate_not_after_;
  const Clock::WallTime started_at_;
  const WebSite site_;
  DownloadsFolder downloads_;  // used off the loop; thread-safe

  WorkerPool pool_;
  WebSessions sessions_;
  RequestRate rate_;
  SourceCounts sign_ins_by_source_;  // password checks in flight
  // Requests over their source's rate, answered (429) at the next Tick.
  std::deque<WebConnection::Respond> throttled_;
  // Proofs that password (and code) were right for an account that must
  // choose a new password first; by hash of the token, a few minutes each.
  std::unordered_map<std::string, ChangeTicket> change_tickets_;
  uint64_t requests_ = 0;
  uint64_t requests_throttled_ = 0;
  // Cleared by the destructor: sign-ins finishing later answer nothing.
  std::shared_ptr<bool> alive_;
};

// The live sessions as GET /api/sessions lists them, a JSON array. In a
// cluster (`relay_id` set) each names its relay, and its id is
// "<relay id>.<n>", unique among the relays.
std::string LiveSessionsJson(const std::vector<LiveSession>& sessions,
                             const std::string& relay_id);

}  // namespace tether::relay::web
