#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.h"
#include "base/result.h"
#include "crypto/password_policy.h"
#include "crypto/tls_config.h"
#include "relay/limits/join_guard.h"
#include "relay/limits/login_throttle.h"

namespace tether::relay {

// Everything in relay.toml, with the built-in defaults. packaging/relay.toml
// documents every key and is tested to equal these defaults. Durations are
// whole seconds (written "10s", "15m", "1h", "30d"), sizes bytes (written
// "256KiB", "1MiB").

// A literal IP address and port to listen on: "0.0.0.0:8443",
// "[::]:8443". Host names are refused: what a name resolves to may change.
struct ListenAddress {
  std::string host;  // "0.0.0.0", "::" (no brackets)
  uint16_t port = 0;

  bool ipv6() const;
  // Whether binding both would collide (each family binds separately: the
  // relay sets IPV6_V6ONLY). Port 0 gets a fresh port each time.
  bool Overlaps(const ListenAddress& other) const;
  std::string ToString() const;  // "[::]:8443"
  bool operator==(const ListenAddress&) const = default;
};

struct ServerConfig {
  std::vector<ListenAddress> listen = {{"0.0.0.0", 8443}, {"::", 8443}};
  // Shown to customers before they agree to a session.
  std::string organisation;
  // The terms a customer agrees to, inline or read from a file (at most one
  // of the two; LoadRelayConfig reads the file into `support_terms`).
  std::string support_terms;
  std::filesystem::path support_terms_file;
  uint32_t max_connections = 10000;

  bool operator==(const ServerConfig&) const = default;
};

struct RelayTlsConfig {
  std::filesystem::path certificate = "/var/lib/tether/relay.crt";
  std::filesystem::path private_key = "/var/lib/tether/relay.key";
  crypto::TlsVersion min_version = crypto::TlsVersion::kTls13;
  // TLS 1.3 suites, preferred first (TLS 1.2's, when allowed, are fixed).
  std::vector<crypto::Tls13Suite> cipher_suites = {
      crypto::Tls13Suite::kAes256GcmSha384};

  bool operator==(const RelayTlsConfig&) const = default;
};

struct StoreConfig {
  std::filesystem::path database = "/var/lib/tether/relay.db";
  std::chrono::seconds event_retention{std::chrono::days(30)};
  // Set: accounts, events and the audit log live in this PostgreSQL
  // database (a libpq connection string without the password), shared by
  // every relay of a cluster; `database` is then not used.
  std::string postgresql;
  std::filesystem::path postgresql_password_file;
  uint32_t postgresql_connections = 8;  // per relay

  bool operator==(const StoreConfig&) const = default;
};

struct TimeoutsConfig {
  std::chrono::seconds tls_handshake{10};
  std::chrono::seconds first_message{10};
  std::chrono::seconds unauthenticated_idle{30};
  std::chrono::seconds code_expiry{std::chrono::minutes(10)};
  std::chrono::seconds heartbeat_interval{15};
  std::chrono::seconds heartbeat_timeout{45};
  std::chrono::seconds stuck_peer{30};

  bool operator==(const TimeoutsConfig&) const = default;
};

struct LimitsConfig {
  // Before a client has signed in or joined, its messages are tiny (Hello,
  // Login, Join): a small limit keeps what one unknown client can make the
  // relay hold small.
  uint64_t signin_frame_max = 16 << 10;
  uint64_t control_frame_max = 1 << 20;
  uint64_t relayed_frame_max = 8 << 20;
  uint64_t outbound_queue = 256 << 10;
  // Bytes of partly received large frames (over 64 KiB) held at once,
  // relay-wide; a frame that does not fit ends its connection.
  uint64_t frame_memory = 256 << 20;
  uint32_t connections_per_source = 100;
  uint32_t handshakes_per_source = 8;
  uint32_t handshakes_total = 512;
  // Password checks queued or running at once for one source.
  uint32_t logins_per_source = 2;
  uint32_t waiting_codes_per_technician = 3;
  uint32_t concurrent_password_hashes = 4;

  bool operator==(const LimitsConfig&) const = default;
};

struct AccountsConfig {
  bool require_totp = false;
  // throttle_after_failures, max_throttle, lock_after_failures.
  LoginThrottleConfig throttle;
  // The issuer shown by authenticator apps (otpauth URI).
  std::string totp_issuer = "Tether";

  bool operator==(const AccountsConfig&) const = default;
};

struct MetricsConfig {
  bool enabled = true;
  ListenAddress listen = {"127.0.0.1", 9464};

