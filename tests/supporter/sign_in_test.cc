// Signing in, against the real relay: every answer the form can get, in
// plain words, and the flows around them (second factor, forced first
// password change, a relay that is not the configured one).

#include <gtest/gtest.h>

#include "protocol/session_end.h"
#include "supporter-app/core/sign_in_result.h"
#include "tests/supporter/supporter_fixture.h"

namespace tether::supporter::test {
namespace {

using SignInTest = SupporterSessionTest;

TEST_F(SignInTest, WrongPasswordIsOneAnswerAndTheFormMayTryAgain) {
  ASSERT_TRUE(AddAccount(*relay_, "wanda", "Wanda", false, nullptr));
  StartSupporter();
  supporter_->SignIn("wanda", "not her password at all", "");
  ASSERT_TRUE(Wait([&] { return !seen_.sign_ins.empty(); }));
  EXPECT_EQ(seen_.sign_ins[0].status, SignInStatus::kWrongCredentials);
  EXPECT_EQ(seen_.sign_ins[0].message.rfind(
                "The user name, password or code is wrong.", 0),
            0u)
      << seen_.sign_ins[0].message;
  EXPECT_EQ(seen_.ended_count, 0);
  // The same connection takes the next try (after any throttle delay the
  // relay asked for, the relay answers "throttled" until then).
  supporter_->SignIn("wanda", kPassword, "");
  ASSERT_TRUE(Wait([&] { return seen_.sign_ins.size() == 2; }));
  const SignInResult& second = seen_.sign_ins[1];
  if (second.status == SignInStatus::kThrottled) {
    EXPECT_GT(second.retry_after.count(), 0);
    EXPECT_NE(second.message.find("Wait"), std::string::npos);
  } else {
    EXPECT_EQ(second.status, SignInStatus::kSignedIn) << second.message;
  }
}

TEST_F(SignInTest, SecondFactorIsAskedForThenAccepted) {
  Bytes secret;
  ASSERT_TRUE(AddAccount(*relay_, "theo", "Theo (IT)", false, &secret));
  StartSupporter();
  supporter_->SignIn("theo", kPassword, "");
  ASSERT_TRUE(Wait([&] { return !seen_.sign_ins.empty(); }));
  ASSERT_EQ(seen_.sign_ins[0].status, SignInStatus::kTotpRequired);
  EXPECT_EQ(seen_.sign_ins[0].message,
            "Enter the 6-digit code from your authenticator app.");
  // The form keeps no password: an empty one means "the one just given".
  supporter_->SignIn("theo", "", CurrentTotp(secret));
  ASSERT_TRUE(Wait([&] { return seen_.sign_ins.size() == 2; }));
  EXPECT_EQ(seen_.sign_ins[1].status, SignInStatus::kSignedIn)
      << seen_.sign_ins[1].message;
  EXPECT_EQ(seen_.sign_ins[1].display_name, "Theo (IT)");
  EXPECT_TRUE(Wait([&] {
    return !seen_.states.empty() &&
           seen_.states.back() == protocol::SessionState::kSignedIn;
  }));
}

TEST_F(SignInTest, ForcedFirstPasswordChangeThenSignsIn) {
  ASSERT_TRUE(AddAccount(*relay_, "nora", "Nora", true, nullptr));
  StartSupporter();
  supporter_->SignIn("nora", kPassword, "");
  ASSERT_TRUE(Wait([&] { return !seen_.sign_ins.empty(); }));
  ASSERT_EQ(seen_.sign_ins[0].status, SignInStatus::kPasswordChangeRequired);
  // A weak one is refused with the rule, and the form may try again.
  supporter_->ChangePassword("", "password");
  ASSERT_TRUE(Wait([&] { return !seen_.password_changes.empty(); }));
  EXPECT_FALSE(seen_.password_changes[0].first);
  EXPECT_FALSE(seen_.password_changes[0].second.empty());
  supporter_->ChangePassword("", "a fresh and much longer passphrase");
  ASSERT_TRUE(Wait([&] { return seen_.password_changes.size() == 2; }));
  EXPECT_TRUE(seen_.password_changes[1].first)
      << seen_.password_changes[1].second;
  ASSERT_TRUE(Wait([&] { return seen_.sign_ins.size() == 2; }));
  EXPECT_EQ(seen_.sign_ins[1].status, SignInStatus::kSignedIn);
  // The next session signs in with the new password.
  supporter_->NewSession();
  ASSERT_TRUE(Wait([&] { return seen_.code.has_value(); }));
}

TEST_F(SignInTest, WrongPinnedFingerprintSaysTheServerIsNotTrusted) {
  SupporterConfig config = Config();
  config.relay.fingerprint = "sha256:" + std::string(64, 'a');
  StartSupporter(config);
  supporter_->SignIn("tina", kPassword, "");
  ASSERT_TRUE(Wait([&] { return !seen_.sign_ins.empty(); }));
  EXPECT_EQ(seen_.sign_ins[0].status, SignInStatus::kServerUntrusted);
  EXPECT_NE(seen_.sign_ins[0].message.find("certificate"), std::string::npos)
      << seen_.sign_ins[0].message;
  EXPECT_EQ(seen_.ended_count, 0);  // no support session was going on
}

TEST_F(SignInTest, RelayNotThereIsUnreachable) {
  SupporterConfig config = Config();
  config.relay.port = 1;  // nothing listens on tcpmux
  StartSupporter(config);
  supporter_->SignIn("tina", kPassword, "");
  ASSERT_TRUE(Wait([&] { return !seen_.sign_ins.empty(); }));
  EXPECT_EQ(seen_.sign_ins[0].status, SignInStatus::kUnreachable);
  EXPECT_EQ(seen_.sign_ins[0].message,
            "Could not connect to the relay at 127.0.0.1:1.");
}

TEST_F(SignInTest, NewSessionBeforeSigningInIsRefusedWithANotice) {
  StartSupporter();
  supporter_->NewSession();
  EXPECT_FALSE(seen_.notices.empty());
  EXPECT_EQ(seen_.ended_count, 0);
}

// The mapping itself, status by status.
TEST(SignInResultTest, EveryStatusHasAPlainSentence) {
  const auto map = [](proto::LoginResult::Status status, uint32_t retry = 0,
                      const std::string& message = "") {
    proto::LoginResult result;
    result.set_status(status);
    result.set_retry_after_seconds(retry);
    result.set_message(message);
    result.set_display_name("Tina\x1b[31m (IT)");
    return SignInResultFor(result);
  };
  EXPECT_EQ(map(proto::LoginResult::STATUS_OK).status, SignInStatus::kSignedIn);
  EXPECT_EQ(map(proto::LoginResult::STATUS_OK).display_name.find('\x1b'),
            std::string::npos);
  EXPECT_EQ(map(proto::LoginResult::STATUS_LOCKED).status,
            SignInStatus::kLocked);
  EXPECT_NE(map(proto::LoginResult::STATUS_LOCKED).message.find("locked"),
            std::string::npos);
  const SignInResult throttled = map(proto::LoginResult::STATUS_THROTTLED, 30);
  EXPECT_EQ(throttled.status, SignInStatus::kThrottled);
  EXPECT_EQ(throttled.retry_after, std::chrono::seconds(30));
  EXPECT_NE(throttled.message.find("30 seconds"), std::string::npos);
  EXPECT_NE(
      map(proto::LoginResult::STATUS_THROTTLED, 600).message.find("10 minutes"),
      std::string::npos);
  EXPECT_EQ(map(proto::LoginResult::STATUS_DISABLED, 0, "Ask IT.").message,
            "Ask IT.");
  // A relay busy with sign-ins from the same network says so; "failed
  // attempts" would be wrong there.
  EXPECT_EQ(map(proto::LoginResult::STATUS_THROTTLED, 2,
                "Too many sign-ins from your network at once. Try again in a "
                "moment.")
                .message,
            "Too many sign-ins from your network at once. Try again in a "
            "moment.");
  EXPECT_EQ(map(proto::LoginResult::STATUS_UNSPECIFIED).status,
            SignInStatus::kRelayError);
  for (auto status :
       {proto::LoginResult::STATUS_OK,
        proto::LoginResult::STATUS_BAD_CREDENTIALS,
        proto::LoginResult::STATUS_TOTP_REQUIRED,
        proto::LoginResult::STATUS_THROTTLED, proto::LoginResult::STATUS_LOCKED,
        proto::LoginResult::STATUS_PASSWORD_CHANGE_REQUIRED,
        proto::LoginResult::STATUS_DISABLED,
        proto::LoginResult::STATUS_UNSPECIFIED}) {
    EXPECT_FALSE(map(status).message.empty()) << status;
  }

  protocol::SessionEnd untrusted{proto::END_REASON_PROTOCOL_ERROR,
                                 "The relay's certificate does not match.",
                                 false, true};
  EXPECT_EQ(SignInResultForEnd(untrusted).status,
            SignInStatus::kServerUntrusted);
  protocol::SessionEnd outdated{proto::END_REASON_PROTOCOL_ERROR,
                                protocol::kOutdatedRelayText, false, false,
                                true};
  EXPECT_EQ(SignInResultForEnd(outdated).status, SignInStatus::kRelayOutdated);
  EXPECT_EQ(SignInResultForEnd(outdated).message,
            "This server uses an outdated protocol; ask IT to update it. Your "
            "password was not sent.");
  protocol::SessionEnd lost{proto::END_REASON_PEER_LOST, "", false, false};
  EXPECT_EQ(SignInResultForEnd(lost).status, SignInStatus::kUnreachable);
  EXPECT_FALSE(SignInResultForEnd(lost).message.empty());
}

}  // namespace
}  // namespace tether::supporter::test
