// The web console and the customer page on a real relay process, through
// real TLS with ALPN http/1.1, as a browser (or an attacker) reaches them.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "crypto/random.h"
#include "crypto/totp.h"
#include "protocol/relay.pb.h"
#include "tests/support/relay_pairing.h"
#include "tests/support/relay_probes.h"
#include "tests/support/relay_process.h"
#include "tests/support/relay_test_client.h"
#include "tests/support/web_test_client.h"

namespace tether::test {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

Json Body(const TestHttpResponse& response) {
  return Json::parse(response.body, nullptr, false);
}

class WebConsoleTest : public ::testing::Test {
 protected:
  // Most tests sign admins in without TOTP; the default (TOTP required for
  // admins) has its own tests.
  void StartRelay(const std::string& extra =
                      "[web]\nadmin_requires_totp = "
                      "false\ndownloads = \"downloads\"\n") {
    relay_ = std::make_unique<RelayProcess>(extra);
    ASSERT_TRUE(relay_->AddAccount("root", "admin", kPassword).has_value());
    ASSERT_TRUE(relay_->AddAccount("alice", "technician", kPassword));
    ASSERT_TRUE(relay_->AddAccount("bob", "technician", kPassword));
    ASSERT_TRUE(relay_->AddAccount("audrey", "auditor", kPassword));
    auto started = relay_->Start();
    ASSERT_TRUE(started.has_value()) << started.error().message;
  }

  std::unique_ptr<WebTestClient> Browser(const std::string& source_ip = "") {
    auto client = WebTestClient::Connect(relay_->port(), relay_->fingerprint(),
                                         source_ip);
    EXPECT_TRUE(client.has_value()) << client.error().message;
    return client ? std::move(*client) : nullptr;
  }

  // A browser signed in as `user`.
  std::unique_ptr<WebTestClient> SignedIn(const std::string& user,
                                          const std::string& totp = "") {
    auto browser = Browser();
    if (!browser)
      return nullptr;
    auto answer = browser->SignIn(user, kPassword, totp);
    EXPECT_TRUE(answer.has_value()) << answer.error().message;
    EXPECT_EQ(answer ? answer->status : 0, 200) << (answer ? answer->body : "");
    return browser;
  }

  int Status(WebTestClient& browser,
             const std::string& method,
             const std::string& target,
             const std::string& body = "") {
    auto answer = browser.Request(method, target, body);
    EXPECT_TRUE(answer.has_value()) << answer.error().message;
    return answer ? answer->status : 0;
  }

  // The audit rows `query` finds once at least `count` are there (the
  // relay writes some of them on its store thread, a moment later).
  Json AuditRows(WebTestClient& browser,
                 const std::string& query,
                 size_t count) {
    Json rows = Json::array();
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto answer = browser.Request("GET", "/api/audit?" + query);
      EXPECT_TRUE(answer.has_value());
      if (!answer)
        break;
      rows = Body(*answer)["rows"];
      if (rows.size() >= count)
        break;
      std::this_thread::sleep_for(100ms);
    }
    return rows;
  }

  std::unique_ptr<RelayProcess> relay_;
};

TEST_F(WebConsoleTest, PagesCarryTheSecurityHeaders) {
  StartRelay();
  auto browser = Browser();
  ASSERT_NE(browser, nullptr);
  EXPECT_EQ(browser->tls().alpn(), "http/1.1");
  for (const char* page : {"/", "/console", "/api/public"}) {
    auto answer = browser->Request("GET", page);
    ASSERT_TRUE(answer.has_value()) << answer.error().message;
    EXPECT_EQ(answer->status, 200) << page;
    const std::string csp = answer->Header("content-security-policy");
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
    EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos);
    EXPECT_NE(answer->Header("strict-transport-security").find("max-age="),
              std::string::npos);
    EXPECT_EQ(answer->Header("x-content-type-options"), "nosniff");
    EXPECT_EQ(answer->Header("referrer-policy"), "no-referrer");
    EXPECT_TRUE(answer->keep_alive);
  }
  // No page carries inline script the CSP would have to allow.
  auto console = browser->Request("GET", "/console");
  ASSERT_TRUE(console.has_value());
  EXPECT_EQ(console->body.find("<script>"), std::string::npos);
  EXPECT_EQ(console->body.find("onclick="), std::string::npos);
}

