// What only the PostgreSQL store has to prove (the contract both stores
// keep is in store_test.cc and audit_log_test.cc): several relays writing
// at once, its settings, and a server that goes away and comes back.

#include "relay/store/pg_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "relay/store/row_spool.h"
#include "relay/store/spooling_store.h"
#include "relay/store/sqlite_store.h"
#include "relay/store/store_writer.h"
#include "relay/store/unix_millis.h"
#include "tests/fakes/manual_clock.h"
#include "tests/relay/store_backends.h"
#include "tests/relay/store_test_util.h"

namespace tether::relay {
namespace {

using namespace std::chrono_literals;
using test::Backend;
using test::StoreLocation;

Account Admin(std::string name) {
  Account account = test::Technician(std::move(name));
  account.role = AccountRole::kAdmin;
  return account;
}

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!location_.skip().empty())
      GTEST_SKIP() << location_.skip();
  }

  // One relay's (or the admin CLI's) connection pool.
  std::unique_ptr<Store> OpenRelay() {
    auto store = location_.Open(clock_);
    EXPECT_TRUE(store.has_value()) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }

  tether::test::ManualClock clock_;
  StoreLocation location_{Backend::kPostgres};
};

// Three relays append at once, four threads each: one chain, no gaps, no
// fork, and every row there.
TEST_F(PgStoreTest, ThreeRelaysAppendingAtOnceFormOneChain) {
  std::vector<std::unique_ptr<Store>> relays;
  for (int i = 0; i < 3; ++i)
    relays.push_back(OpenRelay());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int r = 0; r < 3; ++r) {
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, r, t] {
        for (int i = 0; i < 50; ++i) {
          std::vector<LogRow> rows = {
              AuditEntry{"relay" + std::to_string(r), "session.end",
                         std::to_string(t), std::to_string(i)},
              test::SupporterEvent(Clock::WallTime()),
              AuditEntry{"relay" + std::to_string(r), "session.start", "", ""},
          };
          if (!relays[r]->AppendRows(rows))
            ++failures;
        }
      });
    }
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(failures.load(), 0);
  auto verification = relays[1]->VerifyAudit();
  ASSERT_TRUE(verification.has_value()) << verification.error().message;
  EXPECT_TRUE(verification->ok) << verification->problem;
  EXPECT_EQ(verification->rows_checked, 3u * 4 * 50 * 2);
  EXPECT_EQ(location_.Query("SELECT count(*) FROM connection_events"), "600");
  EXPECT_EQ(location_.Query("SELECT last_id FROM audit_head"), "1200");
}

// The last-admin rule across relays: two admins disable each other at the
// same moment on two relays; one change wins, one admin stays.
TEST_F(PgStoreTest, TwoRelaysCannotDisableTheLastTwoAdminsAtOnce) {
  auto setup = OpenRelay();
  auto alice = setup->CreateAccount(Admin("alice"));
  auto bob = setup->CreateAccount(Admin("bob"));
  ASSERT_TRUE(alice && bob);
  for (int round = 0; round < 20; ++round) {
    auto one = OpenRelay();
    auto two = OpenRelay();
    std::atomic<int> done{0};
    auto disable = [](Account& a) {
      a.disabled = true;
      return true;
    };
    std::thread first([&] {
      if (one->ChangeAccount(alice->id, disable))
        ++done;
    });
    std::thread second([&] {
      if (two->ChangeAccount(bob->id, disable))
        ++done;
    });
    first.join();
    second.join();
    EXPECT_EQ(done.load(), 1);
    EXPECT_EQ(*setup->CountAdmins(), 1u);
    // Enable both again for the next round.
    for (int64_t id : {alice->id, bob->id}) {
      ASSERT_TRUE(setup
                      ->ChangeAccount(id,
                                      [](Account& a) {
                                        a.disabled = false;
                                        return true;
                                      })
                      .has_value());
    }
  }
}

// Two logins on two relays each count a failure: neither is lost.
TEST_F(PgStoreTest, FailuresCountedOnSeveralRelaysAtOnceAreAllKept) {
  auto setup = OpenRelay();
  auto carol = setup->CreateAccount(test::Technician("carol"));
  ASSERT_TRUE(carol.has_value());
  std::vector<std::unique_ptr<Store>> relays;
  for (int i = 0; i < 3; ++i)
    relays.push_back(OpenRelay());
  std::vector<std::thread> threads;
  for (int r = 0; r < 3; ++r) {
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&, r] {
        for (int i = 0; i < 10; ++i) {
          EXPECT_TRUE(relays[r]
                          ->ChangeAccount(carol->id,
                                          [](Account& a) {
                                            ++a.failed_logins;
                                            return true;
                                          })
                          .has_value());
        }
      });
    }
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ((*setup->FindAccount("carol"))->failed_logins, 90u);
}

