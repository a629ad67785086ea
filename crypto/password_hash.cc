#include "crypto/password_hash.h"

#include <argon2.h>

#include <array>
#include <charconv>
#include <utility>

#include "crypto/secure_memory.h"

namespace tether::crypto {

namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kTagBytes = 32;
// What we accept in stored hashes, which may come from other tools.
constexpr size_t kMinSaltBytes = 8;  // libargon2's ARGON2_MIN_SALT_LENGTH
constexpr size_t kMaxSaltBytes = 64;
constexpr size_t kMinTagBytes = 16;
constexpr size_t kMaxTagBytes = 64;
// A real one is ~100 characters; anything far longer is not worth parsing.
constexpr size_t kMaxPhcLength = 256;
constexpr std::string_view kPhcPrefix = "$argon2id$v=19$";

Result<void> CheckParams(const Argon2Params& params) {
  if (params.parallelism < 1 || params.parallelism > kArgon2MaxParallelism) {
    return MakeError("argon2id parallelism must be between 1 and " +
                     std::to_string(kArgon2MaxParallelism));
  }
  if (params.iterations < 1 || params.iterations > kArgon2MaxIterations) {
    return MakeError("argon2id iterations must be between 1 and " +
                     std::to_string(kArgon2MaxIterations));
  }
  // Argon2 needs at least 8 KiB per lane.
  if (params.memory_kib < 8 * params.parallelism ||
      params.memory_kib > kArgon2MaxMemoryKib) {
    return MakeError("argon2id memory must be between 8 KiB per lane and " +
                     std::to_string(kArgon2MaxMemoryKib) + " KiB");
  }
  return {};
}

// Base64 as PHC strings use it: standard alphabet, no padding.
constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64Encode(ByteSpan bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kBase64Alphabet[(acc >> bits) & 0x3F]);
    }
  }
  if (bits > 0)
    out.push_back(kBase64Alphabet[(acc << (6 - bits)) & 0x3F]);
  return out;
}

// Strict: rejects padding, other characters, impossible lengths and
// non-zero leftover bits, so each byte string has exactly one encoding.
Result<Bytes> Base64Decode(std::string_view text) {
  if (text.size() % 4 == 1)
    return MakeError("bad base64 length");
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    size_t value = kBase64Alphabet.find(c);
    if (value == std::string_view::npos) {
      return MakeError("bad base64 character");
    }
    acc = (acc << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0)
    return MakeError("bad base64 padding");
  return out;
}

struct ParsedHash {
  Argon2Params params;
  Bytes salt;
  Bytes tag;
};

// Reads "name=<decimal>" at the start of `text` and consumes it. No sign, no
// leading zeros, at most uint32_t.
bool ConsumeParam(std::string_view& text,
                  std::string_view name,
                  uint32_t& out) {
  if (!text.starts_with(name) || text.size() <= name.size() ||
      text[name.size()] != '=') {
    return false;
  }
  text.remove_prefix(name.size() + 1);
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin == end || *begin < '0' || *begin > '9')
    return false;
  if (*begin == '0' && end - begin > 1 && begin[1] >= '0' && begin[1] <= '9') {
    return false;
  }
  auto [next, ec] = std::from_chars(begin, end, out);
  if (ec != std::errc())
    return false;
  text.remove_prefix(static_cast<size_t>(next - begin));
  return true;
}

Result<ParsedHash> ParsePhc(std::string_view phc) {
  // The messages describe the stored hash, never the password.
  if (phc.size() > kMaxPhcLength)
    return MakeError("stored hash is too long");
  if (!phc.starts_with("$argon2id$")) {
    return MakeError("stored hash is not an argon2id hash");
  }
  if (!phc.starts_with(kPhcPrefix)) {
    return MakeError("stored hash is not argon2id version 19");
  }
  phc.remove_prefix(kPhcPrefix.size());

  ParsedHash parsed;
  Argon2Params& p = parsed.params;
  if (!ConsumeParam(phc, "m", p.memory_kib) || !phc.starts_with(',')) {
    return MakeError("stored hash has malformed parameters");
  }
  phc.remove_prefix(1);
  if (!ConsumeParam(phc, "t", p.iterations) || !phc.starts_with(',')) {
    return MakeError("stored hash has malformed parameters");
  }
  phc.remove_prefix(1);
  if (!ConsumeParam(phc, "p", p.parallelism) || !phc.starts_with('$')) {
    return MakeError("stored hash has malformed parameters");
  }
  phc.remove_prefix(1);
  if (auto ok = CheckParams(p); !ok) {
    return MakeError("stored hash has parameters out of bounds: " +
                     ok.error().message);
  }

  const size_t dollar = phc.find('$');
  if (dollar == std::string_view::npos) {
    return MakeError("stored hash has no salt or tag");
  }
  auto salt = Base64Decode(phc.substr(0, dollar));
  auto tag = Base64Decode(phc.substr(dollar + 1));
  if (!salt || !tag)
    return MakeError("stored hash has malformed base64");
  if (salt->size() < kMinSaltBytes || salt->size() > kMaxSaltBytes) {
    return MakeError("stored hash has a salt of unsupported length");
  }
  if (tag->size() < kMinTagBytes || tag->size() > kMaxTagBytes) {
    return MakeError("stored hash has a tag of unsupported length");
  }
  parsed.salt = std::move(*salt);
  parsed.tag = std::move(*tag);
  return parsed;
}