TEST_F(WebConsoleTest, AppsAndBrowsersShareOnePortByAlpn) {
  StartRelay();
  // Today's apps offer tether/1, apps before 0.3 nothing: both are apps.
  for (const std::vector<std::string>& alpn :
       {std::vector<std::string>{"tether/1"}, std::vector<std::string>{}}) {
    auto app = RelayTestClient::Connect(relay_->port(), relay_->fingerprint(),
                                        5s, "", alpn);
    ASSERT_TRUE(app.has_value()) << app.error().message;
    auto ack = (*app)->Hello(proto::ROLE_SUPPORTER);
    ASSERT_TRUE(ack.has_value()) << ack.error().message;
    EXPECT_TRUE(ack->has_hello_ack());
  }
  // A client that speaks neither is refused in the handshake.
  auto other = RelayTestClient::Connect(relay_->port(), relay_->fingerprint(),
                                        5s, "", {"h2"});
  EXPECT_FALSE(other.has_value());
  // A browser's request to a relay without the web side is refused too.
  auto browser = Browser();
  ASSERT_NE(browser, nullptr);
  EXPECT_EQ(Status(*browser, "GET", "/"), 200);
}

TEST_F(WebConsoleTest, AnAdminSignsInWithPasswordThenTotpByDefault) {
  relay_ = std::make_unique<RelayProcess>("");
  const Bytes secret =
      crypto::GenerateTotpSecret(crypto::RandomGenerator::Default());
  ASSERT_TRUE(relay_->AddAccount("root", "admin", kPassword, secret));
  ASSERT_TRUE(relay_->AddAccount("nototp", "admin", kPassword));
  ASSERT_TRUE(relay_->Start().has_value());

  auto browser = Browser();
  auto first = browser->SignIn("root", kPassword);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->status, 401);
  EXPECT_EQ(Body(*first)["code"], "totp_required");
  EXPECT_TRUE(browser->cookie.empty());

  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto code = crypto::GenerateTotp(secret, now);
  ASSERT_TRUE(code.has_value());
  auto second = browser->SignIn("root", kPassword, *code);
  ASSERT_TRUE(second.has_value());
  ASSERT_EQ(second->status, 200) << second->body;
  const std::string cookie = second->Header("set-cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("Secure"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(browser->cookie.size(), 43u);
  EXPECT_EQ(Body(*second)["role"], "admin");
  EXPECT_EQ(Status(*browser, "GET", "/api/overview"), 200);
  // The same code does not sign in twice.
  auto replay = Browser()->SignIn("root", kPassword, *code);
  ASSERT_TRUE(replay.has_value());
  EXPECT_EQ(replay->status, 401);

  // An admin without a second factor is refused on the web.
  auto refused = Browser()->SignIn("nototp", kPassword);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(Body(*refused)["code"], "totp_enrolment_required");
}

TEST_F(WebConsoleTest, TheFirstPasswordIsChangedBeforeTheConsoleOpens) {
  StartRelay();
  auto admin = SignedIn("root");
  auto created = admin->Request(
      "POST", "/api/accounts",
      R"({"user":"carol","display_name":"Carol","role":"technician"})");
  ASSERT_TRUE(created.has_value());
  ASSERT_EQ(created->status, 201) << created->body;
  const std::string one_time = Body(*created)["one_time_password"];
  EXPECT_EQ(one_time.size(), 23u);

  auto browser = Browser();
  auto signin = browser->SignIn("carol", one_time);
  ASSERT_TRUE(signin.has_value());
  ASSERT_EQ(signin->status, 403);
  const Json refused = Body(*signin);
  EXPECT_EQ(refused["code"], "password_change_required");
  const std::string token = refused["change_token"];
  EXPECT_TRUE(browser->cookie.empty());

  const Json change{{"user", "carol"},
                    {"password", one_time},
                    {"new_password", "a brand new passphrase"}};
  Json without = change;
  EXPECT_EQ(Status(*browser, "POST", "/api/session/password", without.dump()),
            400);
  Json forged = change;
  forged["change_token"] = std::string(43, 'A');
  EXPECT_EQ(Status(*browser, "POST", "/api/session/password", forged.dump()),
            401);
  Json with = change;
  with["change_token"] = token;
  auto changed = browser->Request("POST", "/api/session/password", with.dump());
  ASSERT_TRUE(changed.has_value());
  EXPECT_EQ(changed->status, 200) << changed->body;
  EXPECT_NE(changed->Header("set-cookie").find("tether_session="),
            std::string::npos);
  // The token was used up.
  EXPECT_EQ(Status(*browser, "POST", "/api/session/password", with.dump()),
            401);
}

