#include "relay/store/store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "relay/store/record_writer.h"
#include "relay/store/store_writer.h"
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
using test::SupporterEvent;
using test::Technician;

// The contract every store keeps (relay/store/store.h), run against
// SQLite and PostgreSQL alike (tests/relay/store_backends.h).
class StoreTest : public ::testing::TestWithParam<test::Backend> {
 protected:
  StoreTest() : location_(GetParam()) {}

  void SetUp() override {
    if (!location_.skip().empty())
      GTEST_SKIP() << location_.skip();
  }

  std::unique_ptr<Store> OpenStore() {
    auto store = location_.Open(clock_);
    EXPECT_TRUE(store.has_value()) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }

  tether::test::ManualClock clock_;
  test::StoreLocation location_;
};

INSTANTIATE_TEST_SUITE_P(Backends,
                         StoreTest,
                         test::AllBackends(),
                         test::BackendName);

// Accounts.

TEST_P(StoreTest, CreatedAccountIsFoundWithEveryField) {
  auto store = OpenStore();
  Account account = Technician("alice");
  account.display_name = "Alice Zoë";
  account.role = AccountRole::kAuditor;
  account.must_change_password = false;
  account.disabled = true;
  account.failed_logins = 7;
  account.locked_until = clock_.WallNow() + 15min;
  account.locked = true;
  account.totp_secret = Bytes{0x00, 0x01, 0xfe, 0xff};
  account.totp_last_step = 59'000'123;
  account.last_login_at = clock_.WallNow() - 1h;

  auto created = store->CreateAccount(account);
  ASSERT_TRUE(created.has_value()) << created.error().message;
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->created_at, clock_.WallNow());
  EXPECT_EQ(created->password_changed_at, clock_.WallNow());

  auto found = store->FindAccount("alice");
  ASSERT_TRUE(found.has_value()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, *created);
  Account expected = account;
  expected.id = created->id;
  expected.created_at = clock_.WallNow();
  expected.password_changed_at = clock_.WallNow();
  EXPECT_EQ(**found, expected);
}

TEST_P(StoreTest, TimesAreKeptToTheMillisecond) {
  clock_.Advance(123'456us);
  auto store = OpenStore();
  auto created = store->CreateAccount(Technician("alice"));
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(
      created->created_at.time_since_epoch() % std::chrono::milliseconds(1000),
      123ms);
}

TEST_P(StoreTest, EmptyTotpSecretStaysEmptyNotAbsent) {
  auto store = OpenStore();
  Account account = Technician("alice");
  account.totp_secret = Bytes{};
  ASSERT_TRUE(store->CreateAccount(account).has_value());
  auto found = store->FindAccount("alice");
  ASSERT_TRUE(found.has_value() && found->has_value());
  ASSERT_TRUE((*found)->totp_secret.has_value());
  EXPECT_TRUE((*found)->totp_secret->empty());
}

TEST_P(StoreTest, UnknownAccountIsNotFound) {
  auto store = OpenStore();
  auto found = store->FindAccount("nobody");
  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_FALSE(found->has_value());
}

TEST_P(StoreTest, DuplicateUserNameIsRefusedWithClearError) {
  auto store = OpenStore();
  ASSERT_TRUE(store->CreateAccount(Technician("alice")).has_value());
  auto again = store->CreateAccount(Technician("alice"));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().message, "account 'alice' already exists");
}

TEST_P(StoreTest, UserNamesDifferingOnlyInCaseAreOneAccount) {
  auto store = OpenStore();
  ASSERT_TRUE(store->CreateAccount(Technician("alice")).has_value());
  EXPECT_FALSE(store->CreateAccount(Technician("Alice")).has_value());
  auto found = store->FindAccount("ALICE");
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->user_name, "alice");
}

TEST_P(StoreTest, AccountWithoutNameOrHashIsRefused) {
  auto store = OpenStore();
  EXPECT_FALSE(store->CreateAccount(Technician("")).has_value());
  Account no_hash = Technician("bob");
  no_hash.password_hash.clear();
  EXPECT_FALSE(store->CreateAccount(no_hash).has_value());
}

// Replaces the whole account, as a test sets one up.
Result<Account> Overwrite(Store& store, const Account& account) {
  return store.ChangeAccount(account.id, [&](Account& stored) {
    stored = account;
    return true;
  });
}

