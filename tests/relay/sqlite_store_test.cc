#include "relay/store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "relay/store/record_writer.h"
#include "relay/store/store_writer.h"
#include "tests/fakes/manual_clock.h"
#include "tests/relay/store_test_util.h"

namespace tether::relay {
namespace {

using namespace std::chrono_literals;
using test::ParseCsv;
using test::ParseJsonObject;
using test::RawExec;
using test::RawQuery;
using test::SplitLines;
using test::SupporterEvent;
using test::Technician;

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::filesystem::path db_path() const { return dir_.path() / "relay.db"; }

  std::unique_ptr<SqliteStore> OpenStore() {
    auto store = SqliteStore::Open(db_path(), clock_);
    EXPECT_TRUE(store.has_value()) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }

  tether::test::ManualClock clock_;
  test::ScratchDir dir_;
};

// Export formats in isolation.

TEST(StoreExportTest, IsoTimeIsUtcWithMilliseconds) {
  Clock::WallTime time = std::chrono::sys_days(std::chrono::year(2026) /
                                               std::chrono::November / 23) +
                         8h + 12min + 123ms + 999us;
  EXPECT_EQ(FormatIsoUtc(time), "2026-11-23T08:12:00.123Z");
  EXPECT_EQ(FormatIsoUtc(Clock::WallTime()), "1970-01-01T00:00:00.000Z");
}

TEST(StoreExportTest, CsvQuotesOnlyFieldsThatNeedIt) {
  std::string out;
  AppendCsvField(out, "plain text");
  EXPECT_EQ(out, "plain text");
  out.clear();
  AppendCsvField(out, "say \"hi\", bye");
  EXPECT_EQ(out, "\"say \"\"hi\"\", bye\"");
  out.clear();
  AppendCsvField(out, "=1+1,2");
  EXPECT_EQ(out, "\"'=1+1,2\"");
}

// The exact escaping is base/json_string's (tests/base); here a JSON Lines
// record with every kind of bad text still reads back as one object.
TEST(StoreExportTest, JsonEscapesControlsAndReplacesInvalidUtf8) {
  std::ostringstream out;
  RecordWriter writer(ExportFormat::kJsonLines, out, {"k"});
  writer.Text(std::string("a\"\\\n\x1f\x7f", 6) + "\xc3\xa9\xf0\x9f\x9a\x80" +
              "x\x80y\xc0\xafz\xed\xa0\x80w\xe2\x82");
  ASSERT_TRUE(writer.EndRecord().has_value());
  const std::string line = out.str();
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line per record";
  EXPECT_EQ(line.find('\x7f'), std::string::npos);
  const auto parsed = ParseJsonObject(line.substr(0, line.size() - 1));
  ASSERT_TRUE(parsed.has_value()) << line;
  const std::string r = "\xef\xbf\xbd";  // U+FFFD
  EXPECT_EQ(parsed->at("k"), std::string("a\"\\\n\x1f\x7f", 6) +
                                 "\xc3\xa9\xf0\x9f\x9a\x80" + "x" + r + "y" +
                                 r + r + "z" + r + r + r + "w" + r + r);
}

TEST(StoreExportTest, FormatNamesRoundTrip) {
  EXPECT_EQ(*ParseExportFormat("csv"), ExportFormat::kCsv);
  EXPECT_EQ(*ParseExportFormat("jsonl"), ExportFormat::kJsonLines);
  EXPECT_EQ(ToString(ExportFormat::kJsonLines), "jsonl");
  EXPECT_FALSE(ParseExportFormat("xml").has_value());
}

// Opening, schema, file.

TEST_F(SqliteStoreTest, ReopenKeepsAccountsEventsAndAudit) {
  {
    auto store = OpenStore();
    ASSERT_TRUE(store->CreateAccount(Technician("alice")).has_value());
    ASSERT_TRUE(
        store->RecordEvent(SupporterEvent(clock_.WallNow())).has_value());
    ASSERT_TRUE(store->AppendAudit("cli:root", "account.create", "alice", "")
                    .has_value());
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->FindAccount("alice")->has_value());
  EXPECT_EQ(RawQuery(db_path(), "SELECT count(*) FROM connection_events"), "1");
  auto verified = store->VerifyAudit();
  ASSERT_TRUE(verified.has_value());
  EXPECT_TRUE(verified->ok);
  EXPECT_EQ(verified->rows_checked, 1u);
  EXPECT_EQ(RawQuery(db_path(), "PRAGMA user_version"),
            std::to_string(SqliteStore::SchemaVersion()));
}

TEST_F(SqliteStoreTest, DatabaseIsInWalMode) {
  auto store = OpenStore();
  EXPECT_EQ(RawQuery(db_path(), "PRAGMA journal_mode"), "wal");
}

TEST_F(SqliteStoreTest, DatabaseFromNewerRelayIsRefused) {
  OpenStore().reset();
  int future = SqliteStore::SchemaVersion() + 1;
  ASSERT_EQ(
      RawExec(db_path(), "PRAGMA user_version = " + std::to_string(future)),
      "");
  auto store = SqliteStore::Open(db_path(), clock_);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().message,
            db_path().string() + " has schema version " +
                std::to_string(future) +
                ", newer than this tether-relay knows (" +
                std::to_string(SqliteStore::SchemaVersion()) +
                "): run a newer tether-relay, or restore a backup made by "
                "this one");
}