TEST_F(WebConsoleTest, AChangeWithoutTheCsrfTokenOrFromAnotherSiteIsRefused) {
  StartRelay();
  auto admin = SignedIn("root");
  const std::string body =
      R"({"user":"mallory","display_name":"M","role":"admin"})";
  auto no_token = admin->Request("POST", "/api/accounts", body, false);
  ASSERT_TRUE(no_token.has_value());
  EXPECT_EQ(no_token->status, 403);
  EXPECT_EQ(Body(*no_token)["code"], "csrf");
  auto wrong = admin->Request("POST", "/api/accounts", body, false,
                              {{"X-CSRF-Token", std::string(43, 'x')}});
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(wrong->status, 403);
  auto cross_site = admin->Request("POST", "/api/accounts", body, true,
                                   {{"Origin", "https://evil.example"}});
  ASSERT_TRUE(cross_site.has_value());
  EXPECT_EQ(cross_site->status, 403);
  // A form post (not JSON) cannot sign in either.
  auto form = admin->Request("POST", "/api/session", "user=root&password=x",
                             false, {}, "application/x-www-form-urlencoded");
  ASSERT_TRUE(form.has_value());
  EXPECT_EQ(form->status, 415);
  auto accounts = admin->Request("GET", "/api/accounts");
  ASSERT_TRUE(accounts.has_value());
  EXPECT_EQ(accounts->body.find("mallory"), std::string::npos);
}

TEST_F(WebConsoleTest, AnAuditorReadsButChangesNothing) {
  StartRelay();
  auto auditor = SignedIn("audrey");
  EXPECT_EQ(Status(*auditor, "GET", "/api/audit"), 200);
  EXPECT_EQ(Status(*auditor, "GET", "/api/events.csv"), 200);
  EXPECT_EQ(Status(*auditor, "GET", "/api/overview"), 200);
  EXPECT_EQ(Status(*auditor, "GET", "/api/config"), 200);
  EXPECT_EQ(Status(*auditor, "GET", "/api/accounts"), 403);
  EXPECT_EQ(Status(*auditor, "POST", "/api/accounts",
                   R"({"user":"x1","role":"admin"})"),
            403);
  EXPECT_EQ(Status(*auditor, "POST", "/api/accounts/alice/disable"), 403);
  EXPECT_EQ(Status(*auditor, "DELETE", "/api/accounts/root/totp"), 403);
}

