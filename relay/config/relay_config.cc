#include "relay/config/relay_config.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "base/byte_size.h"
#include "config/config_file.h"
#include "config/fields.h"
#include "protocol/host_port.h"
#include "relay/cluster/redis_link.h"
#include "relay/config/relay_config_schema.h"

namespace tether::relay {

namespace {

using config::FormatDuration;

// Beyond this many, more errors only bury the first ones.
constexpr size_t kMaxReportedProblems = 50;
constexpr size_t kMaxBlocklistBytes = 1 << 20;

// [cluster]: what a relay needs to be one of several.
void CheckCluster(const RelayConfig& config,
                  const config::KeyLines& lines,
                  config::Problems& problems) {
  const auto line_of = [&](const std::string& key) { return lines.Of(key); };
  const ClusterConfig& c = config.cluster;
  if (!c.enabled())
    return;
  if (!IsRelayId(c.relay_id)) {
    problems.Add(line_of("cluster.relay_id"),
                 "cluster.relay_id may hold only letters, digits, '.', '_' "
                 "and '-'");
  }
  const auto required = [&](bool missing, const std::string& key,
                            const std::string& why) {
    if (missing) {
      problems.Add(line_of("cluster.relay_id"),
                   "cluster.relay_id is set, so " + key + " is needed: " + why);
    }
  };
  required(c.redis.empty(), "cluster.redis",
           "the relays share their waiting codes through Redis");
  required(c.secret_file.empty(), "cluster.secret_file",
           "every relay must tag session codes with the same key");
  required(config.store.postgresql.empty(), "store.postgresql",
           "the relays share accounts and one audit log in PostgreSQL");
  const bool wildcard = c.listen.host == "0.0.0.0" || c.listen.host == "::";
  required(wildcard && c.advertise.host.empty(), "cluster.advertise",
           "cluster.listen (" + c.listen.ToString() +
               ") does not say which address the other relays should dial");
  if (!c.advertise.host.empty() &&
      (c.advertise.host == "0.0.0.0" || c.advertise.host == "::" ||
       c.advertise.port == 0)) {
    problems.Add(line_of("cluster.advertise"),
                 "cluster.advertise must be an address the other relays can "
                 "dial, not " +
                     c.advertise.ToString());
  }
  for (const ListenAddress& address : config.server.listen) {
    if (address.Overlaps(c.listen)) {
      problems.Add(line_of("cluster.listen"),
                   "cluster.listen (" + c.listen.ToString() +
                       ") overlaps server.listen (" + address.ToString() + ")");
      break;
    }
  }
  if (!c.redis.empty()) {
    auto endpoint = ParseRedisUrl(c.redis);
    if (!endpoint) {
      problems.Add(line_of("cluster.redis"),
                   "cluster.redis: " + endpoint.error().message);
    } else if (!endpoint->password.empty()) {
      problems.Add(line_of("cluster.redis"),
                   "cluster.redis holds a password: put it in "
                   "cluster.redis_password_file instead, readable by the "
                   "relay only");
    }
  }
}

// Checks that span keys or sections. `lines` says where each key was set,
// so the message can point at it.
void CrossCheck(const RelayConfig& config,
                const config::KeyLines& lines,
                config::Problems& problems) {
  const auto line_of = [&](const std::string& key) { return lines.Of(key); };
  const auto& t = config.timeouts;
  if (t.heartbeat_timeout <= t.heartbeat_interval) {
    problems.Add(line_of("timeouts.heartbeat_timeout"),
                 "timeouts.heartbeat_timeout (" +
                     FormatDuration(t.heartbeat_timeout) +
                     ") must be longer than timeouts.heartbeat_interval (" +
                     FormatDuration(t.heartbeat_interval) +
                     "), or live peers are dropped between heartbeats");
  }
  if (t.first_message > t.unauthenticated_idle) {
    problems.Add(line_of("timeouts.first_message"),
                 "timeouts.first_message (" + FormatDuration(t.first_message) +
                     ") must not be longer than "
                     "timeouts.unauthenticated_idle (" +
                     FormatDuration(t.unauthenticated_idle) + ")");
  }
  const auto& l = config.limits;
  if (l.handshakes_per_source > l.handshakes_total) {
    problems.Add(line_of("limits.handshakes_per_source"),
                 "limits.handshakes_per_source (" +
                     std::to_string(l.handshakes_per_source) +
                     ") must not exceed limits.handshakes_total (" +
                     std::to_string(l.handshakes_total) + ")");
  }
  // Sizes that must be ordered: "a (x) must not exceed b (y)".
  const auto size_at_most = [&](const std::string& key, uint64_t value,
                                const std::string& limit_key, uint64_t limit) {
    if (value <= limit)
      return;
    problems.Add(line_of(key), key + " (" + FormatByteSize(value) +
                                   ") must not exceed " + limit_key + " (" +
                                   FormatByteSize(limit) + ")");
  };
  size_at_most("limits.signin_frame_max", l.signin_frame_max,
               "limits.control_frame_max", l.control_frame_max);
  size_at_most("limits.control_frame_max", l.control_frame_max,
               "limits.relayed_frame_max", l.relayed_frame_max);
  size_at_most("limits.relayed_frame_max", l.relayed_frame_max,
               "limits.frame_memory", l.frame_memory);
  const auto& j = config.join_guard;
  if (j.lockout_initial > j.lockout_max) {
    problems.Add(line_of("join_guard.lockout_initial"),
                 "join_guard.lockout_initial (" +
                     FormatDuration(j.lockout_initial) +
                     ") must not exceed join_guard.lockout_max (" +
                     FormatDuration(j.lockout_max) + ")");
  }
  if (!config.server.support_terms.empty() &&
      !config.server.support_terms_file.empty()) {
    problems.Add(line_of("server.support_terms_file"),
                 "server.support_terms and server.support_terms_file are "
                 "mutually exclusive: set one of them");
  }
  if (config.metrics.enabled) {
    for (const ListenAddress& address : config.server.listen) {
      if (address.Overlaps(config.metrics.listen)) {
        problems.Add(line_of("metrics.listen"),
                     "metrics.listen (" + config.metrics.listen.ToString() +
                         ") overlaps server.listen (" + address.ToString() +
                         ")");
        break;
      }
    }
  }
  CheckCluster(config, lines, problems);
  if (auto valid = crypto::Validate(config.password_policy); !valid) {
    problems.Add(line_of("password_policy"), valid.error().message);
  }
}

std::vector<std::string> BlocklistEntries(std::string_view text) {
  std::vector<std::string> entries;
  while (!text.empty()) {
    const size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    while (!line.empty() &&
           (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      line.remove_prefix(1);
    }
    if (line.empty() || line.front() == '#')
      continue;
    entries.emplace_back(line);
  }
  return entries;
}

}  // namespace

bool IsRelayId(std::string_view id) {
  return !id.empty() && id.size() <= 32 &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
         });
}

