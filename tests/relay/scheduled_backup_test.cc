// `tether-relay backup --scheduled`, what tether-relay-backup.timer runs:
// the real binary against a real store, next to a real relay whose /metrics
// reports the runs, and a restore of its output into a fresh relay.

#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "relay/backup/backup_command.h"
#include "relay/backup/backup_status.h"
#include "relay/backup/scheduled_backup.h"
#include "relay/store/sqlite_store.h"
#include "tests/relay/store_test_util.h"
#include "tests/support/child_process.h"
#include "tests/support/relay_probes.h"
#include "tests/support/relay_process.h"
#include "tests/support/relay_test_client.h"
#include "tests/support/text_files.h"

namespace tether::relay {
namespace {

namespace fs = std::filesystem;
using ::tether::relay::test::RawExec;
using ::tether::test::ChildProcess;
using ::tether::test::Metric;
using ::tether::test::RelayProcess;
using ::tether::test::RelayTestClient;

using tether::test::kPassword;

using ::tether::test::Lines;
using ::tether::test::ReadFile;

// Every name in `folder`, sorted.
std::vector<std::string> Names(const fs::path& folder) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(folder, error))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// The backups a run made, oldest first.
std::vector<std::string> Backups(const fs::path& folder) {
  std::vector<std::string> names = Names(folder);
  std::erase_if(names, [](const std::string& name) {
    return !IsScheduledBackupName(name);
  });
  return names;
}

fs::perms Mode(const fs::path& path) {
  return fs::status(path).permissions() & fs::perms::all;
}

void WriteScript(const fs::path& path, const std::string& body) {
  std::ofstream(path) << "#!/bin/sh\n" << body;
  fs::permissions(path, fs::perms::owner_all);
}

// A relay folder whose relay.toml ends with [backup]; the folder is
// backups/ beside the config (a relative path is relative to relay.toml).
class ScheduledBackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    relay_ = std::make_unique<RelayProcess>("[backup]\nfolder = \"backups\"\n");
  }

  // Adds `keys` to the [backup] section.
  void SetBackupKeys(const std::string& keys) {
    std::ofstream(relay_->config_path(), std::ios::app) << keys;
  }

  fs::path folder() const { return relay_->dir() / "backups"; }

  void AddUser(const std::string& name, const std::string& role) {
    auto added = relay_->RunCommand({"user", "add", name, "--role", role},
                                    std::string(kPassword) + "\n");
    ASSERT_EQ(added.exit_code, 0) << added.output;
  }

  RelayProcess::CommandResult RunBackup() {
    return relay_->RunCommand({"backup", "--scheduled"});
  }

  // Runs one scheduled backup that must succeed with its one line.
  void BackupOk() {
    auto run = RunBackup();
    ASSERT_EQ(run.exit_code, 0) << run.output;
    ASSERT_EQ(Lines(run.output).size(), 1u) << run.output;
    ASSERT_TRUE(run.output.starts_with("backup ok: ")) << run.output;
  }

  void StartRelay() {
    auto started = relay_->Start();
    ASSERT_TRUE(started.has_value()) << started.error().message;
  }

  long long RelayMetric(const std::string& name) {
    return Metric(relay_->metrics_port(), "tether_relay_" + name);
  }

  std::unique_ptr<RelayProcess> relay_;
};

// ---- names and the status file ---------------------------------------------

TEST(ScheduledBackupNameTest, IsUtcToTheMillisecondAndSortsInTimeOrder) {
  const Clock::WallTime time =
      Clock::WallTime(std::chrono::milliseconds(1795410900123));
  EXPECT_EQ(ScheduledBackupName(time), "relay-20261123T051500.123Z.db");
  EXPECT_TRUE(IsScheduledBackupName(ScheduledBackupName(time)));
  EXPECT_LT(ScheduledBackupName(time),
            ScheduledBackupName(time + std::chrono::milliseconds(1)));
  EXPECT_LT(ScheduledBackupName(time),
            ScheduledBackupName(time + std::chrono::hours(24 * 400)));
}