TEST_P(StoreTest, ChangeAccountWritesMutableFieldsButKeepsCreationTime) {
  auto store = OpenStore();
  auto created = store->CreateAccount(Technician("alice"));
  ASSERT_TRUE(created.has_value());
  Account changed = *created;
  clock_.Advance(24h);
  changed.user_name = "alice2";
  changed.display_name = "Alice Two";
  changed.role = AccountRole::kAdmin;
  changed.password_hash = "$argon2id$new";
  changed.must_change_password = false;
  changed.failed_logins = 3;
  changed.locked_until = clock_.WallNow();
  changed.totp_secret = Bytes(20, 0x42);
  changed.totp_last_step = 1;
  changed.password_changed_at = clock_.WallNow();
  changed.last_login_at = clock_.WallNow();
  changed.created_at = clock_.WallNow();  // ignored

  auto updated = Overwrite(*store, changed);
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  auto found = store->FindAccount("alice2");
  ASSERT_TRUE(found.has_value() && found->has_value());
  Account expected = changed;
  expected.created_at = created->created_at;
  EXPECT_EQ(**found, expected);
  EXPECT_EQ(*updated, expected);
  EXPECT_FALSE(store->FindAccount("alice")->has_value());
}

TEST_P(StoreTest, ChangeAccountCanClearOptionalFields) {
  auto store = OpenStore();
  Account account = Technician("alice");
  account.locked_until = clock_.WallNow();
  account.totp_secret = Bytes{1, 2, 3};
  account.totp_last_step = 5;
  account.last_login_at = clock_.WallNow();
  auto created = store->CreateAccount(account);
  ASSERT_TRUE(created.has_value());
  Account cleared = *created;
  cleared.locked_until.reset();
  cleared.totp_secret.reset();
  cleared.totp_last_step.reset();
  cleared.last_login_at.reset();
  ASSERT_TRUE(Overwrite(*store, cleared).has_value());
  EXPECT_EQ(**store->FindAccount("alice"), cleared);
}

TEST_P(StoreTest, ChangeOfUnknownIdFails) {
  auto store = OpenStore();
  Account ghost = Technician("ghost");
  ghost.id = 42;
  auto updated = Overwrite(*store, ghost);
  ASSERT_FALSE(updated.has_value());
  EXPECT_EQ(updated.error().message, "no account with id 42");
}

TEST_P(StoreTest, RenameToTakenUserNameIsRefused) {
  auto store = OpenStore();
  ASSERT_TRUE(store->CreateAccount(Technician("alice")).has_value());
  auto bob = store->CreateAccount(Technician("bob"));
  ASSERT_TRUE(bob.has_value());
  bob->user_name = "alice";
  auto updated = Overwrite(*store, *bob);
  ASSERT_FALSE(updated.has_value());
  EXPECT_EQ(updated.error().message, "account 'alice' already exists");
}

TEST_P(StoreTest, ChangeSeesWhatAnotherWriterStoredAndKeepsIt) {
  // Two store handles on one file, as the relay and the admin CLI have:
  // a change made through one is what the other's change starts from.
  auto relay = OpenStore();
  auto cli = OpenStore();
  auto alice = relay->CreateAccount(Technician("alice"));
  ASSERT_TRUE(alice.has_value());
  ASSERT_TRUE(cli->ChangeAccount(alice->id,
                                 [](Account& a) {
                                   a.disabled = true;
                                   return true;
                                 })
                  .has_value());
  auto after = relay->ChangeAccount(alice->id, [](Account& a) {
    EXPECT_TRUE(a.disabled);  // read inside the write, not before
    a.failed_logins = 0;
    a.last_login_at = Clock::WallTime(std::chrono::hours(1));
    return true;
  });
  ASSERT_TRUE(after.has_value()) << after.error().message;
  EXPECT_TRUE(after->disabled);
  EXPECT_TRUE((*cli->FindAccount("alice"))->disabled);
}

TEST_P(StoreTest, ChangeThatReturnsFalseWritesNothing) {
  auto store = OpenStore();
  auto alice = store->CreateAccount(Technician("alice"));
  ASSERT_TRUE(alice.has_value());
  auto kept = store->ChangeAccount(alice->id, [](Account& a) {
    a.disabled = true;
    return false;
  });
  ASSERT_TRUE(kept.has_value());
  EXPECT_FALSE(kept->disabled);
  EXPECT_FALSE((*store->FindAccount("alice"))->disabled);
}

