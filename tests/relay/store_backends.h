#pragma once

// The store's tests run against both backends: SQLite in a scratch folder,
// and PostgreSQL in a fresh database on a private server (one per test
// process, started on first use; tests/support/private_postgres.h). The
// same test proves the same contract on each.

#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>
#include <memory>
#include <ostream>
#include <string>

#include "base/clock.h"
#include "relay/store/pg_store.h"
#include "relay/store/sqlite_store.h"
#include "tests/relay/store_test_util.h"
#include "tests/support/private_postgres.h"

namespace tether::relay::test {

enum class Backend { kSqlite, kPostgres };

inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

inline void PrintTo(Backend backend, std::ostream* out) {
  *out << (backend == Backend::kSqlite ? "SQLite" : "PostgreSQL");
}

// The values for INSTANTIATE_TEST_SUITE_P.
inline auto AllBackends() {
  return ::testing::Values(Backend::kSqlite, Backend::kPostgres);
}

// The process's PostgreSQL server, or null when none can start (the
// message says why).
inline tether::test::PrivatePostgres* SharedPostgres(std::string& why) {
  static std::unique_ptr<tether::test::PrivatePostgres> server;
  static std::string failure;
  if (!server && failure.empty()) {
    auto started = tether::test::PrivatePostgres::Start();
    if (started) {
      server = std::move(*started);
    } else {
      failure = started.error().message;
    }
  }
  why = failure;
  return server.get();
}

// One test's store: where it lives, opening it (as often as a test wants:
// each handle is another process's or relay's view), and raw SQL on it as
// someone with direct access to the database would run it.
class StoreLocation {
 public:
  explicit StoreLocation(Backend backend) : backend_(backend) {
    if (backend_ == Backend::kSqlite)
      return;
    if (!tether::test::PrivatePostgres::Available()) {
      skip_ = "no PostgreSQL server installed (Debian: postgresql)";
      return;
    }
    std::string why;
    postgres_ = SharedPostgres(why);
    if (postgres_ == nullptr) {
      ADD_FAILURE() << "the private PostgreSQL server did not start: " << why;
      return;
    }
    static std::atomic<int> next{0};
    auto database = postgres_->CreateDatabase(
        "store_" + std::to_string(::getpid()) + "_" + std::to_string(++next));
    if (!database) {
      ADD_FAILURE() << database.error().message;
      postgres_ = nullptr;
      return;
    }
    settings_ = PgSettings{database->dsn, database->password_file};
    database_ = database->name;
  }

  Backend backend() const { return backend_; }
  // Why this backend cannot run here ("": it can).
  const std::string& skip() const { return skip_; }
  const PgSettings& pg_settings() const { return settings_; }
  tether::test::PrivatePostgres* postgres() const { return postgres_; }
  std::filesystem::path sqlite_path() const { return dir_.path() / "relay.db"; }

  Result<std::unique_ptr<Store>> Open(const Clock& clock) const {
    if (backend_ == Backend::kSqlite) {
      TETHER_TRY(store, SqliteStore::Open(sqlite_path(), clock));
      return std::unique_ptr<Store>(std::move(*store));
    }
    if (postgres_ == nullptr)
      return MakeError("no PostgreSQL server");
    TETHER_TRY(store, PgStore::Open(settings_, clock, 4));
    return std::unique_ptr<Store>(std::move(*store));
  }

  // The first column of the first row ("" when none or on error).
  std::string Query(const std::string& sql) const {
    if (backend_ == Backend::kSqlite)
      return RawQuery(sqlite_path(), sql);
    if (postgres_ == nullptr)
      return "";
    auto value = postgres_->Query(database_, sql);
    return value ? *value : "";
  }

  // The error message, or "" on success.
  std::string Exec(const std::string& sql) const {
    if (backend_ == Backend::kSqlite)
      return RawExec(sqlite_path(), sql);
    if (postgres_ == nullptr)
      return "no PostgreSQL server";
    auto done = postgres_->Exec(database_, sql);
    return done ? "" : done.error().message;
  }

 private:
  Backend backend_;
  ScratchDir dir_;
  std::string skip_;
  tether::test::PrivatePostgres* postgres_ = nullptr;
  PgSettings settings_;
  std::string database_;
};

}  // namespace tether::relay::test
