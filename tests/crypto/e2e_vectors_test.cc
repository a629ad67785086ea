// Known-answer vectors for the E2E handshake and record channel, in one file
// (crypto/vectors/e2e_vectors.json) that this test and the browser's
// implementation (relay/web/site/static/e2e.js, checked by
// tests/web/e2e_vectors_test.mjs) both read: if both pass, the two
// implementations agree byte for byte.
//
// The file is generated from this C++ implementation, then only checked.
// To regenerate it (only on a deliberate format change, which breaks old
// peers), run in tests/ as one command:
//   TETHER_WRITE_E2E_VECTORS=crypto/vectors/e2e_vectors.json
//   ../build/release/bin/tether_crypto_tests
//   --gtest_filter='E2eVectorsWriterTest.*'
//
// What the classes do not expose (transcript, shared secret, direction
// keys, rekeyed keys) is computed here from the layout documented in
// e2e_handshake.h and e2e_channel.h, and tied to the classes by checking
// that channels made from those keys produce the same records.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "crypto/digest.h"
#include "crypto/e2e_channel.h"
#include "crypto/e2e_handshake.h"
#include "crypto/hkdf.h"
#include "crypto/x25519.h"
#include "tests/support/text_files.h"

namespace tether::crypto {
namespace {

using Json = nlohmann::ordered_json;

constexpr char kVectorsPath[] = "crypto/vectors/e2e_vectors.json";
constexpr char kWriteVectorsEnv[] = "TETHER_WRITE_E2E_VECTORS";

// The documented constants (e2e_handshake.h, e2e_channel.h).
constexpr std::string_view kTranscriptLabel = "tether-e2e v1";
constexpr std::string_view kCustomerToSupporterLabel =
    "customer->supporter key";
constexpr std::string_view kSupporterToCustomerLabel =
    "supporter->customer key";
constexpr std::string_view kSasLabel = "sas";
constexpr std::string_view kRekeyLabel = "tether-e2e rekey";
constexpr std::string_view kCommitLabel = "tether-e2e commit v1";
constexpr uint64_t kCounterLimit = std::numeric_limits<uint64_t>::max();

// ---- Small helpers --------------------------------------------------------

Bytes Hex(const Json& value) {
  auto bytes = FromHex(value.get<std::string>());
  EXPECT_TRUE(bytes.has_value()) << value;
  return bytes.value_or(Bytes());
}

// A string in the vectors, to compare with EXPECT_EQ: nlohmann/json 3.11.3
// (Debian 13) has no operator== between std::string and a json under C++20.
std::string Str(const Json& value) {
  return value.get<std::string>();
}

Bytes Text(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

// first, first + 1, ... (mod 256).
Bytes Sequence(uint8_t first, size_t size) {
  Bytes out(size);
  for (size_t i = 0; i < size; ++i)
    out[i] = static_cast<uint8_t>(first + i);
  return out;
}

Bytes Sha256Of(ByteSpan data) {
  const Sha256Digest digest = Sha256(data);
  return Bytes(digest.begin(), digest.end());
}

Bytes Copy(const SecretBytes& secret) {
  return Bytes(secret.span().begin(), secret.span().end());
}

// Counters go into the file as decimal strings: JavaScript numbers lose
// precision above 2^53.
std::string CounterText(uint64_t counter) {
  return std::to_string(counter);
}

uint64_t Counter(const Json& value) {
  return std::stoull(value.get<std::string>());
}

using tether::test::Contains;

// ---- The documented layout, independent of the classes --------------------

void AppendField(ByteSpan field, Bytes& out) {
  const uint32_t size = static_cast<uint32_t>(field.size());
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<uint8_t>(size >> shift));
  out.insert(out.end(), field.begin(), field.end());
}

Bytes Commitment(ByteSpan supporter_public) {
  Bytes input = Text(kCommitLabel);
  input.insert(input.end(), supporter_public.begin(), supporter_public.end());
  return Sha256Of(input);
}

Bytes Transcript(uint32_t protocol_version,
                 const std::string& session_code,
                 ByteSpan commitment,
                 ByteSpan supporter_public,
                 ByteSpan customer_public) {
  Bytes transcript;
  AppendField(AsBytes(kTranscriptLabel), transcript);
  const Bytes version = {static_cast<uint8_t>(protocol_version >> 24),
                         static_cast<uint8_t>(protocol_version >> 16),
                         static_cast<uint8_t>(protocol_version >> 8),
                         static_cast<uint8_t>(protocol_version)};
  AppendField(version, transcript);
  AppendField(AsBytes(session_code), transcript);
  AppendField(commitment, transcript);
  AppendField(supporter_public, transcript);
  AppendField(customer_public, transcript);
  return transcript;
}

struct SessionKeys {
  Bytes customer_to_supporter;
  Bytes supporter_to_customer;
  std::string sas;
};

SessionKeys DeriveSessionKeys(ByteSpan shared_secret, ByteSpan transcript) {
  SessionKeys keys;
  auto prk = HkdfSha256Extract(Sha256Of(transcript), shared_secret);
  EXPECT_TRUE(prk.has_value());
  if (!prk)
    return keys;
  auto expand = [&](std::string_view label, size_t size) {
    auto okm = HkdfSha256Expand(prk->span(), AsBytes(label), size);
    EXPECT_TRUE(okm.has_value());
    return okm ? Copy(*okm) : Bytes();
  };
  keys.customer_to_supporter = expand(kCustomerToSupporterLabel, 32);
  keys.supporter_to_customer = expand(kSupporterToCustomerLabel, 32);
  uint64_t value = 0;
  for (uint8_t b : expand(kSasLabel, 8))
    value = (value << 8) | b;
  std::string digits = std::to_string(value % 1000000);
  keys.sas = std::string(6 - digits.size(), '0') + digits;
  return keys;
}

Bytes NextKey(ByteSpan key) {
  auto next = HkdfSha256Expand(key, AsBytes(kRekeyLabel), 32);
  EXPECT_TRUE(next.has_value());
  return next ? Copy(*next) : Bytes();
}

// ---- Making the classes ---------------------------------------------------

X25519KeyPair KeyPair(ByteSpan private_key) {
  auto pair = X25519KeyPair::FromPrivateKey(private_key);
  if (!pair)
    std::abort();  // only fixed, valid test keys come here
  return std::move(*pair);
}

std::unique_ptr<E2eHandshake> MakeHandshake(E2eRole role,
                                            uint32_t protocol_version,
                                            const std::string& session_code,
                                            ByteSpan private_key) {
  auto handshake = E2eHandshake::CreateWithKeyPair(
      role, E2eContext{protocol_version, session_code}, KeyPair(private_key));
  EXPECT_TRUE(handshake.has_value());
  return handshake ? std::move(*handshake) : nullptr;
}

std::unique_ptr<E2eChannel> MakeChannel(ByteSpan send_key,
                                        ByteSpan receive_key,
                                        uint64_t rekey_interval,
                                        uint64_t start_counter = 0) {
  auto channel = E2eChannel::Create(
      {SecretBytes(send_key), SecretBytes(receive_key)}, rekey_interval);
  EXPECT_TRUE(channel.has_value()) << channel.error().message;
  if (!channel)
    return nullptr;
  (*channel)->SetCountersForTesting(start_counter, start_counter);
  return std::move(*channel);
}

// Any key other than `key`, for the unused direction of a channel.
Bytes OtherKey(ByteSpan key) {
  Bytes other(key.begin(), key.end());
  other[0] ^= 0xff;
  return other;
}

// ---- Generating the file (only with TETHER_WRITE_E2E_VECTORS) -------------

struct HandshakeInput {
  std::string name;
  Bytes supporter_private;
  Bytes customer_private;
  uint32_t protocol_version;
  std::string session_code;
};

std::vector<HandshakeInput> HandshakeInputs() {
  return {
      // RFC 7748 §6.1's Alice (supporter) and Bob (customer): public keys and
      // shared secret are published there.
      {"rfc7748 keys",
       Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
       Hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"),
       1, "12345678"},
      // Private keys that clamping changes in every bit it touches.
      {"unclamped private keys, empty session code", Bytes(32, 0xff),
       Bytes(32, 0x00), 0, ""},
      {"largest protocol version, spaced session code",
       Sha256Of(Text("tether e2e vector supporter 3")),
       Sha256Of(Text("tether e2e vector customer 3")), 0xffffffff,
       "987 654 321"},
      // The session code goes into the transcript as its UTF-8 bytes.
      {"non-ascii session code",
       Sha256Of(Text("tether e2e vector supporter 4")),
       Sha256Of(Text("tether e2e vector customer 4")), 3,
       "Z\xc3\xbcrich-42 \xe2\x82\xac"},
  };
}

Json RecordEntry(uint64_t counter,
                 uint64_t key_index,
                 ByteSpan plaintext,
                 ByteSpan record) {
  return {{"counter", CounterText(counter)},
          {"key_index", key_index},
          {"plaintext", ToHex(plaintext)},
          {"record", ToHex(record)}};
}

Json SealAll(E2eChannel& sender,
             uint64_t start_counter,
             uint64_t rekey_interval,
             const std::vector<Bytes>& plaintexts) {
  Json records = Json::array();
  for (size_t i = 0; i < plaintexts.size(); ++i) {
    auto record = sender.Seal(plaintexts[i]);
    if (!record)
      std::abort();
    const uint64_t counter = start_counter + i;
    records.push_back(RecordEntry(
        counter, counter / rekey_interval - start_counter / rekey_interval,
        plaintexts[i], *record));
  }
  return records;
}

Json GenerateHandshake(const HandshakeInput& in) {
  auto supporter = MakeHandshake(E2eRole::kSupporter, in.protocol_version,
                                 in.session_code, in.supporter_private);
  auto customer = MakeHandshake(E2eRole::kCustomer, in.protocol_version,
                                in.session_code, in.customer_private);
  auto commitment = supporter->SupporterCommit();
  auto customer_public = customer->CustomerRespond(*commitment);
  auto supporter_public = supporter->SupporterReveal(*customer_public);
  if (!supporter_public || !customer->CustomerVerify(*supporter_public) ||
      supporter->sas() != customer->sas()) {
    std::abort();
  }
  const Bytes transcript =
      Transcript(in.protocol_version, in.session_code, *commitment,
                 *supporter_public, *customer_public);
  auto shared = KeyPair(in.customer_private).SharedSecret(*supporter_public);
  const SessionKeys keys = DeriveSessionKeys(shared->span(), transcript);

  auto supporter_channel = supporter->TakeChannel();
  auto customer_channel = customer->TakeChannel();
  const uint64_t interval = E2eChannel::kDefaultRekeyInterval;
  Json records = {
      {"supporter_to_customer",
       SealAll(**supporter_channel, 0, interval,
               {Text("terms"), {}, Sequence(0x80, 40)})},
      {"customer_to_supporter",
       SealAll(**customer_channel, 0, interval,
               {Text("accepted"), Sequence(0xf0, 17)})},
  };
  return {{"name", in.name},
          {"protocol_version", in.protocol_version},
          {"session_code", in.session_code},
          {"supporter_private", ToHex(in.supporter_private)},
          {"customer_private", ToHex(in.customer_private)},
          {"supporter_public", ToHex(*supporter_public)},
          {"customer_public", ToHex(*customer_public)},
          {"commitment", ToHex(*commitment)},
          {"transcript", ToHex(transcript)},
          {"transcript_sha256", ToHex(Sha256Of(transcript))},
          {"shared_secret", ToHex(shared->span())},
          {"customer_to_supporter_key", ToHex(keys.customer_to_supporter)},
          {"supporter_to_customer_key", ToHex(keys.supporter_to_customer)},
          {"sas", supporter->sas()},
          {"records", std::move(records)}};
}

// The two directions' keys of the channel vectors and refusals.
const Bytes& SupporterToCustomerKey() {
  static const Bytes key = Sequence(0x00, 32);
  return key;
}
const Bytes& CustomerToSupporterKey() {
  static const Bytes key = Sequence(0x20, 32);
  return key;
}

Json KeyChain(ByteSpan key, size_t count) {
  Json chain = Json::array();
  Bytes current(key.begin(), key.end());
  for (size_t i = 0; i < count; ++i) {
    chain.push_back(ToHex(current));
    current = NextKey(current);
  }
  return chain;
}

struct ChannelInput {
  std::string name;
  Bytes supporter_to_customer_key;
  Bytes customer_to_supporter_key;
  uint64_t rekey_interval;
  uint64_t start_counter;
  std::vector<Bytes> supporter_to_customer;
  std::vector<Bytes> customer_to_supporter;
  // Sealing one more record in each direction must fail with this.
  std::string then_seal_error;
};

std::vector<ChannelInput> ChannelInputs() {
  // Lengths around the AES block size, so a cipher that mishandles a
  // partial block shows.
  std::vector<Bytes> around_blocks;
  for (size_t size : {0, 1, 15, 16, 17, 31, 32, 33})
    around_blocks.push_back(Sequence(static_cast<uint8_t>(size), size));
  const uint64_t kDefault = E2eChannel::kDefaultRekeyInterval;
  return {
      {"rekey every 3 records",
       SupporterToCustomerKey(),
       CustomerToSupporterKey(),
       3,
       0,
       around_blocks,
       {Text("one"), Text("two"), Text("three"), Text("four"), Text("five")},
       ""},
      // The keys and first records of E2eChannelTest's independently
      // computed vectors (Python `cryptography`).
      {"rekey every 2 records",
       Bytes(32, 0x11),
       Bytes(32, 0x22),
       2,
       0,
       {Text("a"), Text("b"), Text("c")},
       {Text("a"), Text("b"), Text("c")},
       ""},
      {"rekey every record",
       SupporterToCustomerKey(),
       CustomerToSupporterKey(),
       1,
       0,
       {Text("x"), Text("y"), Text("z")},
       {Text("x"), Text("y")},
       ""},
      // The production interval: the first rekey, reached by starting the
      // counters just before it.
      {"default interval across its first rekey",
       SupporterToCustomerKey(),
       CustomerToSupporterKey(),
       kDefault,
       kDefault - 2,
       {Text("before"), Text("last of key 0"), Text("first of key 1"),
        Text("after")},
       {Text("before"), Text("last of key 0"), Text("first of key 1")},
       ""},
      // The highest counter a record may carry; then the direction is
      // exhausted.
      {"last counter",
       SupporterToCustomerKey(),
       CustomerToSupporterKey(),
       kDefault,
       kCounterLimit - 1,
       {Text("last")},
       {Text("last")},
       "E2E send counter exhausted"},
  };
}

Json GenerateDirection(E2eChannel& sender,
                       ByteSpan key,
                       const ChannelInput& in,
                       const std::vector<Bytes>& plaintexts) {
  Json records =
      SealAll(sender, in.start_counter, in.rekey_interval, plaintexts);
  const size_t keys = records.back()["key_index"].get<size_t>() + 1;
  Json direction = {{"key_chain", KeyChain(key, keys)},
                    {"records", std::move(records)}};
  if (!in.then_seal_error.empty()) {
    auto refused = sender.Seal(Text("one more"));
    if (refused || !Contains(refused.error().message, in.then_seal_error))
      std::abort();
    direction["then_seal"] = {{"plaintext", ToHex(Text("one more"))},
                              {"error", in.then_seal_error}};
  }
  return direction;
}

Json GenerateChannel(const ChannelInput& in) {
  auto supporter =
      MakeChannel(in.supporter_to_customer_key, in.customer_to_supporter_key,
                  in.rekey_interval, in.start_counter);
  auto customer =
      MakeChannel(in.customer_to_supporter_key, in.supporter_to_customer_key,
                  in.rekey_interval, in.start_counter);
  return {{"name", in.name},
          {"rekey_interval", in.rekey_interval},
          {"start_counter", CounterText(in.start_counter)},
          {"supporter_to_customer",
           GenerateDirection(*supporter, in.supporter_to_customer_key, in,
                             in.supporter_to_customer)},
          {"customer_to_supporter",
           GenerateDirection(*customer, in.customer_to_supporter_key, in,
                             in.customer_to_supporter)}};
}

// One step a refusal vector replays on the receiving channel.
struct Step {
  enum class Kind { kOpen, kSeal };
  Kind kind;
  Bytes bytes;
};

// Runs `steps` on a fresh customer channel (receiving supporter->customer
// records) and writes down what each produced.
Json GenerateRefusal(const std::string& name,
                     const std::string& expected_error,
                     uint64_t rekey_interval,
                     uint64_t start_counter,
                     const std::vector<Step>& steps) {
  auto receiver = MakeChannel(CustomerToSupporterKey(),
                              SupporterToCustomerKey(), rekey_interval);
  receiver->SetCountersForTesting(0, start_counter);
  Json out_steps = Json::array();
  bool saw_expected = false;
  for (const Step& step : steps) {
    const bool open = step.kind == Step::Kind::kOpen;
    auto result =
        open ? receiver->Open(step.bytes) : receiver->Seal(step.bytes);
    Json entry = {{open ? "open" : "seal", ToHex(step.bytes)}};
    if (result) {
      entry[open ? "plaintext" : "record"] = ToHex(*result);
    } else {
      entry["error"] = result.error().message;
      saw_expected |= result.error().message == expected_error;
    }
    out_steps.push_back(std::move(entry));
  }
  if (!saw_expected)
    std::abort();  // the scenario does not show what it is named for
  return {{"name", name},
          {"receiver", "customer"},
          {"receive_key", ToHex(SupporterToCustomerKey())},
          {"send_key", ToHex(CustomerToSupporterKey())},
          {"rekey_interval", rekey_interval},
          {"start_counter", CounterText(start_counter)},
          {"refusal", expected_error},
          {"steps", std::move(out_steps)}};
}

Json GenerateRefusals() {
  const uint64_t kDefault = E2eChannel::kDefaultRekeyInterval;
  auto sealed = [](uint64_t interval, size_t count) {
    auto sender = MakeChannel(SupporterToCustomerKey(),
                              CustomerToSupporterKey(), interval);
    std::vector<Bytes> records;
    for (size_t i = 0; i < count; ++i)
      records.push_back(*sender->Seal(Text("record " + std::to_string(i))));
    return records;
  };
  auto open = [](Bytes bytes) { return Step{Step::Kind::kOpen, bytes}; };
  const Step seal_reply{Step::Kind::kSeal, Text("reply")};
  const std::vector<Bytes> r = sealed(kDefault, 3);
  const std::string kAuth = "record authentication failed";
  const std::string kReorder = "records missing or reordered";
  const std::string kReplay = "replayed record";

  Bytes flipped_ciphertext = r[0];
  flipped_ciphertext[E2eChannel::kCounterSize] ^= 0x80;
  Bytes flipped_tag = r[0];
  flipped_tag.back() ^= 0x01;
  Bytes relabelled = r[1];  // counter 1 claims to be 0
  relabelled[E2eChannel::kCounterSize - 1] = 0;
  Bytes bumped = r[0];  // counter 0 claims to be 1
  bumped[E2eChannel::kCounterSize - 1] = 1;
  Bytes truncated = r[0];
  truncated.pop_back();
  auto customer_sender =
      MakeChannel(CustomerToSupporterKey(), SupporterToCustomerKey(), kDefault);
  const Bytes reflected = *customer_sender->Seal(Text("mine"));
  const std::vector<Bytes> every2 = sealed(2, 4);

  Json refusals = Json::array();
  refusals.push_back(
      GenerateRefusal("tampered ciphertext", kAuth, kDefault, 0,
                      {open(flipped_ciphertext), open(r[0]), seal_reply}));
  refusals.push_back(GenerateRefusal("tampered tag", kAuth, kDefault, 0,
                                     {open(flipped_tag), open(r[0])}));
  refusals.push_back(GenerateRefusal("truncated record", kAuth, kDefault, 0,
                                     {open(truncated), open(r[0])}));
  refusals.push_back(GenerateRefusal(
      "counter relabelled to the expected one (the counter is authenticated)",
      kAuth, kDefault, 0, {open(relabelled)}));
  refusals.push_back(GenerateRefusal("counter moved ahead", kReorder, kDefault,
                                     0, {open(bumped), open(r[0])}));
  refusals.push_back(
      GenerateRefusal("replayed record", kReplay, kDefault, 0,
                      {open(r[0]), open(r[0]), open(r[1]), seal_reply}));
  refusals.push_back(GenerateRefusal("reordered records", kReorder, kDefault, 0,
                                     {open(r[1]), open(r[0])}));
  refusals.push_back(GenerateRefusal("dropped record", kReorder, kDefault, 0,
                                     {open(r[0]), open(r[2])}));
  refusals.push_back(GenerateRefusal(
      "replayed record after a rekey", kReplay, 2, 0,
      {open(every2[0]), open(every2[1]), open(every2[2]), open(every2[1])}));
  // The sender rekeys every 2 records, this receiver every 3.
  refusals.push_back(
      GenerateRefusal("rekey interval mismatch", kAuth, 3, 0,
                      {open(every2[0]), open(every2[1]), open(every2[2])}));
  refusals.push_back(GenerateRefusal("own record reflected back", kAuth,
                                     kDefault, 0, {open(reflected)}));
  refusals.push_back(GenerateRefusal("record shorter than the overhead",
                                     "E2E record too short: 23 bytes, "
                                     "minimum 24",
                                     kDefault, 0,
                                     {open(Bytes(23, 0)), open(r[0])}));
  refusals.push_back(GenerateRefusal(
      "receive counter exhausted", "E2E receive counter exhausted", kDefault,
      kCounterLimit, {open(Bytes(E2eChannel::kRecordOverhead, 0xff))}));
  return refusals;
}

// Customer-side handshakes the customer must refuse. `error` is a part of
// the message both implementations share.
Json GenerateRefusedHandshakes() {
  const HandshakeInput in = HandshakeInputs()[0];
  const Bytes supporter_public = KeyPair(in.supporter_private).public_key();
  Bytes altered_public = supporter_public;
  altered_public[0] ^= 0x01;
  const Bytes short_public(supporter_public.begin(),
                           supporter_public.end() - 1);
  // Low-order points (RFC 7748 §6.1's "check"): committed to correctly, so
  // only the key check can refuse them.
  const Bytes zero(32, 0);
  Bytes one(32, 0);
  one[0] = 1;
  const Bytes commitment = Commitment(supporter_public);
  const Bytes short_commitment(commitment.begin(), commitment.end() - 1);
  const Bytes order8 =
      Hex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");

  struct Case {
    std::string name;
    Bytes commitment;
    Bytes supporter_public;
    std::string fails_at;  // "respond" or "verify"
    std::string error;
  };
  const std::vector<Case> cases = {
      {"revealed key is not the committed one", commitment, altered_public,
       "verify", "commitment mismatch"},
      {"commitment too short", short_commitment, supporter_public, "respond",
       "commitment must be 32 bytes"},
      {"supporter public key too short", Commitment(short_public), short_public,
       "verify", "supporter public key must be 32 bytes"},
      {"low-order supporter key 0", Commitment(zero), zero, "verify",
       "low-order public key"},
      {"low-order supporter key 1", Commitment(one), one, "verify",
       "low-order public key"},
      {"low-order supporter key of order 8", Commitment(order8), order8,
       "verify", "low-order public key"},
  };
  Json out = Json::array();
  for (const Case& c : cases) {
    auto customer = MakeHandshake(E2eRole::kCustomer, in.protocol_version,
                                  in.session_code, in.customer_private);
    auto responded = customer->CustomerRespond(c.commitment);
    std::string error;
    if (!responded) {
      error = responded.error().message;
    } else if (auto verified = customer->CustomerVerify(c.supporter_public);
               !verified) {
      error = verified.error().message;
    }
    const bool at_respond = !responded;
    if (!Contains(error, c.error) || at_respond != (c.fails_at == "respond"))
      std::abort();
    out.push_back({{"name", c.name},
                   {"protocol_version", in.protocol_version},
                   {"session_code", in.session_code},
                   {"customer_private", ToHex(in.customer_private)},
                   {"commitment", ToHex(c.commitment)},
                   {"supporter_public", ToHex(c.supporter_public)},
                   {"fails_at", c.fails_at},
                   {"error", c.error}});
  }
  return out;
}

// A relay that tells the two sides different session codes cannot make
// them agree: both complete, but SAS and keys differ.
Json GenerateContextMismatch() {
  const HandshakeInput in = HandshakeInputs()[0];
  const std::string customer_code = "12345679";
  auto supporter = MakeHandshake(E2eRole::kSupporter, in.protocol_version,
                                 in.session_code, in.supporter_private);
  auto customer = MakeHandshake(E2eRole::kCustomer, in.protocol_version,
                                customer_code, in.customer_private);
  auto commitment = supporter->SupporterCommit();
  auto customer_public = customer->CustomerRespond(*commitment);
  auto supporter_public = supporter->SupporterReveal(*customer_public);
  if (!customer->CustomerVerify(*supporter_public) ||
      supporter->sas() == customer->sas()) {
    std::abort();
  }
  auto supporter_channel = supporter->TakeChannel();
  auto record = (*supporter_channel)->Seal(Text("terms"));
  return {{"name", "session codes differ"},
          {"protocol_version", in.protocol_version},
          {"supporter_session_code", in.session_code},
          {"customer_session_code", customer_code},
          {"supporter_private", ToHex(in.supporter_private)},
          {"customer_private", ToHex(in.customer_private)},
          {"supporter_sas", supporter->sas()},
          {"customer_sas", customer->sas()},
          {"supporter_record", ToHex(*record)},
          {"error", "record authentication failed"}};
}

Json GenerateVectors() {
  Json handshakes = Json::array();
  for (const HandshakeInput& in : HandshakeInputs())
    handshakes.push_back(GenerateHandshake(in));
  Json channels = Json::array();
  for (const ChannelInput& in : ChannelInputs())
    channels.push_back(GenerateChannel(in));
  return {
      {"about",
       "Known-answer vectors of the E2E handshake and record channel "
       "(crypto/e2e_handshake.h, crypto/e2e_channel.h). Generated by "
       "tests/crypto/e2e_vectors_test.cc from the C++ implementation; checked "
       "by that test and by tests/web/e2e_vectors_test.mjs against "
       "relay/web/site/static/e2e.js. All byte strings are lower-case hex; "
       "counters are decimal strings (they exceed 2^53)."},
      {"default_rekey_interval", E2eChannel::kDefaultRekeyInterval},
      {"handshakes", std::move(handshakes)},
      {"channels", std::move(channels)},
      {"refused_records", GenerateRefusals()},
      {"refused_handshakes", GenerateRefusedHandshakes()},
      {"context_mismatch", GenerateContextMismatch()},
  };
}

// ---- Checking the file ----------------------------------------------------

class E2eVectorsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::ifstream in(kVectorsPath, std::ios::binary);
    if (!in)
      return;
    std::stringstream text;
    text << in.rdbuf();
    vectors_ = new Json(Json::parse(text.str(), nullptr, false));
  }
  static void TearDownTestSuite() {
    delete vectors_;
    vectors_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(vectors_, nullptr)
        << "cannot read " << kVectorsPath << " (tests run from tests/)";
    ASSERT_FALSE(vectors_->is_discarded()) << kVectorsPath << " is not JSON";
  }
  const Json& V() const { return *vectors_; }

