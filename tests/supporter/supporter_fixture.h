#pragma once

// The technician's core against a real tether-relay process on 127.0.0.1
// (real TLS, real E2E channel) with the real customer core on the other
// side, on a private Xvfb, answering through a scripted ConsentProvider
// that confirms the code only when it matches what the technician reads
// out. The supporter's app thread is the test thread (DeliveryQueue); the
// customer's is a TaskRunner. Every wait has a deadline.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <xcb/xcb.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "crypto/random.h"
#include "crypto/totp.h"
#include "customer-app/core/customer_session.h"
#include "relay/store/sqlite_store.h"
#include "supporter-app/core/supporter_session.h"
#include "tests/desktop/x11_test_util.h"
#include "tests/fakes/scripted_consent.h"
#include "tests/fakes/task_runner.h"
#include "tests/support/relay_process.h"
#include "tests/support/session_recorder.h"

namespace tether::supporter::test {

using tether::test::kPassword;
inline constexpr desktop::DesktopSize kScreen{800, 600};
inline constexpr desktop::DesktopRect kRedBox{200, 150, 240, 160};

// Everything the facade tells the app, on the test thread.
struct SupporterSeen : SupporterSession::Observer {
  void OnStateChanged(protocol::SessionState s) override {
    ++calls;
    states.push_back(s);
  }
  void OnSignIn(const SignInResult& result) override {
    ++calls;
    sign_ins.push_back(result);
  }
  void OnPasswordChanged(bool ok, const std::string& message) override {
    ++calls;
    password_changes.push_back({ok, message});
  }
  void OnCode(const std::string& c,
              std::chrono::system_clock::time_point e) override {
    ++calls;
    code = c;
    expires = e;
  }
  void OnJoinRequest(const std::string& host,
                     const std::string& user,
                     const std::string& address) override {
    ++calls;
    joins.push_back({host, user, address});
  }
  void OnSas(const std::string& s) override {
    ++calls;
    sas = s;
    if (on_sas)
      on_sas(s);
  }
  void OnCustomerAgreed(bool a) override {
    ++calls;
    agreed = a;
  }
  void OnViewOnly() override {
    ++calls;
    view_only = true;
  }
  void OnMonitors(const std::vector<proto::Monitor>& m) override {
    ++calls;
    monitors = m;
  }
  void OnGrantsChanged(const CustomerGrants& g) override {
    ++calls;
    grants = g;
  }
  void OnAnswer(proto::Permission p, bool granted) override {
    ++calls;
    answers.push_back({p, granted});
  }
  void OnPicture(const RemotePicture& p) override {
    ++calls;
    picture = p;
    ++pictures;
  }
  void OnCursor(const proto::CursorPosition& p) override {
    ++calls;
    cursor = p;
  }
  void OnStats(const VideoStats& s) override {
    ++calls;
    stats.push_back(s);
  }
  void OnChat(const std::string& text, bool from_me) override {
    ++calls;
    chats.push_back({text, from_me});
  }
  void OnTransfer(const FileTransfer& t) override {
    ++calls;
    transfers[t.file_id] = t;
    transfer_log.push_back(t);
  }
  void OnRecording(bool on, const std::string& path) override {
    ++calls;
    recordings.push_back({on, path});
  }
  void OnNotice(const std::string& message) override {
    ++calls;
    notices.push_back(message);
  }
  void OnEnded(const protocol::SessionEnd& end) override {
    ++calls;
    ended = end;
    ++ended_count;
  }

  bool Answered(proto::Permission p) const {
    for (const auto& [permission, granted] : answers) {
      if (permission == p)
        return true;
    }
    return false;
  }
  bool Granted(proto::Permission p) const {
    for (const auto& [permission, granted] : answers) {
      if (permission == p && granted)
        return true;
    }
    return false;
  }

  struct Join {
    std::string host, user, address;
  };
  std::vector<protocol::SessionState> states;
  std::vector<SignInResult> sign_ins;
  std::vector<std::pair<bool, std::string>> password_changes;
  std::optional<std::string> code;
  std::chrono::system_clock::time_point expires;
  std::vector<Join> joins;
  std::optional<std::string> sas;
  std::function<void(const std::string&)> on_sas;
  std::optional<bool> agreed;
  bool view_only = false;
  std::vector<proto::Monitor> monitors;
  CustomerGrants grants;
  std::vector<std::pair<proto::Permission, bool>> answers;
  std::optional<RemotePicture> picture;
  int pictures = 0;
  std::optional<proto::CursorPosition> cursor;
  std::vector<VideoStats> stats;
  std::vector<std::pair<std::string, bool>> chats;
  std::map<uint32_t, FileTransfer> transfers;
  std::vector<FileTransfer> transfer_log;
  std::vector<std::pair<bool, std::string>> recordings;
  std::vector<std::string> notices;
  std::optional<protocol::SessionEnd> ended;
  int ended_count = 0;
  int calls = 0;  // every observer call
};

// The customer's side, on its own app thread.
class CustomerSeen final : public customer::CustomerSession::Observer {
 public:
  void OnSas(const std::string& sas) override {
    std::lock_guard lock(mutex_);
    sas_ = sas;
  }
  void OnChat(const std::string& text, bool from_me) override {
    std::lock_guard lock(mutex_);
    if (!from_me)
      chats_.push_back(text);
  }
  void OnFileReceived(const std::string& path,
                      bool ok,
                      const std::string& message) override {
    std::lock_guard lock(mutex_);
    files_.push_back({path, ok, message});
  }
  void OnEnded(const protocol::SessionEnd& end) override {
    std::lock_guard lock(mutex_);
    ended_ = end;
  }
  void OnFileSending(const customer::SentFile& file) override {
    std::lock_guard lock(mutex_);
    sent_files_[file.file_id] = file;
  }
  // The last report of each file the customer sends.
  std::map<uint32_t, customer::SentFile> sent_files() {
    std::lock_guard lock(mutex_);
    return sent_files_;
  }
  void OnGrantsChanged(const customer::Grants& grants) override {
    std::lock_guard lock(mutex_);
    grants_ = grants;
  }
  void OnTechnicianPicture(
      std::shared_ptr<const desktop::DesktopFrame> picture) override {
    std::lock_guard lock(mutex_);
    technician_picture_ = std::move(picture);
    ++technician_pictures_;
  }