TEST_P(StoreTest, LastEnabledAdminCannotBeDisabledOrDemoted) {
  auto store = OpenStore();
  Account admin = Technician("root");
  admin.role = AccountRole::kAdmin;
  auto root = store->CreateAccount(admin);
  ASSERT_TRUE(root.has_value());
  for (const auto& change : std::vector<Store::AccountChange>{
           [](Account& a) { return a.disabled = true; },
           [](Account& a) {
             a.role = AccountRole::kTechnician;
             return true;
           }}) {
    auto refused = store->ChangeAccount(root->id, change);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().message,
              "'root' is the last enabled admin; add or enable another admin "
              "first");
  }
  admin.user_name = "root2";
  ASSERT_TRUE(store->CreateAccount(admin).has_value());
  EXPECT_TRUE(store
                  ->ChangeAccount(root->id,
                                  [](Account& a) { return a.disabled = true; })
                  .has_value());
  EXPECT_EQ(*store->CountAdmins(), 1u);
}

TEST_P(StoreTest, ListAccountsReturnsAllInCreationOrder) {
  auto store = OpenStore();
  for (const char* name : {"carol", "alice", "bob"}) {
    ASSERT_TRUE(store->CreateAccount(Technician(name)).has_value());
  }
  auto accounts = store->ListAccounts();
  ASSERT_TRUE(accounts.has_value()) << accounts.error().message;
  ASSERT_EQ(accounts->size(), 3u);
  EXPECT_EQ((*accounts)[0].user_name, "carol");
  EXPECT_EQ((*accounts)[1].user_name, "alice");
  EXPECT_EQ((*accounts)[2].user_name, "bob");
}

TEST_P(StoreTest, CountAdminsCountsOnlyEnabledAdmins) {
  auto store = OpenStore();
  EXPECT_EQ(*store->CountAdmins(), 0u);
  Account admin = Technician("root");
  admin.role = AccountRole::kAdmin;
  ASSERT_TRUE(store->CreateAccount(admin).has_value());
  admin.user_name = "root2";
  admin.disabled = true;
  ASSERT_TRUE(store->CreateAccount(admin).has_value());
  ASSERT_TRUE(store->CreateAccount(Technician("alice")).has_value());
  EXPECT_EQ(*store->CountAdmins(), 1u);
}

TEST_P(StoreTest, EveryRoleRoundTripsThroughItsNameAndTheDatabase) {
  auto store = OpenStore();
  for (auto role :
       {AccountRole::kAdmin, AccountRole::kTechnician, AccountRole::kAuditor}) {
    auto parsed = ParseAccountRole(ToString(role));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, role);
    Account account = Technician(std::string(ToString(role)) + "_user");
    account.role = role;
    ASSERT_TRUE(store->CreateAccount(account).has_value());
    EXPECT_EQ((*store->FindAccount(account.user_name))->role, role);
  }
  EXPECT_EQ(ToString(AccountRole::kTechnician), "technician");
}

TEST_P(StoreTest, UnknownRoleNameIsRefused) {
  auto parsed = ParseAccountRole("root");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().message.find("unknown role 'root'"),
            std::string::npos);
}

TEST_P(StoreTest, PasswordHistoryIsNewestFirstAndLimited) {
  auto store = OpenStore();
  auto alice = store->CreateAccount(Technician("alice"));
  auto bob = store->CreateAccount(Technician("bob"));
  ASSERT_TRUE(alice.has_value() && bob.has_value());
  // Every replaced hash is kept, in the same write that replaces it.
  const auto set_hash = [&](int64_t id, const std::string& phc) {
    clock_.Advance(std::chrono::seconds(1));
    ASSERT_TRUE(store
                    ->ChangeAccount(id,
                                    [&](Account& a) {
                                      a.password_hash = phc;
                                      a.password_changed_at = clock_.WallNow();
                                      return true;
                                    })
                    .has_value());
  };
  const std::string first = alice->password_hash;
  for (const char* phc : {"$argon2id$1", "$argon2id$2", "$argon2id$3"}) {
    set_hash(alice->id, phc);
  }
  set_hash(bob->id, "$argon2id$bob");
  // Other changes add nothing, nor does a new hash of the same password
  // (a rehash keeps password_changed_at).
  ASSERT_TRUE(store
                  ->ChangeAccount(alice->id,
                                  [](Account& a) {
                                    a.password_hash = "$argon2id$3-rehashed";
                                    return a.disabled = true;
                                  })
                  .has_value());

  auto two = store->PasswordHistory(alice->id, 2);
  ASSERT_TRUE(two.has_value()) << two.error().message;
  EXPECT_EQ(*two, (std::vector<std::string>{"$argon2id$2", "$argon2id$1"}))
      << "the rehash left $argon2id$3 out of the history";
  auto all = store->PasswordHistory(alice->id, 100);
  EXPECT_EQ(*all,
            (std::vector<std::string>{"$argon2id$2", "$argon2id$1", first}));
  EXPECT_TRUE(store->PasswordHistory(alice->id, 0)->empty());
  EXPECT_EQ(*store->PasswordHistory(bob->id, 100),
            (std::vector<std::string>{first}));
}