bool ListenAddress::ipv6() const {
  return host.find(':') != std::string::npos;
}

bool ListenAddress::Overlaps(const ListenAddress& other) const {
  const auto wildcard = [](const ListenAddress& a) {
    return a.host == "0.0.0.0" || a.host == "::";
  };
  return port != 0 && port == other.port && ipv6() == other.ipv6() &&
         (host == other.host || wildcard(*this) || wildcard(other));
}

std::string ListenAddress::ToString() const {
  return protocol::JoinHostPort(host, port);
}

bool operator==(const RelayConfig& a, const RelayConfig& b) {
  const auto policy = [](const crypto::PasswordPolicy& p) {
    return std::tie(p.min_length, p.max_length, p.use_blocklist,
                    p.min_character_classes, p.history, p.expiry_days,
                    p.disable_after_idle_days, p.extra_blocklist);
  };
  return a.server == b.server && a.tls == b.tls && a.store == b.store &&
         a.timeouts == b.timeouts && a.limits == b.limits &&
         a.join_guard == b.join_guard && a.accounts == b.accounts &&
         policy(a.password_policy) == policy(b.password_policy) &&
         a.password_blocklist_file == b.password_blocklist_file &&
         a.metrics == b.metrics && a.web == b.web && a.backup == b.backup &&
         a.cluster == b.cluster && a.log_level == b.log_level;
}

Result<RelayConfig> ParseRelayConfig(std::string_view toml_text,
                                     std::string_view source_name) {
  return config::ParseConfig<RelayConfig>(
      toml_text, source_name, {kMaxRelayConfigBytes, kMaxReportedProblems},
      RelayConfigSchema(), RelayConfig{}, CrossCheck);
}

Result<RelayConfig> LoadRelayConfig(const std::filesystem::path& path) {
  TETHER_TRY(text,
             config::ReadSmallFile(path, kMaxRelayConfigBytes, "config file"));
  auto config = ParseRelayConfig(*text, path.string());
  if (!config)
    return config;

  // Relative paths mean "next to the config file", whatever the working
  // directory of the service.
  std::error_code ignored;
  const std::filesystem::path folder =
      std::filesystem::absolute(path, ignored).parent_path();
  for (std::filesystem::path* p :
       {&config->tls.certificate, &config->tls.private_key,
        &config->store.database, &config->server.support_terms_file,
        &config->password_blocklist_file, &config->web.site,
        &config->web.downloads, &config->web.logo, &config->backup.folder,
        &config->store.postgresql_password_file,
        &config->cluster.redis_password_file, &config->cluster.secret_file}) {
    if (!p->empty() && p->is_relative())
      *p = (folder / *p).lexically_normal();
  }

  const std::string where = path.string() + ": ";
  if (!config->server.support_terms_file.empty()) {
    auto terms = config::ReadSmallFile(config->server.support_terms_file,
                                       kMaxSupportTermsBytes,
                                       "server.support_terms_file");
    if (!terms)
      return MakeError(where + terms.error().message);
    config->server.support_terms = *std::move(terms);
  }
  if (!config->password_blocklist_file.empty()) {
    auto list = config::ReadSmallFile(config->password_blocklist_file,
                                      kMaxBlocklistBytes,
                                      "password_policy.extra_blocklist_file");
    if (!list)
      return MakeError(where + list.error().message);
    config->password_policy.extra_blocklist = BlocklistEntries(*list);
  }
  return config;
}

std::string DescribeRelayConfig(const RelayConfig& config) {
  std::string out;
  for (const auto& section : RelayConfigSchema()) {
    if (!out.empty())
      out += '\n';
    out += "[" + std::string(section.name) + "]\n";
    for (const auto& field : section.fields) {
      out += field.describe(config) + "\n";
    }
  }
  return out;
}

}  // namespace tether::relay
