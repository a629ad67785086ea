// The relay's store on its two backends, side by side in one run: SQLite
// (one file) and PostgreSQL (a private server, tests/support/
// private_postgres.h). What a relay asks of its store most: a batch of
// connection events and audit rows (StoreWriter's), a login's account
// change (one per sign-in attempt), an account lookup, and verifying the
// audit chain. Threads: the relay's workers use the store at once.
//
// Both run without a real fsync (SQLite in /dev/shm, PostgreSQL with
// fsync=off, as the tests run them): the figures compare the software
// (round trips, locks, the chain), not disks.
//
//   build/release/bin/tether-bench-store [--benchmark_min_time=1]

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "relay/store/pg_store.h"
#include "relay/store/sqlite_store.h"
#include "tests/support/private_postgres.h"
#include "tests/support/scratch_folder.h"

namespace tether::relay {
namespace {

// One server and one database per backend for the whole run.
struct Backends {
  std::unique_ptr<test::PrivatePostgres> postgres;
  std::filesystem::path sqlite_folder;
  std::unique_ptr<Store> sqlite;
  std::unique_ptr<Store> pg;
  int64_t sqlite_account = 0;
  int64_t pg_account = 0;

  static Backends& Get() {
    static Backends* backends = [] {
      auto* made = new Backends;
      auto folder = test::MakeScratchFolder("tether-store-bench");
      if (!folder)
        std::abort();
      made->sqlite_folder = *folder;
      auto sqlite = SqliteStore::Open(*folder / "relay.db", Clock::System());
      if (!sqlite)
        std::abort();
      made->sqlite = std::move(*sqlite);
      auto postgres = test::PrivatePostgres::Start();
      if (!postgres) {
        std::fprintf(stderr, "no PostgreSQL: %s\n",
                     postgres.error().message.c_str());
        std::abort();
      }
      made->postgres = std::move(*postgres);
      auto database = made->postgres->CreateDatabase("bench");
      if (!database)
        std::abort();
      auto pg = PgStore::Open({database->dsn, database->password_file},
                              Clock::System(), 8);
      if (!pg)
        std::abort();
      made->pg = std::move(*pg);
      Account bob;
      bob.user_name = "bob";
      bob.display_name = "Bob";
      bob.password_hash = "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA";
      made->sqlite_account = made->sqlite->CreateAccount(bob)->id;
      made->pg_account = made->pg->CreateAccount(bob)->id;
      return made;
    }();
    return *backends;
  }

  Store& store(int64_t backend) { return backend == 0 ? *sqlite : *pg; }
  int64_t account(int64_t backend) {
    return backend == 0 ? sqlite_account : pg_account;
  }
};

const char* Name(int64_t backend) {
  return backend == 0 ? "sqlite" : "postgresql";
}

std::vector<LogRow> Batch(int rows) {
  std::vector<LogRow> batch;
  for (int i = 0; i < rows; ++i) {
    if (i % 2 == 0) {
      ConnectionEvent event;
      event.role = "customer";
      event.source_address = "203.0.113.7:51234";
      event.code_hmac = std::string(16, 'a');
      event.end_reason = "peer closed";
      batch.emplace_back(std::move(event));
    } else {
      batch.emplace_back(
          AuditEntry{"system", "session.end", "code:0123456789abcdef", ""});
    }
  }
  return batch;
}

// StoreWriter's batches: rows per second.
void AppendRows(benchmark::State& state) {
  Store& store = Backends::Get().store(state.range(0));
  const std::vector<LogRow> batch = Batch(static_cast<int>(state.range(1)));
  for (auto _ : state) {
    if (!store.AppendRows(batch))
      state.SkipWithError("AppendRows failed");
  }
  state.SetItemsProcessed(state.iterations() * state.range(1));
  state.SetLabel(Name(state.range(0)));
}
BENCHMARK(AppendRows)
    ->ArgsProduct({{0, 1}, {1, 100, 1000}})
    ->ArgNames({"backend", "rows"})
    ->UseRealTime();

// A sign-in attempt's account change (the failure count claimed before the
// slow password check), from several worker threads at once.
void ChangeAccount(benchmark::State& state) {
  Backends& backends = Backends::Get();
  Store& store = backends.store(state.range(0));
  const int64_t id = backends.account(state.range(0));
  for (auto _ : state) {
    auto changed = store.ChangeAccount(id, [](Account& account) {
      account.failed_logins = (account.failed_logins + 1) % 3;
      return true;
    });
    if (!changed)
      state.SkipWithError("ChangeAccount failed");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(Name(state.range(0)));
}
BENCHMARK(ChangeAccount)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("backend")
    ->Threads(1)
    ->Threads(4)
    ->UseRealTime();

void FindAccount(benchmark::State& state) {
  Store& store = Backends::Get().store(state.range(0));
  for (auto _ : state) {
    auto found = store.FindAccount("BOB");
    if (!found || !found->has_value())
      state.SkipWithError("FindAccount failed");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(Name(state.range(0)));
}
BENCHMARK(FindAccount)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("backend")
    ->Threads(1)
    ->Threads(4)
    ->UseRealTime();

// `audit verify` over the rows the benchmarks above appended (tens of
// thousands): rows per second.
void VerifyAudit(benchmark::State& state) {
  Store& store = Backends::Get().store(state.range(0));
  std::size_t rows = 0;
  for (auto _ : state) {
    auto verified = store.VerifyAudit();
    if (!verified || !verified->ok)
      state.SkipWithError("VerifyAudit failed");
    else
      rows = verified->rows_checked;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(rows));
  state.counters["rows"] = static_cast<double>(rows);
  state.SetLabel(Name(state.range(0)));
}
BENCHMARK(VerifyAudit)->Arg(0)->Arg(1)->ArgName("backend")->UseRealTime();

}  // namespace
}  // namespace tether::relay

BENCHMARK_MAIN();