// Connection events.

// Values a careless exporter would break: separators, quotes, line breaks,
// control characters, non-ASCII text, spreadsheet formulas.
ConnectionEvent NastyEvent(Clock::WallTime started_at) {
  ConnectionEvent event = SupporterEvent(started_at);
  event.account = "=HYPERLINK(\"http://x\",\"y\")";
  event.role = "customer";
  event.source_address = "[2001:db8::1]:443";
  event.code_hmac = "";
  event.end_reason =
      "a, \"quoted\"\r\nline\tand \x01 control, Zoë 🚀, back\\slash";
  return event;
}

TEST_P(StoreTest, EventsExportAsCsvThatParsesBack) {
  clock_.Advance(8h + 12min + 123ms);
  auto store = OpenStore();
  ASSERT_TRUE(store->RecordEvent(SupporterEvent(clock_.WallNow())).has_value());
  ConnectionEvent nasty = NastyEvent(clock_.WallNow() + 1s);
  ASSERT_TRUE(store->RecordEvent(nasty).has_value());
  ConnectionEvent formulas = SupporterEvent(clock_.WallNow() + 2s);
  formulas.account = "+1";
  formulas.source_address = "-2";
  formulas.end_reason = "@SUM(A1)";
  ASSERT_TRUE(store->RecordEvent(formulas).has_value());

  std::ostringstream out;
  auto exported = store->ExportEvents({}, ExportFormat::kCsv, out);
  ASSERT_TRUE(exported.has_value()) << exported.error().message;
  auto records = ParseCsv(out.str());
  ASSERT_TRUE(records.has_value()) << out.str();
  ASSERT_EQ(records->size(), 4u);
  EXPECT_EQ((*records)[0],
            (std::vector<std::string>{"started_at", "duration_ms", "account",
                                      "role", "source_address", "code_hmac",
                                      "bytes_in", "bytes_out", "end_reason"}));
  EXPECT_EQ((*records)[1],
            (std::vector<std::string>{"2026-11-23T08:12:00.123Z", "90500",
                                      "alice", "supporter", "203.0.113.7:51234",
                                      std::string(64, 'a'), "1000000",
                                      "5000000000", "peer closed"}));
  const auto& row = (*records)[2];
  ASSERT_EQ(row.size(), 9u);
  EXPECT_EQ(row[0], "2026-11-23T08:12:01.123Z");
  EXPECT_EQ(row[2], "'" + nasty.account);  // formula guard
  EXPECT_EQ(row[3], "customer");
  EXPECT_EQ(row[4], nasty.source_address);
  EXPECT_EQ(row[5], "");
  EXPECT_EQ(row[8], nasty.end_reason);
  EXPECT_EQ((*records)[3][2], "'+1");
  EXPECT_EQ((*records)[3][4], "'-2");
  EXPECT_EQ((*records)[3][8], "'@SUM(A1)");
}

