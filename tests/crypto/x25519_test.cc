#include "crypto/x25519.h"

#include <gtest/gtest.h>

#include <string_view>

#include "base/bytes.h"

namespace tether::crypto {
namespace {

Bytes Hex(std::string_view hex) {
  auto bytes = FromHex(hex);
  EXPECT_TRUE(bytes.has_value()) << hex;
  return bytes.value_or(Bytes());
}

// RFC 7748 §6.1.
constexpr std::string_view kAlicePrivate =
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
constexpr std::string_view kAlicePublic =
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
constexpr std::string_view kBobPrivate =
    "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
constexpr std::string_view kBobPublic =
    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
constexpr std::string_view kSharedSecret =
    "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

TEST(X25519Test, Rfc7748AlicePublicKeyMatches) {
  auto alice = X25519KeyPair::FromPrivateKey(Hex(kAlicePrivate));
  ASSERT_TRUE(alice.has_value()) << alice.error().message;
  EXPECT_EQ(ToHex(alice->public_key()), kAlicePublic);
}

TEST(X25519Test, Rfc7748BobPublicKeyMatches) {
  auto bob = X25519KeyPair::FromPrivateKey(Hex(kBobPrivate));
  ASSERT_TRUE(bob.has_value()) << bob.error().message;
  EXPECT_EQ(ToHex(bob->public_key()), kBobPublic);
}

TEST(X25519Test, Rfc7748SharedSecretMatchesOnBothSides) {
  auto alice = X25519KeyPair::FromPrivateKey(Hex(kAlicePrivate));
  auto bob = X25519KeyPair::FromPrivateKey(Hex(kBobPrivate));
  ASSERT_TRUE(alice.has_value() && bob.has_value());
  auto alice_shared = alice->SharedSecret(Hex(kBobPublic));
  auto bob_shared = bob->SharedSecret(Hex(kAlicePublic));
  ASSERT_TRUE(alice_shared.has_value()) << alice_shared.error().message;
  ASSERT_TRUE(bob_shared.has_value()) << bob_shared.error().message;
  EXPECT_EQ(ToHex(alice_shared->span()), kSharedSecret);
  EXPECT_EQ(ToHex(bob_shared->span()), kSharedSecret);
}

// RFC 7748 §5.2 single-step vectors; the second has the top bit of u set,
// which must be ignored.
TEST(X25519Test, Rfc7748ScalarMultiplicationVectorsMatch) {
  struct Vector {
    std::string_view scalar, u, out;
  };
  const Vector kVectors[] = {
      {"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
       "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
       "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"},
      {"4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
       "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
       "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"},
  };
  for (const Vector& v : kVectors) {
    auto pair = X25519KeyPair::FromPrivateKey(Hex(v.scalar));
    ASSERT_TRUE(pair.has_value()) << pair.error().message;
    auto out = pair->SharedSecret(Hex(v.u));
    ASSERT_TRUE(out.has_value()) << out.error().message;
    EXPECT_EQ(ToHex(out->span()), v.out);
  }
}

// RFC 7748 §5.2 iterated vector: k = u = 9, then k, u = X25519(k, u), k.
TEST(X25519Test, Rfc7748ThousandIterationsMatch) {
  Bytes k(32, 0);
  k[0] = 9;
  Bytes u = k;
  for (int i = 1; i <= 1000; ++i) {
    auto pair = X25519KeyPair::FromPrivateKey(k);
    ASSERT_TRUE(pair.has_value()) << pair.error().message;
    auto out = pair->SharedSecret(u);
    ASSERT_TRUE(out.has_value()) << out.error().message;
    u = k;
    k.assign(out->span().begin(), out->span().end());
    if (i == 1) {
      EXPECT_EQ(ToHex(k),
                "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae"
                "3079");
    }
  }
  EXPECT_EQ(ToHex(k),
            "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c"
            "51");
}

TEST(X25519Test, AllZeroPublicKeyIsRejected) {
  auto alice = X25519KeyPair::FromPrivateKey(Hex(kAlicePrivate));
  ASSERT_TRUE(alice.has_value());
  EXPECT_FALSE(alice->SharedSecret(Bytes(32, 0)).has_value());
}

TEST(X25519Test, LowOrderPointOneIsRejected) {
  auto alice = X25519KeyPair::FromPrivateKey(Hex(kAlicePrivate));
  ASSERT_TRUE(alice.has_value());
  Bytes one(32, 0);
  one[0] = 1;
  EXPECT_FALSE(alice->SharedSecret(one).has_value());
}

TEST(X25519Test, WrongSizedKeysAreRejected) {
  EXPECT_FALSE(X25519KeyPair::FromPrivateKey(Bytes(31, 1)).has_value());
  EXPECT_FALSE(X25519KeyPair::FromPrivateKey(Bytes(33, 1)).has_value());
  auto alice = X25519KeyPair::FromPrivateKey(Hex(kAlicePrivate));
  ASSERT_TRUE(alice.has_value());
  EXPECT_FALSE(alice->SharedSecret(Bytes(31, 9)).has_value());
  EXPECT_FALSE(alice->SharedSecret(Bytes()).has_value());
}

TEST(X25519Test, GeneratedPairsAgreeOnTheSharedSecret) {
  auto random = RandomGenerator::Create("x25519 test");
  ASSERT_TRUE(random.has_value());
  auto a = X25519KeyPair::Generate(**random);
  auto b = X25519KeyPair::Generate(**random);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_NE(a->public_key(), b->public_key());
  auto ab = a->SharedSecret(b->public_key());
  auto ba = b->SharedSecret(a->public_key());
  ASSERT_TRUE(ab.has_value() && ba.has_value());
  EXPECT_EQ(ToHex(ab->span()), ToHex(ba->span()));
}

}  // namespace
}  // namespace tether::crypto
