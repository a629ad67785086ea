#include "relay/broker/session_code_book.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "base/log.h"
#include "crypto/digest.h"
#include "crypto/random.h"

namespace tether::relay {

SessionCodeBook::SessionCodeBook(crypto::RandomGenerator& random, Bytes tag_key)
    : generator_(random), tag_key_(std::move(tag_key)) {
  if (!tag_key_.empty())
    return;
  tag_key_.resize(32);
  if (!random.Fill(tag_key_)) {
    // Without randomness no code could be issued either: a broken host.
    log::Error("no randomness for the code tag key");
    std::abort();
  }
}

std::string SessionCodeBook::Tag(std::string_view code) const {
  const auto mac = crypto::HmacSha256(tag_key_, AsBytes(code));
  return ToHex(ByteSpan(mac).first(8));
}

Result<SessionCodeBook::Issued> SessionCodeBook::Issue(
    uint64_t supporter_id,
    const std::string& account,
    Clock::SteadyTime expires) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    auto next = generator_.Next();
    if (!next) {
      log::Error("session code: {}", next.error().message);
      return MakeError("The relay could not make a code.");
    }
    std::string tag = Tag(*next);
    if (!codes_.contains(tag)) {
      codes_[tag] = Entry{*next, supporter_id, account, expires, 0};
      return Issued{std::move(tag), std::move(*next)};
    }
  }
  return MakeError("The relay could not make a code.");
}

SessionCodeBook::Entry* SessionCodeBook::Find(std::string_view code,
                                              std::string* tag) {
  auto normalized = crypto::NormalizeSessionCode(code);
  if (!normalized)
    return nullptr;
  *tag = Tag(*normalized);
  auto it = codes_.find(*tag);
  return it == codes_.end() ? nullptr : &it->second;
}

SessionCodeBook::Entry* SessionCodeBook::FindTag(const std::string& tag) {
  auto it = codes_.find(tag);
  return it == codes_.end() ? nullptr : &it->second;
}

bool SessionCodeBook::Remove(const std::string& tag) {
  return codes_.erase(tag) > 0;
}

size_t SessionCodeBook::CountFor(const std::string& account) const {
  return std::count_if(codes_.begin(), codes_.end(), [&](const auto& entry) {
    return entry.second.account == account;
  });
}

std::vector<std::string> SessionCodeBook::TagsOf(uint64_t supporter_id) const {
  std::vector<std::string> tags;
  for (const auto& [tag, entry] : codes_) {
    if (entry.supporter_id == supporter_id)
      tags.push_back(tag);
  }
  return tags;
}

std::vector<std::string> SessionCodeBook::ExpiredAt(
    Clock::SteadyTime now) const {
  std::vector<std::string> tags;
  for (const auto& [tag, entry] : codes_) {
    if (entry.expires <= now)
      tags.push_back(tag);
  }
  return tags;
}

std::vector<std::pair<std::string, Clock::SteadyTime>>
SessionCodeBook::Expiries() const {
  std::vector<std::pair<std::string, Clock::SteadyTime>> all;
  for (const auto& [tag, entry] : codes_)
    all.emplace_back(tag, entry.expires);
  return all;
}

void SessionCodeBook::ReleaseJoiner(uint64_t joiner_id) {
  for (auto& [tag, entry] : codes_) {
    if (entry.joiner_id == joiner_id)
      entry.joiner_id = 0;
  }
}

}  // namespace tether::relay
