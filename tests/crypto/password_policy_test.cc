#include "crypto/password_policy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/password_hash.h"
#include "crypto/random.h"

namespace tether::crypto {
namespace {

constexpr Argon2Params kFastHash{.memory_kib = 1024,
                                 .iterations = 1,
                                 .parallelism = 1};

Result<void> Check(const PasswordPolicy& policy,
                   std::string_view password,
                   std::string_view user_name = "alice",
                   std::span<const std::string> previous = {}) {
  return CheckPassword(policy, password, user_name, previous);
}

// The error for `password`, or "" if it is accepted. Also checks that no
// error ever repeats the password.
std::string ErrorFor(const PasswordPolicy& policy,
                     std::string_view password,
                     std::string_view user_name = "alice") {
  auto result = Check(policy, password, user_name);
  if (result)
    return "";
  // Short test passwords ("password") may well be words of the message.
  if (password.size() >= 9) {
    EXPECT_EQ(result.error().message.find(password), std::string::npos)
        << "error message repeats the password";
  }
  return result.error().message;
}

bool Mentions(const std::string& message, std::string_view words) {
  return message.find(words) != std::string::npos;
}

TEST(PasswordPolicyTest, DefaultsFollowNist80063b) {
  const PasswordPolicy policy;
  EXPECT_EQ(policy.min_length, 12u);
  EXPECT_EQ(policy.max_length, 128u);
  EXPECT_TRUE(policy.use_blocklist);
  EXPECT_EQ(policy.min_character_classes, 0);
  EXPECT_EQ(policy.history, 0u);
  EXPECT_EQ(policy.expiry_days, 0u);
  EXPECT_EQ(policy.disable_after_idle_days, 0u);
  EXPECT_TRUE(Validate(policy).has_value());
}

TEST(PasswordPolicyTest, ValidateRejectsNonsensicalPolicies) {
  auto invalid = [](auto change) {
    PasswordPolicy policy;
    change(policy);
    return !Validate(policy).has_value();
  };
  EXPECT_TRUE(invalid([](PasswordPolicy& p) { p.max_length = 63; }));
  EXPECT_TRUE(invalid([](PasswordPolicy& p) { p.max_length = 5000; }));
  EXPECT_TRUE(invalid([](PasswordPolicy& p) { p.min_length = 7; }));
  EXPECT_TRUE(invalid([](PasswordPolicy& p) { p.min_length = 129; }));
  EXPECT_TRUE(invalid([](PasswordPolicy& p) { p.min_character_classes = 5; }));
  EXPECT_TRUE(invalid([](PasswordPolicy& p) { p.min_character_classes = -1; }));
  EXPECT_TRUE(invalid([](PasswordPolicy& p) { p.history = 25; }));
  EXPECT_TRUE(invalid([](PasswordPolicy& p) { p.expiry_days = 100000; }));
  EXPECT_FALSE(invalid([](PasswordPolicy& p) {
    p.min_length = 64;
    p.max_length = 64;
    p.min_character_classes = 4;
    p.history = 24;
    p.expiry_days = 90;
    p.disable_after_idle_days = 45;
  }));
  // CheckPassword refuses to run with a broken policy.
  PasswordPolicy broken;
  broken.max_length = 32;
  EXPECT_FALSE(Check(broken, "a perfectly fine passphrase").has_value());
}

TEST(PasswordPolicyTest, AcceptsLongPassphrasesWithoutComposition) {
  const PasswordPolicy policy;
  for (std::string_view ok :
       {"purple elephant kayak", "mountain-river-quietly", "zmkq83bdy2px",
        "Ünïcödé pässwörd ok", "ein langer Satz über Tiere"}) {
    EXPECT_EQ(ErrorFor(policy, ok), "") << ok;
  }
}

TEST(PasswordPolicyTest, CountsLengthInCodePointsNotBytes) {
  const PasswordPolicy policy;
  // 11 code points, 33 bytes: too short.
  const std::string eleven_kanji =
      "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xA7\xE6\x9B\xB8\xE3\x81"
      "\x84\xE3\x81\x9F\xE9\x95\xB7\xE3\x81\x84\xE6\x96\x87\xE7\xAB\xA0";
  EXPECT_TRUE(Mentions(ErrorFor(policy, eleven_kanji), "at least 12"));
  EXPECT_EQ(ErrorFor(policy, eleven_kanji + "\xE3\x80\x82"), "");
  // 128 accepted, 129 refused, even when each is 4 bytes: U+1F600 to
  // U+1F67F, F0 9F 98 80 to F0 9F 99 BF in UTF-8.
  std::string emoji;
  for (int i = 0; i < 128; ++i) {
    emoji += "\xF0\x9F";
    emoji += static_cast<char>(0x98 + i / 64);
    emoji += static_cast<char>(0x80 + i % 64);
  }
  ASSERT_EQ(emoji.size(), 512u);
  EXPECT_EQ(ErrorFor(policy, emoji), "");
  EXPECT_TRUE(Mentions(ErrorFor(policy, emoji + "x"), "at most 128"));
  EXPECT_TRUE(
      Mentions(ErrorFor(policy, std::string(10000, 'x') + "y"), "at most 128"));
}

TEST(PasswordPolicyTest, MinimumLengthMessageNamesTheRule) {
  const PasswordPolicy policy;
  EXPECT_EQ(ErrorFor(policy, "shortpass"),
            "The password must be at least 12 characters long.");
  EXPECT_EQ(ErrorFor(policy, ""),
            "The password must be at least 12 characters long.");
}

TEST(PasswordPolicyTest, RejectsInvalidUtf8AndControlCharacters) {
  const PasswordPolicy policy;
  for (std::string_view bad : {std::string_view("valid prefix \xFF\xFE here"),
                               std::string_view("overlong \xC0\xAF slash!!"),
                               std::string_view("surrogate \xED\xA0\x80 here"),
                               std::string_view("truncated at end \xE2\x82")}) {
    EXPECT_TRUE(Mentions(ErrorFor(policy, bad), "UTF-8")) << bad;
  }
  EXPECT_TRUE(Mentions(ErrorFor(policy, "line one\nline two"), "control"));
  EXPECT_TRUE(Mentions(ErrorFor(policy, "tab\tseparated words"), "control"));
  EXPECT_TRUE(
      Mentions(ErrorFor(policy, std::string_view("nul\0inside password", 20)),
               "control"));
}

TEST(PasswordPolicyTest, RejectsCommonPasswords) {
  PasswordPolicy policy;
  policy.min_length = 8;  // so the short classics reach the blocklist
  for (std::string_view common :
       {"password",  "PASSWORD", "Password",
        "147258369", "1q2w3e4r", "qwertyuiop",
        "iloveyou",  "1qaz2wsx", "baseball",
        "football",  "letmein1", "welcome1",
        "changeme",  "passw0rd", "trustno1",
        "sunshine",  "princess", "administrator",
        "starwars",  "11223344", "correcthorsebatterystaple"}) {
    EXPECT_TRUE(Mentions(ErrorFor(policy, common), "commonly used passwords"))
        << common;
  }
}

TEST(PasswordPolicyTest, RejectsSmallVariationsOfCommonPasswords) {
  const PasswordPolicy policy;
  for (std::string_view variation :
       {"P@ssw0rd1234", "Password123!", "password2024!!", "Summer2024!!",
        "!!Winter2025!", "Welcome12345", "iloveyou2024", "I love you 2024",
        "qwertyuiop12", "Qwerty123456!", "Football#1234", "@dmin12345678",
        "passwordpassword", "Dragon!!!!!!!!", "Ch@ngeme2024", "Letmein12345",
        "September2024", "MONKEY123456"}) {
    EXPECT_TRUE(
        Mentions(ErrorFor(policy, variation), "commonly used passwords"))
        << variation;
  }
}

TEST(PasswordPolicyTest, RejectsTheServiceName) {
  const PasswordPolicy policy;
  for (std::string_view context :
       {"Tether2024!!", "tether123456", "T3th3r!!2024"}) {
    EXPECT_TRUE(Mentions(ErrorFor(policy, context), "commonly used"))
        << context;
  }
}

TEST(PasswordPolicyTest, RejectsPasswordsContainingTheUserName) {
  const PasswordPolicy policy;
  EXPECT_EQ(ErrorFor(policy, "Alice-is-the-best", "alice"),
            "The password must not contain your user name.");
  EXPECT_TRUE(
      Mentions(ErrorFor(policy, "my name: JSMITH 42!", "jsmith"), "user name"));
  // An e-mail address as user name: its local part counts too.
  EXPECT_TRUE(Mentions(
      ErrorFor(policy, "hello it is bob.jones", "bob.jones@example.com"),
      "user name"));
  // Very short user names only count when they are the whole password.
  EXPECT_EQ(ErrorFor(policy, "a long phrase about al", "al"), "");
}

TEST(PasswordPolicyTest, RejectsRepeatsAndSequences) {
  const PasswordPolicy policy;
  EXPECT_EQ(ErrorFor(policy, "aaaaaaaaaaaaaaaa"),
            "The password must not be one character repeated.");
  EXPECT_TRUE(
      Mentions(ErrorFor(policy,
                        "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3"
                        "\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"),
               "one character repeated"));
  EXPECT_TRUE(Mentions(ErrorFor(policy, "abcabcabcabc"), "repeated"));
  EXPECT_TRUE(Mentions(ErrorFor(policy, "121212121212"), "repeated"));
  for (std::string_view sequence :
       {"123456789012", "987654321098", "abcdefghijklm", "ZYXWVUTSRQPO"}) {
    EXPECT_TRUE(Mentions(ErrorFor(policy, sequence), "sequence")) << sequence;
  }
}

TEST(PasswordPolicyTest, BlocklistCanBeTurnedOffButTrivialPatternsStay) {
  PasswordPolicy policy;
  policy.use_blocklist = false;
  EXPECT_EQ(ErrorFor(policy, "Password1234"), "");
  EXPECT_FALSE(ErrorFor(policy, "aaaaaaaaaaaaaaaa").empty());
  EXPECT_FALSE(ErrorFor(policy, "alice1234567890", "alice").empty());
}

TEST(PasswordPolicyTest, ExtraBlocklistIsCaseInsensitive) {
  PasswordPolicy policy;
  policy.extra_blocklist = {"AcmeCorporation", "Springfield"};
  EXPECT_TRUE(Mentions(ErrorFor(policy, "acmecorporation"), "commonly"));
  EXPECT_TRUE(Mentions(ErrorFor(policy, "Springfield2024!"), "commonly"));
  EXPECT_EQ(ErrorFor(policy, "acme corporation rocks"), "");
}

TEST(PasswordPolicyTest, CharacterClassesOnlyWhenEnabled) {
  PasswordPolicy policy;
  EXPECT_EQ(ErrorFor(policy, "purple elephant kayak"), "");
  policy.min_character_classes = 3;
  EXPECT_EQ(ErrorFor(policy, "purple elephant kayak"),
            "The password must contain at least 3 of these: lower-case "
            "letters, upper-case letters, digits, other characters.");
  EXPECT_EQ(ErrorFor(policy, "Purple elephant kayak"), "");  // a, A, ' '
  policy.min_character_classes = 4;
  EXPECT_FALSE(ErrorFor(policy, "Purple elephant kayak").empty());
  EXPECT_EQ(ErrorFor(policy, "Purple elephant kayak 7"), "");
}

TEST(PasswordPolicyTest, HistoryChecksOnlyTheConfiguredNumberOfHashes) {
  auto random = RandomGenerator::Create("password_policy_test");
  ASSERT_TRUE(random.has_value());
  auto hash = [&](std::string_view password) {
    return HashPassword(password, **random, kFastHash).value();
  };
  // Newest first.
  const std::vector<std::string> previous = {hash("third purple elephant"),
                                             hash("second purple elephant"),
                                             hash("first purple elephant")};
  PasswordPolicy policy;
  // Off by default: reusing the current password is the account store's
  // business, not a history rule.
  EXPECT_TRUE(
      Check(policy, "third purple elephant", "alice", previous).has_value());

  policy.history = 2;
  auto reused = Check(policy, "second purple elephant", "alice", previous);
  ASSERT_FALSE(reused.has_value());
  EXPECT_EQ(reused.error().message,
            "The password must be different from your last 2 passwords.");
  // The third-newest is outside a history of 2.
  EXPECT_TRUE(
      Check(policy, "first purple elephant", "alice", previous).has_value());
  EXPECT_TRUE(
      Check(policy, "fourth purple elephant", "alice", previous).has_value());

  policy.history = 1;
  auto previous_one = Check(policy, "third purple elephant", "alice", previous);
  ASSERT_FALSE(previous_one.has_value());
  EXPECT_TRUE(Mentions(previous_one.error().message, "previous one"));
}

TEST(PasswordPolicyTest, DamagedOldHashDoesNotBlockAPasswordChange) {
  PasswordPolicy policy;
  policy.history = 3;
  const std::vector<std::string> previous = {"not a hash", "$argon2id$v=19$"};
  EXPECT_TRUE(
      Check(policy, "fresh purple elephant", "alice", previous).has_value());
}

}  // namespace
}  // namespace tether::crypto