  struct File {
    std::string path;
    bool ok = false;
    std::string message;
  };
  std::string sas() {
    std::lock_guard lock(mutex_);
    return sas_;
  }
  std::vector<std::string> chats() {
    std::lock_guard lock(mutex_);
    return chats_;
  }
  std::vector<File> files() {
    std::lock_guard lock(mutex_);
    return files_;
  }
  std::optional<protocol::SessionEnd> ended() {
    std::lock_guard lock(mutex_);
    return ended_;
  }
  customer::Grants grants() {
    std::lock_guard lock(mutex_);
    return grants_;
  }
  std::shared_ptr<const desktop::DesktopFrame> technician_picture() {
    std::lock_guard lock(mutex_);
    return technician_picture_;
  }
  int technician_pictures() {
    std::lock_guard lock(mutex_);
    return technician_pictures_;
  }

 private:
  std::mutex mutex_;
  std::string sas_;
  std::vector<std::string> chats_;
  std::vector<File> files_;
  std::optional<protocol::SessionEnd> ended_;
  std::map<uint32_t, customer::SentFile> sent_files_;
  customer::Grants grants_;
  std::shared_ptr<const desktop::DesktopFrame> technician_picture_;
  int technician_pictures_ = 0;
};

// The SAS as the technician reads it out on the phone.
class ReadOut {
 public:
  void Set(const std::string& sas) {
    std::lock_guard lock(mutex_);
    sas_ = sas;
  }
  std::string Get() {
    std::lock_guard lock(mutex_);
    return sas_;
  }

