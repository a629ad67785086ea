#pragma once

// A fixture for the peer session engine against a real tether-relay
// process on 127.0.0.1 with real TLS: a signed-in technician, a customer
// that joins with the code, and the app side (tests/support/
// session_recorder.h) that records every observer call.

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "protocol/peer_session.h"
#include "tests/support/relay_process.h"
#include "tests/support/session_recorder.h"

namespace tether::protocol {

inline constexpr char kTechnicianPassword[] = "her own long passphrase";

class RelayPeerSessionTest : public ::testing::Test {
 protected:
  // One relay per test process: tests that kill or freeze it leave it
  // stopped, and SetUp restarts it (same database and certificate, new
  // port). Tina's account is written with cheap hash parameters
  // (RelayProcess::AddTechnician); how IT really creates accounts is
  // covered by FirstLoginChangesThePasswordThenSignsIn.
  static void SetUpTestSuite() {
    relay_ =
        new test::RelayProcess("[timeouts]\nheartbeat_interval = \"1s\"\n");
    auto tina = relay_->AddTechnician("tina", "tina (IT)", kTechnicianPassword);
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
    if (relay_->pid() < 0) {
      auto started = relay_->Start();
      ASSERT_TRUE(started.has_value()) << started.error().message;
    }
  }

  PeerSession::Options Options(proto::Role role) {
    PeerSession::Options options;
    options.relay.host = "127.0.0.1";
    options.relay.port = relay_->port();
    options.relay.fingerprint = relay_->fingerprint();
    options.role = role;
    options.app_version = "tether-test 0.1.0";
    options.deliver = queue_.deliver();
    options.connect_timeout = std::chrono::seconds(5);
    options.heartbeat_interval = std::chrono::milliseconds(500);
    options.peer_timeout = std::chrono::seconds(5);
    return options;
  }

  std::unique_ptr<PeerSession> Start(PeerSession::Options options,
                                     test::SessionRecorder* recorder) {
    auto session = PeerSession::Start(std::move(options), recorder);
    EXPECT_TRUE(session.has_value()) << session.error().message;
    return session ? std::move(*session) : nullptr;
  }

  // A signed-in technician with a fresh code.
  std::string SupporterWithCode() {
    supporter_ = Start(Options(proto::ROLE_SUPPORTER), &supporter_seen_);
    if (!supporter_)
      return "";
    supporter_->Login("tina", kTechnicianPassword, "");
    supporter_->CreateSession();
    EXPECT_TRUE(Wait([&] { return !supporter_seen_.created.empty(); },
                     std::chrono::seconds(20)));
    EXPECT_TRUE(supporter_seen_.signed_in());
    return supporter_seen_.created.empty()
               ? ""
               : supporter_seen_.created.back().code();
  }

  void StartCustomer(const std::string& code,
                     std::optional<PeerSession::Options> options = {}) {
    PeerSession::Options o =
        options ? std::move(*options) : Options(proto::ROLE_CUSTOMER);
    o.code = code;
    o.host_name = "pc-042";
    o.user_name = "maria";
    customer_ = Start(std::move(o), &customer_seen_);
  }

  // Both sides paired and secured.
  void Secure() {
    const std::string code = SupporterWithCode();
    ASSERT_EQ(code.size(), 8u);
    // The customer types it the way it is read out.
    StartCustomer(code.substr(0, 4) + " " + code.substr(4));
    ASSERT_TRUE(customer_);
    ASSERT_TRUE(Wait([&] { return !supporter_seen_.join_requests.empty(); }));
    supporter_->DecideJoin(true);
    ASSERT_TRUE(Wait([&] {
      return supporter_seen_.sas.has_value() && customer_seen_.sas.has_value();
    })) << "supporter ended: "
        << EndText(supporter_seen_)
        << " customer ended: " << EndText(customer_seen_);
  }

  bool Wait(const std::function<bool()>& done,
            std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return queue_.RunUntil(done, timeout);
  }

  static std::string EndText(const test::SessionRecorder& seen) {
    return seen.ended ? seen.ended->message : "(not ended)";
  }

  bool BothEnded() {
    return Wait([&] {
      return supporter_seen_.ended_count > 0 && customer_seen_.ended_count > 0;
    });
  }

  // Destroys both engines, runs what they left queued, and checks the
  // promises that hold for every test.
  void TearDown() override {
    supporter_.reset();
    customer_.reset();
    queue_.RunPending();
    second_queue_.RunPending();
    for (const auto* seen : {&supporter_seen_, &customer_seen_}) {
      EXPECT_LE(seen->ended_count, 1);
      EXPECT_FALSE(seen->called_after_end);
    }
  }

  inline static test::RelayProcess* relay_ = nullptr;
  // Declared before the engines: they deliver into these until destroyed.
  test::DeliveryQueue queue_;
  test::DeliveryQueue second_queue_;  // an app thread that may fall behind
  test::SessionRecorder supporter_seen_;
  test::SessionRecorder customer_seen_;
  std::unique_ptr<PeerSession> supporter_;
  std::unique_ptr<PeerSession> customer_;
};

}  // namespace tether::protocol
