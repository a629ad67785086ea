#include "relay/web/web_sessions.h"

#include <algorithm>
#include <array>
#include <vector>

#include "base/ascii.h"
#include "crypto/digest.h"
#include "crypto/random.h"

namespace tether::relay::web {
namespace {

std::string Key(std::string_view cookie) {
  const auto digest = crypto::Sha256(
      ByteSpan(reinterpret_cast<const uint8_t*>(cookie.data()), cookie.size()));
  return ToHex(digest);
}

}  // namespace

Result<std::string> RandomToken(crypto::RandomGenerator& random) {
  std::array<uint8_t, 32> bytes{};
  TETHER_RETURN_IF_ERROR(random.Fill(bytes));
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (uint8_t byte : bytes) {
    bits = (bits << 8) | byte;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(kAlphabet[(bits >> count) & 63]);
    }
  }
  if (count > 0)
    out.push_back(kAlphabet[(bits << (6 - count)) & 63]);
  return out;
}

WebSessions::WebSessions(const Clock& clock,
                         crypto::RandomGenerator& random,
                         const Limits& limits)
    : clock_(clock), random_(random), limits_(limits) {}

bool WebSessions::Expired(const WebSession& session,
                          Clock::SteadyTime now) const {
  return now - session.last_seen >= limits_.idle ||
         now - session.signed_in >= limits_.lifetime;
}

void WebSessions::Sweep(Clock::SteadyTime now) {
  std::erase_if(sessions_,
                [&](const auto& entry) { return Expired(entry.second, now); });
}

Result<std::string> WebSessions::Create(WebSession session) {
  const auto now = clock_.SteadyNow();
  Sweep(now);
  // The oldest sessions of this account make room for the new one.
  std::vector<std::pair<Clock::SteadyTime, std::string>> own;
  for (const auto& [key, existing] : sessions_) {
    if (EqualsIgnoreAsciiCase(existing.user, session.user))
      own.emplace_back(existing.signed_in, key);
  }
  std::sort(own.begin(), own.end());
  for (size_t i = 0; i + limits_.max_per_account <= own.size(); ++i)
    sessions_.erase(own[i].second);
  if (sessions_.size() >= limits_.max_total) {
    return MakeError("too many people are signed in to the web console");
  }
  TETHER_TRY(cookie, RandomToken(random_));
  TETHER_TRY(csrf, RandomToken(random_));
  session.csrf_token = std::move(*csrf);
  session.signed_in = now;
  session.last_seen = now;
  session.signed_in_wall = clock_.WallNow();
  session.expires_at =
      clock_.WallNow() +
      std::chrono::duration_cast<Clock::WallTime::duration>(limits_.lifetime);
  sessions_[Key(*cookie)] = std::move(session);
  return std::move(*cookie);
}

WebSession* WebSessions::Find(std::string_view cookie) {
  if (cookie.empty() || cookie.size() > 128)
    return nullptr;
  auto it = sessions_.find(Key(cookie));
  if (it == sessions_.end())
    return nullptr;
  const auto now = clock_.SteadyNow();
  if (Expired(it->second, now)) {
    sessions_.erase(it);
    return nullptr;
  }
  it->second.last_seen = now;
  return &it->second;
}

void WebSessions::End(std::string_view cookie) {
  if (cookie.size() <= 128)
    sessions_.erase(Key(cookie));
}

size_t WebSessions::EndIf(const std::function<bool(const WebSession&)>& ends) {
  return std::erase_if(sessions_,
                       [&](const auto& entry) { return ends(entry.second); });
}

size_t WebSessions::EndAccount(std::string_view user) {
  return std::erase_if(sessions_, [&](const auto& entry) {
    return EqualsIgnoreAsciiCase(entry.second.user, user);
  });
}

}  // namespace tether::relay::web
