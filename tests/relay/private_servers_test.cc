// The private PostgreSQL and Redis servers the cluster tests run
// (tests/support/private_postgres.h, tests/support/private_redis.h).

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "tests/support/private_postgres.h"
#include "tests/support/private_redis.h"

namespace tether::test {
namespace {

struct PgConnDeleter {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
using ScopedPgConn = std::unique_ptr<PGconn, PgConnDeleter>;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A client's connection over TCP, as the relay would make it.
ScopedPgConn Connect(const std::string& dsn, const std::string& password) {
  return ScopedPgConn(PQconnectdb(
      (dsn + " password='" + password + "' connect_timeout=10").c_str()));
}

std::unique_ptr<PrivatePostgres> StartPostgres() {
  auto server = PrivatePostgres::Start();
  EXPECT_TRUE(server.has_value()) << server.error().message;
  return server ? std::move(*server) : nullptr;
}

TEST(PrivateServersTest, PostgresDatabasesTakeThePasswordFromTheFile) {
  if (!PrivatePostgres::Available())
    GTEST_SKIP() << "no PostgreSQL server installed (Debian: postgresql)";
  auto server = StartPostgres();
  ASSERT_NE(server, nullptr);
  EXPECT_NE(server->port(), 5432);

  auto first = server->CreateDatabase("first");
  ASSERT_TRUE(first.has_value()) << first.error().message;
  auto second = server->CreateDatabase("second");
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(first->dsn,
            "host=127.0.0.1 port=" + std::to_string(server->port()) +
                " dbname=first user=tether");
  EXPECT_EQ(first->dsn.find("password"), std::string::npos);

  // The password file: the calling user's, 0600, the password alone.
  struct stat info {};
  ASSERT_EQ(stat(first->password_file.c_str(), &info), 0);
  EXPECT_EQ(info.st_uid, geteuid());
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const std::string password = ReadFile(first->password_file);
  EXPECT_GE(password.size(), 16u);
  EXPECT_EQ(password.find_first_of(" \n'\\"), std::string::npos);

  ScopedPgConn client = Connect(first->dsn, password);
  ASSERT_EQ(PQstatus(client.get()), CONNECTION_OK)
      << PQerrorMessage(client.get());
  ScopedPgConn wrong = Connect(first->dsn, password + "x");
  EXPECT_NE(PQstatus(wrong.get()), CONNECTION_OK);
  EXPECT_NE(std::string(PQerrorMessage(wrong.get())).find("password"),
            std::string::npos)
      << PQerrorMessage(wrong.get());

  // Two databases, each its own.
  ASSERT_TRUE(server->Exec("first", "CREATE TABLE t (v text)"));
  ASSERT_TRUE(server->Exec("first", "INSERT INTO t VALUES ('in first')"));
  auto value = server->Query("first", "SELECT v FROM t");
  ASSERT_TRUE(value.has_value()) << value.error().message;
  EXPECT_EQ(*value, "in first");
  auto tables = server->Query(
      "second", "SELECT count(*) FROM pg_tables WHERE tablename = 't'");
  ASSERT_TRUE(tables.has_value()) << tables.error().message;
  EXPECT_EQ(*tables, "0");
  EXPECT_FALSE(server->Query("second", "SELECT v FROM t").has_value());
  EXPECT_FALSE(server->CreateDatabase("no; DROP").has_value());
}

TEST(PrivateServersTest, PostgresKeepsItsDataAcrossACrash) {
  if (!PrivatePostgres::Available())
    GTEST_SKIP() << "no PostgreSQL server installed (Debian: postgresql)";
  auto server = StartPostgres();
  ASSERT_NE(server, nullptr);
  auto database = server->CreateDatabase("kept");
  ASSERT_TRUE(database.has_value()) << database.error().message;
  ASSERT_TRUE(server->Exec("kept", "CREATE TABLE t (v int)"));
  ASSERT_TRUE(server->Exec("kept", "INSERT INTO t VALUES (42)"));
  const uint16_t port = server->port();

  auto stopped = server->Stop(/*immediate=*/true);
  ASSERT_TRUE(stopped.has_value()) << stopped.error().message;
  EXPECT_FALSE(server->Query("kept", "SELECT 1").has_value());
  auto started = server->StartAgain();
  ASSERT_TRUE(started.has_value()) << started.error().message;
  EXPECT_EQ(server->port(), port);
  auto value = server->Query("kept", "SELECT v FROM t");
  ASSERT_TRUE(value.has_value()) << value.error().message;
  EXPECT_EQ(*value, "42");
  // The password survives too.
  ScopedPgConn client =
      Connect(database->dsn, ReadFile(database->password_file));
  EXPECT_EQ(PQstatus(client.get()), CONNECTION_OK)
      << PQerrorMessage(client.get());

  stopped = server->Stop(/*immediate=*/false);
  ASSERT_TRUE(stopped.has_value()) << stopped.error().message;
  started = server->StartAgain();
  ASSERT_TRUE(started.has_value()) << started.error().message;
  value = server->Query("kept", "SELECT v FROM t");
  ASSERT_TRUE(value.has_value()) << value.error().message;
  EXPECT_EQ(*value, "42");
}

TEST(PrivateServersTest, RedisStartsAgainEmptyOnTheSamePort) {
  if (!PrivateRedis::Available())
    GTEST_SKIP() << "redis-server is not installed (Debian: redis-server)";
  auto started = PrivateRedis::Start();
  ASSERT_TRUE(started.has_value()) << started.error().message;
  PrivateRedis& redis = **started;
  EXPECT_NE(redis.port(), 6379);
  EXPECT_EQ(redis.url(), "redis://127.0.0.1:" + std::to_string(redis.port()));
  EXPECT_TRUE(std::filesystem::exists(redis.socket_path()));

  auto set = redis.Command({"SET", "key", "a value"});
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(*set, "OK");
  auto get = redis.Command({"GET", "key"});
  ASSERT_TRUE(get.has_value()) << get.error().message;
  EXPECT_EQ(*get, "a value");
  auto count = redis.Command({"INCR", "counter"});
  ASSERT_TRUE(count.has_value()) << count.error().message;
  EXPECT_EQ(*count, "1");
  EXPECT_FALSE(redis.Command({"NOSUCHCOMMAND"}).has_value());

  const uint16_t port = redis.port();
  auto stopped = redis.Stop();
  ASSERT_TRUE(stopped.has_value()) << stopped.error().message;
  EXPECT_FALSE(redis.Command({"PING"}).has_value());
  auto again = redis.StartAgain();
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(redis.port(), port);
  get = redis.Command({"GET", "key"});
  ASSERT_TRUE(get.has_value()) << get.error().message;
  EXPECT_EQ(*get, "");
  auto size = redis.Command({"DBSIZE"});
  ASSERT_TRUE(size.has_value()) << size.error().message;
  EXPECT_EQ(*size, "0");
}

}  // namespace
}  // namespace tether::test
