// The audit log: append-only, hash chained, tamper evident.

#include <gtest/gtest.h>

#include <atomic>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "crypto/digest.h"
#include "relay/store/audit_chain.h"
#include "tests/fakes/manual_clock.h"
#include "tests/relay/store_backends.h"
#include "tests/relay/store_test_util.h"

namespace tether::relay {
namespace {

using namespace std::chrono_literals;
using test::ParseCsv;
using test::ParseJsonObject;
using test::Since;
using test::SplitLines;

// Against SQLite and PostgreSQL alike (tests/relay/store_backends.h).
class AuditLogTest : public ::testing::TestWithParam<test::Backend> {
 protected:
  AuditLogTest()
      : location_(std::make_unique<test::StoreLocation>(GetParam())) {}

  void SetUp() override {
    if (!location_->skip().empty())
      GTEST_SKIP() << location_->skip();
  }

  std::unique_ptr<Store> OpenStore() {
    auto store = location_->Open(clock_);
    EXPECT_TRUE(store.has_value()) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }

  // Appends `count` rows, one second apart.
  void Append(Store& store, int count) {
    for (int i = 0; i < count; ++i) {
      auto row = store.AppendAudit("alice", "login.ok", "alice",
                                   "from 203.0.113.7 #" + std::to_string(i));
      ASSERT_TRUE(row.has_value()) << row.error().message;
      clock_.Advance(1s);
    }
  }

  // What an attacker with write access to the database does: drop (or
  // disable) the guard, then change rows directly.
  void Tamper(const std::string& sql) {
    const std::string unguard =
        GetParam() == test::Backend::kSqlite
            ? "DROP TRIGGER audit_log_no_update;"
              "DROP TRIGGER audit_log_no_delete;"
            : "ALTER TABLE audit_log DISABLE TRIGGER USER;";
    ASSERT_EQ(location_->Exec(unguard + sql), "");
  }

  // For loops that need a fresh log per iteration; the store is closed.
  void RemoveDatabase() {
    location_ = std::make_unique<test::StoreLocation>(GetParam());
  }

  AuditVerification Verify(Store& store) {
    auto verification = store.VerifyAudit();
    EXPECT_TRUE(verification.has_value()) << verification.error().message;
    return verification ? *verification : AuditVerification{};
  }

  tether::test::ManualClock clock_;
  std::unique_ptr<test::StoreLocation> location_;
};

INSTANTIATE_TEST_SUITE_P(Backends,
                         AuditLogTest,
                         test::AllBackends(),
                         test::BackendName);

TEST_P(AuditLogTest, EmptyLogVerifies) {
  auto store = OpenStore();
  AuditVerification verification = Verify(*store);
  EXPECT_TRUE(verification.ok);
  EXPECT_EQ(verification.rows_checked, 0u);
  EXPECT_FALSE(verification.first_bad_id.has_value());
}

// A known answer computed from the documented encoding, independently of
// relay/store/audit_chain.cc, so the format can't drift unnoticed.
TEST_P(AuditLogTest, FirstRowHashesDocumentedEncodingAfterGenesis) {
  clock_.Advance(123ms);
  auto store = OpenStore();
  auto row = store->AppendAudit("bob", "account.create", "carol", "role=admin");
  ASSERT_TRUE(row.has_value()) << row.error().message;
  EXPECT_EQ(row->id, 1);
  EXPECT_EQ(row->prev_hash, std::string(64, '0'));

  const int64_t time_ms = 1795392000123;  // 2026-11-23T00:00:00.123Z
  Bytes encoded(32, 0);                   // genesis prev_hash
  for (int shift = 56; shift >= 0; shift -= 8)
    encoded.push_back(0);
  encoded.back() = 1;  // id 1
  for (int shift = 56; shift >= 0; shift -= 8) {
    encoded.push_back(static_cast<uint8_t>(time_ms >> shift));
  }
  for (std::string_view field :
       {"bob", "account.create", "carol", "role=admin"}) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      encoded.push_back(static_cast<uint8_t>(field.size() >> shift));
    }
    encoded.insert(encoded.end(), field.begin(), field.end());
  }
  EXPECT_EQ(row->hash, ToHex(crypto::Sha256(encoded)));
  EXPECT_EQ(row->time, clock_.WallNow());
}

