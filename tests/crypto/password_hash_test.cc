#include "crypto/password_hash.h"

#include <gtest/gtest.h>

#include <string>

#include "base/bytes.h"
#include "crypto/random.h"

namespace tether::crypto {
namespace {

// Small enough to keep the suite fast; the defaults are exercised once.
constexpr Argon2Params kFast{.memory_kib = 1024,
                             .iterations = 1,
                             .parallelism = 1};
constexpr std::string_view kFastPrefix = "$argon2id$v=19$m=1024,t=1,p=1";

RandomGenerator& TestRandom() {
  static auto random = RandomGenerator::Create("password_hash_test");
  if (!random)
    std::abort();
  return **random;
}

// RFC 9106 section 5.3: Argon2id, version 0x13, with secret and associated
// data (which PHC strings cannot carry, hence the raw entry point).
TEST(PasswordHashArgon2idTest, MatchesRfc9106TestVector) {
  const Bytes password(32, 0x01);
  const Bytes salt(16, 0x02);
  const Bytes secret(8, 0x03);
  const Bytes associated_data(12, 0x04);
  auto tag = internal::Argon2idRaw(
      password, salt, secret, associated_data,
      {.memory_kib = 32, .iterations = 3, .parallelism = 4}, 32);
  ASSERT_TRUE(tag.has_value()) << tag.error().message;
  EXPECT_EQ(ToHex(*tag),
            "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
}

// libargon2's own test suite (src/test.c), argon2id v19 "password" with
// "somesalt", m=2^16, t=2, p=1: a hash written by another implementation
// must verify. Also the one test that runs at 64 MiB.
TEST(PasswordHashTest, VerifiesLibargon2ReferenceHash) {
  constexpr std::string_view kReference =
      "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$"
      "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
  auto ok = VerifyPassword("password", kReference);
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  EXPECT_TRUE(*ok);
  auto wrong = VerifyPassword("Password", kReference);
  ASSERT_TRUE(wrong.has_value()) << wrong.error().message;
  EXPECT_FALSE(*wrong);
}

TEST(PasswordHashTest, DefaultsAreDesignMdParametersInPhcFormat) {
  const Argon2Params defaults;
  EXPECT_EQ(defaults.memory_kib, 65536u);
  EXPECT_EQ(defaults.iterations, 3u);
  EXPECT_EQ(defaults.parallelism, 1u);
  auto phc = HashPassword("correct horse battery staple", TestRandom());
  ASSERT_TRUE(phc.has_value()) << phc.error().message;
  // 16-byte salt: 22 base64 characters; 32-byte tag: 43.
  ASSERT_TRUE(phc->starts_with("$argon2id$v=19$m=65536,t=3,p=1$")) << *phc;
  const std::string rest = phc->substr(31);
  EXPECT_EQ(rest.size(), 22u + 1 + 43u) << *phc;
  EXPECT_EQ(rest[22], '$');
  EXPECT_FALSE(NeedsRehash(*phc, defaults));
}

TEST(PasswordHashTest, RoundTrip) {
  auto phc = HashPassword("correct horse battery staple", TestRandom(), kFast);
  ASSERT_TRUE(phc.has_value()) << phc.error().message;
  EXPECT_TRUE(phc->starts_with("$argon2id$v=19$m=1024,t=1,p=1$")) << *phc;
  auto ok = VerifyPassword("correct horse battery staple", *phc);
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  EXPECT_TRUE(*ok);
}

TEST(PasswordHashTest, WrongPasswordIsFalseNotAnError) {
  auto phc = HashPassword("correct horse battery staple", TestRandom(), kFast);
  ASSERT_TRUE(phc.has_value());
  for (std::string_view wrong :
       {"correct horse battery stapl", "Correct horse battery staple", "",
        "correct horse battery staple "}) {
    auto ok = VerifyPassword(wrong, *phc);
    ASSERT_TRUE(ok.has_value()) << ok.error().message;
    EXPECT_FALSE(*ok) << wrong;
  }
}

TEST(PasswordHashTest, SamePasswordGetsDifferentSalts) {
  auto a = HashPassword("same password here", TestRandom(), kFast);
  auto b = HashPassword("same password here", TestRandom(), kFast);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_NE(*a, *b);
}

TEST(PasswordHashTest, NonAsciiPasswordsRoundTrip) {
  const std::string password = "Grüße aus Köln, 東京 🔑";
  auto phc = HashPassword(password, TestRandom(), kFast);
  ASSERT_TRUE(phc.has_value());
  EXPECT_TRUE(VerifyPassword(password, *phc).value());
  EXPECT_FALSE(VerifyPassword("Grusse aus Koln, 東京 🔑", *phc).value());
}

TEST(PasswordHashTest, MalformedOrForeignHashesAreErrors) {
  auto phc = HashPassword("correct horse battery staple", TestRandom(), kFast);
  ASSERT_TRUE(phc.has_value());
  const std::string good = *phc;
  ASSERT_TRUE(good.starts_with(kFastPrefix));
  const std::string salt_and_tag = good.substr(kFastPrefix.size());
  const std::string cases[] = {
      "",
      "password",
      "$argon2i$v=19$m=1024,t=1,p=1" + salt_and_tag,
      "$argon2d$v=19$m=1024,t=1,p=1" + salt_and_tag,
      "$argon2id$v=16$m=1024,t=1,p=1" + salt_and_tag,
      "$argon2id$m=1024,t=1,p=1" + salt_and_tag,
      "$argon2id$v=19$t=1,m=1024,p=1" + salt_and_tag,
      "$argon2id$v=19$m=01024,t=1,p=1" + salt_and_tag,
      "$argon2id$v=19$m=-1024,t=1,p=1" + salt_and_tag,
      "$argon2id$v=19$m=99999999999,t=1,p=1" + salt_and_tag,  // > uint32
      "$argon2id$v=19$m=1024,t=1,p=1",
      "$argon2id$v=19$m=1024,t=1,p=1$$",
      good + "=",
      good.substr(0, good.size() - 2),  // 41 base64 characters
      good + "$extra",
      "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
      good + std::string(300, 'A'),
  };
  for (const std::string& bad : cases) {
    auto ok = VerifyPassword("correct horse battery staple", bad);
    EXPECT_FALSE(ok.has_value()) << bad;
    EXPECT_TRUE(NeedsRehash(bad, kFast)) << bad;
  }
}

TEST(PasswordHashTest, RefusesCostsATamperedRowCouldUseToExhaustTheServer) {
  auto phc = HashPassword("correct horse battery staple", TestRandom(), kFast);
  ASSERT_TRUE(phc.has_value());
  ASSERT_TRUE(phc->starts_with(kFastPrefix));
  const std::string salt_and_tag = phc->substr(kFastPrefix.size());
  const std::string cases[] = {
      "$argon2id$v=19$m=4194304,t=1,p=1",  // 4 GiB
      "$argon2id$v=19$m=1048577,t=1,p=1",  // 1 GiB + 1 KiB
      "$argon2id$v=19$m=1024,t=100000,p=1", "$argon2id$v=19$m=1024,t=0,p=1",
      "$argon2id$v=19$m=1024,t=1,p=0",      "$argon2id$v=19$m=1024,t=1,p=255",
      "$argon2id$v=19$m=4,t=1,p=1",  // below argon2's minimum
  };
  for (const std::string& params : cases) {
    auto ok =
        VerifyPassword("correct horse battery staple", params + salt_and_tag);
    ASSERT_FALSE(ok.has_value()) << params;
    EXPECT_NE(ok.error().message.find("out of bounds"), std::string::npos)
        << ok.error().message;
  }
}

TEST(PasswordHashTest, ErrorsNeverContainThePassword) {
  const std::string password = "Sup3r-Secret-Passw0rd";
  auto ok = VerifyPassword(password, "$argon2id$v=19$m=1024,t=1,p=1$xx$yy");
  ASSERT_FALSE(ok.has_value());
  EXPECT_EQ(ok.error().message.find(password), std::string::npos);
}

TEST(PasswordHashTest, RefusesBadParametersWhenHashing) {
  for (const Argon2Params& params :
       {Argon2Params{.memory_kib = 2 * 1024 * 1024},
        Argon2Params{.memory_kib = 1024, .iterations = 0},
        Argon2Params{.memory_kib = 1024, .parallelism = 0},
        Argon2Params{.memory_kib = 8, .parallelism = 2}}) {
    EXPECT_FALSE(HashPassword("pw", TestRandom(), params).has_value());
  }
}

TEST(PasswordHashTest, OverLongPasswordCannotBeHashedAndNeverMatches) {
  const std::string huge(kMaxPasswordBytes + 1, 'x');
  EXPECT_FALSE(HashPassword(huge, TestRandom(), kFast).has_value());
  auto phc = HashPassword("correct horse battery staple", TestRandom(), kFast);
  ASSERT_TRUE(phc.has_value());
  auto ok = VerifyPassword(huge, *phc);
  ASSERT_TRUE(ok.has_value());
  EXPECT_FALSE(*ok);
}

TEST(PasswordHashTest, NeedsRehashWhenCostsChange) {
  auto phc = HashPassword("correct horse battery staple", TestRandom(), kFast);
  ASSERT_TRUE(phc.has_value());
  EXPECT_FALSE(NeedsRehash(*phc, kFast));
  Argon2Params more_memory = kFast;
  more_memory.memory_kib = 2048;
  EXPECT_TRUE(NeedsRehash(*phc, more_memory));
  Argon2Params more_passes = kFast;
  more_passes.iterations = 2;
  EXPECT_TRUE(NeedsRehash(*phc, more_passes));
  Argon2Params more_lanes = kFast;
  more_lanes.parallelism = 2;
  EXPECT_TRUE(NeedsRehash(*phc, more_lanes));
  EXPECT_TRUE(NeedsRehash(*phc, Argon2Params{}));
}

TEST(PasswordHashTest, NeedsRehashForForeignSaltOrTagSize) {
  // libargon2's reference hash: 8-byte salt, matching costs.
  EXPECT_TRUE(
      NeedsRehash("$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$"
                  "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
                  {.memory_kib = 65536, .iterations = 2, .parallelism = 1}));
}

}  // namespace
}  // namespace tether::crypto