TEST(ScheduledBackupNameTest, OnlyItsOwnShapeIsItsOwn) {
  for (const char* name :
       {"relay.db", "relay-20261124T031500Z.db", "relay-20261124T031500.123Z",
        "relay-20261124T031500.123Z.db.part", "xrelay-20261124T031500.123Z.db",
        "relay-2026112xT031500.123Z.db", "relay-20261124T031500.123Z.db.bak",
        "relay-20261124 031500.123Z.db", ""}) {
    EXPECT_FALSE(IsScheduledBackupName(name)) << name;
  }
}

TEST(BackupStatusTest, FormatsAndParsesBack) {
  const BackupStatus status{1795410900,
                            false,
                            1795324500,
                            123456,
                            "relay-20261123T031500.000Z.db",
                            "backup failed: the disk is full"};
  auto parsed = ParseBackupStatus(FormatBackupStatus(status));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(*parsed, status);
}

TEST(BackupStatusTest, AMessageStaysOneLine) {
  BackupStatus status;
  status.message = "first\nok=1\rsecond";
  auto parsed = ParseBackupStatus(FormatBackupStatus(status));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_FALSE(parsed->ok);
  EXPECT_EQ(parsed->message, "first ok=1 second");
}

TEST(BackupStatusTest, RefusesWhatItDidNotWrite) {
  for (const char* text :
       {"", "run_time=1\n", "ok=1\n", "run_time=x\nok=1\n",
        "run_time=1\nok=2\n", "run_time=1\nok=1\nsuccess_bytes=-5\n",
        "run_time=1\nok=1\nno equals sign\n"}) {
    EXPECT_FALSE(ParseBackupStatus(text).has_value()) << text;
  }
  EXPECT_FALSE(ParseBackupStatus(std::string(kMaxBackupStatusBytes + 1, '#'))
                   .has_value());
}

TEST(BackupCommandTest, ThePathReplacesItsWordOrComesLast) {
  EXPECT_EQ(BackupCommandLine({"/usr/bin/rsync", "-a", "{backup}", "host:t/"},
                              "/b/relay-1.db"),
            (std::vector<std::string>{"/usr/bin/rsync", "-a", "/b/relay-1.db",
                                      "host:t/"}));
  EXPECT_EQ(BackupCommandLine({"/usr/local/bin/ship"}, "/b/relay-1.db"),
            (std::vector<std::string>{"/usr/local/bin/ship", "/b/relay-1.db"}));
}

// ---- runs of the real binary -----------------------------------------------