TEST_F(WebConsoleTest, ATechnicianSeesOnlyItsOwnHistoryAndSessions) {
  StartRelay();
  // Each technician leaves a connection event.
  for (const char* user : {"alice", "bob"}) {
    auto app = SignedInTechnician(*relay_, user, kPassword);
    ASSERT_NE(app, nullptr);
  }
  auto alice = SignedIn("alice");
  // The events are written when the connections end; wait for bob's.
  Json rows;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  auto admin = SignedIn("root");
  while (std::chrono::steady_clock::now() < deadline) {
    auto all = admin->Request("GET", "/api/events");
    ASSERT_TRUE(all.has_value());
    rows = Body(*all)["rows"];
    if (rows.size() >= 2)
      break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_GE(rows.size(), 2u);
  auto own = alice->Request("GET", "/api/events?account=bob");
  ASSERT_TRUE(own.has_value());
  ASSERT_EQ(own->status, 200);
  const Json mine = Body(*own)["rows"];
  ASSERT_FALSE(mine.empty());
  for (const Json& row : mine)
    EXPECT_EQ(row["account"], "alice") << row.dump();
  EXPECT_EQ(Status(*alice, "GET", "/api/audit"), 403);
  EXPECT_EQ(Status(*alice, "GET", "/api/events.csv"), 403);
  EXPECT_EQ(Status(*alice, "GET", "/api/accounts"), 403);
  EXPECT_EQ(Status(*alice, "GET", "/api/overview"), 403);

  // Bob's live session is not Alice's to see or end.
  std::unique_ptr<RelayTestClient> technician, customer;
  PairThroughCode(*relay_, "bob", kPassword, &technician, &customer);
  ASSERT_FALSE(HasFatalFailure());
  auto listed = alice->Request("GET", "/api/sessions");
  ASSERT_TRUE(listed.has_value());
  EXPECT_TRUE(Body(*listed)["sessions"].empty());
  auto all = admin->Request("GET", "/api/sessions");
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(Body(*all)["sessions"].size(), 1u);
  const std::string id =
      std::to_string(Body(*all)["sessions"][0]["id"].get<uint64_t>());
  EXPECT_EQ(Status(*alice, "POST", "/api/sessions/" + id + "/end"), 404);
}

TEST_F(WebConsoleTest, ITEndsALiveSessionAndBothAppsAreToldInPlainWords) {
  StartRelay();
  std::unique_ptr<RelayTestClient> technician, customer;
  PairThroughCode(*relay_, "alice", kPassword, &technician, &customer);
  ASSERT_FALSE(HasFatalFailure());
  auto admin = SignedIn("root");
  auto listed = admin->Request("GET", "/api/sessions");
  ASSERT_TRUE(listed.has_value());
  const Json sessions = Body(*listed)["sessions"];
  ASSERT_EQ(sessions.size(), 1u) << listed->body;
  EXPECT_EQ(sessions[0]["technician"], "alice");
  EXPECT_EQ(sessions[0]["customer_host"], "pc-042");
  EXPECT_EQ(sessions[0]["customer_user"], "maria");
  const std::string id = std::to_string(sessions[0]["id"].get<uint64_t>());

  EXPECT_EQ(Status(*admin, "POST", "/api/sessions/" + id + "/end"), 204);
  for (RelayTestClient* app : {technician.get(), customer.get()}) {
    auto end = app->Receive();
    ASSERT_TRUE(end.has_value()) << end.error().message;
    ASSERT_TRUE(end->has_end());
    EXPECT_EQ(end->end().reason(), proto::END_REASON_ENDED_BY_IT);
    EXPECT_NE(end->end().message().find("IT department ended"),
              std::string::npos);
    EXPECT_TRUE(app->WaitClosed());
  }
  EXPECT_EQ(Status(*admin, "POST", "/api/sessions/" + id + "/end"), 404);
  const Json rows = AuditRows(*admin, "action=session.end&actor=web:root", 1);
  ASSERT_EQ(rows.size(), 1u) << rows.dump();
  EXPECT_EQ(rows[0]["actor"], "web:root");
  EXPECT_NE(rows[0]["detail"].get<std::string>().find("from 127.0.0.1"),
            std::string::npos);
}

TEST_F(WebConsoleTest, AccountsAreManagedAndEveryChangeIsAudited) {
  StartRelay();
  auto admin = SignedIn("root");
  ASSERT_EQ(
      Status(*admin, "POST", "/api/accounts",
             R"({"user":"dave","display_name":"Dave","role":"technician"})"),
      201);
  EXPECT_EQ(Status(*admin, "POST", "/api/accounts",
                   R"({"user":"dave","role":"technician"})"),
            409);
  EXPECT_EQ(Status(*admin, "POST", "/api/accounts",
                   R"({"user":"../x","role":"technician"})"),
            400);
  EXPECT_EQ(Status(*admin, "POST", "/api/accounts/dave/disable"), 204);
  EXPECT_EQ(Status(*admin, "POST", "/api/accounts/dave/enable"), 204);
  EXPECT_EQ(Status(*admin, "POST", "/api/accounts/dave/unlock"), 204);
  auto reset = admin->Request("POST", "/api/accounts/dave/reset-password");
  ASSERT_TRUE(reset.has_value());
  EXPECT_EQ(reset->status, 200);
  EXPECT_EQ(Body(*reset)["one_time_password"].get<std::string>().size(), 23u);
  EXPECT_EQ(Status(*admin, "POST", "/api/accounts/dave/role",
                   R"({"role":"auditor"})"),
            204);
  auto enrolled = admin->Request("POST", "/api/accounts/dave/totp");
  ASSERT_TRUE(enrolled.has_value());
  ASSERT_EQ(enrolled->status, 200);
  const Json totp = Body(*enrolled);
  EXPECT_EQ(totp["qr_svg"].get<std::string>().rfind("<svg", 0), 0u);
  EXPECT_EQ(totp["uri"].get<std::string>().rfind("otpauth://totp/", 0), 0u);
  EXPECT_EQ(Status(*admin, "DELETE", "/api/accounts/dave/totp"), 204);
  EXPECT_EQ(Status(*admin, "POST", "/api/accounts/nobody/disable"), 404);
  // The last enabled admin stays.
  EXPECT_EQ(Status(*admin, "POST", "/api/accounts/root/role",
                   R"({"role":"technician"})"),
            409);

  auto accounts = admin->Request("GET", "/api/accounts");
  ASSERT_TRUE(accounts.has_value());
  ASSERT_EQ(accounts->status, 200) << accounts->body;
  bool found = false;
  const Json listed = Body(*accounts);
  for (const Json& account : listed["accounts"]) {
    if (account["user"] == "dave") {
      found = true;
      EXPECT_EQ(account["role"], "auditor");
      EXPECT_EQ(account["totp"], false);
    }
  }
  EXPECT_TRUE(found);
  std::vector<std::string> actions;
  const Json rows = AuditRows(*admin, "actor=web:root&limit=500", 9);
  for (const Json& row : rows) {
    actions.push_back(row["action"]);
    EXPECT_NE(row["detail"].get<std::string>().find("from 127.0.0.1"),
              std::string::npos)
        << row.dump();
  }
  for (const char* action :
       {"web.signin", "account.create", "account.disable", "account.enable",
        "account.unlock", "account.reset_password", "account.role",
        "account.totp_enroll", "account.totp_remove"}) {
    EXPECT_NE(std::find(actions.begin(), actions.end(), action), actions.end())
        << action;
  }
}

TEST_F(WebConsoleTest, ASessionEndsAtSignOutAndWhenItsAccountChanges) {
  StartRelay();
  auto alice = SignedIn("alice");
  ASSERT_EQ(Status(*alice, "GET", "/api/session"), 200);
  EXPECT_EQ(Status(*alice, "DELETE", "/api/session"), 204);
  EXPECT_EQ(Status(*alice, "GET", "/api/session"), 401);

  // Disabled from the console: at once.
  alice = SignedIn("alice");
  auto admin = SignedIn("root");
  EXPECT_EQ(Status(*admin, "POST", "/api/accounts/alice/disable"), 204);
  EXPECT_EQ(Status(*alice, "GET", "/api/session"), 401);
  EXPECT_EQ(Status(*admin, "POST", "/api/accounts/alice/enable"), 204);

  // Disabled from the relay's command line: within a few seconds.
  auto bob = SignedIn("bob");
  auto disabled = relay_->RunCommand({"user", "disable", "bob"});
  ASSERT_EQ(disabled.exit_code, 0) << disabled.output;
  int status = 200;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (status == 200 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(200ms);
    status = Status(*bob, "GET", "/api/session");
  }
  EXPECT_EQ(status, 401);
}

TEST_F(WebConsoleTest, GuessingPasswordsIsThrottledLikeTheApps) {
  StartRelay(
      "[web]\nadmin_requires_totp = false\n"
      "[accounts]\nthrottle_after_failures = 3\nlock_after_failures = 6\n");
  auto browser = Browser();
  std::vector<int> statuses;
  for (int i = 0; i < 8; ++i) {
    auto answer =
        browser->SignIn("alice", "wrong password " + std::to_string(i));
    ASSERT_TRUE(answer.has_value());
    statuses.push_back(answer->status);
  }
  EXPECT_EQ(statuses[0], 401);
  // Later guesses are slowed, then the account locks.
  EXPECT_NE(std::find_if(statuses.begin(), statuses.end(),
                         [](int s) { return s == 429 || s == 423; }),
            statuses.end());
  auto right = browser->SignIn("alice", kPassword);
  ASSERT_TRUE(right.has_value());
  EXPECT_NE(right->status, 200);
}

TEST_F(WebConsoleTest, NoPathLeavesThePackagesFolders) {
  StartRelay();
  std::filesystem::create_directories(relay_->dir() / "downloads");
  std::ofstream(relay_->dir() / "downloads" / "tether-customer.deb") << "app";
  auto browser = Browser();
  for (const char* target :
       {"/static/../relay.toml", "/static/..%2frelay.toml",
        "/%2e%2e/relay.toml", "/static/%2e%2e/%2e%2e/relay.db",
        "/downloads/..%2Frelay.toml", "/downloads/relay.toml",
        "/downloads/.hidden", "/static/", "/console/../relay.key",
        "//etc/passwd", "/api/../relay.toml"}) {
    auto answer = browser->Request("GET", target);
    ASSERT_TRUE(answer.has_value()) << target;
    EXPECT_GE(answer->status, 400) << target;
    EXPECT_EQ(answer->body.find("[server]"), std::string::npos) << target;
    EXPECT_EQ(answer->body.find("PRIVATE KEY"), std::string::npos) << target;
    if (!answer->keep_alive)
      browser = Browser();
  }
  auto file = browser->Request("GET", "/downloads/tether-customer.deb");
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->status, 200);
  EXPECT_EQ(file->body, "app");
}