// Text a peer sent is stored as valid UTF-8 (PostgreSQL holds nothing
// else; a NUL would cut the value), and the chain covers what is stored.
TEST_F(PgStoreTest, InvalidUtf8AndNulAreStoredAsReplacementsAndVerify) {
  auto store = OpenRelay();
  const std::string bad = std::string("a\0b", 3) + "\xff" + "c\xc3";
  auto row = store->AppendAudit("peer", "session.end", bad, bad);
  ASSERT_TRUE(row.has_value()) << row.error().message;
  const std::string r = "\xef\xbf\xbd";
  EXPECT_EQ(row->detail, "a" + r + "b" + r + "c" + r);
  ConnectionEvent event = test::SupporterEvent(clock_.WallNow());
  event.end_reason = bad;
  ASSERT_TRUE(store->RecordEvent(event).has_value());
  EXPECT_EQ(location_.Query("SELECT end_reason FROM connection_events"),
            "a" + r + "b" + r + "c" + r);
  auto verification = store->VerifyAudit();
  ASSERT_TRUE(verification.has_value());
  EXPECT_TRUE(verification->ok) << verification->problem;
}

// What IT reads is the same bytes whichever store wrote it.
TEST_F(PgStoreTest, ExportsAreByteForByteThoseOfSqlite) {
  StoreLocation sqlite(Backend::kSqlite);
  auto on_sqlite = sqlite.Open(clock_);
  ASSERT_TRUE(on_sqlite.has_value());
  auto on_postgres = OpenRelay();
  for (Store* store : {on_sqlite->get(), on_postgres.get()}) {
    tether::test::ManualClock clock;
    ASSERT_TRUE(store
                    ->AppendAudit("=cmd", "login.failed", "bob, \"x\"",
                                  "line1\r\nline2 Zoë")
                    .has_value());
    ConnectionEvent event = test::SupporterEvent(clock.WallNow());
    event.account = "Bob";
    event.source_address = "[2001:db8::1]:443";
    event.bytes_in = ~uint64_t{0};
    event.end_reason = "peer left";
    ASSERT_TRUE(store->RecordEvent(event).has_value());
    ASSERT_TRUE(store->PurgeEventsBefore(clock.WallNow() - 1h, "system"));
  }
  for (ExportFormat format : {ExportFormat::kCsv, ExportFormat::kJsonLines}) {
    RecordQuery bob;
    bob.who = "BOB";
    std::ostringstream sqlite_events, postgres_events, sqlite_audit,
        postgres_audit;
    ASSERT_TRUE((*on_sqlite)->ExportEvents(bob, format, sqlite_events));
    ASSERT_TRUE(on_postgres->ExportEvents(bob, format, postgres_events));
    ASSERT_TRUE((*on_sqlite)->ExportAudit({}, format, sqlite_audit));
    ASSERT_TRUE(on_postgres->ExportAudit({}, format, postgres_audit));
    EXPECT_EQ(postgres_events.str(), sqlite_events.str());
    EXPECT_EQ(postgres_audit.str(), sqlite_audit.str());
    EXPECT_NE(sqlite_events.str().find("peer left"), std::string::npos);
  }
}

TEST_F(PgStoreTest, RelaysOpeningAnEmptyDatabaseTogetherMigrateItOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      tether::test::ManualClock clock;
      auto store = location_.Open(clock);
      EXPECT_TRUE(store.has_value()) << store.error().message;
      if (store)
        ++opened;
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(opened.load(), 4);
  EXPECT_EQ(location_.Query("SELECT version FROM tether_meta"),
            std::to_string(PgStore::SchemaVersion()));
}

TEST_F(PgStoreTest, ADatabaseOfAnotherApplicationIsRefused) {
  ASSERT_EQ(location_.Exec("CREATE TABLE photos (id integer)"), "");
  auto store = PgStore::Open(location_.pg_settings(), clock_, 2);
  ASSERT_FALSE(store.has_value());
  EXPECT_NE(store.error().message.find(
                "is not a Tether database: it holds tables but no Tether "
                "schema"),
            std::string::npos)
      << store.error().message;
}

TEST_F(PgStoreTest, ASchemaFromANewerRelayIsRefused) {
  OpenRelay().reset();
  ASSERT_EQ(location_.Exec("UPDATE tether_meta SET version = version + 1"), "");
  auto store = PgStore::Open(location_.pg_settings(), clock_, 2);
  ASSERT_FALSE(store.has_value());
  EXPECT_NE(store.error().message.find("newer than this tether-relay knows"),
            std::string::npos)
      << store.error().message;
  EXPECT_FALSE(PgStore::OpenReadOnly(location_.pg_settings(), clock_));
}