TEST_F(ScheduledBackupTest, MakesAVerifiedFileThatTheRelayReports) {
  AddUser("boss", "admin");
  AddUser("tina", "technician");
  StartRelay();
  EXPECT_EQ(RelayMetric("backup_last_run_ok"), 0);
  EXPECT_EQ(RelayMetric("backup_last_success_timestamp_seconds"), 0);

  const auto before = std::chrono::system_clock::now();
  auto run = RunBackup();
  ASSERT_EQ(run.exit_code, 0) << run.output;
  // One line: the file, its size, what was checked.
  ASSERT_EQ(Lines(run.output).size(), 1u) << run.output;
  EXPECT_TRUE(
      run.output.starts_with("backup ok: " + folder().string() + "/relay-"))
      << run.output;
  EXPECT_NE(run.output.find(", 2 accounts, audit chain ok ("),
            std::string::npos)
      << run.output;

  EXPECT_EQ(Mode(folder()), fs::perms::owner_all);
  const std::vector<std::string> backups = Backups(folder());
  ASSERT_EQ(backups.size(), 1u);
  const fs::path file = folder() / backups[0];
  EXPECT_NE(run.output.find(std::to_string(fs::file_size(file)) + " bytes"),
            std::string::npos)
      << run.output;
  EXPECT_EQ(Mode(file), fs::perms::owner_read | fs::perms::owner_write);
  // Nothing else in the folder but the run's lock.
  EXPECT_EQ(Names(folder()),
            (std::vector<std::string>{"backup.lock", backups[0]}));

  // The copy is a whole store: it opens without change, with its accounts
  // and an audit chain that verifies (and records this backup).
  auto store = SqliteStore::OpenReadOnly(file, Clock::System());
  ASSERT_TRUE(store.has_value()) << store.error().message;
  auto tina = (*store)->FindAccount("tina");
  ASSERT_TRUE(tina.has_value() && tina->has_value());
  auto verified = (*store)->VerifyAudit();
  ASSERT_TRUE(verified.has_value());
  EXPECT_TRUE(verified->ok) << verified->problem;
  EXPECT_EQ(test::RawQuery(file,
                           "SELECT detail FROM audit_log WHERE action = "
                           "'database.backup'"),
            "scheduled");

  // The relay learns it from the status file at the next scrape.
  EXPECT_EQ(RelayMetric("backup_last_run_ok"), 1);
  const long long success =
      RelayMetric("backup_last_success_timestamp_seconds");
  EXPECT_GE(success, std::chrono::duration_cast<std::chrono::seconds>(
                         before.time_since_epoch())
                         .count());
  EXPECT_EQ(RelayMetric("backup_last_run_timestamp_seconds"), success);
  EXPECT_EQ(RelayMetric("backup_last_success_size_bytes"),
            static_cast<long long>(fs::file_size(file)));
}

TEST_F(ScheduledBackupTest, KeepsTheNewestNAndRemovesOnlyItsOwnFiles) {
  SetBackupKeys("keep = 2\n");
  AddUser("boss", "admin");
  fs::create_directory(folder());
  fs::permissions(folder(), fs::perms::owner_all);
  // IT's files, and look-alikes: never touched.
  const std::vector<std::string> foreign = {
      "notes.txt", "relay.db", "relay-2020.db",
      "relay-20000101T000000.000Z.db.bak", "relay-manual-copy.db"};
  for (const auto& name : foreign)
    std::ofstream(folder() / name) << "keep me";
  // A folder and a link named like backups: not files a run made.
  fs::create_directory(folder() / "relay-20000101T000000.001Z.db");
  fs::create_symlink(folder() / "notes.txt",
                     folder() / "relay-20000101T000000.002Z.db");
  // An old backup of a run: the oldest, so the first to go.
  std::ofstream(folder() / "relay-20000101T000000.000Z.db") << "old";

  std::vector<std::string> made;
  for (int i = 0; i < 3; ++i) {
    ASSERT_NO_FATAL_FAILURE(BackupOk());
    for (const auto& name : Backups(folder())) {
      if (std::find(made.begin(), made.end(), name) == made.end() &&
          name > "relay-2001")
        made.push_back(name);
    }
  }
  ASSERT_EQ(made.size(), 3u);
  std::sort(made.begin(), made.end());

  std::vector<std::string> expected = foreign;
  expected.push_back("backup.lock");
  expected.push_back("relay-20000101T000000.001Z.db");
  expected.push_back("relay-20000101T000000.002Z.db");
  expected.push_back(made[1]);
  expected.push_back(made[2]);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(Names(folder()), expected);
  for (const auto& name : foreign)
    EXPECT_EQ(ReadFile(folder() / name), "keep me") << name;
}

