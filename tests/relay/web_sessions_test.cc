#include "relay/web/web_sessions.h"

#include <gtest/gtest.h>

#include <set>

#include "crypto/random.h"
#include "tests/fakes/manual_clock.h"

namespace tether::relay::web {
namespace {

using namespace std::chrono_literals;

class WebSessionsTest : public ::testing::Test {
 protected:
  WebSession Of(const std::string& user) {
    WebSession session;
    session.user = user;
    session.role = AccountRole::kAdmin;
    return session;
  }
  tether::test::ManualClock clock_;
  WebSessions sessions_{clock_, crypto::RandomGenerator::Default(),
                        WebSessions::Limits{.idle = 15min,
                                            .lifetime = 8h,
                                            .max_total = 5,
                                            .max_per_account = 2}};
};

TEST_F(WebSessionsTest, CookiesAndTokensAre256RandomBits) {
  std::set<std::string> seen;
  for (int i = 0; i < 4; ++i) {
    auto cookie = sessions_.Create(Of("u" + std::to_string(i)));
    ASSERT_TRUE(cookie.has_value());
    EXPECT_EQ(cookie->size(), 43u);  // 32 bytes, base64url
    EXPECT_TRUE(seen.insert(*cookie).second);
    const WebSession* session = sessions_.Find(*cookie);
    ASSERT_NE(session, nullptr);
    EXPECT_EQ(session->csrf_token.size(), 43u);
    EXPECT_NE(session->csrf_token, *cookie);
  }
}

TEST_F(WebSessionsTest, EndsAfterIdleTimeButUseKeepsItAlive) {
  auto cookie = *sessions_.Create(Of("alice"));
  clock_.Advance(14min);
  ASSERT_NE(sessions_.Find(cookie), nullptr);
  clock_.Advance(14min);
  ASSERT_NE(sessions_.Find(cookie), nullptr);
  clock_.Advance(15min);
  EXPECT_EQ(sessions_.Find(cookie), nullptr);
}

TEST_F(WebSessionsTest, EndsAfterItsLifetimeWhateverTheUse) {
  auto cookie = *sessions_.Create(Of("alice"));
  for (int i = 0; i < 48; ++i) {
    clock_.Advance(10min);
    if (i < 47) {
      ASSERT_NE(sessions_.Find(cookie), nullptr) << i;
    }
  }
  EXPECT_EQ(sessions_.Find(cookie), nullptr);
}

TEST_F(WebSessionsTest, SignOutAndAccountChangesEndSessions) {
  auto a1 = *sessions_.Create(Of("alice"));
  auto a2 = *sessions_.Create(Of("Alice"));
  auto b = *sessions_.Create(Of("bob"));
  sessions_.End(a1);
  EXPECT_EQ(sessions_.Find(a1), nullptr);
  EXPECT_EQ(sessions_.EndAccount("ALICE"), 1u);
  EXPECT_EQ(sessions_.Find(a2), nullptr);
  EXPECT_NE(sessions_.Find(b), nullptr);
}

TEST_F(WebSessionsTest, OneAccountHoldsAtMostItsShareAndTheTotalIsCapped) {
  auto first = *sessions_.Create(Of("alice"));
  clock_.Advance(1s);
  auto second = *sessions_.Create(Of("alice"));
  clock_.Advance(1s);
  auto third = *sessions_.Create(Of("alice"));
  EXPECT_EQ(sessions_.Find(first), nullptr);  // the oldest made room
  EXPECT_NE(sessions_.Find(second), nullptr);
  EXPECT_NE(sessions_.Find(third), nullptr);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(sessions_.Create(Of("u" + std::to_string(i))).has_value());
  EXPECT_FALSE(sessions_.Create(Of("late")).has_value());
}

TEST_F(WebSessionsTest, AnUnknownOrOversizedCookieFindsNothing) {
  (void)*sessions_.Create(Of("alice"));
  EXPECT_EQ(sessions_.Find(""), nullptr);
  EXPECT_EQ(sessions_.Find("nope"), nullptr);
  EXPECT_EQ(sessions_.Find(std::string(10'000, 'a')), nullptr);
}

}  // namespace
}  // namespace tether::relay::web
