#include "crypto/e2e_handshake.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "base/bytes.h"

namespace tether::crypto {
namespace {

constexpr uint32_t kVersion = 1;
constexpr char kCode[] = "12345678";

E2eContext Context(std::string code = kCode, uint32_t version = kVersion) {
  return E2eContext{version, std::move(code)};
}

RandomGenerator& Random() {
  static RandomGenerator* random = [] {
    auto created = RandomGenerator::Create("e2e handshake test");
    EXPECT_TRUE(created.has_value());
    return created->release();
  }();
  return *random;
}

std::unique_ptr<E2eHandshake> Make(E2eRole role, E2eContext context = {}) {
  if (context.session_code.empty())
    context = Context();
  auto handshake = E2eHandshake::Create(role, std::move(context), Random());
  EXPECT_TRUE(handshake.has_value()) << handshake.error().message;
  return handshake.has_value() ? std::move(*handshake) : nullptr;
}

// Deterministic private keys, so tests over "many seeds" give the same
// answer on every run.
X25519KeyPair KeyFromSeed(uint64_t seed) {
  Bytes key(32);
  uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
  for (uint8_t& b : key) {
    state ^= state >> 33;
    state *= 0xFF51AFD7ED558CCDull;
    state ^= state >> 29;
    b = static_cast<uint8_t>(state);
  }
  auto pair = X25519KeyPair::FromPrivateKey(key);
  if (!pair)
    std::abort();
  return std::move(*pair);
}

std::unique_ptr<E2eHandshake> MakeWithKey(E2eRole role,
                                          E2eContext context,
                                          X25519KeyPair key) {
  auto handshake =
      E2eHandshake::CreateWithKeyPair(role, std::move(context), std::move(key));
  EXPECT_TRUE(handshake.has_value()) << handshake.error().message;
  return handshake.has_value() ? std::move(*handshake) : nullptr;
}

// The four messages, passed straight through.
::testing::AssertionResult RunHandshake(E2eHandshake& supporter,
                                        E2eHandshake& customer) {
  auto commitment = supporter.SupporterCommit();
  if (!commitment) {
    return ::testing::AssertionFailure() << commitment.error().message;
  }
  auto customer_public = customer.CustomerRespond(*commitment);
  if (!customer_public) {
    return ::testing::AssertionFailure() << customer_public.error().message;
  }
  auto supporter_public = supporter.SupporterReveal(*customer_public);
  if (!supporter_public) {
    return ::testing::AssertionFailure() << supporter_public.error().message;
  }
  auto verified = customer.CustomerVerify(*supporter_public);
  if (!verified) {
    return ::testing::AssertionFailure() << verified.error().message;
  }
  return ::testing::AssertionSuccess();
}

bool IsSixDigits(const std::string& sas) {
  if (sas.size() != 6)
    return false;
  for (char c : sas) {
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return false;
  }
  return true;
}

TEST(E2eHandshakeTest, FullRunCompletesBothSidesWithTheSameSixDigitSas) {
  auto supporter = Make(E2eRole::kSupporter);
  auto customer = Make(E2eRole::kCustomer);
  ASSERT_TRUE(RunHandshake(*supporter, *customer));
  EXPECT_TRUE(supporter->complete());
  EXPECT_TRUE(customer->complete());
  EXPECT_TRUE(IsSixDigits(supporter->sas())) << supporter->sas();
  EXPECT_EQ(supporter->sas(), customer->sas());
}

TEST(E2eHandshakeTest, MessagesHaveTheirFixedSizes) {
  auto supporter = Make(E2eRole::kSupporter);
  auto customer = Make(E2eRole::kCustomer);
  auto commitment = supporter->SupporterCommit();
  ASSERT_TRUE(commitment.has_value());
  EXPECT_EQ(commitment->size(), 32u);
  auto customer_public = customer->CustomerRespond(*commitment);
  ASSERT_TRUE(customer_public.has_value());
  EXPECT_EQ(customer_public->size(), 32u);
  auto supporter_public = supporter->SupporterReveal(*customer_public);
  ASSERT_TRUE(supporter_public.has_value());
  EXPECT_EQ(supporter_public->size(), 32u);
}

TEST(E2eHandshakeTest, ChannelsRoundTripInBothDirections) {
  auto supporter = Make(E2eRole::kSupporter);
  auto customer = Make(E2eRole::kCustomer);
  ASSERT_TRUE(RunHandshake(*supporter, *customer));
  auto supporter_channel = supporter->TakeChannel();
  auto customer_channel = customer->TakeChannel();
  ASSERT_TRUE(supporter_channel.has_value() && customer_channel.has_value());

  Bytes hello = {'h', 'i'};
  auto to_customer = (*supporter_channel)->Seal(hello);
  ASSERT_TRUE(to_customer.has_value());
  auto at_customer = (*customer_channel)->Open(*to_customer);
  ASSERT_TRUE(at_customer.has_value()) << at_customer.error().message;
  EXPECT_EQ(*at_customer, hello);

  auto to_supporter = (*customer_channel)->Seal(hello);
  ASSERT_TRUE(to_supporter.has_value());
  auto at_supporter = (*supporter_channel)->Open(*to_supporter);
  ASSERT_TRUE(at_supporter.has_value()) << at_supporter.error().message;
  EXPECT_EQ(*at_supporter, hello);
}

TEST(E2eHandshakeTest, ChannelCanBeTakenOnlyOnce) {
  auto supporter = Make(E2eRole::kSupporter);
  auto customer = Make(E2eRole::kCustomer);
  ASSERT_TRUE(RunHandshake(*supporter, *customer));
  EXPECT_TRUE(supporter->TakeChannel().has_value());
  EXPECT_FALSE(supporter->TakeChannel().has_value());
}

// Expected values computed independently (Python hashlib/hmac/cryptography)
// from the transcript and key schedule in e2e_handshake.h, with the RFC
// 7748 §6.1 keys: Alice as supporter, Bob as customer.
TEST(E2eHandshakeTest, KnownKeysGiveIndependentlyComputedOutputs) {
  auto alice = X25519KeyPair::FromPrivateKey(*FromHex(
      "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  auto bob = X25519KeyPair::FromPrivateKey(*FromHex(
      "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
  ASSERT_TRUE(alice.has_value() && bob.has_value());
  auto supporter =
      MakeWithKey(E2eRole::kSupporter, Context(), std::move(*alice));
  auto customer = MakeWithKey(E2eRole::kCustomer, Context(), std::move(*bob));

  auto commitment = supporter->SupporterCommit();
  ASSERT_TRUE(commitment.has_value());
  EXPECT_EQ(ToHex(*commitment),
            "8a2585f6a26de16c83ed59ac2e888b791fb12846c066e9565e97c2404c113c04");
  auto customer_public = customer->CustomerRespond(*commitment);
  ASSERT_TRUE(customer_public.has_value());
  auto supporter_public = supporter->SupporterReveal(*customer_public);
  ASSERT_TRUE(supporter_public.has_value());
  ASSERT_TRUE(customer->CustomerVerify(*supporter_public).has_value());
  EXPECT_EQ(supporter->sas(), "491202");
  EXPECT_EQ(customer->sas(), "491202");

  // The supporter's first record, under the supporter->customer key.
  auto channel = supporter->TakeChannel();
  ASSERT_TRUE(channel.has_value());
  auto record = (*channel)->Seal(Bytes{'h', 'e', 'l', 'l', 'o'});
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(ToHex(*record),
            "000000000000000080b13a82ee6ed1204803a077e2a6042441486c28dc");
}

TEST(E2eHandshakeTest, CustomerRejectsKeyThatDoesNotMatchCommitment) {
  auto supporter = Make(E2eRole::kSupporter);
  auto other = Make(E2eRole::kSupporter);
  auto customer = Make(E2eRole::kCustomer);
  auto commitment = supporter->SupporterCommit();
  ASSERT_TRUE(commitment.has_value());
  auto customer_public = customer->CustomerRespond(*commitment);
  ASSERT_TRUE(customer_public.has_value());
  ASSERT_TRUE(other->SupporterCommit().has_value());
  auto substituted = other->SupporterReveal(*customer_public);
  ASSERT_TRUE(substituted.has_value());

  auto verified = customer->CustomerVerify(*substituted);
  ASSERT_FALSE(verified.has_value());
  EXPECT_NE(verified.error().message.find("commitment mismatch"),
            std::string::npos)
      << verified.error().message;
  EXPECT_TRUE(customer->failed());
  EXPECT_FALSE(customer->complete());
  EXPECT_TRUE(customer->sas().empty());
  EXPECT_FALSE(customer->TakeChannel().has_value());
  // The genuine key is no longer accepted either: the handshake is over.
  auto genuine = supporter->SupporterReveal(*customer_public);
  ASSERT_TRUE(genuine.has_value());
  EXPECT_FALSE(customer->CustomerVerify(*genuine).has_value());
}

TEST(E2eHandshakeTest, StepsForTheOtherRoleFail) {
  auto supporter = Make(E2eRole::kSupporter);
  EXPECT_FALSE(supporter->CustomerRespond(Bytes(32, 1)).has_value());
  auto customer = Make(E2eRole::kCustomer);
  EXPECT_FALSE(customer->SupporterCommit().has_value());
  auto customer2 = Make(E2eRole::kCustomer);
  EXPECT_FALSE(customer2->SupporterReveal(Bytes(32, 1)).has_value());
  auto supporter2 = Make(E2eRole::kSupporter);
  EXPECT_FALSE(supporter2->CustomerVerify(Bytes(32, 1)).has_value());
}

TEST(E2eHandshakeTest, StepsOutOfOrderFail) {
  auto supporter = Make(E2eRole::kSupporter);
  EXPECT_FALSE(supporter->SupporterReveal(Bytes(32, 9)).has_value());
  EXPECT_TRUE(supporter->failed());

  auto customer = Make(E2eRole::kCustomer);
  EXPECT_FALSE(customer->CustomerVerify(Bytes(32, 9)).has_value());

  auto twice = Make(E2eRole::kSupporter);
  ASSERT_TRUE(twice->SupporterCommit().has_value());
  EXPECT_FALSE(twice->SupporterCommit().has_value());

  auto respond_twice = Make(E2eRole::kCustomer);
  ASSERT_TRUE(respond_twice->CustomerRespond(Bytes(32, 1)).has_value());
  EXPECT_FALSE(respond_twice->CustomerRespond(Bytes(32, 1)).has_value());
}

TEST(E2eHandshakeTest, HandshakeFailsForGoodAfterAnError) {
  auto supporter = Make(E2eRole::kSupporter);
  auto customer = Make(E2eRole::kCustomer);
  EXPECT_FALSE(supporter->SupporterReveal(Bytes(32, 9)).has_value());
  // The correct sequence no longer helps.
  auto commitment = supporter->SupporterCommit();
  EXPECT_FALSE(commitment.has_value());
  EXPECT_FALSE(supporter->complete());
}

TEST(E2eHandshakeTest, ChannelIsUnavailableBeforeCompletion) {
  auto supporter = Make(E2eRole::kSupporter);
  EXPECT_FALSE(supporter->TakeChannel().has_value());
  EXPECT_TRUE(supporter->sas().empty());
  ASSERT_TRUE(supporter->SupporterCommit().has_value());
  EXPECT_FALSE(supporter->TakeChannel().has_value());
}

TEST(E2eHandshakeTest, WrongSizedInputsFail) {
  auto customer = Make(E2eRole::kCustomer);
  EXPECT_FALSE(customer->CustomerRespond(Bytes(31, 1)).has_value());

  auto supporter = Make(E2eRole::kSupporter);
  ASSERT_TRUE(supporter->SupporterCommit().has_value());
  EXPECT_FALSE(supporter->SupporterReveal(Bytes(33, 1)).has_value());

  auto customer2 = Make(E2eRole::kCustomer);
  ASSERT_TRUE(customer2->CustomerRespond(Bytes(32, 1)).has_value());
  EXPECT_FALSE(customer2->CustomerVerify(Bytes()).has_value());
}

TEST(E2eHandshakeTest, LowOrderCustomerKeyFailsTheSupporter) {
  auto supporter = Make(E2eRole::kSupporter);
  ASSERT_TRUE(supporter->SupporterCommit().has_value());
  EXPECT_FALSE(supporter->SupporterReveal(Bytes(32, 0)).has_value());
  EXPECT_TRUE(supporter->failed());
}

// A relay that runs its own handshake with each side (as supporter towards
// the customer, as customer towards the supporter) must commit to its key
// for the customer before it learns pk_c, and must send its key to the
// supporter before it learns pk_s, so it cannot steer the two SAS together.
TEST(E2eHandshakeTest, KeySwappingMiddlePartyLeavesDifferentSas) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    auto supporter =
        MakeWithKey(E2eRole::kSupporter, Context(), KeyFromSeed(4 * seed));
    auto customer =
        MakeWithKey(E2eRole::kCustomer, Context(), KeyFromSeed(4 * seed + 1));
    auto mitm_to_customer =
        MakeWithKey(E2eRole::kSupporter, Context(), KeyFromSeed(4 * seed + 2));
    auto mitm_to_supporter =
        MakeWithKey(E2eRole::kCustomer, Context(), KeyFromSeed(4 * seed + 3));
    ASSERT_TRUE(RunHandshake(*supporter, *mitm_to_supporter));
    ASSERT_TRUE(RunHandshake(*mitm_to_customer, *customer));

    // Each real side agrees with the middle party's half, never with the
    // other real side.
    EXPECT_EQ(supporter->sas(), mitm_to_supporter->sas());
    EXPECT_EQ(customer->sas(), mitm_to_customer->sas());
    EXPECT_NE(supporter->sas(), customer->sas());
  }
}

TEST(E2eHandshakeTest, RelayForwardingHonestlyButSwappingOneKeyIsCaught) {
  // The relay passes the supporter's commitment and key to the customer
  // untouched, but gives the supporter its own key instead of pk_c.
  auto supporter = Make(E2eRole::kSupporter);
  auto customer = Make(E2eRole::kCustomer);
  auto relay_key = X25519KeyPair::Generate(Random());
  ASSERT_TRUE(relay_key.has_value());
  auto commitment = supporter->SupporterCommit();
  ASSERT_TRUE(commitment.has_value());
  ASSERT_TRUE(customer->CustomerRespond(*commitment).has_value());
  auto supporter_public = supporter->SupporterReveal(relay_key->public_key());
  ASSERT_TRUE(supporter_public.has_value());
  ASSERT_TRUE(customer->CustomerVerify(*supporter_public).has_value());
  EXPECT_NE(supporter->sas(), customer->sas());

  auto supporter_channel = supporter->TakeChannel();
  auto customer_channel = customer->TakeChannel();
  ASSERT_TRUE(supporter_channel.has_value() && customer_channel.has_value());
  auto record = (*supporter_channel)->Seal(Bytes{1, 2, 3});
  ASSERT_TRUE(record.has_value());
  EXPECT_FALSE((*customer_channel)->Open(*record).has_value());
}

TEST(E2eHandshakeTest, DifferentSessionCodesGiveDifferentSasAndKeys) {
  auto run = [](const std::string& code) {
    auto supporter =
        MakeWithKey(E2eRole::kSupporter, Context(code), KeyFromSeed(1000));
    auto customer =
        MakeWithKey(E2eRole::kCustomer, Context(code), KeyFromSeed(1001));
    EXPECT_TRUE(RunHandshake(*supporter, *customer));
    auto channel = supporter->TakeChannel();
    EXPECT_TRUE(channel.has_value());
    auto record = (*channel)->Seal(Bytes{'s', 'a', 'm', 'e'});
    EXPECT_TRUE(record.has_value());
    return std::make_pair(supporter->sas(), *record);
  };
  auto [sas_a, record_a] = run("12345678");
  auto [sas_b, record_b] = run("87654321");
  EXPECT_NE(sas_a, sas_b);
  // Same keys, same counter, same plaintext: only the derived key differs.
  EXPECT_NE(record_a, record_b);
}

TEST(E2eHandshakeTest, SidesDisagreeingOnSessionCodeGetDifferentSas) {
  auto supporter =
      MakeWithKey(E2eRole::kSupporter, Context("12345678"), KeyFromSeed(2000));
  auto customer =
      MakeWithKey(E2eRole::kCustomer, Context("12345679"), KeyFromSeed(2001));
  ASSERT_TRUE(RunHandshake(*supporter, *customer));
  EXPECT_NE(supporter->sas(), customer->sas());
}

TEST(E2eHandshakeTest, SidesDisagreeingOnProtocolVersionGetDifferentSas) {
  auto supporter =
      MakeWithKey(E2eRole::kSupporter, Context(kCode, 1), KeyFromSeed(3000));
  auto customer =
      MakeWithKey(E2eRole::kCustomer, Context(kCode, 2), KeyFromSeed(3001));
  ASSERT_TRUE(RunHandshake(*supporter, *customer));
  EXPECT_NE(supporter->sas(), customer->sas());
}

}  // namespace
}  // namespace tether::crypto