TEST_F(ScheduledBackupTest, ABrokenFolderFailsWithOneLineNoFileAndTheMetric) {
  AddUser("boss", "admin");
  StartRelay();
  ASSERT_NO_FATAL_FAILURE(BackupOk());
  const long long success =
      RelayMetric("backup_last_success_timestamp_seconds");
  ASSERT_GT(success, 0);

  // The folder is gone and a file has its name.
  fs::remove_all(folder());
  std::ofstream(folder()) << "not a folder";
  const std::vector<std::string> files_before = Names(relay_->dir());
  auto run = RunBackup();
  EXPECT_EQ(run.exit_code, 1) << run.output;
  ASSERT_EQ(Lines(run.output).size(), 1u) << run.output;
  EXPECT_TRUE(run.output.starts_with("backup failed: the backup folder " +
                                     folder().string() + " is not a folder"))
      << run.output;
  // No half file anywhere: the relay's folder holds what it held.
  EXPECT_EQ(Names(relay_->dir()), files_before);

  EXPECT_EQ(RelayMetric("backup_last_run_ok"), 0);
  EXPECT_EQ(RelayMetric("backup_last_success_timestamp_seconds"), success);
  EXPECT_GE(RelayMetric("backup_last_run_timestamp_seconds"), success);

  // A folder others may write to is refused too.
  fs::remove(folder());
  fs::create_directory(folder());
  fs::permissions(folder(), fs::perms::all);
  run = RunBackup();
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("may be written by other users (mode 777)"),
            std::string::npos)
      << run.output;
  EXPECT_TRUE(Backups(folder()).empty());
}

TEST_F(ScheduledBackupTest, ACopyWhoseAuditChainBreaksIsDeletedAndFails) {
  AddUser("boss", "admin");
  AddUser("tina", "technician");
  ASSERT_EQ(RawExec(relay_->database(),
                    "DROP TRIGGER audit_log_no_update;"
                    "UPDATE audit_log SET detail = 'role admin' WHERE id = 2"),
            "");
  auto run = RunBackup();
  EXPECT_EQ(run.exit_code, 1) << run.output;
  ASSERT_EQ(Lines(run.output).size(), 1u) << run.output;
  EXPECT_TRUE(run.output.starts_with(
      "backup failed: the copy's audit chain does not verify: row 2"))
      << run.output;
  EXPECT_NE(run.output.find("deleted)"), std::string::npos) << run.output;
  EXPECT_EQ(Names(folder()), std::vector<std::string>{"backup.lock"});
  auto status = ReadBackupStatus(relay_->database());
  ASSERT_TRUE(status.has_value() && status->has_value());
  EXPECT_FALSE((*status)->ok);
  EXPECT_EQ((*status)->success_time, 0);
}

TEST_F(ScheduledBackupTest, TheCommandGetsThePathAndItsFailureFailsTheRun) {
  SetBackupKeys("command = [\"" + (relay_->dir() / "hook.sh").string() +
                "\", \"--to\", \"{backup}\", \"remote:tether/\"]\n");
  AddUser("boss", "admin");
  // Copies what it is given, as rsync would, and says what it got.
  WriteScript(relay_->dir() / "hook.sh",
              "echo \"$@\" > " + (relay_->dir() / "hook.args").string() +
                  "\ncp \"$2\" " + (relay_->dir() / "copied.db").string() +
                  "\n");
  ASSERT_NO_FATAL_FAILURE(BackupOk());
  const std::vector<std::string> backups = Backups(folder());
  ASSERT_EQ(backups.size(), 1u);
  const fs::path file = folder() / backups[0];
  EXPECT_EQ(ReadFile(relay_->dir() / "hook.args"),
            "--to " + file.string() + " remote:tether/\n");
  EXPECT_EQ(ReadFile(relay_->dir() / "copied.db"), ReadFile(file));

  // It fails: so does the run, with what it said last; the good backup stays.
  WriteScript(relay_->dir() / "hook.sh",
              "echo 'sending incremental file list'\n"
              "echo 'rsync: connection refused' >&2\nexit 23\n");
  auto run = RunBackup();
  EXPECT_EQ(run.exit_code, 1) << run.output;
  ASSERT_EQ(Lines(run.output).size(), 1u) << run.output;
  EXPECT_NE(run.output.find("is good, but backup.command failed: " +
                            (relay_->dir() / "hook.sh").string() +
                            " exited with status 23: rsync: connection "
                            "refused"),
            std::string::npos)
      << run.output;
  EXPECT_EQ(Backups(folder()).size(), 2u);
  auto status = ReadBackupStatus(relay_->database());
  ASSERT_TRUE(status.has_value() && status->has_value());
  EXPECT_FALSE((*status)->ok);
  EXPECT_EQ((*status)->success_file, backups[0]);

  // A program that is not there fails the run as clearly.
  fs::remove(relay_->dir() / "hook.sh");
  run = RunBackup();
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(
      run.output.find("cannot run " + (relay_->dir() / "hook.sh").string() +
                      ": No such file or directory"),
      std::string::npos)
      << run.output;
}