TEST_F(WebConsoleTest, OversizedRequestsAreRefusedAndTheConnectionEnds) {
  StartRelay();
  auto big_header = Browser()->Request(
      "GET", "/", "", true, {{"X-Filler", std::string(20 << 10, 'a')}});
  ASSERT_TRUE(big_header.has_value()) << big_header.error().message;
  EXPECT_EQ(big_header->status, 431);
  EXPECT_FALSE(big_header->keep_alive);
  auto long_url = Browser()->Request("GET", "/" + std::string(5000, 'a'));
  ASSERT_TRUE(long_url.has_value());
  EXPECT_EQ(long_url->status, 414);
  auto big_body =
      Browser()->Request("POST", "/api/session", std::string(100 << 10, ' '));
  ASSERT_TRUE(big_body.has_value());
  EXPECT_EQ(big_body->status, 413);
  auto garbage = Browser()->Raw("NOT HTTP AT ALL\r\n\r\n");
  ASSERT_TRUE(garbage.has_value());
  EXPECT_GE(garbage->status, 400);
}

TEST_F(WebConsoleTest, ASlowRequestIsCutWhateverTheClientKeepsSending) {
  StartRelay(
      "[web]\nadmin_requires_totp = false\n"
      "[timeouts]\nfirst_message = \"2s\"\n");
  auto browser = Browser();
  ASSERT_NE(browser, nullptr);
  const auto start = std::chrono::steady_clock::now();
  const std::string head = "GET / HTTP/1.1\r\nHost: x\r\n";
  bool closed = false;
  // One header byte every 200 ms: talking must not renew the deadline.
  for (int i = 0; i < 60 && !closed; ++i) {
    const std::string byte = i == 0 ? head : "X";
    if (!browser->tls()
             .SendBytes(ByteSpan(reinterpret_cast<const uint8_t*>(byte.data()),
                                 byte.size()))
             .has_value()) {
      closed = true;
      break;
    }
    closed = browser->tls().WaitClosed(200ms);
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 8s);
}

