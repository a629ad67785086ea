// The spool a relay on PostgreSQL keeps rows in while PostgreSQL is out of
// reach (relay/store/row_spool.h): order, bound, and surviving a restart.

#include "relay/store/row_spool.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <variant>
#include <vector>

#include "tests/fakes/manual_clock.h"
#include "tests/relay/store_test_util.h"

namespace tether::relay {
namespace {

using namespace std::chrono_literals;
using test::ScratchDir;
using test::SupporterEvent;

class RowSpoolTest : public ::testing::Test {
 protected:
  std::unique_ptr<RowSpool> Open(std::size_t max_rows = RowSpool::kMaxRows) {
    auto spool =
        RowSpool::Open(dir_.path() / "relay.db.spool", clock_, max_rows);
    EXPECT_TRUE(spool.has_value()) << spool.error().message;
    return spool ? std::move(*spool) : nullptr;
  }

  tether::test::ManualClock clock_;
  ScratchDir dir_;
};

TEST_F(RowSpoolTest, RowsComeBackInOrderWithTheirTimes) {
  auto spool = Open();
  ConnectionEvent event = SupporterEvent(clock_.WallNow() - 1h);
  event.bytes_in = ~uint64_t{0};  // clamped like the stores clamp it
  const std::vector<LogRow> first = {
      AuditEntry{"alice", "login.ok", "alice", "from 203.0.113.7"}, event};
  ASSERT_TRUE(spool->Append(first).has_value());
  const Clock::WallTime appended_at = clock_.WallNow();
  clock_.Advance(5s);
  const std::vector<LogRow> second = {
      AuditEntry{"system", "session.end", "", "", clock_.WallNow() - 2s}};
  ASSERT_TRUE(spool->Append(second).has_value());

  auto batch = spool->Oldest(10);
  ASSERT_TRUE(batch.has_value()) << batch.error().message;
  ASSERT_EQ(batch->rows.size(), 3u);
  ASSERT_EQ(batch->numbers.size(), 3u);
  EXPECT_LT(batch->numbers[0], batch->numbers[1]);
  EXPECT_LT(batch->numbers[1], batch->numbers[2]);
  const auto& login = std::get<AuditEntry>(batch->rows[0]);
  EXPECT_EQ(login.action, "login.ok");
  EXPECT_EQ(login.time, appended_at) << "the time it happened, not later";
  ConnectionEvent expected = event;
  expected.bytes_in = static_cast<uint64_t>(INT64_MAX);
  EXPECT_EQ(std::get<ConnectionEvent>(batch->rows[1]), expected);
  EXPECT_EQ(std::get<AuditEntry>(batch->rows[2]).time, clock_.WallNow() - 2s);
}

TEST_F(RowSpoolTest, RemoveForgetsUpToANumber) {
  auto spool = Open();
  for (int i = 0; i < 5; ++i) {
    const LogRow row = AuditEntry{"a", "b", std::to_string(i), ""};
    ASSERT_TRUE(spool->Append({&row, 1}).has_value());
  }
  auto batch = spool->Oldest(2);
  ASSERT_TRUE(batch.has_value());
  ASSERT_EQ(batch->rows.size(), 2u);
  ASSERT_TRUE(spool->Remove(batch->numbers.back()).has_value());
  EXPECT_EQ(*spool->Count(), 3u);
  auto rest = spool->Oldest(10);
  ASSERT_TRUE(rest.has_value());
  EXPECT_EQ(std::get<AuditEntry>(rest->rows[0]).subject, "2");
}

TEST_F(RowSpoolTest, AFullSpoolRefusesAWholeBatch) {
  auto spool = Open(/*max_rows=*/3);
  const std::vector<LogRow> two = {AuditEntry{"a", "b", "", ""},
                                   AuditEntry{"a", "c", "", ""}};
  ASSERT_TRUE(spool->Append(two).has_value());
  auto refused = spool->Append(two);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("the spool is full"),
            std::string::npos);
  EXPECT_EQ(*spool->Count(), 2u) << "all or nothing";
}

TEST_F(RowSpoolTest, RowsAndTheIdSurviveAReopen) {
  std::string id;
  {
    auto spool = Open();
    id = spool->id();
    EXPECT_EQ(id.size(), 32u);
    const LogRow row = SupporterEvent(clock_.WallNow());
    ASSERT_TRUE(spool->Append({&row, 1}).has_value());
  }
  auto spool = Open();
  EXPECT_EQ(spool->id(), id);
  EXPECT_EQ(*spool->Count(), 1u);
  struct stat status {};
  ASSERT_EQ(::stat((dir_.path() / "relay.db.spool").c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0600u);
}

TEST_F(RowSpoolTest, AnotherFileIsNotTakenForASpool) {
  ASSERT_EQ(test::RawExec(dir_.path() / "relay.db.spool",
                          "CREATE TABLE photos (id INTEGER)"),
            "");
  auto spool = RowSpool::Open(dir_.path() / "relay.db.spool", clock_);
  ASSERT_FALSE(spool.has_value());
  EXPECT_NE(spool.error().message.find("is not a Tether spool"),
            std::string::npos);
}

}  // namespace
}  // namespace tether::relay