TEST_F(ScheduledBackupTest, ACommandPastItsTimeoutIsStoppedWithWhatItStarted) {
  SetBackupKeys("command = [\"" + (relay_->dir() / "hook.sh").string() +
                "\"]\ncommand_timeout = \"1s\"\n");
  AddUser("boss", "admin");
  const fs::path pid_file = relay_->dir() / "sleeper.pid";
  WriteScript(relay_->dir() / "hook.sh",
              "sleep 60 &\necho $! > " + pid_file.string() + "\nwait\n");
  auto run = RunBackup();
  EXPECT_EQ(run.exit_code, 1) << run.output;
  ASSERT_EQ(Lines(run.output).size(), 1u) << run.output;
  EXPECT_NE(run.output.find("did not finish within 1s and was stopped"),
            std::string::npos)
      << run.output;
  // The hook's own child went with it (gone, or a zombie nobody reaped yet).
  const std::string pid = Lines(ReadFile(pid_file)).at(0);
  const std::string stat = ReadFile("/proc/" + pid + "/stat");
  EXPECT_TRUE(stat.empty() || stat.find(") Z ") != std::string::npos) << stat;
}

TEST_F(ScheduledBackupTest, ARunWhileAnotherHoldsTheLockChangesNothing) {
  AddUser("boss", "admin");
  ASSERT_NO_FATAL_FAILURE(BackupOk());
  const std::string status_before =
      ReadFile(BackupStatusPath(relay_->database()));
  const std::vector<std::string> names_before = Names(folder());

  // As a run in progress holds it.
  const int lock = ::open((folder() / "backup.lock").c_str(), O_RDWR);
  ASSERT_GE(lock, 0);
  ASSERT_EQ(::flock(lock, LOCK_EX | LOCK_NB), 0);
  auto run = RunBackup();
  ::close(lock);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  ASSERT_EQ(Lines(run.output).size(), 1u) << run.output;
  EXPECT_TRUE(
      run.output.starts_with("backup failed: another backup is running"))
      << run.output;
  // The run in progress reports; this one leaves no trace.
  EXPECT_EQ(Names(folder()), names_before);
  EXPECT_EQ(ReadFile(BackupStatusPath(relay_->database())), status_before);
}

TEST_F(ScheduledBackupTest, RunsStartedTogetherLeaveOnlyWholeVerifiedBackups) {
  // A command that takes a moment keeps each run's lock held a while.
  SetBackupKeys(
      "command = [\"/bin/sh\", \"-c\", \"sleep 0.3\", \"sh\", "
      "\"{backup}\"]\n");
  AddUser("boss", "admin");
  StartRelay();  // and the relay writing meanwhile
  std::vector<std::unique_ptr<ChildProcess>> runs;
  for (int i = 0; i < 3; ++i) {
    auto started = ChildProcess::Start(
        {.argv = {RelayProcess::Binary().string(), "-c",
                  relay_->config_path().string(), "backup", "--scheduled"},
         .output = ChildProcess::Output::kLines});
    ASSERT_TRUE(started.has_value()) << started.error().message;
    runs.push_back(std::move(*started));
  }
  int ok = 0;
  for (auto& run : runs) {
    auto status = run->Wait(std::chrono::minutes(1));
    ASSERT_TRUE(status.has_value());
    const std::string output = run->output();
    ASSERT_EQ(Lines(output).size(), 1u) << output;
    if (*status == 0) {
      ++ok;
      EXPECT_TRUE(output.starts_with("backup ok: ")) << output;
    } else {
      EXPECT_TRUE(
          output.starts_with("backup failed: another backup is "
                             "running"))
          << output;
    }
  }
  EXPECT_GE(ok, 1);
  // The runs that went ahead each left one whole backup, and nothing else.
  const std::vector<std::string> backups = Backups(folder());
  EXPECT_EQ(backups.size(), static_cast<size_t>(ok));
  for (const std::string& name : Names(folder()))
    EXPECT_TRUE(name == "backup.lock" || IsScheduledBackupName(name)) << name;
  for (const std::string& name : backups) {
    auto store = SqliteStore::OpenReadOnly(folder() / name, Clock::System());
    ASSERT_TRUE(store.has_value()) << store.error().message;
    auto verified = (*store)->VerifyAudit();
    ASSERT_TRUE(verified.has_value());
    EXPECT_TRUE(verified->ok) << name << ": " << verified->problem;
    EXPECT_EQ((*store)->IntegrityCheck().value_or(""), "ok") << name;
  }
  EXPECT_EQ(RelayMetric("backup_last_run_ok"), 1);
}