TEST_P(AuditLogTest, FieldBoundariesAreUnambiguous) {
  AuditRecord a;
  a.action = "ab";
  a.subject = "c";
  AuditRecord b;
  b.action = "a";
  b.subject = "bc";
  EXPECT_NE(AuditRowHash(AuditGenesisHash(), a),
            AuditRowHash(AuditGenesisHash(), b));
}

TEST_P(AuditLogTest, HundredAppendsVerify) {
  auto store = OpenStore();
  Append(*store, 100);
  AuditVerification verification = Verify(*store);
  EXPECT_TRUE(verification.ok) << verification.problem;
  EXPECT_EQ(verification.rows_checked, 100u);
}

TEST_P(AuditLogTest, AppendsChainEachRowToThePrevious) {
  auto store = OpenStore();
  auto first = store->AppendAudit("a", "x", "", "");
  auto second = store->AppendAudit("a", "y", "", "");
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(second->id, first->id + 1);
  EXPECT_EQ(second->prev_hash, first->hash);
}

TEST_P(AuditLogTest, EditedDetailFailsVerificationAtThatRow) {
  for (int position : {1, 2, 37, 99, 100}) {
    SCOPED_TRACE("row " + std::to_string(position));
    RemoveDatabase();
    auto store = OpenStore();
    Append(*store, 100);
    Tamper("UPDATE audit_log SET detail = 'nothing happened' WHERE id = " +
           std::to_string(position));
    AuditVerification verification = Verify(*store);
    EXPECT_FALSE(verification.ok);
    EXPECT_EQ(verification.first_bad_id, position);
    EXPECT_EQ(verification.rows_checked, static_cast<size_t>(position - 1));
    EXPECT_NE(verification.problem.find("hash mismatch"), std::string::npos)
        << verification.problem;
  }
}

TEST_P(AuditLogTest, EditedTimeActorOrActionFailsAtThatRow) {
  for (const char* change : {"time_ms = time_ms + 1", "actor = 'mallory'",
                             "action = 'login.failed'", "subject = ''"}) {
    SCOPED_TRACE(change);
    RemoveDatabase();
    auto store = OpenStore();
    Append(*store, 10);
    Tamper(std::string("UPDATE audit_log SET ") + change + " WHERE id = 4");
    EXPECT_EQ(Verify(*store).first_bad_id, 4);
  }
}

TEST_P(AuditLogTest, RowRewrittenWithFreshHashBreaksTheLinkToTheNextRow) {
  auto store = OpenStore();
  Append(*store, 10);
  // The attacker also recomputes row 5's hash; row 6 still names the old.
  auto forged_rows = [&] {
    AuditRecord forged;
    forged.id = 5;
    forged.time = clock_.WallNow();
    forged.actor = "alice";
    forged.action = "login.ok";
    forged.detail = "forged";
    return forged;
  }();
  std::ostringstream rows;
  ASSERT_TRUE(
      store->ExportAudit({}, ExportFormat::kJsonLines, rows).has_value());
  auto row4 = *ParseJsonObject(SplitLines(rows.str())[3]);
  auto prev = FromHex(row4["hash"]);
  ASSERT_TRUE(prev.has_value());
  std::string forged_hash = ToHex(AuditRowHash(*prev, forged_rows));
  Tamper("UPDATE audit_log SET time_ms = " +
         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                            forged_rows.time.time_since_epoch())
                            .count()) +
         ", actor = 'alice', action = 'login.ok', subject = '', "
         "detail = 'forged', hash = '" +
         forged_hash + "' WHERE id = 5");
  AuditVerification verification = Verify(*store);
  EXPECT_FALSE(verification.ok);
  EXPECT_EQ(verification.first_bad_id, 6);
  EXPECT_NE(verification.problem.find("broken link"), std::string::npos)
      << verification.problem;
}

