// WebConsole: connection events and the audit log, a page at a time as
// JSON, or whole as CSV / JSON Lines downloads: the same rows and writer
// as `tether-relay events export` and `audit export`.

#include <sstream>

#include "relay/store/record_writer.h"
#include "relay/web/web_console_call.h"

namespace tether::relay::web {
namespace {

constexpr size_t kDefaultLimit = 50;
constexpr size_t kMaxLimit = 500;
constexpr size_t kMaxOffset = 100'000'000;

// Parses a query parameter as a count within [lo, hi].
std::optional<size_t> Count(std::string_view query,
                            std::string_view name,
                            size_t fallback,
                            size_t lo,
                            size_t hi) {
  auto text = QueryValue(query, name);
  if (!text || text->empty())
    return fallback;
  if (text->size() > 9 || !std::all_of(text->begin(), text->end(), [](char c) {
        return c >= '0' && c <= '9';
      })) {
    return std::nullopt;
  }
  const size_t value = std::stoul(*text);
  if (value < lo || value > hi)
    return std::nullopt;
  return value;
}

}  // namespace

void WebConsole::Records(Call& call) {
  // "events", "events.csv", "audit.jsonl", ...
  const std::string& name = call.segments[1];
  const bool audit = name.rfind("audit", 0) == 0;
  const size_t dot = name.find('.');
  const std::string extension =
      dot == std::string::npos ? "" : name.substr(dot + 1);
  const std::string_view query = call.request.query();

  RecordQuery records;
  for (auto [key, field] : {std::pair{"since", &records.since},
                            std::pair{"until", &records.until}}) {
    auto text = QueryValue(query, key);
    if (!text || text->empty())
      continue;
    auto time = ParseSince(*text);
    if (!time) {
      call.respond(JsonError(400, "bad_request", time.error().message));
      return;
    }
    *field = *time;
  }
  records.who = QueryValue(query, audit ? "actor" : "account").value_or("");
  if (audit)
    records.action_prefix = QueryValue(query, "action").value_or("");
  if (records.who.size() > 256 || records.action_prefix.size() > 256) {
    call.respond(JsonError(400, "bad_request", "A filter is too long."));
    return;
  }
  // A technician's history is its own, whatever it asked for.
  if (call.session->role == AccountRole::kTechnician)
    records.who = call.session->user;

  if (!extension.empty()) {
    const ExportFormat format =
        extension == "csv" ? ExportFormat::kCsv : ExportFormat::kJsonLines;
    audit_.Audit(call.actor(), audit ? "audit.export" : "events.export",
                 extension, call.from());
    OffLoop(call,
            [this, audit, format, records, file = name]() -> HttpResponse {
              std::ostringstream out;
              auto written = audit ? store_.ExportAudit(records, format, out)
                                   : store_.ExportEvents(records, format, out);
              if (!written)
                return ErrorAnswer(written.error());
              HttpResponse answer;
              answer.content_type = format == ExportFormat::kCsv
                                        ? "text/csv; charset=utf-8"
                                        : "application/jsonl; charset=utf-8";
              answer.body = out.str();
              answer.headers.emplace_back(
                  "Content-Disposition",
                  "attachment; filename=\"tether-" + file + "\"");
              return answer;
            });
    return;
  }

  const auto limit = Count(query, "limit", kDefaultLimit, 1, kMaxLimit);
  const auto offset = Count(query, "offset", 0, 0, kMaxOffset);
  if (!limit || !offset) {
    call.respond(
        JsonError(400, "bad_request", "limit is 1 to 500 and offset a count."));
    return;
  }
  records.offset = *offset;
  records.limit = *limit + 1;  // one more tells whether there is a next page
  OffLoop(
      call,
      [this, audit, records, limit = *limit,
       offset = *offset]() -> HttpResponse {
        std::ostringstream out;
        auto written =
            audit ? store_.ExportAudit(records, ExportFormat::kJsonLines, out)
                  : store_.ExportEvents(records, ExportFormat::kJsonLines, out);
        if (!written)
          return ErrorAnswer(written.error());
        // Each JSON Lines row is a JSON object already: an array of them.
        std::string rows = "[";
        std::istringstream lines(out.str());
        std::string line;
        size_t count = 0;
        bool more = false;
        while (std::getline(lines, line)) {
          if (line.empty())
            continue;
          if (count == limit) {
            more = true;
            break;
          }
          if (count++ > 0)
            rows += ',';
          rows += line;
        }
        rows += "]";
        return JsonOk("{\"rows\":" + rows +
                      ",\"offset\":" + std::to_string(offset) +
                      ",\"limit\":" + std::to_string(limit) +
                      ",\"more\":" + (more ? "true" : "false") + "}");
      });
}

}  // namespace tether::relay::web