TEST_P(StoreTest, EventsExportAsJsonLinesThatParseBackExactly) {
  auto store = OpenStore();
  ConnectionEvent nasty = NastyEvent(clock_.WallNow());
  ASSERT_TRUE(store->RecordEvent(nasty).has_value());
  ASSERT_TRUE(
      store->RecordEvent(SupporterEvent(clock_.WallNow() + 1s)).has_value());

  std::ostringstream out;
  ASSERT_TRUE(
      store->ExportEvents({}, ExportFormat::kJsonLines, out).has_value());
  auto lines = SplitLines(out.str());
  ASSERT_EQ(lines.size(), 2u);
  // Control characters never appear raw; the parser below rejects them.
  EXPECT_EQ(lines[0].find('\x01'), std::string::npos);
  EXPECT_NE(lines[0].find("\\u0001"), std::string::npos);
  auto object = ParseJsonObject(lines[0]);
  ASSERT_TRUE(object.has_value()) << lines[0];
  EXPECT_EQ((*object)["started_at"], "2026-11-23T00:00:00.000Z");
  EXPECT_EQ((*object)["duration_ms"], "90500");
  EXPECT_EQ((*object)["account"], nasty.account);  // exact: no guard
  EXPECT_EQ((*object)["role"], "customer");
  EXPECT_EQ((*object)["source_address"], nasty.source_address);
  EXPECT_EQ((*object)["code_hmac"], "");
  EXPECT_EQ((*object)["bytes_in"], "1000000");
  EXPECT_EQ((*object)["bytes_out"], "5000000000");
  EXPECT_EQ((*object)["end_reason"], nasty.end_reason);
  EXPECT_EQ(object->size(), 9u);
  EXPECT_TRUE(ParseJsonObject(lines[1]).has_value());
}

TEST_P(StoreTest, ExportSinceLeavesOutEarlierEvents) {
  auto store = OpenStore();
  Clock::WallTime t0 = clock_.WallNow();
  for (int i = 0; i < 3; ++i) {
    ConnectionEvent event = SupporterEvent(t0 + i * 1h);
    event.end_reason = "event " + std::to_string(i);
    ASSERT_TRUE(store->RecordEvent(event).has_value());
  }
  std::ostringstream out;
  ASSERT_TRUE(store->ExportEvents(Since(t0 + 1h), ExportFormat::kJsonLines, out)
                  .has_value());
  auto lines = SplitLines(out.str());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ((*ParseJsonObject(lines[0]))["end_reason"], "event 1");
  EXPECT_EQ((*ParseJsonObject(lines[1]))["end_reason"], "event 2");
}

TEST_P(StoreTest, AQueryPicksAWindowAnAccountAndAPage) {
  auto store = OpenStore();
  Clock::WallTime t0 = clock_.WallNow();
  for (int i = 0; i < 6; ++i) {
    ConnectionEvent event = SupporterEvent(t0 + i * 1h);
    event.account = i % 2 == 0 ? "alice" : "bob";
    event.end_reason = "event " + std::to_string(i);
    ASSERT_TRUE(store->RecordEvent(event).has_value());
  }
  RecordQuery query;
  query.since = t0 + 1h;
  query.until = t0 + 4h;  // before, not at
  query.who = "ALICE";    // any case
  std::ostringstream out;
  ASSERT_TRUE(store->ExportEvents(query, ExportFormat::kJsonLines, out));
  auto lines = SplitLines(out.str());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ((*ParseJsonObject(lines[0]))["end_reason"], "event 2");

  RecordQuery page;
  page.offset = 2;
  page.limit = 3;
  std::ostringstream paged;
  ASSERT_TRUE(store->ExportEvents(page, ExportFormat::kJsonLines, paged));
  lines = SplitLines(paged.str());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ((*ParseJsonObject(lines[0]))["end_reason"], "event 2");
  EXPECT_EQ((*ParseJsonObject(lines[2]))["end_reason"], "event 4");
}

TEST_P(StoreTest, AnAuditQueryMatchesTheActorAndTheStartOfTheAction) {
  auto store = OpenStore();
  ASSERT_TRUE(store->AppendAudit("web:root", "account.create", "a", ""));
  ASSERT_TRUE(store->AppendAudit("web:root", "session.end", "b", ""));
  ASSERT_TRUE(store->AppendAudit("cli:root", "account.disable", "c", ""));
  ASSERT_TRUE(store->AppendAudit("web:root", "account.role", "d", ""));
  RecordQuery query;
  query.who = "web:root";
  query.action_prefix = "account.";
  std::ostringstream out;
  ASSERT_TRUE(store->ExportAudit(query, ExportFormat::kJsonLines, out));
  auto lines = SplitLines(out.str());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ((*ParseJsonObject(lines[0]))["subject"], "a");
  EXPECT_EQ((*ParseJsonObject(lines[1]))["subject"], "d");
}

TEST_P(StoreTest, EmptyCsvExportIsJustTheHeader) {
  auto store = OpenStore();
  std::ostringstream out;
  ASSERT_TRUE(store->ExportEvents({}, ExportFormat::kCsv, out).has_value());
  EXPECT_EQ(out.str(),
            "started_at,duration_ms,account,role,source_address,code_hmac,"
            "bytes_in,bytes_out,end_reason\r\n");
}