  static Json* vectors_;
};

Json* E2eVectorsTest::vectors_ = nullptr;

TEST_F(E2eVectorsTest, FileHoldsEveryKindOfVector) {
  EXPECT_GE(V()["handshakes"].size(), 3u);
  EXPECT_GE(V()["channels"].size(), 3u);
  EXPECT_EQ(V()["default_rekey_interval"].get<uint64_t>(),
            E2eChannel::kDefaultRekeyInterval);
  bool crosses_rekey = false;
  for (const Json& channel : V()["channels"]) {
    for (const char* direction :
         {"supporter_to_customer", "customer_to_supporter"}) {
      crosses_rekey |= channel[direction]["key_chain"].size() > 1;
    }
  }
  EXPECT_TRUE(crosses_rekey);
  std::string refusals;
  for (const Json& refusal : V()["refused_records"])
    refusals += refusal["refusal"].get<std::string>() + "|";
  EXPECT_TRUE(Contains(refusals, "record authentication failed"));
  EXPECT_TRUE(Contains(refusals, "replayed record"));
  EXPECT_TRUE(Contains(refusals, "records missing or reordered"));
  EXPECT_GE(V()["refused_handshakes"].size(), 3u);
}

TEST_F(E2eVectorsTest, HandshakeVectorsMatchBothSides) {
  for (const Json& v : V()["handshakes"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    const uint32_t version = v["protocol_version"].get<uint32_t>();
    const std::string code = v["session_code"].get<std::string>();
    const Bytes supporter_private = Hex(v["supporter_private"]);
    const Bytes customer_private = Hex(v["customer_private"]);

    EXPECT_EQ(ToHex(KeyPair(supporter_private).public_key()),
              Str(v["supporter_public"]));
    EXPECT_EQ(ToHex(KeyPair(customer_private).public_key()),
              Str(v["customer_public"]));

    auto supporter =
        MakeHandshake(E2eRole::kSupporter, version, code, supporter_private);
    auto customer =
        MakeHandshake(E2eRole::kCustomer, version, code, customer_private);
    auto commitment = supporter->SupporterCommit();
    ASSERT_TRUE(commitment.has_value());
    EXPECT_EQ(ToHex(*commitment), Str(v["commitment"]));
    // Each side gets the vector's message, not the other object's output.
    auto customer_public = customer->CustomerRespond(Hex(v["commitment"]));
    ASSERT_TRUE(customer_public.has_value());
    EXPECT_EQ(ToHex(*customer_public), Str(v["customer_public"]));
    auto supporter_public =
        supporter->SupporterReveal(Hex(v["customer_public"]));
    ASSERT_TRUE(supporter_public.has_value());
    EXPECT_EQ(ToHex(*supporter_public), Str(v["supporter_public"]));
    auto verified = customer->CustomerVerify(Hex(v["supporter_public"]));
    ASSERT_TRUE(verified.has_value()) << verified.error().message;
    EXPECT_EQ(supporter->sas(), Str(v["sas"]));
    EXPECT_EQ(customer->sas(), Str(v["sas"]));

    const Bytes transcript =
        Transcript(version, code, Hex(v["commitment"]),
                   Hex(v["supporter_public"]), Hex(v["customer_public"]));
    EXPECT_EQ(ToHex(transcript), Str(v["transcript"]));
    EXPECT_EQ(ToHex(Sha256Of(Hex(v["transcript"]))),
              Str(v["transcript_sha256"]));
    EXPECT_EQ(ToHex(Commitment(Hex(v["supporter_public"]))),
              Str(v["commitment"]));

    auto customer_shared =
        KeyPair(customer_private).SharedSecret(Hex(v["supporter_public"]));
    auto supporter_shared =
        KeyPair(supporter_private).SharedSecret(Hex(v["customer_public"]));
    ASSERT_TRUE(customer_shared.has_value() && supporter_shared.has_value());
    EXPECT_EQ(ToHex(customer_shared->span()), Str(v["shared_secret"]));
    EXPECT_EQ(ToHex(supporter_shared->span()), Str(v["shared_secret"]));
    const SessionKeys keys =
        DeriveSessionKeys(Hex(v["shared_secret"]), Hex(v["transcript"]));
    EXPECT_EQ(ToHex(keys.customer_to_supporter),
              Str(v["customer_to_supporter_key"]));
    EXPECT_EQ(ToHex(keys.supporter_to_customer),
              Str(v["supporter_to_customer_key"]));
    EXPECT_EQ(keys.sas, Str(v["sas"]));

    // The handshake's own channels against the records...
    auto supporter_channel = supporter->TakeChannel();
    auto customer_channel = customer->TakeChannel();
    ASSERT_TRUE(supporter_channel.has_value() && customer_channel.has_value());
    for (const Json& r : v["records"]["supporter_to_customer"]) {
      auto record = (*supporter_channel)->Seal(Hex(r["plaintext"]));
      ASSERT_TRUE(record.has_value());
      EXPECT_EQ(ToHex(*record), Str(r["record"]));
      auto opened = (*customer_channel)->Open(Hex(r["record"]));
      ASSERT_TRUE(opened.has_value()) << opened.error().message;
      EXPECT_EQ(ToHex(*opened), Str(r["plaintext"]));
    }
    for (const Json& r : v["records"]["customer_to_supporter"]) {
      auto record = (*customer_channel)->Seal(Hex(r["plaintext"]));
      ASSERT_TRUE(record.has_value());
      EXPECT_EQ(ToHex(*record), Str(r["record"]));
      auto opened = (*supporter_channel)->Open(Hex(r["record"]));
      ASSERT_TRUE(opened.has_value()) << opened.error().message;
      EXPECT_EQ(ToHex(*opened), Str(r["plaintext"]));
    }
    // ...and a channel from the vector's keys seals the same records, so
    // those keys are the ones the handshake derived.
    auto from_keys = MakeChannel(Hex(v["customer_to_supporter_key"]),
                                 Hex(v["supporter_to_customer_key"]),
                                 E2eChannel::kDefaultRekeyInterval);
    for (const Json& r : v["records"]["customer_to_supporter"]) {
      auto record = from_keys->Seal(Hex(r["plaintext"]));
      ASSERT_TRUE(record.has_value());
      EXPECT_EQ(ToHex(*record), Str(r["record"]));
    }
    for (const Json& r : v["records"]["supporter_to_customer"]) {
      auto opened = from_keys->Open(Hex(r["record"]));
      ASSERT_TRUE(opened.has_value()) << opened.error().message;
      EXPECT_EQ(ToHex(*opened), Str(r["plaintext"]));
    }
  }
}

// One direction of a channel vector: `sender` seals and `receiver` opens
// every record; each record is sealed under its key in the chain.
// (`then_seal` is checked after both directions: a refused seal fails the
// sender's channel, which also receives the other direction.)
void CheckDirection(const Json& direction,
                    uint64_t rekey_interval,
                    E2eChannel& sender,
                    E2eChannel& receiver) {
  const Json& chain = direction["key_chain"];
  for (size_t i = 1; i < chain.size(); ++i)
    EXPECT_EQ(ToHex(NextKey(Hex(chain[i - 1]))), Str(chain[i])) << "key " << i;
  for (const Json& r : direction["records"]) {
    SCOPED_TRACE("counter " + r["counter"].get<std::string>());
    const Bytes plaintext = Hex(r["plaintext"]);
    auto record = sender.Seal(plaintext);
    ASSERT_TRUE(record.has_value()) << record.error().message;
    EXPECT_EQ(ToHex(*record), Str(r["record"]));
    EXPECT_EQ(ToHex(ByteSpan(*record).first(8)),
              ToHex(Hex(r["record"])).substr(0, 16));
    auto opened = receiver.Open(Hex(r["record"]));
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    EXPECT_EQ(ToHex(*opened), Str(r["plaintext"]));

    const Bytes key = Hex(chain[r["key_index"].get<size_t>()]);
    auto under_key =
        MakeChannel(key, OtherKey(key), rekey_interval, Counter(r["counter"]));
    auto resealed = under_key->Seal(plaintext);
    ASSERT_TRUE(resealed.has_value());
    EXPECT_EQ(ToHex(*resealed), Str(r["record"]));
  }
}

TEST_F(E2eVectorsTest, ChannelVectorsMatchInBothDirections) {
  for (const Json& v : V()["channels"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    const uint64_t interval = v["rekey_interval"].get<uint64_t>();
    const uint64_t start = Counter(v["start_counter"]);
    const Bytes s2c = Hex(v["supporter_to_customer"]["key_chain"][0]);
    const Bytes c2s = Hex(v["customer_to_supporter"]["key_chain"][0]);
    auto supporter = MakeChannel(s2c, c2s, interval, start);
    auto customer = MakeChannel(c2s, s2c, interval, start);
    {
      SCOPED_TRACE("supporter to customer");
      CheckDirection(v["supporter_to_customer"], interval, *supporter,
                     *customer);
    }
    {
      SCOPED_TRACE("customer to supporter");
      CheckDirection(v["customer_to_supporter"], interval, *customer,
                     *supporter);
    }
    for (auto& [direction, sender] :
         {std::pair{"supporter_to_customer", supporter.get()},
          std::pair{"customer_to_supporter", customer.get()}}) {
      if (!v[direction].contains("then_seal"))
        continue;
      const Json& then_seal = v[direction]["then_seal"];
      auto refused = sender->Seal(Hex(then_seal["plaintext"]));
      ASSERT_FALSE(refused.has_value()) << direction;
      EXPECT_TRUE(Contains(refused.error().message, then_seal["error"]))
          << refused.error().message;
    }
  }
}

TEST_F(E2eVectorsTest, RefusedRecordVectorsAreRefused) {
  for (const Json& v : V()["refused_records"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    auto channel = MakeChannel(Hex(v["send_key"]), Hex(v["receive_key"]),
                               v["rekey_interval"].get<uint64_t>());
    channel->SetCountersForTesting(0, Counter(v["start_counter"]));
    bool refused = false;
    for (const Json& step : v["steps"]) {
      const bool open = step.contains("open");
      auto result = open ? channel->Open(Hex(step["open"]))
                         : channel->Seal(Hex(step["seal"]));
      if (step.contains("error")) {
        ASSERT_FALSE(result.has_value()) << step;
        EXPECT_TRUE(Contains(result.error().message, step["error"]))
            << result.error().message;
        refused |= Contains(result.error().message, Str(v["refusal"]));
      } else {
        ASSERT_TRUE(result.has_value()) << result.error().message;
        EXPECT_EQ(ToHex(*result),
                  Str(open ? step["plaintext"] : step["record"]));
      }
    }
    EXPECT_TRUE(refused);
    EXPECT_TRUE(channel->failed());
  }
}

TEST_F(E2eVectorsTest, RefusedHandshakeVectorsAreRefused) {
  for (const Json& v : V()["refused_handshakes"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    auto customer = MakeHandshake(
        E2eRole::kCustomer, v["protocol_version"].get<uint32_t>(),
        v["session_code"].get<std::string>(), Hex(v["customer_private"]));
    auto responded = customer->CustomerRespond(Hex(v["commitment"]));
    std::string error;
    if (v["fails_at"] == "respond") {
      ASSERT_FALSE(responded.has_value());
      error = responded.error().message;
    } else {
      ASSERT_TRUE(responded.has_value()) << responded.error().message;
      auto verified = customer->CustomerVerify(Hex(v["supporter_public"]));
      ASSERT_FALSE(verified.has_value());
      error = verified.error().message;
    }
    EXPECT_TRUE(Contains(error, v["error"])) << error;
    EXPECT_TRUE(customer->failed());
    EXPECT_FALSE(customer->TakeChannel().has_value());
  }
}

TEST_F(E2eVectorsTest, ContextMismatchVectorGivesDifferentSasAndKeys) {
  const Json& v = V()["context_mismatch"];
  const uint32_t version = v["protocol_version"].get<uint32_t>();
  auto supporter = MakeHandshake(E2eRole::kSupporter, version,
                                 v["supporter_session_code"].get<std::string>(),
                                 Hex(v["supporter_private"]));
  auto customer = MakeHandshake(E2eRole::kCustomer, version,
                                v["customer_session_code"].get<std::string>(),
                                Hex(v["customer_private"]));
  auto commitment = supporter->SupporterCommit();
  ASSERT_TRUE(commitment.has_value());
  auto customer_public = customer->CustomerRespond(*commitment);
  ASSERT_TRUE(customer_public.has_value());
  auto supporter_public = supporter->SupporterReveal(*customer_public);
  ASSERT_TRUE(supporter_public.has_value());
  ASSERT_TRUE(customer->CustomerVerify(*supporter_public).has_value());
  EXPECT_EQ(supporter->sas(), Str(v["supporter_sas"]));
  EXPECT_EQ(customer->sas(), Str(v["customer_sas"]));
  EXPECT_NE(Str(v["supporter_sas"]), Str(v["customer_sas"]));

  auto supporter_channel = supporter->TakeChannel();
  auto customer_channel = customer->TakeChannel();
  ASSERT_TRUE(supporter_channel.has_value() && customer_channel.has_value());
  auto record = (*supporter_channel)->Seal(Text("terms"));
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(ToHex(*record), Str(v["supporter_record"]));
  auto opened = (*customer_channel)->Open(Hex(v["supporter_record"]));
  ASSERT_FALSE(opened.has_value());
  EXPECT_TRUE(Contains(opened.error().message, v["error"]));
}

// The file is what this code generates, byte for byte: a change to the
// C++ channel that was not carried into the vectors (and so into the JS
// test) fails here. TETHER_WRITE_E2E_VECTORS=PATH writes the file anew.
TEST(E2eVectorsWriterTest, TheFileIsWhatTheCodeGenerates) {
  const std::string generated = GenerateVectors().dump(2) + "\n";
  if (const char* path = std::getenv(kWriteVectorsEnv);
      path != nullptr && *path != '\0') {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    ASSERT_TRUE(out) << "cannot write " << path;
    out << generated;
    ASSERT_TRUE(out.good());
  }
  std::ifstream in(kVectorsPath, std::ios::binary);
  std::ostringstream stored;
  stored << in.rdbuf();
  EXPECT_EQ(stored.str(), generated)
      << kVectorsPath << " is out of date: regenerate it with "
      << kWriteVectorsEnv << "=" << kVectorsPath;
}

}  // namespace
}  // namespace tether::crypto