TEST_F(SqliteStoreTest, GarbageFileIsRefusedWithClearError) {
  {
    std::ofstream garbage(db_path(), std::ios::binary);
    for (int i = 0; i < 200; ++i)
      garbage << "this is not a database\n";
  }
  auto store = SqliteStore::Open(db_path(), clock_);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(
      store.error().message,
      db_path().string() + " is not a Tether database: file is not a database");
}

TEST_F(SqliteStoreTest, OtherApplicationsSqliteFileIsRefused) {
  ASSERT_EQ(RawExec(db_path(), "CREATE TABLE photos (id INTEGER)"), "");
  auto store = SqliteStore::Open(db_path(), clock_);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().message,
            db_path().string() +
                " is not a Tether database: it holds tables but no Tether "
                "schema");
}

TEST_F(SqliteStoreTest, MissingDirectoryIsAClearError) {
  auto path = dir_.path() / "no" / "such" / "relay.db";
  auto store = SqliteStore::Open(path, clock_);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().message,
            "cannot open " + path.string() + ": the directory " +
                path.parent_path().string() + " does not exist");
}

TEST_F(SqliteStoreTest, DatabaseFilesAreOwnerOnlyWhateverTheUmask) {
  mode_t old_umask = ::umask(0);
  auto store = OpenStore();
  ::umask(old_umask);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->AppendAudit("system", "test", "", "").has_value());
  for (const char* suffix : {"", "-wal", "-shm"}) {
    struct stat status {};
    std::string file = db_path().string() + suffix;
    ASSERT_EQ(::stat(file.c_str(), &status), 0) << file;
    EXPECT_EQ(status.st_mode & 0777, 0600u) << file;
  }
}

TEST_F(SqliteStoreTest, CheckpointEmptiesTheWal) {
  auto store = OpenStore();
  ASSERT_TRUE(store->AppendAudit("system", "test", "", "").has_value());
  EXPECT_GT(std::filesystem::file_size(db_path().string() + "-wal"), 0u);
  auto checkpointed = store->Checkpoint();
  ASSERT_TRUE(checkpointed.has_value()) << checkpointed.error().message;
  EXPECT_EQ(std::filesystem::file_size(db_path().string() + "-wal"), 0u);
}

TEST_F(SqliteStoreTest, IntegrityCheckOfHealthyStoreIsOk) {
  auto store = OpenStore();
  ASSERT_TRUE(store->CreateAccount(Technician("alice")).has_value());
  auto result = store->IntegrityCheck();
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(*result, "ok");
}

}  // namespace
}  // namespace tether::relay
