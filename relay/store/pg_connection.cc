#include "relay/store/pg_connection.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <iterator>
#include <utility>

#include "relay/config/secret_file.h"

namespace tether::relay {

void PqFinishDeleter::operator()(pg_conn* connection) const {
  PQfinish(connection);
}

void PqClearDeleter::operator()(pg_result* result) const {
  PQclear(result);
}

namespace {

// libpq's messages end with a newline (sometimes two lines); one line reads
// better in a log or a CLI error.
std::string OneLine(const char* message) {
  std::string text = message != nullptr ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  std::string line;
  for (char c : text) {
    if (c == '\n' || c == '\t')
      c = ' ';
    if (c != ' ' || (!line.empty() && line.back() != ' '))
      line.push_back(c);
  }
  text = std::move(line);
  return text.empty() ? "unknown error" : text;
}

// Failures that may pass by themselves: the server or the network went
// away, a lock or a statement waited too long, two transactions collided.
bool IsTemporarySqlState(std::string_view state) {
  return state.starts_with("08") || state.starts_with("53") ||
         state.starts_with("57") || state == "40001" || state == "40P01" ||
         state == "55P03";
}

constexpr std::size_t kMaxPasswordBytes = 1024;

}  // namespace

PgRows::PgRows(ScopedPgResult result) : result_(std::move(result)) {}

int PgRows::size() const {
  return PQntuples(result_.get());
}

bool PgRows::IsNull(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) != 0;
}