TEST_F(WebConsoleTest, OneSourceHoldsFewWebConnectionsAndAppsStillGetIn) {
  StartRelay(
      "[web]\nadmin_requires_totp = false\nconnections_per_source = 4\n");
  std::vector<std::unique_ptr<WebTestClient>> browsers;
  for (int i = 0; i < 4; ++i) {
    browsers.push_back(Browser("127.0.0.7"));
    ASSERT_NE(browsers.back(), nullptr);
  }
  // The fifth from the same address is closed at once.
  auto fifth = Browser("127.0.0.7");
  ASSERT_NE(fifth, nullptr);
  EXPECT_TRUE(fifth->tls().WaitClosed(5s));
  // Another address, and the apps, are not held up.
  auto other = Browser("127.0.0.8");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(Status(*other, "GET", "/"), 200);
  std::unique_ptr<RelayTestClient> technician, customer;
  PairThroughCode(*relay_, "alice", kPassword, &technician, &customer);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(technician->Send(RelayedMessage("ping")).has_value());
  auto forwarded = customer->Receive();
  ASSERT_TRUE(forwarded.has_value());
  EXPECT_EQ(forwarded->relayed().data(), "ping");
}

TEST_F(WebConsoleTest, TheCustomerPageIsRateLimitedPerSource) {
  StartRelay("[web]\nadmin_requires_totp = false\nrequests_per_second = 1\n");
  auto browser = Browser();
  // A burst of 60 is served; past it the answer is 429, held back a moment
  // (the connection reads nothing meanwhile).
  int served = 0;
  std::optional<TestHttpResponse> throttled;
  for (int i = 0; i < 70 && !throttled; ++i) {
    auto answer = browser->Request("GET", "/api/public");
    ASSERT_TRUE(answer.has_value()) << answer.error().message;
    if (answer->status == 429)
      throttled = *answer;
    else
      ++served;
  }
  ASSERT_TRUE(throttled.has_value());
  EXPECT_GE(served, 55);
  EXPECT_FALSE(throttled->Header("retry-after").empty());
  EXPECT_EQ(Body(*throttled)["code"], "throttled");
  // Another address is served.
  auto other = Browser("127.0.0.9");
  EXPECT_EQ(Status(*other, "GET", "/api/public"), 200);
  // IT sees it in the metrics.
  EXPECT_GE(Metric(relay_->metrics_port(),
                   "tether_relay_web_requests_throttled_total"),
            1);
  EXPECT_GE(Metric(relay_->metrics_port(), "tether_relay_web_requests_total"),
            62);
  EXPECT_EQ(Metric(relay_->metrics_port(), "tether_relay_web_connections_open"),
            2);
}

