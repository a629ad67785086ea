#include "tests/support/private_postgres.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "relay/store/scoped_pq.h"
#include "tests/support/child_process.h"
#include "tests/support/free_port.h"
#include "tests/support/scratch_folder.h"

namespace tether::test {
namespace {

namespace fs = std::filesystem;

// Bump when the template's initdb options change: old templates are then
// left alone rather than reused.
constexpr char kTemplateVersion[] = "v1";
constexpr char kSuperuser[] = "tether";
// util-linux (essential in Debian); not always on a root PATH.
constexpr char kRunuser[] = "/usr/sbin/runuser";
constexpr auto kToolTimeout = std::chrono::seconds(60);

// The newest installed server's bin folder and its major version.
std::pair<fs::path, std::string> NewestServer() {
  fs::path best;
  std::string best_version;
  int best_number = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() ||
        !std::all_of(name.begin(), name.end(),
                     [](char c) { return c >= '0' && c <= '9'; }) ||
        access((entry.path() / "bin/initdb").c_str(), X_OK) != 0 ||
        access((entry.path() / "bin/pg_ctl").c_str(), X_OK) != 0) {
      continue;
    }
    const int number = std::atoi(name.c_str());
    if (number > best_number) {
      best_number = number;
      best = entry.path() / "bin";
      best_version = name;
    }
  }
  return {best, best_version};
}

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  size_t filled = 0;
  while (filled < bytes) {
    const ssize_t got = getrandom(raw.data() + filled, bytes - filled, 0);
    if (got <= 0)
      std::abort();  // the kernel's randomness is not optional
    filled += static_cast<size_t>(got);
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : raw) {
    hex += kDigits[c >> 4];
    hex += kDigits[c & 15];
  }
  return hex;
}

// The last `lines` lines of a file, or nothing.
std::string Tail(const fs::path& path, size_t lines) {
  std::ifstream in(path);
  std::vector<std::string> kept;
  for (std::string line; std::getline(in, line);) {
    kept.push_back(std::move(line));
    if (kept.size() > lines)
      kept.erase(kept.begin());
  }
  std::string text;
  for (const auto& line : kept)
    text += line + "\n";
  return text;
}

bool WriteFile(const fs::path& path, const std::string& text, mode_t mode) {
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
           mode);
  if (fd < 0)
    return false;
  const bool ok =
      write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  return close(fd) == 0 && ok;
}

// Where templates are kept: a folder of this user's alone, or nothing (then
// every server runs initdb).
std::optional<fs::path> CacheDir(const std::string& version) {
  const char* bin_dir = std::getenv("TETHER_TEST_BIN_DIR");
  std::error_code ec;
  // Absolute: the tools that copy it run in the server's folder.
  const fs::path root =
      bin_dir != nullptr && *bin_dir != '\0'
          ? fs::weakly_canonical(fs::absolute(bin_dir) / ".." / "test-cache",
                                 ec)
          : fs::path("/var/tmp");
  if (root.empty())
    return std::nullopt;
  const fs::path dir =
      root / ("tether-postgres-" + version + "-uid" +
              std::to_string(geteuid()) + "-" + kTemplateVersion);
  fs::create_directories(root, ec);
  mkdir(dir.c_str(), 0700);
  // /var/tmp is everybody's: use the folder only if it is ours alone.
  struct stat info {};
  if (lstat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) ||
      info.st_uid != geteuid() || (info.st_mode & 0077) != 0) {
    return std::nullopt;
  }
  return dir;
}