TEST_P(StoreTest, EventWithUnknownRoleIsRefused) {
  auto store = OpenStore();
  ConnectionEvent event = SupporterEvent(clock_.WallNow());
  event.role = "admin";
  EXPECT_FALSE(store->RecordEvent(event).has_value());
}

// The relay's shutdown ends thousands of connections at once; the writer
// batches their rows, and a bad row in a batch costs only itself.
TEST_P(StoreTest, WriterBatchesRowsInOrderAndKeepsAllButTheBadOne) {
  auto store = OpenStore();
  {
    StoreWriter writer(*store);
    for (int i = 0; i < 2500; ++i) {
      ConnectionEvent event = SupporterEvent(clock_.WallNow());
      event.end_reason = "n" + std::to_string(i);
      if (i == 1234)
        event.role = "admin";  // refused by the store
      writer.RecordEvent(event);
      writer.Audit("alice", "session.end", "code:" + std::to_string(i), "");
    }
    writer.Flush();
    EXPECT_EQ(writer.failed(), 1u);
  }  // the destructor writes anything still queued
  EXPECT_EQ(location_.Query("SELECT COUNT(*) FROM connection_events"), "2499");
  EXPECT_EQ(location_.Query("SELECT COUNT(*) FROM audit_log"), "2500");
  // Posting order survives batching and the row-by-row retry.
  RecordQuery around_bad_row;
  around_bad_row.offset = 1232;
  around_bad_row.limit = 3;
  std::ostringstream events;
  ASSERT_TRUE(
      store->ExportEvents(around_bad_row, ExportFormat::kJsonLines, events)
          .has_value());
  std::string reasons;
  for (const std::string& line : SplitLines(events.str()))
    reasons += (*ParseJsonObject(line))["end_reason"] + ",";
  EXPECT_EQ(reasons, "n1232,n1233,n1235,");
  EXPECT_EQ(location_.Query("SELECT subject FROM audit_log WHERE id = 2500"),
            "code:2499");
  EXPECT_TRUE(store->VerifyAudit()->ok);
}

TEST_P(StoreTest, PurgeRemovesOnlyOldEventsAndIsAudited) {
  auto store = OpenStore();
  // Events at day 0..9; then 30 days pass and retention keeps 30 days.
  for (int day = 0; day < 10; ++day) {
    ConnectionEvent event = SupporterEvent(clock_.WallNow());
    event.end_reason = "day " + std::to_string(day);
    ASSERT_TRUE(store->RecordEvent(event).has_value());
    clock_.Advance(24h);
  }
  clock_.Advance(26 * 24h);                              // now: day 36
  Clock::WallTime cutoff = clock_.WallNow() - 30 * 24h;  // day 6

  auto purged = store->PurgeEventsBefore(cutoff, "system");
  ASSERT_TRUE(purged.has_value()) << purged.error().message;
  EXPECT_EQ(*purged, 6u);

  std::ostringstream events;
  ASSERT_TRUE(
      store->ExportEvents({}, ExportFormat::kJsonLines, events).has_value());
  auto lines = SplitLines(events.str());
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ((*ParseJsonObject(lines[0]))["end_reason"], "day 6");

  std::ostringstream audit;
  ASSERT_TRUE(
      store->ExportAudit({}, ExportFormat::kJsonLines, audit).has_value());
  auto audit_lines = SplitLines(audit.str());
  ASSERT_EQ(audit_lines.size(), 1u);
  auto row = *ParseJsonObject(audit_lines[0]);
  EXPECT_EQ(row["actor"], "system");
  EXPECT_EQ(row["action"], "events.purge");
  EXPECT_EQ(row["detail"],
            "deleted 6 events started before 2026-11-29T00:00:00.000Z");
  EXPECT_EQ(row["time"], "2026-12-29T00:00:00.000Z");
  EXPECT_TRUE(store->VerifyAudit()->ok);
}

TEST_P(StoreTest, PurgeWithNothingToDeleteIsStillAudited) {
  auto store = OpenStore();
  auto purged = store->PurgeEventsBefore(clock_.WallNow(), "cli:root");
  ASSERT_TRUE(purged.has_value());
  EXPECT_EQ(*purged, 0u);
  EXPECT_EQ(location_.Query("SELECT count(*) FROM audit_log"), "1");
}

}  // namespace
}  // namespace tether::relay