 private:
  std::mutex mutex_;
  std::string sas_;
};

// Technician accounts of the shared relay, written straight into its
// database with cheap hashes (as RelayProcess::AddTechnician does). Tests
// that fail logins use an account of their own, so throttling stays theirs.
inline Result<void> AddAccount(const tether::test::RelayProcess& relay,
                               const std::string& user,
                               const std::string& display_name,
                               bool must_change_password,
                               Bytes* totp_secret) {
  if (auto added = relay.AddTechnician(user, display_name, kPassword); !added)
    return added;
  if (!must_change_password && totp_secret == nullptr)
    return {};
  TETHER_TRY(store,
             relay::SqliteStore::Open(relay.database(), Clock::System()));
  auto found = (*store)->FindAccount(user);
  if (!found || !found->has_value())
    return MakeError("the account was not stored");
  if (totp_secret != nullptr) {
    *totp_secret =
        crypto::GenerateTotpSecret(crypto::RandomGenerator::Default());
  }
  auto changed =
      (*store)->ChangeAccount((*found)->id, [&](relay::Account& account) {
        account.must_change_password = must_change_password;
        if (totp_secret != nullptr)
          account.totp_secret = *totp_secret;
        return true;
      });
  if (!changed)
    return Unexpected(std::move(changed).error());
  return {};
}

inline std::string CurrentTotp(const Bytes& secret) {
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto code = crypto::GenerateTotp(secret, now);
  return code ? *code : "";
}

class SupporterSessionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    relay_ = new tether::test::RelayProcess();
    auto tina = relay_->AddTechnician("tina", "Tina (IT)", kPassword);
    ASSERT_TRUE(tina.has_value()) << tina.error().message;
    auto started = relay_->Start();
    ASSERT_TRUE(started.has_value()) << started.error().message;
  }

  static void TearDownTestSuite() {
    delete relay_;
    relay_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(relay_, nullptr);
    char templ[] = "/tmp/tether-supporter-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    dir_ = templ;
    std::filesystem::create_directories(dir_ / "downloads");
    // The careful customer: "yes" only to the code the technician reads
    // out; every permission allowed unless a test says otherwise.
    consent_.set_terms_decider([this](const customer::TermsPrompt& prompt) {
      return !read_out_.Get().empty() && prompt.sas == read_out_.Get();
    });
    consent_.set_fallback(true);
    seen_.on_sas = [this](const std::string& sas) { read_out_.Set(sas); };
  }

  void TearDown() override {
    if (customer_)
      runner_.RunSync([&] { customer_.reset(); });
    supporter_.reset();
    queue_.RunPending();
    EXPECT_LE(seen_.ended_count, 1);
    if (!dir_.empty())
      std::filesystem::remove_all(dir_);
  }

  SupporterConfig Config() const {
    SupporterConfig config;
    config.relay.host = "127.0.0.1";
    config.relay.port = relay_->port();
    config.relay.fingerprint = relay_->fingerprint();
    config.protocol_dir = dir_ / "protocols";
    config.download_dir = dir_ / "received";  // files from the customer
    config.display = supporter_display_;
    return config;
  }

  void StartSupporter(SupporterConfig config,
                      const Clock* clock = &Clock::System()) {
    SupporterSession::Options options;
    options.config = std::move(config);
    options.deliver = queue_.deliver();
    options.clock = clock;
    auto started = SupporterSession::Start(std::move(options), &seen_);
    ASSERT_TRUE(started.has_value()) << started.error().message;
    supporter_ = std::move(*started);
  }
  void StartSupporter() { StartSupporter(Config()); }

  bool Wait(const std::function<bool()>& done,
            std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    return queue_.RunUntil(done, timeout);
  }

  void SignInTina() {
    supporter_->SignIn("tina", kPassword, "");
    ASSERT_TRUE(Wait([&] { return !seen_.sign_ins.empty(); }));
    ASSERT_EQ(seen_.sign_ins.back().status, SignInStatus::kSignedIn)
        << seen_.sign_ins.back().message;
  }

  // The console started, Tina signed in, a fresh code in seen_.code.
  void SignInWithCode() {
    StartSupporter();
    SignInTina();
    if (HasFatalFailure())
      return;
    supporter_->NewSession();
    ASSERT_TRUE(Wait([&] { return seen_.code.has_value(); }));
  }

  void StartDisplay() {
    tether::test::XvfbOptions options;
    options.width = kScreen.width;
    options.height = kScreen.height;
    options.extra_args = {"-br"};
    std::string skip;
    display_ = desktop::test::StartDisplay(options, &skip);
    if (!skip.empty())
      GTEST_SKIP() << skip;
    ASSERT_NE(display_, nullptr);
    desktop::test::FillRect(display_->c(), display_->root(), kRedBox, 0xFF0000);
  }

  void StartCustomer(const std::string& code) {
    customer::CustomerSession::Options options;
    options.config.relay.host = "127.0.0.1";
    options.config.relay.port = relay_->port();
    options.config.relay.fingerprint = relay_->fingerprint();
    options.config.display = display_->name();
    options.config.download_dir = (dir_ / "downloads").string();
    options.code = code;
    options.host_name = "pc-042";
    options.user_name = "maria";
    options.deliver = runner_.Deliver();
    options.stop_hotkey = false;
    auto session = runner_.RunSync([&] {
      return customer::CustomerSession::Start(std::move(options), &consent_,
                                              &customer_seen_);
    });
    ASSERT_TRUE(session.has_value()) << session.error().message;
    customer_ = std::move(*session);
  }

  // Signed in, a code, the customer joined and accepted, the SAS read out
  // and confirmed, the terms agreed.
  void Agree() {
    StartDisplay();
    if (IsSkipped() || HasFatalFailure())
      return;
    SignInWithCode();
    if (HasFatalFailure())
      return;
    StartCustomer(*seen_.code);
    if (HasFatalFailure())
      return;
    ASSERT_TRUE(Wait([&] { return !seen_.joins.empty(); }));
    supporter_->Accept();
    ASSERT_TRUE(Wait([&] { return seen_.agreed.has_value(); }))
        << (seen_.ended ? seen_.ended->message : "(not ended)");
    ASSERT_TRUE(*seen_.agreed);
  }

  desktop::DesktopPoint Pointer() const {
    desktop::test::XcbReply<xcb_query_pointer_reply_t> reply(
        xcb_query_pointer_reply(
            display_->c(), xcb_query_pointer(display_->c(), display_->root()),
            nullptr));
    return reply ? desktop::DesktopPoint{reply->root_x, reply->root_y}
                 : desktop::DesktopPoint{-1, -1};
  }

  inline static tether::test::RelayProcess* relay_ = nullptr;
  // downloads/ (the customer's), received/ (the technician's) and
  // protocols/ in here.
  std::filesystem::path dir_;
  std::unique_ptr<desktop::test::TestDisplay> display_;
  // The technician's own display for "show my screen"; empty: none set.
  std::string supporter_display_;
  // Declared before the sessions: they deliver into it until destroyed.
  tether::test::DeliveryQueue queue_;
  SupporterSeen seen_;
  std::unique_ptr<SupporterSession> supporter_;

  tether::test::TaskRunner runner_;
  tether::test::ScriptedConsent consent_;
  CustomerSeen customer_seen_;
  ReadOut read_out_;
  std::unique_ptr<customer::CustomerSession> customer_;
};

}  // namespace tether::supporter::test