std::string PgRows::Text(int row, int column) const {
  return std::string(
      PQgetvalue(result_.get(), row, column),
      static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

int64_t PgRows::Int64(int row, int column) const {
  std::string text = Text(row, column);
  int64_t value = 0;
  // Columns this code reads as numbers are bigint or integer: the server
  // always sends digits. Anything else is a schema we did not make.
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size())
    return 0;
  return value;
}

std::optional<int64_t> PgRows::OptionalInt64(int row, int column) const {
  if (IsNull(row, column))
    return std::nullopt;
  return Int64(row, column);
}

bool PgRows::Bool(int row, int column) const {
  return Text(row, column) == "t";
}

std::optional<Bytes> PgRows::Bytea(int row, int column) const {
  std::string text = Text(row, column);
  // bytea_output = hex (Connect sets it): "\x0a1b...".
  if (!text.starts_with("\\x"))
    return std::nullopt;
  auto bytes = FromHex(std::string_view(text).substr(2));
  if (!bytes)
    return std::nullopt;
  return std::move(*bytes);
}

int64_t PgRows::Affected() const {
  const char* count = PQcmdTuples(result_.get());
  int64_t value = 0;
  std::from_chars(count, count + std::strlen(count), value);
  return value;
}

Result<std::string> PgConnection::ReadPassword(const PgSettings& settings) {
  char* parse_error = nullptr;
  PQconninfoOption* options =
      PQconninfoParse(settings.dsn.c_str(), &parse_error);
  if (options == nullptr) {
    std::string why = OneLine(parse_error);
    PQfreemem(parse_error);
    return MakeError("the PostgreSQL connection string does not parse: " + why);
  }
  bool has_password = false;
  for (PQconninfoOption* option = options; option->keyword != nullptr;
       ++option) {
    if (std::strcmp(option->keyword, "password") == 0 &&
        option->val != nullptr && option->val[0] != '\0') {
      has_password = true;
    }
  }
  PQconninfoFree(options);
  if (has_password) {
    return MakeError(
        "the PostgreSQL connection string holds a password: put it in "
        "postgresql_password_file instead, readable by the relay only");
  }
  if (settings.password_file.empty())
    return std::string();

  return ReadSecretFile({settings.password_file, "the PostgreSQL password file",
                         1, kMaxPasswordBytes, /*text=*/true});
}

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(
    const PgSettings& settings) {
  TETHER_TRY(password, ReadPassword(settings));
  const std::string connect_timeout = std::to_string(kConnectTimeout.count());
  // Every session of ours: bounded waits, UTF-8, and a name in
  // pg_stat_activity. Keepalives notice a server that vanished.
  const std::string options =
      "-c statement_timeout=" +
      std::to_string(std::chrono::milliseconds(kStatementTimeout).count()) +
      " -c lock_timeout=5000 -c idle_in_transaction_session_timeout=60000"
      " -c bytea_output=hex";
  const char* keywords[] = {"dbname",
                            "password",
                            "connect_timeout",
                            "application_name",
                            "client_encoding",
                            "options",
                            "keepalives_idle",
                            "keepalives_interval",
                            "keepalives_count",
                            "tcp_user_timeout",
                            nullptr};
  const char* values[] = {settings.dsn.c_str(),
                          password->empty() ? nullptr : password->c_str(),
                          connect_timeout.c_str(), "tether-relay", "UTF8",
                          options.c_str(), "10", "5", "3",
                          // Unacknowledged data (a silent network drop)
                          // fails the connection after 15 s, not TCP's 15
                          // minutes: statement_timeout acts on the server.
                          "15000", nullptr};
  ScopedPgConn connection(
      PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (connection == nullptr)
    return MakeTemporaryError("cannot connect to PostgreSQL: out of memory");
  // The server's notices (a shutdown in progress, ...) would go to stderr;
  // what matters reaches us as errors.
  PQsetNoticeProcessor(
      connection.get(), [](void*, const char*) {}, nullptr);
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    return MakeTemporaryError("cannot connect to PostgreSQL: " +
                              OneLine(PQerrorMessage(connection.get())));
  }
  const char* host = PQhost(connection.get());
  std::string name = std::string(host != nullptr ? host : "") + ":" +
                     PQport(connection.get()) + "/" + PQdb(connection.get());
  return std::unique_ptr<PgConnection>(
      new PgConnection(std::move(connection), std::move(name)));
}

PgConnection::PgConnection(ScopedPgConn connection, std::string name)
    : connection_(std::move(connection)), name_(std::move(name)) {}

PgConnection::~PgConnection() = default;

bool PgConnection::healthy() const {
  return PQstatus(connection_.get()) == CONNECTION_OK;
}

Result<PgRows> PgConnection::Exec(std::string_view sql,
                                  const std::vector<PgParam>& params) {
  last_sqlstate_.clear();
  ++statements_;
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const PgParam& param : params)
    values.push_back(param ? param->c_str() : nullptr);
  const std::string statement(sql);
  // Without parameters PQexec, which also runs a script of several
  // statements (a migration step) in one round trip.
  ScopedPgResult result(
      params.empty() ? PQexec(connection_.get(), statement.c_str())
                     : PQexecParams(connection_.get(), statement.c_str(),
                                    static_cast<int>(values.size()), nullptr,
                                    values.data(), nullptr, nullptr,
                                    /*resultFormat=*/0));
  if (result == nullptr) {
    return MakeTemporaryError("PostgreSQL at " + name_ + ": " +
                              OneLine(PQerrorMessage(connection_.get())));
  }
  const ExecStatusType status = PQresultStatus(result.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
    return PgRows(std::move(result));

  const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
  last_sqlstate_ = state != nullptr ? state : "";
  const char* primary =
      PQresultErrorField(result.get(), PG_DIAG_MESSAGE_PRIMARY);
  std::string message =
      "PostgreSQL at " + name_ + ": " +
      OneLine(primary != nullptr ? primary : PQerrorMessage(connection_.get()));
  if (!healthy() || IsTemporarySqlState(last_sqlstate_))
    return MakeTemporaryError(std::move(message));
  return MakeError(std::move(message));
}

Result<PgTransaction> PgTransaction::Begin(PgConnection& connection,
                                           std::string_view mode) {
  std::string begin = "BEGIN";
  if (!mode.empty())
    begin += " " + std::string(mode);
  TETHER_RETURN_IF_ERROR(connection.Exec(begin));
  return PgTransaction(connection);
}

PgTransaction::PgTransaction(PgConnection& connection)
    : connection_(&connection) {}

PgTransaction::PgTransaction(PgTransaction&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)) {}

PgTransaction::~PgTransaction() {
  if (connection_ != nullptr && connection_->healthy())
    (void)connection_->Exec("ROLLBACK");
}

Result<void> PgTransaction::Commit() {
  PgConnection* connection = std::exchange(connection_, nullptr);
  TETHER_RETURN_IF_ERROR(connection->Exec("COMMIT"));
  return {};
}

std::string PgInt(int64_t value) {
  return std::to_string(value);
}

PgParam PgInt(std::optional<int64_t> value) {
  if (!value)
    return std::nullopt;
  return PgInt(*value);
}

std::string PgBool(bool value) {
  return value ? "true" : "false";
}

std::string PgBytea(ByteSpan bytes) {
  return "\\x" + ToHex(bytes);
}

std::string DescribeDsn(const std::string& dsn) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &error);
  if (options == nullptr) {
    PQfreemem(error);
    return "(a connection string that does not parse)";
  }
  std::string described;
  for (const char* keyword : {"host", "hostaddr", "port", "dbname", "user"}) {
    for (PQconninfoOption* option = options; option->keyword != nullptr;
         ++option) {
      if (std::strcmp(option->keyword, keyword) == 0 &&
          option->val != nullptr && option->val[0] != '\0') {
        if (!described.empty())
          described += ' ';
        described += std::string(keyword) + "=" + option->val;
      }
    }
  }
  PQconninfoFree(options);
  return described;
}

}  // namespace tether::relay
