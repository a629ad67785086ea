#include "relay/admin/ops_commands.h"

#include <cstdio>
#include <cstdlib>

#include "crypto/certificate.h"
#include "protocol/host_port.h"
#include "protocol/relay_endpoint_config.h"
#include "relay/admin/admin_support.h"
#include "relay/backup/scheduled_backup.h"
#include "relay/config/customer_config_file.h"
#include "relay/store/open_store.h"
#include "relay/store/sqlite_backup.h"

namespace tether::relay::admin {
namespace {

// A scheduled run's one line: stdout when it went well, stderr when not.
// Under systemd (JOURNAL_STREAM) a "<3>" / "<6>" prefix gives the line its
// journal priority, so `journalctl -p err` lists the failed runs.
void PrintRunLine(bool ok, const std::string& line) {
  const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
  std::FILE* out = ok ? stdout : stderr;
  std::fprintf(out, "%s%s\n", journal ? (ok ? "<6>" : "<3>") : "",
               line.c_str());
  std::fflush(out);
}

}  // namespace

OpsCommands::OpsCommands(CLI::App& app) {
  backup_ = app.add_subcommand(
      "backup",
      "Copy the database while the relay keeps serving (one consistent "
      "snapshot, checked, never replacing a file): to FILE, or --scheduled");
  auto* to =
      backup_->add_option("--to", backup_to_, "The backup file to create");
  backup_
      ->add_flag("--scheduled", scheduled_,
                 "What tether-relay-backup.timer runs: a backup into "
                 "[backup] folder, its audit chain verified, the newest "
                 "`keep` kept, [backup] command run; one log line, exit 1 on "
                 "any failure")
      ->excludes(to);
  backup_->require_option(1);
  restore_ = app.add_subcommand(
      "restore",
      "Replace the database with a backup (the relay must be stopped); the "
      "backup is checked first and the audit chain verified after");
  restore_->add_option("--from", restore_from_, "The backup file")
      ->required()
      ->check(CLI::ExistingFile);
  customer_config_ = app.add_subcommand(
      "customer-config",
      "Write the tether-customer.toml a customer app needs: relay address, "
      "pinned key, organisation (put it beside tether-customer)");
  // Collected one at a time: GCC 12 warns in CLI11's vector handling at -O1
  // (a false -Wnull-dereference under TSan's preset).
  customer_config_
      ->add_option("--host",
                   "The relay's name or address as customers reach it; "
                   "given again for each relay of a cluster (\"host\" or "
                   "\"host:port\"), which the app tries in that order")
      ->required()
      ->take_all()
      ->each([this](const std::string& host) { hosts_.push_back(host); });
  customer_config_->add_option(
      "--port", port_,
      "The port customers reach (default: the first listen "
      "port)");
  customer_config_->add_option("--out", out_,
                               "The file to write (default: standard output)");
}

std::optional<int> OpsCommands::Run(const RelayConfig& config) {
  if (backup_->parsed())
    return Backup(config);
  if (restore_->parsed())
    return Restore(config);
  if (customer_config_->parsed())
    return CustomerConfig(config);
  return std::nullopt;
}

int OpsCommands::Backup(const RelayConfig& config) {
  if (UsesPostgresql(config.store) && !scheduled_)
    return Fail(PostgresqlBackupAdvice());
  if (scheduled_) {
    const ScheduledBackupResult run =
        RunScheduledBackup(config, Clock::System(), CliActor());
    PrintRunLine(run.ok, run.line);
    return run.ok ? kExitOk : kExitFailure;
  }
  {
    // Recorded first, so the backup itself holds the record of it.
    auto store = OpenStore(config);
    if (!store)
      return Fail(store.error().message);
    auto audited =
        (*store)->AppendAudit(CliActor(), "database.backup", backup_to_, "");
    if (!audited)
      return Fail("cannot record the backup in the audit log: " +
                  audited.error().message);
  }
  auto backup = BackupDatabase(config.store.database, backup_to_);
  if (!backup)
    return Fail(backup.error().message);
  std::printf(
      "backup written: %s (%llu bytes, schema %d)\n", backup_to_.c_str(),
      static_cast<unsigned long long>(backup->bytes), backup->schema_version);
  return kExitOk;
}

int OpsCommands::Restore(const RelayConfig& config) {
  if (UsesPostgresql(config.store))
    return Fail(PostgresqlBackupAdvice());
  auto lock = ServingLock::Acquire(config.store.database);
  if (!lock)
    return Fail(lock.error().message);
  auto restored = RestoreDatabase(restore_from_, config.store.database);
  if (!restored)
    return Fail(restored.error().message);
  // Opening migrates an older backup's schema to this version.
  auto store = OpenStore(config);
  if (!store)
    return Fail("restored, but the database does not open: " +
                store.error().message);
  auto verified = (*store)->VerifyAudit();
  if (!verified)
    return Fail(verified.error().message);
  if (!verified->ok) {
    return Fail("restored, but the audit chain does not verify: " +
                verified->problem);
  }
  auto audited =
      (*store)->AppendAudit(CliActor(), "database.restore", restore_from_, "");
  if (!audited)
    return Fail("cannot record the restore in the audit log: " +
                audited.error().message);
  std::printf("restored %s into %s (schema %d, audit chain ok: %zu rows)\n",
              restore_from_.c_str(), config.store.database.c_str(),
              restored->schema_version, verified->rows_checked);
  return kExitOk;
}

int OpsCommands::CustomerConfig(const RelayConfig& config) {
  auto pem = crypto::ReadPemFile(config.tls.certificate);
  if (!pem)
    return Fail(pem.error().message +
                " (create it first: tether-relay cert init)");
  auto fingerprint = crypto::PublicKeyFingerprint(*pem);
  if (!fingerprint)
    return Fail(fingerprint.error().message);
  uint16_t port = port_;
  if (port == 0 && !config.server.listen.empty())
    port = config.server.listen[0].port;
  if (port == 0)
    return Fail("the relay listens on a port the system picks: give --port");

  protocol::RelayEndpoint relay;
  relay.port = port;
  relay.fingerprint = *fingerprint;
  if (hosts_.size() == 1) {
    auto host = protocol::ParseHost(hosts_[0]);
    if (!host)
      return Fail("--host " + hosts_[0] + ": " + host.error().message);
    relay.host = *host;
  } else {
    // The rules the app reads `hosts` by, so it loads what is written.
    auto hosts = protocol::ParseRelayList(hosts_, port);
    if (!hosts)
      return Fail("--host: " + hosts.error().message);
    relay.hosts = *std::move(hosts);
  }
  const std::string text = CustomerConfigFile(config, relay);
  auto written = WriteOutput(out_, [&](std::ostream& out) -> Result<void> {
    out << text;
    return {};
  });
  if (!written)
    return Fail(written.error().message);
  if (!out_.empty())
    std::printf("customer config written: %s\n", out_.c_str());
  // The audit row names the relays the file sends customers to.
  std::string relays = hosts_[0];
  if (hosts_.size() > 1)
    relays += " and " + std::to_string(hosts_.size() - 1) + " more";
  auto store = OpenStore(config);
  if (store) {
    (void)(*store)->AppendAudit(CliActor(), "customer-config.write",
                                out_.empty() ? "stdout" : out_, relays);
  }
  return kExitOk;
}

}  // namespace tether::relay::admin
