#include "relay/metrics/relay_metrics.h"

#include <fmt/format.h>

namespace tether::relay {
namespace {

void Append(std::string& out,
            const char* name,
            const char* type,
            const char* help,
            uint64_t value) {
  fmt::format_to(std::back_inserter(out),
                 "# HELP tether_relay_{0} {1}\n# TYPE tether_relay_{0} {2}\n"
                 "tether_relay_{0} {3}\n",
                 name, help, type, value);
}

}  // namespace

std::string RenderPrometheus(const RelayMetrics& m) {
  std::string out;
  Append(out, "connections_open", "gauge", "Client connections open now.",
         m.connections_open);
  Append(out, "handshakes_in_progress", "gauge",
         "TLS handshakes not yet complete.", m.handshakes_in_progress);
  Append(out, "sessions_waiting", "gauge",
         "Session codes waiting for a customer.", m.sessions_waiting);
  Append(out, "sessions_active", "gauge", "Paired support sessions.",
         m.sessions_active);
  Append(out, "join_slow_lane", "gauge",
         "1 while wrong-code guessing has put joins in the slow lane.",
         m.join_slow_lane);
  Append(out, "frame_memory_used_bytes", "gauge",
         "Bytes of limits.frame_memory held by partly received large frames.",
         m.frame_memory_used);
  Append(out, "web_connections_open", "gauge",
         "Browser connections (web console, customer page) open now.",
         m.web_connections_open);
  Append(out, "web_sessions", "gauge", "People signed in to the web console.",
         m.web_sessions);
  Append(out, "backup_last_run_timestamp_seconds", "gauge",
         "When the last scheduled backup run ended (0: none yet).",
         m.backup_last_run_time);
  Append(out, "backup_last_run_ok", "gauge",
         "1 when the last scheduled backup run succeeded, 0 when it failed "
         "or none has run.",
         m.backup_last_run_ok);
  Append(out, "backup_last_success_timestamp_seconds", "gauge",
         "When the last successful scheduled backup run ended (0: none).",
         m.backup_last_success_time);
  Append(out, "backup_last_success_size_bytes", "gauge",
         "Size of the last successful scheduled backup.",
         m.backup_last_success_bytes);
  Append(out, "cluster_redis_up", "gauge",
         "1 while the cluster's Redis answers (0 also on a relay alone).",
         m.cluster_redis_up);
  Append(out, "cluster_relays_alive", "gauge",
         "Relays of the cluster that said they were alive within 15 s.",
         m.cluster_relays_alive);
  Append(out, "connections_total", "counter", "Connections accepted.",
         m.connections_total);
  Append(out, "handshakes_failed_total", "counter",
         "TLS handshakes that failed or timed out.", m.handshakes_failed);
  Append(out, "handshakes_shed_total", "counter",
         "Handshakes closed by the per-source or global caps.",
         m.handshakes_shed);
  Append(out, "connections_shed_total", "counter",
         "Connections closed at once: their source had too many open.",
         m.connections_shed);
  Append(out, "frames_refused_memory_total", "counter",
         "Connections closed because the relay-wide frame memory was used "
         "up.",
         m.frames_refused_memory);
  Append(out, "logins_refused_busy_total", "counter",
         "Logins answered 'try again' because their source had too many "
         "being checked.",
         m.logins_refused_busy);
  Append(out, "logins_ok_total", "counter", "Successful technician logins.",
         m.logins_ok);
  Append(out, "logins_failed_total", "counter", "Failed technician logins.",
         m.logins_failed);
  Append(out, "account_lockouts_total", "counter",
         "Accounts locked or throttled after failed logins.",
         m.account_lockouts);
  Append(out, "sessions_created_total", "counter", "Session codes issued.",
         m.sessions_created);
  Append(out, "sessions_paired_total", "counter",
         "Sessions where the technician accepted the customer.",
         m.sessions_paired);
  Append(out, "joins_failed_total", "counter",
         "Join attempts with an invalid, expired or used code.",
         m.joins_failed);
  Append(out, "joins_refused_total", "counter",
         "Join attempts refused by the guessing limits.", m.joins_refused);
  Append(out, "joins_forwarded_total", "counter",
         "Customers handed over to the relay of the cluster that holds their "
         "code.",
         m.joins_forwarded);
  Append(out, "joins_forwarded_in_total", "counter",
         "Customers other relays of the cluster handed over to this one.",
         m.joins_forwarded_in);
  Append(out, "bytes_relayed_total", "counter",
         "Peer bytes forwarded between paired clients.", m.bytes_relayed);
  Append(out, "backpressure_pauses_total", "counter",
         "Times a sender was paused because its peer's queue was full.",
         m.backpressure_pauses);
  Append(out, "stuck_peers_dropped_total", "counter",
         "Peers dropped for not reading past the deadline.",
         m.stuck_peers_dropped);
  Append(out, "store_writes_dropped_total", "counter",
         "Event or audit writes dropped because the store fell behind.",
         m.store_writes_dropped);
  Append(out, "store_writes_failed_total", "counter",
         "Event or audit writes the store refused or could not take (its "
         "database unreachable).",
         m.store_writes_failed);
  Append(out, "web_requests_total", "counter",
         "HTTP requests to the web console and the customer page.",
         m.web_requests);
  Append(out, "web_requests_throttled_total", "counter",
         "Web requests answered 429 for going over their address's rate.",
         m.web_requests_throttled);
  return out;
}

}  // namespace tether::relay