// libargon2 takes non-const pointers for its inputs; it only writes to them
// when asked to wipe them (ARGON2_FLAG_CLEAR_PASSWORD / _SECRET), which we
// never set.
uint8_t* Mutable(ByteSpan span) {
  return span.empty() ? nullptr : const_cast<uint8_t*>(span.data());
}

Result<void> RunArgon2id(ByteSpan password,
                         ByteSpan salt,
                         ByteSpan secret,
                         ByteSpan associated_data,
                         const Argon2Params& params,
                         std::span<uint8_t> out) {
  if (auto ok = CheckParams(params); !ok)
    return ok;
  if (password.size() > kMaxPasswordBytes) {
    return MakeError("password is too long to hash");
  }
  if (salt.size() < kMinSaltBytes || salt.size() > kMaxSaltBytes ||
      secret.size() > 64 || associated_data.size() > 1024 || out.size() < 4 ||
      out.size() > 1024) {
    return MakeError("argon2id input of unsupported size");
  }
  argon2_context context{};
  context.out = out.data();
  context.outlen = static_cast<uint32_t>(out.size());
  context.pwd = Mutable(password);
  context.pwdlen = static_cast<uint32_t>(password.size());
  context.salt = Mutable(salt);
  context.saltlen = static_cast<uint32_t>(salt.size());
  context.secret = Mutable(secret);
  context.secretlen = static_cast<uint32_t>(secret.size());
  context.ad = Mutable(associated_data);
  context.adlen = static_cast<uint32_t>(associated_data.size());
  context.t_cost = params.iterations;
  context.m_cost = params.memory_kib;
  context.lanes = params.parallelism;
  context.threads = params.parallelism;
  context.version = ARGON2_VERSION_13;
  context.allocate_cbk = nullptr;
  context.free_cbk = nullptr;
  context.flags = ARGON2_DEFAULT_FLAGS;
  const int rc = argon2_ctx(&context, Argon2_id);
  if (rc == ARGON2_OK)
    return {};
  std::string message =
      std::string("argon2id failed: ") + argon2_error_message(rc);
  // Running out of memory (many logins at once) may pass; the rest is a bug
  // or bad input.
  if (rc == ARGON2_MEMORY_ALLOCATION_ERROR || rc == ARGON2_THREAD_FAIL) {
    return MakeTemporaryError(std::move(message));
  }
  return MakeError(std::move(message));
}

}  // namespace

Result<std::string> HashPassword(std::string_view password,
                                 RandomGenerator& random,
                                 const Argon2Params& params) {
  std::array<uint8_t, kSaltBytes> salt;
  if (auto filled = random.Fill(salt); !filled) {
    return MakeError(std::move(filled).error().message);
  }
  SecretBytes tag(kTagBytes);
  auto ran = RunArgon2id(AsBytes(password), salt, {}, {}, params, tag.span());
  if (!ran)
    return Unexpected(std::move(ran).error());
  return std::string(kPhcPrefix) + "m=" + std::to_string(params.memory_kib) +
         ",t=" + std::to_string(params.iterations) +
         ",p=" + std::to_string(params.parallelism) + "$" + Base64Encode(salt) +
         "$" + Base64Encode(tag.span());
}

Result<bool> VerifyPassword(std::string_view password, std::string_view phc) {
  TETHER_TRY(parsed, ParsePhc(phc));
  // Such a password can never have been hashed, so it cannot match.
  if (password.size() > kMaxPasswordBytes)
    return false;
  SecretBytes tag(parsed->tag.size());
  auto ran = RunArgon2id(AsBytes(password), parsed->salt, {}, {},
                         parsed->params, tag.span());
  if (!ran)
    return Unexpected(std::move(ran).error());
  return ConstantTimeEqual(tag.span(), parsed->tag);
}

bool NeedsRehash(std::string_view phc, const Argon2Params& params) {
  auto parsed = ParsePhc(phc);
  if (!parsed)
    return true;
  return parsed->params.memory_kib != params.memory_kib ||
         parsed->params.iterations != params.iterations ||
         parsed->params.parallelism != params.parallelism ||
         parsed->salt.size() != kSaltBytes || parsed->tag.size() != kTagBytes;
}

namespace internal {

Result<Bytes> Argon2idRaw(ByteSpan password,
                          ByteSpan salt,
                          ByteSpan secret,
                          ByteSpan associated_data,
                          const Argon2Params& params,
                          size_t tag_length) {
  Bytes tag(tag_length);
  TETHER_RETURN_IF_ERROR(
      RunArgon2id(password, salt, secret, associated_data, params, tag));
  return tag;
}

}  // namespace internal

}  // namespace tether::crypto
