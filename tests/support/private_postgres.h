#pragma once

// A private PostgreSQL server for one test: its own data directory in a
// fresh temporary folder (/dev/shm when writable), on 127.0.0.1 and a free
// port (never the system's 5432), with a superuser `tether` whose password
// is random and only in a file. Never the machine's own cluster.
//
// initdb and postgres refuse to run as root: as root, they run as the
// Debian `postgres` user (runuser), which owns the folder; otherwise as the
// calling user. The newest /usr/lib/postgresql/*/bin is used.
//
// initdb is the slow step, so a template data directory is made once per
// user and PostgreSQL version (under a lock) and copied for each server:
// in $TETHER_TEST_BIN_DIR/../test-cache/ when that is set, else in
// /var/tmp/.
//
// pg_ctl detaches the server from the test; so that a test that crashes or
// is killed leaves no server behind, a small shell guard (a ChildProcess,
// which gets SIGTERM when the test's thread dies) stops the server and
// removes the folder then.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace tether::test {

class ChildProcess;

// One thread uses it: a crash-time guard (below) dies with that thread.
class PrivatePostgres {
 public:
  // What a client of one database needs. The DSN holds no password: it is
  // in `password_file` (mode 0600, owned by the calling user), alone.
  struct Database {
    std::string dsn;  // host=127.0.0.1 port=N dbname=X user=tether
    std::filesystem::path password_file;
    std::string name;
  };

  // False when no PostgreSQL server is installed: tests skip then.
  static bool Available();
  // Makes the data directory and starts the server; ready for connections.
  static Result<std::unique_ptr<PrivatePostgres>> Start();
  // Stops the server at once and removes its folder.
  ~PrivatePostgres();
  PrivatePostgres(const PrivatePostgres&) = delete;
  PrivatePostgres& operator=(const PrivatePostgres&) = delete;

  // A new, empty database `name` (letters, digits, '_'; at most 63).
  Result<Database> CreateDatabase(std::string name);
  // `sql` in `dbname` as the superuser, over the server's Unix socket (for
  // tests that play the attacker or check what the code under test wrote).
  Result<void> Exec(const std::string& dbname, const std::string& sql);
  // The first column of the first row `sql` returns (empty when NULL); an
  // error when it returns no row.
  Result<std::string> Query(const std::string& dbname, const std::string& sql);

  // pg_ctl stop: -m immediate (a crash, recovery at the next start) or
  // -m fast (a clean shutdown).
  Result<void> Stop(bool immediate);
  // Starts the stopped server again: same data, same port.
  Result<void> StartAgain();

  uint16_t port() const { return port_; }
  // The server's log so far (for failure messages).
  std::string log() const;

 private:
  PrivatePostgres() = default;

  Result<void> MakeDataDirectory();
  // One of PostgreSQL's programs, as the server's user, to its end.
  Result<void> RunTool(const std::string& tool,
                       std::vector<std::string> arguments);
  Result<void> SetPassword();
  Result<void> StartGuard();

  std::filesystem::path bin_dir_;  // /usr/lib/postgresql/N/bin
  std::string version_;            // N
  std::filesystem::path dir_;      // the temporary folder; socket in it
  std::filesystem::path data_dir_;
  std::filesystem::path password_file_;
  std::string password_;
  uint16_t port_ = 0;
  bool as_postgres_user_ = false;  // root: through runuser -u postgres
  bool running_ = false;
  std::unique_ptr<ChildProcess> guard_;
};

}  // namespace tether::test