  bool operator==(const MetricsConfig&) const = default;
};

// The web console and the customer page, on the relay's own port (a
// browser's TLS handshake offers ALPN http/1.1). docs/relay.md.
struct WebConfig {
  bool enabled = true;
  // The pages: index.html, share.html, console.html, static/. Empty: the folder
  // the package installs, share/tether-relay/web next to the binary's bin/.
  std::filesystem::path site;
  // What the customer page offers to download (the customer app, its
  // signature, tether-customer.toml); IT puts the files here.
  std::filesystem::path downloads = "/var/lib/tether/downloads";
  // A PNG or SVG shown on the customer page; empty: none.
  std::filesystem::path logo;
  // The host name the downloaded tether-customer.toml names. Empty: the
  // name the browser used to reach the relay.
  std::string public_host;
  std::chrono::seconds idle_timeout{15 * 60};
  std::chrono::seconds session_lifetime{8 * 3600};
  // An admin signs in to the web console with a TOTP code.
  bool admin_requires_totp = true;
  uint32_t connections_per_source = 16;
  uint32_t max_connections = 512;
  // Requests per second one source may make, on average (bursts of 60).
  uint32_t requests_per_second = 20;

  bool operator==(const WebConfig&) const = default;
};

// [backup]: what `tether-relay backup --scheduled` does, the command
// tether-relay-backup.timer runs daily (docs/relay.md, "Backups").
struct BackupConfig {
  // The backups, the run's lock and the last run's status (which /metrics
  // reads); the first run creates it 0700.
  std::filesystem::path folder = "/var/lib/tether/backups";
  // The newest this many backups stay; older ones (only files named like
  // the runs name them) are removed.
  uint32_t keep = 7;
  // Run after each good backup, without a shell: command[0] is an absolute
  // path; a word "{backup}" is replaced by the backup's path, which is
  // otherwise added as the last argument. Empty: no command.
  std::vector<std::string> command;
  // The command is stopped after this long, and the run has failed.
  std::chrono::seconds command_timeout{std::chrono::hours(1)};

  bool operator==(const BackupConfig&) const = default;
};

// [cluster]: several relays that share PostgreSQL ([store] postgresql) and
// Redis, so that a technician and a customer may reach different relays
// (docs/relay.md, "Several relays"). Off while `relay_id` is empty.
// A relay id as [cluster] relay_id holds it: 1 to 32 letters, digits, '.',
// '_' and '-'.
bool IsRelayId(std::string_view id);

struct ClusterConfig {
  // This relay's name among its peers: letters, digits, '.', '_', '-'.
  std::string relay_id;
  // Where the other relays connect to hand over customers: mutual TLS 1.3
  // with the relay's own certificate, for peers whose key is pinned.
  ListenAddress listen = {"0.0.0.0", 8444};
  // The IP address and port the other relays dial; needed when `listen` is
  // a wildcard. Empty (no host): `listen` as bound.
  ListenAddress advertise;
  // A Redis URL without a password (redis://host:port/db, unix:///path).
  std::string redis;
  std::filesystem::path redis_password_file;
  // 32 or more random bytes, the same on every relay (session codes are
  // known to Redis only by their HMAC under this key); owner-only.
  std::filesystem::path secret_file;
  // Keys of the other relays ("sha256:..."), when they do not share this
  // relay's certificate. This relay's own key is always accepted.
  std::vector<std::string> peer_fingerprints;

  bool enabled() const { return !relay_id.empty(); }
  bool operator==(const ClusterConfig&) const = default;
};

struct RelayConfig {
  ServerConfig server;
  RelayTlsConfig tls;
  StoreConfig store;
  TimeoutsConfig timeouts;
  LimitsConfig limits;
  JoinGuardConfig join_guard;
  AccountsConfig accounts;
  // [password_policy]; LoadRelayConfig reads `password_blocklist_file`
  // into `password_policy.extra_blocklist`.
  crypto::PasswordPolicy password_policy;
  std::filesystem::path password_blocklist_file;
  MetricsConfig metrics;
  WebConfig web;
  BackupConfig backup;
  ClusterConfig cluster;
  log::Level log_level = log::Level::kInfo;
};

// Field by field, including the policy (which has no operator== of its own).
bool operator==(const RelayConfig& a, const RelayConfig& b);

// Config files larger than this are refused before parsing.
inline constexpr size_t kMaxRelayConfigBytes = 1 << 20;

// Parses relay.toml text. `source_name` prefixes every error
// ("relay.toml:12: unknown key 'server.listn' (did you mean 'listen'?)");
// all problems found are reported, one per line. Reads no files: paths are
// returned as written.
Result<RelayConfig> ParseRelayConfig(std::string_view toml_text,
                                     std::string_view source_name);

// Reads and parses the file, resolves relative paths against its folder,
// and reads the files it names (support_terms_file, extra_blocklist_file).
Result<RelayConfig> LoadRelayConfig(const std::filesystem::path& path);

// The effective settings as TOML, for `tether-relay config check`. Parsing
// it again gives the same config, except that text read from the files
// named by support_terms_file and extra_blocklist_file is summarised in a
// comment. The config holds no secrets (keys are referred to by path).
std::string DescribeRelayConfig(const RelayConfig& config);

}  // namespace tether::relay