TEST_F(PgStoreTest, APasswordInTheConnectionStringIsRefused) {
  PgSettings settings = location_.pg_settings();
  settings.dsn += " password=hunter2";
  auto store = PgStore::Open(settings, clock_, 2);
  ASSERT_FALSE(store.has_value());
  EXPECT_NE(store.error().message.find("holds a password"), std::string::npos)
      << store.error().message;
  EXPECT_EQ(store.error().message.find("hunter2"), std::string::npos);
}

TEST_F(PgStoreTest, APasswordFileOthersCanReadIsRefused) {
  // A copy: the server's own file serves every test's database.
  PgSettings settings = location_.pg_settings();
  test::ScratchDir dir;
  std::filesystem::copy_file(settings.password_file, dir.path() / "password");
  settings.password_file = dir.path() / "password";
  ASSERT_EQ(::chmod(settings.password_file.c_str(), 0644), 0);
  auto store = PgStore::Open(settings, clock_, 2);
  ASSERT_FALSE(store.has_value());
  EXPECT_NE(store.error().message.find("can be read by other users"),
            std::string::npos)
      << store.error().message;
}

TEST_F(PgStoreTest, AWrongPasswordIsAClearErrorWithoutThePassword) {
  PgSettings settings = location_.pg_settings();
  test::ScratchDir dir;
  settings.password_file = dir.path() / "wrong";
  std::ofstream(settings.password_file) << "not-the-password\n";
  ASSERT_EQ(::chmod(settings.password_file.c_str(), 0600), 0);
  auto store = PgStore::Open(settings, clock_, 2);
  ASSERT_FALSE(store.has_value());
  EXPECT_NE(store.error().message.find("password authentication failed"),
            std::string::npos)
      << store.error().message;
  EXPECT_EQ(store.error().message.find("not-the-password"), std::string::npos);
}

// PostgreSQL restarted under a running relay: calls fail at once (not
// after a connect timeout each) while it is down, and work again, on the
// same store, when it is back.
TEST_F(PgStoreTest, AStoreSurvivesARestartOfTheServer) {
  auto store = OpenRelay();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateAccount(Admin("alice")).has_value());
  auto* server = location_.postgres();
  ASSERT_TRUE(server->Stop(/*immediate=*/true).has_value());

  auto down = store->FindAccount("alice");
  ASSERT_FALSE(down.has_value());
  EXPECT_TRUE(down.error().temporary()) << down.error().message;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    auto again = store->AppendAudit("system", "test", "", "");
    ASSERT_FALSE(again.has_value());
    EXPECT_TRUE(again.error().temporary());
    EXPECT_NE(again.error().message.find("PostgreSQL is unavailable"),
              std::string::npos)
        << again.error().message;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s)
      << "calls while the server is down must fail fast";

  ASSERT_TRUE(server->StartAgain().has_value());
  std::optional<Account> found;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto result = store->FindAccount("alice");
    if (result && result->has_value()) {
      found = **result;
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(found.has_value()) << "the store did not come back";
  ASSERT_TRUE(store->AppendAudit("system", "test", "", "").has_value());
  auto verification = store->VerifyAudit();
  ASSERT_TRUE(verification.has_value());
  EXPECT_TRUE(verification->ok) << verification->problem;
}

// A spooled batch whose COMMIT's answer was lost is offered again: what
// PostgreSQL has already is skipped, the rest is written.
TEST_F(PgStoreTest, ASpooledBatchIsWrittenOnce) {
  auto opened = PgStore::Open(location_.pg_settings(), clock_, 2);
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  PgStore& store = **opened;
  const std::vector<LogRow> rows = {test::SupporterEvent(clock_.WallNow()),
                                    AuditEntry{"a", "first", "", ""},
                                    AuditEntry{"a", "second", "", ""}};
  const std::vector<int64_t> numbers = {7, 8, 9};
  const std::span<const LogRow> two(rows.data(), 2);
  ASSERT_TRUE(
      store
          .AppendSpooledRows("spool-a",
                             std::span<const int64_t>(numbers.data(), 2), two)
          .has_value());
  ASSERT_TRUE(store.AppendSpooledRows("spool-a", numbers, rows).has_value());
  ASSERT_TRUE(store.AppendSpooledRows("spool-a", numbers, rows).has_value());
  EXPECT_EQ(location_.Query("SELECT count(*) FROM connection_events"), "1");
  EXPECT_EQ(location_.Query("SELECT string_agg(action, ',' ORDER BY id) FROM "
                            "audit_log"),
            "first,second");
  // Another relay's spool has numbers of its own.
  ASSERT_TRUE(store.AppendSpooledRows("spool-b", numbers, rows).has_value());
  EXPECT_EQ(location_.Query("SELECT count(*) FROM connection_events"), "2");
  EXPECT_TRUE(store.VerifyAudit()->ok);
}