TEST_P(AuditLogTest, DeletedMiddleRowFailsAtTheGap) {
  auto store = OpenStore();
  Append(*store, 100);
  Tamper("DELETE FROM audit_log WHERE id = 50");
  AuditVerification verification = Verify(*store);
  EXPECT_FALSE(verification.ok);
  EXPECT_EQ(verification.first_bad_id, 50);
  EXPECT_EQ(verification.rows_checked, 49u);
  EXPECT_EQ(verification.problem, "row 50 is missing (the next row is 51)");
}

TEST_P(AuditLogTest, DeletedFirstRowFailsAtRowOne) {
  auto store = OpenStore();
  Append(*store, 5);
  Tamper("DELETE FROM audit_log WHERE id = 1");
  EXPECT_EQ(Verify(*store).first_bad_id, 1);
}

TEST_P(AuditLogTest, RowsCutOffTheEndAreReportedMissing) {
  auto store = OpenStore();
  Append(*store, 10);
  Tamper("DELETE FROM audit_log WHERE id > 7");
  AuditVerification verification = Verify(*store);
  EXPECT_FALSE(verification.ok);
  EXPECT_EQ(verification.first_bad_id, 8);
  EXPECT_EQ(verification.rows_checked, 7u);
  EXPECT_EQ(verification.problem,
            "rows 8 to 10 are missing from the end of "
            "the log");
}

TEST_P(AuditLogTest, RemovedTriggersFailVerificationEvenWithIntactChain) {
  auto store = OpenStore();
  Append(*store, 3);
  Tamper("");
  AuditVerification verification = Verify(*store);
  EXPECT_FALSE(verification.ok);
  EXPECT_EQ(verification.rows_checked, 3u);
  EXPECT_FALSE(verification.first_bad_id.has_value());
  EXPECT_EQ(verification.problem, kAuditGuardMissing);
}

TEST_P(AuditLogTest, UpdateThroughSqlIsRefused) {
  auto store = OpenStore();
  Append(*store, 3);
  std::string error =
      location_->Exec("UPDATE audit_log SET detail = 'x' WHERE id = 2");
  EXPECT_NE(error.find("the audit log is append-only"), std::string::npos)
      << error;
  EXPECT_TRUE(Verify(*store).ok);
}

TEST_P(AuditLogTest, DeleteThroughSqlIsRefused) {
  auto store = OpenStore();
  Append(*store, 3);
  std::string error = location_->Exec("DELETE FROM audit_log");
  EXPECT_NE(error.find("the audit log is append-only"), std::string::npos)
      << error;
  AuditVerification verification = Verify(*store);
  EXPECT_TRUE(verification.ok);
  EXPECT_EQ(verification.rows_checked, 3u);
}

TEST_P(AuditLogTest, OversizedFieldIsRefused) {
  auto store = OpenStore();
  std::string huge(kMaxAuditFieldBytes + 1, 'x');
  EXPECT_FALSE(store->AppendAudit("a", "b", "", huge).has_value());
  EXPECT_FALSE(store->AppendAudit("a", "", "", "").has_value());
  EXPECT_TRUE(Verify(*store).ok);
}

TEST_P(AuditLogTest, ChainSurvivesReopen) {
  {
    auto store = OpenStore();
    Append(*store, 5);
  }
  auto store = OpenStore();
  Append(*store, 5);
  AuditVerification verification = Verify(*store);
  EXPECT_TRUE(verification.ok) << verification.problem;
  EXPECT_EQ(verification.rows_checked, 10u);
}

TEST_P(AuditLogTest, FourThreadsAppendingFormOneChain) {
  auto store = OpenStore();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i) {
        if (!store->AppendAudit("thread" + std::to_string(t), "test.append", "",
                                std::to_string(i))) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(failures.load(), 0);
  AuditVerification verification = Verify(*store);
  EXPECT_TRUE(verification.ok) << verification.problem;
  EXPECT_EQ(verification.rows_checked, 1000u);
}

TEST_P(AuditLogTest, TwoStoresOnOneFileFormOneChain) {
  // The relay and the admin CLI are two processes on one file; two
  // connections in one process exercise the same locking.
  auto relay = OpenStore();
  auto cli = OpenStore();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(relay->AppendAudit("system", "a", "", "").has_value());
    ASSERT_TRUE(cli->AppendAudit("cli:root", "b", "", "").has_value());
  }
  AuditVerification verification = Verify(*relay);
  EXPECT_TRUE(verification.ok) << verification.problem;
  EXPECT_EQ(verification.rows_checked, 40u);
}

