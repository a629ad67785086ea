#pragma once

#include <cstdint>
#include <string>

namespace tether::relay {

// Counters and gauges the relay exposes in Prometheus text format. Loop
// thread only: the metrics listener renders them on the same loop.
struct RelayMetrics {
  // Gauges.
  uint64_t connections_open = 0;
  uint64_t handshakes_in_progress = 0;
  uint64_t sessions_waiting = 0;
  uint64_t sessions_active = 0;
  uint64_t join_slow_lane = 0;        // 1 while the global slow lane is on
  uint64_t frame_memory_used = 0;     // bytes of limits.frame_memory held
  uint64_t web_connections_open = 0;  // browsers on the HTTPS side
  uint64_t web_sessions = 0;          // signed in to the web console
  // The last `backup --scheduled` run, read from its status file at each
  // scrape (relay/backup/backup_status.h); all 0 before the first run.
  uint64_t backup_last_run_time = 0;  // Unix seconds
  uint64_t backup_last_run_ok = 0;    // 1 when it succeeded
  uint64_t backup_last_success_time = 0;
  uint64_t backup_last_success_bytes = 0;
  // In a cluster ([cluster]): 1 while Redis answers; the relays that said
  // they were alive within 15 s (this one included).
  uint64_t cluster_redis_up = 0;
  uint64_t cluster_relays_alive = 0;
  // Counters.
  uint64_t connections_total = 0;
  uint64_t handshakes_failed = 0;
  uint64_t handshakes_shed = 0;        // closed by the per-source/global caps
  uint64_t connections_shed = 0;       // over connections_per_source
  uint64_t frames_refused_memory = 0;  // frame_memory was used up
  uint64_t logins_ok = 0;
  uint64_t logins_failed = 0;
  uint64_t logins_refused_busy = 0;  // over logins_per_source
  uint64_t account_lockouts = 0;
  uint64_t sessions_created = 0;
  uint64_t sessions_paired = 0;
  uint64_t joins_failed = 0;
  uint64_t joins_refused = 0;  // rate limited before the code was looked at
  // Customers handed over to the relay that holds their code, and customers
  // other relays handed over to this one.
  uint64_t joins_forwarded = 0;
  uint64_t joins_forwarded_in = 0;
  uint64_t bytes_relayed = 0;
  uint64_t backpressure_pauses = 0;
  uint64_t stuck_peers_dropped = 0;
  uint64_t store_writes_dropped = 0;
  uint64_t store_writes_failed = 0;
  uint64_t web_requests = 0;
  uint64_t web_requests_throttled = 0;  // over their source's rate
};

// Prometheus text exposition format 0.0.4, names prefixed "tether_relay_".
std::string RenderPrometheus(const RelayMetrics& metrics);

}  // namespace tether::relay
