#include "relay/store/pg_schema.h"

#include <iterator>
#include <string>

namespace tether::relay {

namespace {

constexpr std::string_view kApplication = "tether-relay";

// Append only: a released step is never edited, a change is a new step.
// Times are bigint milliseconds, as in SQLite, so exports and audit hashes
// are the same bytes whichever store wrote them.
constexpr std::string_view kMigrations[] = {
    // 1: accounts, password history, connection events, audit log.
    R"sql(
CREATE TABLE accounts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_name text NOT NULL,
  -- ASCII case-insensitive, exactly like SQLite's NOCASE: "Admin" and
  -- "admin" are one account, whatever the database's locale.
  user_key text GENERATED ALWAYS AS (translate(user_name,
    'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')) STORED UNIQUE,
  display_name text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'technician', 'auditor')),
  password_hash text NOT NULL,
  must_change_password boolean NOT NULL,
  disabled boolean NOT NULL,
  failed_logins bigint NOT NULL CHECK (failed_logins >= 0),
  locked_until_ms bigint,
  locked boolean NOT NULL,
  totp_secret bytea,
  totp_last_step bigint,
  created_at_ms bigint NOT NULL,
  password_changed_at_ms bigint NOT NULL,
  last_login_at_ms bigint
);

CREATE TABLE password_history (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  phc text NOT NULL,
  added_at_ms bigint NOT NULL
);
CREATE INDEX password_history_by_account ON password_history (account_id, id);

CREATE TABLE connection_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  started_at_ms bigint NOT NULL,
  duration_ms bigint NOT NULL,
  account text NOT NULL,
  role text NOT NULL,
  source_address text NOT NULL,
  code_hmac text NOT NULL,
  bytes_in bigint NOT NULL,
  bytes_out bigint NOT NULL,
  end_reason text NOT NULL
);
CREATE INDEX connection_events_by_start ON connection_events (started_at_ms);

-- Ids come from audit_head, not a sequence: no gaps, and one writer at a
-- time (its row is locked FOR UPDATE by every append), so relays sharing
-- the database extend one chain. UNIQUE (prev_hash): a fork cannot be
-- stored even by a writer that skipped the lock.
CREATE TABLE audit_log (
  id bigint PRIMARY KEY CHECK (id > 0),
  time_ms bigint NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  subject text NOT NULL,
  detail text NOT NULL,
  prev_hash text NOT NULL UNIQUE,
  hash text NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (time_ms);

-- The chain's end: the highest id ever written (rows cut off the end show
-- up as missing against it) and its hash.
CREATE TABLE audit_head (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  last_id bigint NOT NULL,
  last_hash text NOT NULL
);
INSERT INTO audit_head (last_id, last_hash) VALUES (0, '');

CREATE FUNCTION tether_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION tether_audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION tether_audit_append_only();
)sql",
    // 2: how far each relay's spool (rows queued while PostgreSQL was out of
    // reach) has been written, in the same transaction as its rows, so a
    // batch whose COMMIT's answer was lost is not written twice.
    R"sql(
CREATE TABLE applied_spools (
  spool_id text PRIMARY KEY,
  last_number bigint NOT NULL
);
)sql",
};

std::string TooNew(const PgConnection& connection, int64_t version) {
  return "the PostgreSQL database " + connection.name() +
         " has schema version " + std::to_string(version) +
         ", newer than this tether-relay knows (" +
         std::to_string(LatestPgSchemaVersion()) +
         "): run a newer tether-relay, or restore a backup made by this one";
}

// The version recorded, or 0 in an empty database. Fails on a database
// that holds tables but not ours.
Result<int64_t> ReadVersion(PgConnection& connection) {
  TETHER_TRY(meta,
             connection.Exec("SELECT to_regclass('tether_meta') IS NOT NULL,"
                             " (SELECT count(*) FROM pg_tables"
                             "  WHERE schemaname = current_schema())"));
  if (!meta->Bool(0, 0)) {
    if (meta->Int64(0, 1) != 0) {
      return MakeError("the PostgreSQL database " + connection.name() +
                       " is not a Tether database: it holds tables but no "
                       "Tether schema");
    }
    return 0;
  }
  TETHER_TRY(
      version,
      connection.Exec("SELECT version FROM tether_meta WHERE application = $1",
                      {std::string(kApplication)}));
  if (version->size() != 1) {
    return MakeError("the PostgreSQL database " + connection.name() +
                     " is not a Tether database: it belongs to another "
                     "application");
  }
  return version->Int64(0, 0);
}

}  // namespace

int LatestPgSchemaVersion() {
  return static_cast<int>(std::size(kMigrations));
}

Result<void> MigratePgSchema(PgConnection& connection) {
  for (;;) {
    TETHER_TRY(transaction, PgTransaction::Begin(connection));
    TETHER_RETURN_IF_ERROR(connection.Exec("SELECT pg_advisory_xact_lock($1)",
                                           {PgInt(kPgMigrationLock)}));
    // Read under the lock: another relay may have migrated meanwhile.
    TETHER_TRY(current, ReadVersion(connection));
    if (*current > LatestPgSchemaVersion())
      return MakeError(TooNew(connection, *current));
    if (*current == LatestPgSchemaVersion())
      return {};

    const int next = static_cast<int>(*current) + 1;
    if (*current == 0) {
      TETHER_RETURN_IF_ERROR(connection.Exec(
          "CREATE TABLE tether_meta (application text PRIMARY KEY,"
          " version integer NOT NULL)"));
      TETHER_RETURN_IF_ERROR(
          connection.Exec("INSERT INTO tether_meta VALUES ($1, 0)",
                          {std::string(kApplication)}));
    }
    // DDL is transactional in PostgreSQL: the step and its version bump
    // commit together or not at all.
    auto applied = connection.Exec(kMigrations[next - 1]);
    if (!applied) {
      return MakeError("migrating " + connection.name() + " to version " +
                       std::to_string(next) + ": " + applied.error().message);
    }
    TETHER_RETURN_IF_ERROR(connection.Exec(
        "UPDATE tether_meta SET version = $1 WHERE application = $2",
        {PgInt(next), std::string(kApplication)}));
    TETHER_RETURN_IF_ERROR(transaction->Commit());
  }
}

Result<void> CheckPgSchemaIsCurrent(PgConnection& connection) {
  TETHER_TRY(version, ReadVersion(connection));
  if (*version > LatestPgSchemaVersion())
    return MakeError(TooNew(connection, *version));
  if (*version != LatestPgSchemaVersion()) {
    return MakeError("the PostgreSQL database " + connection.name() +
                     " has schema version " + std::to_string(*version) +
                     ", not this tether-relay's (" +
                     std::to_string(LatestPgSchemaVersion()) + ")");
  }
  return {};
}

}  // namespace tether::relay