// An exclusive flock on a file, released by the destructor.
class FileLock {
 public:
  explicit FileLock(const fs::path& path)
      : fd_(open(path.c_str(),
                 O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                 0600)) {
    if (fd_ >= 0 && flock(fd_, LOCK_EX) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~FileLock() {
    if (fd_ >= 0)
      close(fd_);  // releases the lock
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool locked() const { return fd_ >= 0; }

 private:
  int fd_;
};

// libpq's handles, owned as the relay's store owns them.
using relay::ScopedPgConn;
using relay::ScopedPgResult;

// Runs argv to its end (output appended to `log`); an error unless it
// exits with 0.
Result<void> RunToEnd(std::vector<std::string> argv,
                      const fs::path& working_dir,
                      const fs::path& log) {
  TETHER_TRY(process,
             ChildProcess::Start(
                 {.argv = std::move(argv),
                  .environment = {{"LC_ALL", "C"}},
                  .unset_environment = {"PGDATA", "PGHOST", "PGPORT", "PGUSER",
                                        "PGOPTIONS", "PGDATABASE"},
                  .working_dir = working_dir,
                  .output = ChildProcess::Output::kAppendToFile,
                  .output_file = log}));
  TETHER_TRY(status, (*process)->Wait(kToolTimeout));
  if (*status != 0)
    return MakeError("exit status " + std::to_string(*status));
  return {};
}

// `sql` in `dbname` as the superuser, over the server's Unix socket in
// `dir` (where the superuser needs no password).
Result<ScopedPgResult> RunSql(const fs::path& dir,
                              uint16_t port,
                              const std::string& dbname,
                              const std::string& sql) {
  const std::string port_text = std::to_string(port);
  const char* keywords[] = {"host", "port", "dbname", "user", "connect_timeout",
                            nullptr};
  const char* values[] = {dir.c_str(),    port_text.c_str(),
                          dbname.c_str(), kSuperuser,
                          "10",           nullptr};
  ScopedPgConn connection(PQconnectdbParams(keywords, values, 0));
  if (!connection || PQstatus(connection.get()) != CONNECTION_OK) {
    return MakeError("cannot connect to " + dbname + ": " +
                     (connection ? PQerrorMessage(connection.get()) : ""));
  }
  ScopedPgResult result(PQexec(connection.get(), sql.c_str()));
  const ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return MakeError("`" + sql + "` in " + dbname + ": " +
                     PQerrorMessage(connection.get()));
  }
  return result;
}

}  // namespace

bool PrivatePostgres::Available() {
  if (NewestServer().first.empty())
    return false;
  return geteuid() != 0 ||
         (getpwnam("postgres") != nullptr && access(kRunuser, X_OK) == 0);
}

Result<std::unique_ptr<PrivatePostgres>> PrivatePostgres::Start() {
  std::unique_ptr<PrivatePostgres> server(new PrivatePostgres());
  std::tie(server->bin_dir_, server->version_) = NewestServer();
  if (server->bin_dir_.empty())
    return MakeError("no PostgreSQL server in /usr/lib/postgresql/*/bin");
  TETHER_TRY(dir, MakeScratchFolder("tether-postgres"));
  server->dir_ = *dir;
  server->data_dir_ = server->dir_ / "data";
  server->password_file_ = server->dir_ / "password";
  if (geteuid() == 0) {
    // initdb and postgres refuse root: the Debian package's user runs them.
    const passwd* user = getpwnam("postgres");
    if (user == nullptr)
      return MakeError("running as root and no `postgres` user to run as");
    if (chown(server->dir_.c_str(), user->pw_uid, user->pw_gid) != 0)
      return MakeError("chown " + server->dir_.string() + " failed");
    server->as_postgres_user_ = true;
  }
  TETHER_RETURN_IF_ERROR(server->StartGuard());
  TETHER_RETURN_IF_ERROR(server->MakeDataDirectory());
  // Another process may take the free port before the server binds it.
  for (int attempt = 0;; ++attempt) {
    server->port_ = FreeLoopbackPort();
    if (server->port_ == 0)
      return MakeError("no free port");
    auto started = server->StartAgain();
    if (started)
      break;
    if (attempt == 2 ||
        server->log().find("already in use") == std::string::npos) {
      return Unexpected(std::move(started).error());
    }
  }
  TETHER_RETURN_IF_ERROR(server->SetPassword());
  return server;
}

PrivatePostgres::~PrivatePostgres() {
  if (running_ && !Stop(/*immediate=*/true)) {
    // pg_ctl failed: end the postmaster itself (its children follow).
    std::ifstream pid_file(data_dir_ / "postmaster.pid");
    pid_t pid = 0;
    if (pid_file >> pid && pid > 0)
      kill(pid, SIGKILL);
  }
  guard_.reset();  // removes the folder too
  std::error_code ec;
  if (!dir_.empty())
    fs::remove_all(dir_, ec);
}

Result<void> PrivatePostgres::StartGuard() {
  // On SIGTERM (the destructor's, or the death signal when the test's
  // thread ends): stop the server if it runs, remove the folder.
  static constexpr char kScript[] =
      "dir=$1; shift\n"
      "trap 'kill $! 2>/dev/null; \"$@\" >/dev/null 2>&1; rm -rf \"$dir\";"
      " exit 0' TERM\n"
      "while :; do sleep 3600 & wait $!; done\n";
  std::vector<std::string> argv = {"sh", "-c", kScript, "tether-postgres-guard",
                                   dir_.string()};
  if (as_postgres_user_)
    argv.insert(argv.end(), {kRunuser, "-u", "postgres", "--"});
  argv.insert(argv.end(),
              {(bin_dir_ / "pg_ctl").string(), "stop", "-D", data_dir_.string(),
               "-m", "immediate", "-w", "-t", "10"});
  TETHER_TRY(guard, ChildProcess::Start({.argv = std::move(argv),
                                         .working_dir = "/",
                                         .death_signal = SIGTERM}));
  guard_ = std::move(*guard);
  return {};
}

Result<void> PrivatePostgres::RunTool(const std::string& tool,
                                      std::vector<std::string> arguments) {
  std::vector<std::string> argv;
  if (as_postgres_user_)
    argv = {kRunuser, "-u", "postgres", "--"};
  argv.push_back((bin_dir_ / tool).string());
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  auto done = RunToEnd(std::move(argv), dir_, dir_ / "tools.log");
  if (!done) {
    return MakeError(tool + " failed (" + done.error().message + "):\n" +
                     Tail(dir_ / "tools.log", 20) + "-- server log:\n" +
                     Tail(dir_ / "postgres.log", 30));
  }
  return {};
}

Result<void> PrivatePostgres::MakeDataDirectory() {
  const auto initdb = [this]() -> Result<void> {
    // Only for initdb: SetPassword() sets the server's own password.
    const fs::path initdb_password = dir_ / "initdb-password";
    if (!WriteFile(initdb_password, RandomHex(16), 0600))
      return MakeError("cannot write " + initdb_password.string());
    if (as_postgres_user_) {
      const passwd* user = getpwnam("postgres");
      if (user == nullptr ||
          chown(initdb_password.c_str(), user->pw_uid, user->pw_gid) != 0) {
        return MakeError("chown " + initdb_password.string() + " failed");
      }
    }
    auto done = RunTool(
        "initdb", {"-D", data_dir_.string(), "-U", kSuperuser,
                   "--pwfile=" + initdb_password.string(), "--auth-local=trust",
                   "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C",
                   "--no-sync", "--no-instructions"});
    std::error_code ec;
    fs::remove(initdb_password, ec);
    return done;
  };
  const std::optional<fs::path> cache = CacheDir(version_);
  if (!cache)
    return initdb();
  FileLock lock(*cache / "lock");
  if (!lock.locked())
    return initdb();
  const fs::path template_dir = *cache / "template";
  std::error_code ec;
  if (fs::exists(template_dir / "PG_VERSION", ec)) {
    // cp -a keeps the owner (postgres, when root copies).
    auto copied =
        RunToEnd({"cp", "-a", template_dir.string(), data_dir_.string()}, dir_,
                 dir_ / "tools.log");
    if (!copied) {
      return MakeError("copying " + template_dir.string() + " failed:\n" +
                       Tail(dir_ / "tools.log", 20));
    }
    return {};
  }
  TETHER_RETURN_IF_ERROR(initdb());
  // The next servers copy this one's fresh data directory.
  const fs::path partial = *cache / "template.partial";
  fs::remove_all(partial, ec);
  if (RunToEnd({"cp", "-a", data_dir_.string(), partial.string()}, dir_,
               dir_ / "tools.log")) {
    fs::rename(partial, template_dir, ec);
  }
  fs::remove_all(partial, ec);
  return {};
}

Result<void> PrivatePostgres::StartAgain() {
  if (running_)
    return MakeError("the server is running");
  // pg_ctl hands -o to a shell: the folder is quoted.
  const std::string options = "-c listen_addresses=127.0.0.1 -p " +
                              std::to_string(port_) + " -k '" + dir_.string() +
                              "' -c fsync=off -c full_page_writes=off" +
                              " -c max_connections=200";
  TETHER_RETURN_IF_ERROR(RunTool(
      "pg_ctl",
      {"start", "-D", data_dir_.string(), "-l",
       (dir_ / "postgres.log").string(), "-w", "-t", "30", "-o", options}));
  running_ = true;
  return {};
}

Result<void> PrivatePostgres::Stop(bool immediate) {
  if (!running_)
    return MakeError("the server is not running");
  TETHER_RETURN_IF_ERROR(
      RunTool("pg_ctl", {"stop", "-D", data_dir_.string(), "-m",
                         immediate ? "immediate" : "fast", "-w", "-t", "30"}));
  running_ = false;
  return {};
}

Result<void> PrivatePostgres::SetPassword() {
  password_ = RandomHex(16);
  // Owned by the calling user (root, too), readable by it alone.
  if (!WriteFile(password_file_, password_, 0600))
    return MakeError("cannot write " + password_file_.string());
  return Exec("postgres", std::string("ALTER ROLE ") + kSuperuser +
                              " PASSWORD '" + password_ + "'");
}

Result<PrivatePostgres::Database> PrivatePostgres::CreateDatabase(
    std::string name) {
  if (name.empty() || name.size() > 63 ||
      !std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      })) {
    return MakeError("not a database name for tests: " + name);
  }
  TETHER_RETURN_IF_ERROR(Exec("postgres", "CREATE DATABASE \"" + name + "\""));
  Database database;
  database.dsn = "host=127.0.0.1 port=" + std::to_string(port_) +
                 " dbname=" + name + " user=" + kSuperuser;
  database.password_file = password_file_;
  database.name = std::move(name);
  return database;
}

Result<void> PrivatePostgres::Exec(const std::string& dbname,
                                   const std::string& sql) {
  TETHER_TRY(result, RunSql(dir_, port_, dbname, sql));
  return {};
}

Result<std::string> PrivatePostgres::Query(const std::string& dbname,
                                           const std::string& sql) {
  TETHER_TRY(result, RunSql(dir_, port_, dbname, sql));
  if (PQresultStatus(result->get()) != PGRES_TUPLES_OK ||
      PQntuples(result->get()) == 0 || PQnfields(result->get()) == 0) {
    return MakeError("`" + sql + "` in " + dbname + " returned no row");
  }
  return std::string(PQgetvalue(result->get(), 0, 0));
}

std::string PrivatePostgres::log() const {
  std::ifstream in(dir_ / "postgres.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace tether::test