class SpoolingStoreTest : public PgStoreTest {
 protected:
  std::unique_ptr<SpoolingStore> OpenSpooling() {
    auto store = PgStore::Open(location_.pg_settings(), clock_, 2);
    EXPECT_TRUE(store.has_value()) << store.error().message;
    auto spool = RowSpool::Open(dir_.path() / "relay.db.spool", clock_);
    EXPECT_TRUE(spool.has_value()) << spool.error().message;
    if (!store || !spool)
      return nullptr;
    return std::make_unique<SpoolingStore>(std::move(*store),
                                           std::move(*spool));
  }

  // Waits (bounded) until the spool is empty.
  static bool Drained(SpoolingStore& store) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (store.queued() == 0)
        return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  // Through a StoreWriter, as the relay writes: `count` events and audit
  // rows, every failed write counted.
  static std::size_t WriteRows(Store& store,
                               int count,
                               const std::string& tag) {
    StoreWriter writer(store);
    for (int i = 0; i < count; ++i) {
      ConnectionEvent event = test::SupporterEvent(Clock::WallTime());
      event.end_reason = tag + std::to_string(i);
      writer.RecordEvent(event);
      writer.Audit("system", "session.end", tag + std::to_string(i), "");
    }
    writer.Flush();
    return writer.failed();
  }

  test::ScratchDir dir_;
};

// PostgreSQL restarts under a running relay: no event or audit row written
// meanwhile is lost, each lands once, in order, and the chain verifies.
TEST_F(SpoolingStoreTest, RowsWrittenWhilePostgresqlIsDownArriveWhenItIsBack) {
  auto store = OpenSpooling();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(WriteRows(*store, 10, "before"), 0u);
  EXPECT_EQ(store->queued(), 0u);

  ASSERT_TRUE(location_.postgres()->Stop(/*immediate=*/true).has_value());
  const Clock::WallTime outage = clock_.WallNow();
  EXPECT_EQ(WriteRows(*store, 300, "during"), 0u) << "none refused";
  EXPECT_EQ(store->queued(), 600u);
  clock_.Advance(1h);  // when PostgreSQL is back, rows keep their own times

  ASSERT_TRUE(location_.postgres()->StartAgain().has_value());
  ASSERT_TRUE(Drained(*store)) << store->queued() << " rows still wait";
  EXPECT_EQ(WriteRows(*store, 10, "after"), 0u);
  ASSERT_TRUE(Drained(*store));

  EXPECT_EQ(location_.Query("SELECT count(*) FROM connection_events"), "320");
  EXPECT_EQ(location_.Query("SELECT count(*) FROM audit_log"), "320");
  EXPECT_EQ(location_.Query("SELECT string_agg(subject, ',' ORDER BY id) FROM"
                            " audit_log WHERE id IN (10, 11, 310, 311)"),
            "before9,during0,during299,after0");
  EXPECT_EQ(location_.Query("SELECT count(*) FROM audit_log WHERE time_ms = " +
                            std::to_string(ToUnixMillis(outage)) +
                            " AND subject LIKE 'during%'"),
            "300");
  auto verification = store->VerifyAudit();
  ASSERT_TRUE(verification.has_value());
  EXPECT_TRUE(verification->ok) << verification->problem;
}

// A relay killed during an outage leaves its spool; the next start writes
// it, even before anything new is written.
TEST_F(SpoolingStoreTest, ASpoolLeftByAnEarlierRunIsWrittenAtStart) {
  {
    auto store = OpenSpooling();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(location_.postgres()->Stop(/*immediate=*/true).has_value());
    EXPECT_EQ(WriteRows(*store, 20, "left"), 0u);
    EXPECT_EQ(store->queued(), 40u);
  }  // gone, as after kill -9: only the spool file remains
  ASSERT_TRUE(location_.postgres()->StartAgain().has_value());
  auto store = OpenSpooling();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(Drained(*store));
  EXPECT_EQ(location_.Query("SELECT count(*) FROM connection_events"), "20");
  EXPECT_TRUE(store->VerifyAudit()->ok);
}

}  // namespace
}  // namespace tether::relay