TEST_F(ScheduledBackupTest, TheNewestRestoredIntoAFreshRelayServesTheAccounts) {
  AddUser("boss", "admin");
  AddUser("tina", "technician");
  StartRelay();
  ASSERT_NO_FATAL_FAILURE(BackupOk());
  AddUser("tom", "technician");  // in the second backup only
  ASSERT_NO_FATAL_FAILURE(BackupOk());
  const std::vector<std::string> backups = Backups(folder());
  ASSERT_EQ(backups.size(), 2u);
  const fs::path newest = folder() / backups.back();

  // Another machine: a fresh relay, the backup restored before it starts.
  RelayProcess fresh;
  auto restored = fresh.RunCommand({"restore", "--from", newest.string()});
  ASSERT_EQ(restored.exit_code, 0) << restored.output;
  auto started = fresh.Start();
  ASSERT_TRUE(started.has_value()) << started.error().message;
  for (const char* name : {"tina", "tom"}) {
    auto client = RelayTestClient::Connect(fresh.port(), fresh.fingerprint());
    ASSERT_TRUE(client.has_value()) << client.error().message;
    ASSERT_TRUE((*client)->Hello(proto::ROLE_SUPPORTER).has_value());
    auto login = (*client)->Login(name, kPassword, "");
    ASSERT_TRUE(login.has_value()) << login.error().message;
    EXPECT_EQ(login->login_result().status(),
              proto::LoginResult::STATUS_PASSWORD_CHANGE_REQUIRED)
        << name;
  }
  // The same accounts, and no other.
  const auto user_names = [](const RelayProcess& relay) {
    auto listed = relay.RunCommand({"user", "list", "--format", "csv"});
    EXPECT_EQ(listed.exit_code, 0) << listed.output;
    std::vector<std::string> names;
    for (const std::string& line : Lines(listed.output))
      names.push_back(line.substr(0, line.find(',')));
    return names;
  };
  EXPECT_EQ(user_names(fresh), user_names(*relay_));
  EXPECT_EQ(user_names(fresh).size(), 4u);  // the header, boss, tina, tom
}

TEST_F(ScheduledBackupTest, WithoutADatabaseItFailsAndCreatesNone) {
  auto run = RunBackup();
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("there is no database at " +
                            relay_->database().string() + " yet"),
            std::string::npos)
      << run.output;
  EXPECT_FALSE(fs::exists(relay_->database()));
}

TEST_F(ScheduledBackupTest, ToAndScheduledAreOneOrTheOther) {
  EXPECT_EQ(relay_->RunCommand({"backup"}).exit_code, 2);
  EXPECT_EQ(relay_
                ->RunCommand({"backup", "--scheduled", "--to",
                              (relay_->dir() / "b.db").string()})
                .exit_code,
            2);
}

}  // namespace
}  // namespace tether::relay
