#include "relay/admin/record_commands.h"

#include <cstdio>
#include <filesystem>

#include "relay/admin/admin_support.h"
#include "relay/store/record_writer.h"
#include "relay/store/store.h"

namespace tether::relay::admin {
namespace {

void AddExportOptions(CLI::App* command,
                      std::string& format,
                      std::string& since,
                      std::string& out) {
  command->add_option("--format", format, "csv (RFC 4180) or jsonl")
      ->check(CLI::IsMember({"csv", "jsonl"}))
      ->capture_default_str();
  command->add_option("--since", since,
                      "Only rows from this UTC date or ISO 8601 time on, "
                      "e.g. 2026-11-01 or 2026-11-01T08:30:00+01:00");
  command->add_option("--out", out,
                      "Write to this file (created owner-only) instead of "
                      "standard output");
}

}  // namespace

RecordCommands::RecordCommands(CLI::App& app) {
  auto* audit = app.add_subcommand(
      "audit", "The hash-chained audit log of account and session operations");
  audit->require_subcommand(1);
  audit_export_ = audit->add_subcommand(
      "export", "Write the audit log as CSV or JSON Lines, oldest first");
  AddExportOptions(audit_export_, format_, since_, out_);
  audit_verify_ = audit->add_subcommand(
      "verify",
      "Walk the hash chain; exit 0 when intact, 1 naming the first bad row");

  auto* events = app.add_subcommand("events",
                                    "Connection events (kept for the retention "
                                    "period, store.event_retention)");
  events->require_subcommand(1);
  events_export_ = events->add_subcommand(
      "export", "Write connection events as CSV or JSON Lines, oldest first");
  AddExportOptions(events_export_, format_, since_, out_);
}

std::optional<int> RecordCommands::Run(const RelayConfig& config) {
  if (audit_export_->parsed())
    return Export(config, /*audit=*/true);
  if (audit_verify_->parsed())
    return Verify(config);
  if (events_export_->parsed())
    return Export(config, /*audit=*/false);
  return std::nullopt;
}

int RecordCommands::Export(const RelayConfig& config, bool audit) {
  auto format = ParseExportFormat(format_);
  if (!format)
    return Fail(format.error().message);
  std::optional<Clock::WallTime> since;
  if (!since_.empty()) {
    auto parsed = ParseSince(since_);
    if (!parsed)
      return Fail(parsed.error().message);
    since = *parsed;
  }
  auto store = OpenStore(config);
  if (!store)
    return Fail(store.error().message);

  // Recorded first, so that an export nobody could audit never happens.
  std::string detail = "format " + format_;
  if (since)
    detail += ", since " + since_;
  detail += out_.empty() ? ", to standard output" : ", to " + out_;
  auto appended = (*store)->AppendAudit(
      CliActor(), audit ? "audit.export" : "events.export", "", detail);
  if (!appended) {
    return Fail("cannot record the export in the audit log: " +
                appended.error().message);
  }

  auto written = WriteOutput(
      std::filesystem::path(out_), [&](std::ostream& out) -> Result<void> {
        RecordQuery query;
        query.since = since;
        return audit ? (*store)->ExportAudit(query, *format, out)
                     : (*store)->ExportEvents(query, *format, out);
      });
  if (!written)
    return Fail(written.error().message);
  if (!out_.empty()) {
    std::fprintf(stderr, "%s written to %s\n",
                 audit ? "audit log" : "connection events", out_.c_str());
  }
  return kExitOk;
}

int RecordCommands::Verify(const RelayConfig& config) {
  auto store = OpenStore(config);
  if (!store)
    return Fail(store.error().message);
  auto verification = (*store)->VerifyAudit();
  if (!verification) {
    return Fail("cannot verify the audit log: " + verification.error().message);
  }
  if (verification->ok) {
    std::printf("audit chain ok: %zu rows\n", verification->rows_checked);
    return kExitOk;
  }
  if (verification->first_bad_id) {
    std::printf("audit chain BROKEN at row %lld: %s\n",
                static_cast<long long>(*verification->first_bad_id),
                verification->problem.c_str());
  } else {
    std::printf("audit chain BROKEN: %s\n", verification->problem.c_str());
  }
  std::printf("%zu rows verified before the problem\n",
              verification->rows_checked);
  return kExitFailure;
}

}  // namespace tether::relay::admin