TEST_P(AuditLogTest, JsonLinesExportIsEnoughToReverifyTheChain) {
  auto store = OpenStore();
  ASSERT_TRUE(store
                  ->AppendAudit("=cmd|' /C calc'!A0", "login.failed",
                                "bob, \"the\" admin",
                                "line1\nline2\t\x02 Zoë 🚀")
                  .has_value());
  Append(*store, 3);

  std::ostringstream out;
  ASSERT_TRUE(
      store->ExportAudit({}, ExportFormat::kJsonLines, out).has_value());
  auto lines = SplitLines(out.str());
  ASSERT_EQ(lines.size(), 4u);
  crypto::Sha256Digest prev = AuditGenesisHash();
  for (const std::string& line : lines) {
    auto object = ParseJsonObject(line);
    ASSERT_TRUE(object.has_value()) << line;
    AuditRecord record;
    record.id = std::stoll((*object)["id"]);
    // Every row was written at a whole second after midnight (the manual
    // clock's start), so the ISO text's seconds field is the whole time.
    std::string iso = (*object)["time"];
    ASSERT_EQ(iso.size(), 24u);
    record.time = std::chrono::sys_days(std::chrono::year(2026) /
                                        std::chrono::November / 23) +
                  std::chrono::seconds(std::stoi(iso.substr(17, 2)));
    record.actor = (*object)["actor"];
    record.action = (*object)["action"];
    record.subject = (*object)["subject"];
    record.detail = (*object)["detail"];
    EXPECT_EQ((*object)["prev_hash"], ToHex(prev));
    prev = AuditRowHash(prev, record);
    EXPECT_EQ((*object)["hash"], ToHex(prev)) << line;
  }
  auto first = *ParseJsonObject(lines[0]);
  EXPECT_EQ(first["actor"], "=cmd|' /C calc'!A0");
  EXPECT_EQ(first["detail"], "line1\nline2\t\x02 Zoë 🚀");
}

TEST_P(AuditLogTest, CsvExportQuotesAndGuardsFields) {
  clock_.Advance(8h + 12min + 123ms);
  auto store = OpenStore();
  ASSERT_TRUE(store
                  ->AppendAudit("=cmd|' /C calc'!A0", "login.failed",
                                "bob, \"the\" admin", "line1\r\nline2")
                  .has_value());
  std::ostringstream out;
  ASSERT_TRUE(store->ExportAudit({}, ExportFormat::kCsv, out).has_value());
  auto records = ParseCsv(out.str());
  ASSERT_TRUE(records.has_value()) << out.str();
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0], (std::vector<std::string>{
                               "id", "time", "actor", "action", "subject",
                               "detail", "prev_hash", "hash"}));
  const auto& row = (*records)[1];
  ASSERT_EQ(row.size(), 8u);
  EXPECT_EQ(row[0], "1");
  EXPECT_EQ(row[1], "2026-11-23T08:12:00.123Z");
  EXPECT_EQ(row[2], "'=cmd|' /C calc'!A0");
  EXPECT_EQ(row[3], "login.failed");
  EXPECT_EQ(row[4], "bob, \"the\" admin");
  EXPECT_EQ(row[5], "line1\r\nline2");
  EXPECT_EQ(row[6], std::string(64, '0'));
  EXPECT_EQ(row[7].size(), 64u);
}

TEST_P(AuditLogTest, ExportSinceStartsAtThatTime) {
  auto store = OpenStore();
  Append(*store, 5);  // at +0s .. +4s
  std::ostringstream out;
  ASSERT_TRUE(store
                  ->ExportAudit(
                      Since(std::chrono::sys_days(std::chrono::year(2026) /
                                                  std::chrono::November / 23) +
                            3s),
                      ExportFormat::kJsonLines, out)
                  .has_value());
  auto lines = SplitLines(out.str());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ((*ParseJsonObject(lines[0]))["id"], "4");
}

}  // namespace
}  // namespace tether::relay