TEST_F(WebConsoleTest, TheConsoleHandsOutTheCustomerConfigAndExports) {
  StartRelay();
  std::filesystem::create_directories(relay_->dir() / "downloads");
  std::ofstream(relay_->dir() / "downloads" / "tether-customer") << "binary";
  std::ofstream(relay_->dir() / "downloads" / "tether-customer.sig") << "sig";
  auto admin = SignedIn("root");
  auto config = admin->Request("GET", "/api/customer-config");
  ASSERT_TRUE(config.has_value());
  ASSERT_EQ(config->status, 200);
  EXPECT_NE(config->Header("content-disposition").find("tether-customer.toml"),
            std::string::npos);
  EXPECT_NE(config->body.find("host = '127.0.0.1'"), std::string::npos)
      << config->body;
  EXPECT_NE(config->body.find(relay_->fingerprint()), std::string::npos);

  auto csv = admin->Request("GET", "/api/audit.csv");
  ASSERT_TRUE(csv.has_value());
  ASSERT_EQ(csv->status, 200);
  EXPECT_EQ(csv->body.rfind("id,time,actor,action", 0), 0u);
  auto jsonl = admin->Request("GET", "/api/audit.jsonl");
  ASSERT_TRUE(jsonl.has_value());
  EXPECT_TRUE(
      Json::parse(jsonl->body.substr(0, jsonl->body.find('\n')), nullptr, false)
          .is_object());

  auto info = Browser()->Request("GET", "/api/public");
  ASSERT_TRUE(info.has_value());
  const Json downloads = Body(*info)["downloads"];
  ASSERT_EQ(downloads.size(), 2u) << info->body;
  EXPECT_EQ(downloads[0]["name"], "tether-customer");
  EXPECT_EQ(downloads[0]["signature"], "tether-customer.sig");
  EXPECT_EQ(downloads[0]["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(Body(*info)["fingerprint"], relay_->fingerprint());
}

}  // namespace
}  // namespace tether::test
