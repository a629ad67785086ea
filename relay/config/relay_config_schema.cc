#include "relay/config/relay_config_schema.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "base/byte_size.h"
#include "config/fields.h"
#include "crypto/certificate.h"
#include "protocol/host_port.h"

namespace tether::relay {

namespace {

using std::chrono::seconds;
constexpr seconds kMinute{60};
constexpr seconds kHour{3600};
constexpr seconds kDay{86400};

constexpr size_t kMaxOrganisationBytes = 200;
// A libpq connection string: host, port, dbname, user, sslmode, ...
constexpr size_t kMaxPostgresqlBytes = 1024;
constexpr size_t kMaxIssuerBytes = 64;
constexpr size_t kMaxRelayIdBytes = 32;
constexpr size_t kMaxRedisUrlBytes = 1024;
constexpr size_t kMaxPeerFingerprints = 64;
constexpr size_t kMaxListenAddresses = 16;
// A program and its arguments; more is a script's job.
constexpr size_t kMaxCommandWords = 64;

using Field = config::Field<RelayConfig>;

// "address:port" of a socket the relay listens on; the error quotes it.
Result<ListenAddress> ReadListenAddress(std::string_view text) {
  auto address = protocol::ParseListenAddress(text);
  if (!address) {
    return MakeError(config::Quote(text) + " is not an address to listen on: " +
                     address.error().message);
  }
  return ListenAddress{address->host, address->port};
}

std::string_view LevelName(log::Level level) {
  switch (level) {
    case log::Level::kTrace:
      return "trace";
    case log::Level::kDebug:
      return "debug";
    case log::Level::kInfo:
      return "info";
    case log::Level::kWarn:
      return "warn";
    case log::Level::kError:
      return "error";
    case log::Level::kOff:
      return "off";
  }
  return "info";
}

Field ListenListField(std::string_view name) {
  return {
      name,
      [](const toml::node& node, RelayConfig& config) -> Result<void> {
        const auto* array = node.as_array();
        if (array == nullptr) {
          return config::WrongType(node, "a list such as [\"0.0.0.0:8443\"]");
        }
        if (array->empty() || array->size() > kMaxListenAddresses) {
          return MakeError("must list 1 to " +
                           std::to_string(kMaxListenAddresses) + " addresses");
        }
        std::vector<ListenAddress> addresses;
        for (const toml::node& element : *array) {
          TETHER_TRY(text,
                     config::ReadString(element, "\"address:port\" strings"));
          TETHER_TRY(address, ReadListenAddress(*text));
          for (const ListenAddress& other : addresses) {
            if (address->Overlaps(other)) {
              return MakeError(address->ToString() + " overlaps " +
                               other.ToString());
            }
          }
          addresses.push_back(*std::move(address));
        }
        config.server.listen = std::move(addresses);
        return {};
      },
      [name](const RelayConfig& config) {
        std::string list = "[";
        for (const ListenAddress& address : config.server.listen) {
          if (list.size() > 1)
            list += ", ";
          list += config::Quote(address.ToString());
        }
        return config::Line(name, list + "]");
      }};
}

// One "address:port" a listener binds (or, `allow_empty`, "" for none).
template <typename Get>
Field ListenAddressField(std::string_view name, Get get, bool allow_empty) {
  return {name,
          [get, allow_empty](const toml::node& node,
                             RelayConfig& config) -> Result<void> {
            TETHER_TRY(text, config::ReadString(node, "\"address:port\""));
            if (allow_empty && text->empty()) {
              get(config) = ListenAddress{};
              return {};
            }
            TETHER_TRY(address, ReadListenAddress(*text));
            get(config) = *std::move(address);
            return {};
          },
          [name, get](const RelayConfig& config) {
            const ListenAddress& address = get(config);
            return config::Line(
                name,
                config::Quote(address.host.empty() ? "" : address.ToString()));
          }};
}

// The other relays' keys: "sha256:<64 hex>" each.
Field FingerprintListField(std::string_view name) {
  return {name,
          [](const toml::node& node, RelayConfig& config) -> Result<void> {
            constexpr std::string_view kExample =
                "a list such as [\"sha256:0f1e...\"]";
            const auto* array = node.as_array();
            if (array == nullptr)
              return config::WrongType(node, kExample);
            if (array->size() > kMaxPeerFingerprints) {
              return MakeError("must list at most " +
                               std::to_string(kMaxPeerFingerprints) + " keys");
            }
            std::vector<std::string> pins;
            for (const toml::node& element : *array) {
              TETHER_TRY(pin, config::ReadString(element, kExample));
              if (auto ok = crypto::CheckFingerprintFormat(*pin); !ok) {
                return MakeError("key " + std::to_string(pins.size() + 1) +
                                 ": " + ok.error().message);
              }
              pins.emplace_back(*pin);
            }
            config.cluster.peer_fingerprints = std::move(pins);
            return {};
          },
          [name](const RelayConfig& config) {
            std::string list = "[";
            for (const std::string& pin : config.cluster.peer_fingerprints) {
              if (list.size() > 1)
                list += ", ";
              list += config::Quote(pin);
            }
            return config::Line(name, list + "]");
          }};
}

Field TlsVersionField(std::string_view name) {
  return {name,
          [](const toml::node& node, RelayConfig& config) -> Result<void> {
            TETHER_TRY(text, config::ReadString(node, "\"1.2\" or \"1.3\""));
            if (*text == "1.2") {
              config.tls.min_version = crypto::TlsVersion::kTls12;
            } else if (*text == "1.3") {
              config.tls.min_version = crypto::TlsVersion::kTls13;
            } else {
              return MakeError("must be \"1.2\" or \"1.3\", got " +
                               config::Quote(*text));
            }
            return {};
          },
          [name](const RelayConfig& config) {
            return config::Line(
                name, config.tls.min_version == crypto::TlsVersion::kTls13
                          ? "\"1.3\""
                          : "\"1.2\"");
          }};
}

Field CipherSuitesField(std::string_view name) {
  return {
      name,
      [](const toml::node& node, RelayConfig& config) -> Result<void> {
        constexpr std::string_view kExample =
            "a list such as [\"TLS_AES_256_GCM_SHA384\"]";
        const auto* array = node.as_array();
        if (array == nullptr)
          return config::WrongType(node, kExample);
        if (array->empty() || array->size() > 3)
          return MakeError("must list 1 to 3 TLS 1.3 suites");
        std::vector<crypto::Tls13Suite> suites;
        for (const toml::node& element : *array) {
          TETHER_TRY(text, config::ReadString(element, kExample));
          auto suite = crypto::ParseTls13Suite(*text);
          if (!suite) {
            return MakeError(config::Quote(*text) + " is " +
                             suite.error().message);
          }
          if (std::find(suites.begin(), suites.end(), *suite) != suites.end()) {
            return MakeError(config::Quote(*text) + " is listed twice");
          }
          suites.push_back(*suite);
        }
        config.tls.cipher_suites = std::move(suites);
        return {};
      },
      [name](const RelayConfig& config) {
        std::string list = "[";
        for (crypto::Tls13Suite suite : config.tls.cipher_suites) {
          if (list.size() > 1)
            list += ", ";
          list += config::Quote(crypto::Tls13SuiteName(suite));
        }
        return config::Line(name, list + "]");
      }};
}

Field LogLevelField(std::string_view name) {
  return {
      name,
      [](const toml::node& node, RelayConfig& config) -> Result<void> {
        TETHER_TRY(text, config::ReadString(
                             node,
                             "one of \"trace\", \"debug\", \"info\", \"warn\", "
                             "\"error\", \"off\""));
        TETHER_TRY(level, log::ParseLevel(*text));
        config.log_level = *level;
        return {};
      },
      [name](const RelayConfig& config) {
        return config::Line(name, config::Quote(LevelName(config.log_level)));
      }};
}

// support_terms as written, or a note when it was read from a file.
Field SupportTermsField(std::string_view name) {
  Field field = config::TextField<RelayConfig>(
      name, [](auto& c) -> auto& { return c.server.support_terms; },
      kMaxSupportTermsBytes, /*allow_empty=*/true, /*multiline=*/true);
  field.describe = [name](const RelayConfig& config) {
    if (!config.server.support_terms_file.empty()) {
      return "# " + std::string(name) + ": " +
             std::to_string(config.server.support_terms.size()) +
             " bytes, from support_terms_file";
    }
    return config::Line(name, config::Quote(config.server.support_terms));
  };
  return field;
}

Field BlocklistFileField(std::string_view name) {
  Field field = config::PathField<RelayConfig>(
      name, [](auto& c) -> auto& { return c.password_blocklist_file; },
      /*allow_empty=*/true);
  auto describe_path = field.describe;
  field.describe = [describe_path](const RelayConfig& config) {
    std::string out = describe_path(config);
    const size_t n = config.password_policy.extra_blocklist.size();
    if (n > 0) {
      out += "  # " + std::to_string(n) + " passwords";
      if (!config.password_blocklist_file.empty())
        out += " read from it";
    }
    return out;
  };
  return field;
}

// backup.command: a program (absolute path) and its arguments, run
// without a shell, so each word is passed exactly as written.
Field BackupCommandField(std::string_view name) {
  return {name,
          [](const toml::node& node, RelayConfig& config) -> Result<void> {
            constexpr std::string_view kExample =
                "a list such as [\"/usr/bin/rsync\", \"--archive\", "
                "\"{backup}\", \"backup.example.com:tether/\"]";
            const auto* array = node.as_array();
            if (array == nullptr)
              return config::WrongType(node, kExample);
            if (array->size() > kMaxCommandWords) {
              return MakeError("must list at most " +
                               std::to_string(kMaxCommandWords) +
                               " words (a program and its arguments)");
            }
            std::vector<std::string> words;
            for (const toml::node& element : *array) {
              TETHER_TRY(word, config::ReadString(element, kExample));
              if (auto ok = config::CheckText(*word, config::kMaxPathBytes,
                                              /*allow_empty=*/false,
                                              /*multiline=*/false);
                  !ok) {
                return MakeError("word " + std::to_string(words.size() + 1) +
                                 ": " + ok.error().message);
              }
              words.emplace_back(*word);
            }
            if (!words.empty() && !words.front().starts_with('/')) {
              return MakeError(
                  "the program must be an absolute path (it runs without a "
                  "shell or PATH), got " +
                  config::Quote(words.front()));
            }
            config.backup.command = std::move(words);
            return {};
          },
          [name](const RelayConfig& config) {
            std::string list = "[";
            for (const std::string& word : config.backup.command) {
              if (list.size() > 1)
                list += ", ";
              list += config::Quote(word);
            }
            return config::Line(name, list + "]");
          }};
}

// `[](auto& c) -> auto& { return c.<member>; }` for const and non-const.

#define TETHER_MEMBER(member) \
  [](auto& c) -> auto& {      \
    return c.member;          \
  }

config::Schema<RelayConfig> MakeSchema() {
  constexpr int64_t kMaxU32 = std::numeric_limits<uint32_t>::max();
  return {
      {"server",
       {
           ListenListField("listen"),
           config::TextField<RelayConfig>(
               "organisation", TETHER_MEMBER(server.organisation),
               kMaxOrganisationBytes, /*allow_empty=*/true,
               /*multiline=*/false),
           SupportTermsField("support_terms"),
           config::PathField<RelayConfig>(
               "support_terms_file", TETHER_MEMBER(server.support_terms_file),
               /*allow_empty=*/true),
           config::IntegerField<RelayConfig>(
               "max_connections", TETHER_MEMBER(server.max_connections), 1,
               1'000'000),
       }},
      {"tls",
       {
           config::PathField<RelayConfig>("certificate",
                                          TETHER_MEMBER(tls.certificate),
                                          /*allow_empty=*/false),
           config::PathField<RelayConfig>("private_key",
                                          TETHER_MEMBER(tls.private_key),
                                          /*allow_empty=*/false),
           TlsVersionField("min_version"),
           CipherSuitesField("cipher_suites"),
       }},
      {"store",
       {
           config::PathField<RelayConfig>("database",
                                          TETHER_MEMBER(store.database),
                                          /*allow_empty=*/false),
           config::DurationField<RelayConfig>(
               "event_retention", TETHER_MEMBER(store.event_retention), kHour,
               3650 * kDay),
           config::TextField<RelayConfig>(
               "postgresql", TETHER_MEMBER(store.postgresql),
               kMaxPostgresqlBytes, /*allow_empty=*/true,
               /*multiline=*/false),
           config::PathField<RelayConfig>(
               "postgresql_password_file",
               TETHER_MEMBER(store.postgresql_password_file),
               /*allow_empty=*/true),
           config::IntegerField<RelayConfig>(
               "postgresql_connections",
               TETHER_MEMBER(store.postgresql_connections), 1, 100),
       }},
      {"timeouts",
       {
           config::DurationField<RelayConfig>(
               "tls_handshake", TETHER_MEMBER(timeouts.tls_handshake),
               seconds(1), 5 * kMinute),
           config::DurationField<RelayConfig>(
               "first_message", TETHER_MEMBER(timeouts.first_message),
               seconds(1), 5 * kMinute),
           config::DurationField<RelayConfig>(
               "unauthenticated_idle",
               TETHER_MEMBER(timeouts.unauthenticated_idle), seconds(1), kHour),
           config::DurationField<RelayConfig>(
               "code_expiry", TETHER_MEMBER(timeouts.code_expiry), kMinute,
               kDay),
           config::DurationField<RelayConfig>(
               "heartbeat_interval", TETHER_MEMBER(timeouts.heartbeat_interval),
               seconds(1), 10 * kMinute),
           config::DurationField<RelayConfig>(
               "heartbeat_timeout", TETHER_MEMBER(timeouts.heartbeat_timeout),
               seconds(2), kHour),
           config::DurationField<RelayConfig>(
               "stuck_peer", TETHER_MEMBER(timeouts.stuck_peer), seconds(1),
               kHour),
       }},
      {"limits",
       {
           config::SizeField<RelayConfig>(
               "signin_frame_max", TETHER_MEMBER(limits.signin_frame_max), kKiB,
               16 * kMiB),
           config::SizeField<RelayConfig>(
               "control_frame_max", TETHER_MEMBER(limits.control_frame_max),
               kKiB, 16 * kMiB),
           config::SizeField<RelayConfig>(
               "relayed_frame_max", TETHER_MEMBER(limits.relayed_frame_max),
               kKiB, 64 * kMiB),
           config::SizeField<RelayConfig>("outbound_queue",
                                          TETHER_MEMBER(limits.outbound_queue),
                                          16 * kKiB, 64 * kMiB),
           config::SizeField<RelayConfig>("frame_memory",
                                          TETHER_MEMBER(limits.frame_memory),
                                          kMiB, 64 * 1024 * kMiB),
           config::IntegerField<RelayConfig>(
               "connections_per_source",
               TETHER_MEMBER(limits.connections_per_source), 1, 1'000'000),
           config::IntegerField<RelayConfig>(
               "handshakes_per_source",
               TETHER_MEMBER(limits.handshakes_per_source), 1, 10'000),
           config::IntegerField<RelayConfig>(
               "handshakes_total", TETHER_MEMBER(limits.handshakes_total), 1,
               100'000),
           config::IntegerField<RelayConfig>(
               "logins_per_source", TETHER_MEMBER(limits.logins_per_source), 1,
               1'000),
           config::IntegerField<RelayConfig>(
               "waiting_codes_per_technician",
               TETHER_MEMBER(limits.waiting_codes_per_technician), 1, 100),
           // Each argon2id run holds 64 MiB.
           config::IntegerField<RelayConfig>(
               "concurrent_password_hashes",
               TETHER_MEMBER(limits.concurrent_password_hashes), 1, 64),
       }},
      {"join_guard",
       {
           // Each failure within the window is remembered, so keep it small.
           config::IntegerField<RelayConfig>(
               "failures_per_source",
               TETHER_MEMBER(join_guard.failures_per_source), 1, 100),
           config::DurationField<RelayConfig>(
               "failure_window", TETHER_MEMBER(join_guard.failure_window),
               kMinute, kDay),
           config::DurationField<RelayConfig>(
               "lockout_initial", TETHER_MEMBER(join_guard.lockout_initial),
               seconds(1), kDay),
           config::DurationField<RelayConfig>(
               "lockout_max", TETHER_MEMBER(join_guard.lockout_max), seconds(1),
               7 * kDay),
           config::IntegerField<RelayConfig>(
               "global_failures_per_hour",
               TETHER_MEMBER(join_guard.global_failures_per_hour), 1,
               10'000'000),
           config::DurationField<RelayConfig>(
               "slow_lane_delay", TETHER_MEMBER(join_guard.slow_lane_delay),
               seconds(0), kMinute),
           config::DurationField<RelayConfig>(
               "slow_lane_interval",
               TETHER_MEMBER(join_guard.slow_lane_interval), seconds(1), kDay),
       }},
      {"accounts",
       {
           config::BoolField<RelayConfig>("require_totp",
                                          TETHER_MEMBER(accounts.require_totp)),
           config::IntegerField<RelayConfig>(
               "throttle_after_failures",
               TETHER_MEMBER(accounts.throttle.throttle_after_failures), 1,
               1000),
           config::DurationField<RelayConfig>(
               "max_throttle", TETHER_MEMBER(accounts.throttle.max_throttle),
               seconds(1), kDay),
           config::IntegerField<RelayConfig>(
               "lock_after_failures",
               TETHER_MEMBER(accounts.throttle.lock_after_failures), 1, 1000),
           config::TextField<RelayConfig>(
               "totp_issuer", TETHER_MEMBER(accounts.totp_issuer),
               kMaxIssuerBytes, /*allow_empty=*/false,
               /*multiline=*/false),
       }},
      // The bounds here only keep values in range of their types;
      // crypto::Validate() judges the policy afterwards.
      {"password_policy",
       {
           config::IntegerField<RelayConfig>(
               "min_length", TETHER_MEMBER(password_policy.min_length), 0,
               kMaxU32),
           config::IntegerField<RelayConfig>(
               "max_length", TETHER_MEMBER(password_policy.max_length), 0,
               kMaxU32),
           config::BoolField<RelayConfig>(
               "blocklist", TETHER_MEMBER(password_policy.use_blocklist)),
           BlocklistFileField("extra_blocklist_file"),
           // Four classes exist: lower, upper, digit, other.
           config::IntegerField<RelayConfig>(
               "character_classes",
               TETHER_MEMBER(password_policy.min_character_classes), 0, 4),
           config::IntegerField<RelayConfig>(
               "history", TETHER_MEMBER(password_policy.history), 0, kMaxU32),
           config::IntegerField<RelayConfig>(
               "expiry_days", TETHER_MEMBER(password_policy.expiry_days), 0,
               kMaxU32),
           config::IntegerField<RelayConfig>(
               "disable_after_idle_days",
               TETHER_MEMBER(password_policy.disable_after_idle_days), 0,
               kMaxU32),
       }},
      {"metrics",
       {
           config::BoolField<RelayConfig>("enabled",
                                          TETHER_MEMBER(metrics.enabled)),
           ListenAddressField("listen", TETHER_MEMBER(metrics.listen),
                              /*allow_empty=*/false),
       }},
      {"web",
       {
           config::BoolField<RelayConfig>("enabled",
                                          TETHER_MEMBER(web.enabled)),
           config::PathField<RelayConfig>("site", TETHER_MEMBER(web.site),
                                          /*allow_empty=*/true),
           config::PathField<RelayConfig>("downloads",
                                          TETHER_MEMBER(web.downloads),
                                          /*allow_empty=*/true),
           config::PathField<RelayConfig>("logo", TETHER_MEMBER(web.logo),
                                          /*allow_empty=*/true),
           config::TextField<RelayConfig>(
               "public_host", TETHER_MEMBER(web.public_host), 253,
               /*allow_empty=*/true, /*multiline=*/false),
           config::DurationField<RelayConfig>(
               "idle_timeout", TETHER_MEMBER(web.idle_timeout), kMinute, kDay),
           config::DurationField<RelayConfig>(
               "session_lifetime", TETHER_MEMBER(web.session_lifetime), kMinute,
               7 * kDay),
           config::BoolField<RelayConfig>(
               "admin_requires_totp", TETHER_MEMBER(web.admin_requires_totp)),
           config::IntegerField<RelayConfig>(
               "connections_per_source",
               TETHER_MEMBER(web.connections_per_source), 1, 10'000),
           config::IntegerField<RelayConfig>("max_connections",
                                             TETHER_MEMBER(web.max_connections),
                                             1, 100'000),
           config::IntegerField<RelayConfig>(
               "requests_per_second", TETHER_MEMBER(web.requests_per_second), 1,
               100'000),
       }},
      {"backup",
       {
           config::PathField<RelayConfig>("folder",
                                          TETHER_MEMBER(backup.folder),
                                          /*allow_empty=*/false),
           config::IntegerField<RelayConfig>("keep", TETHER_MEMBER(backup.keep),
                                             1, 1000),
           BackupCommandField("command"),
           config::DurationField<RelayConfig>(
               "command_timeout", TETHER_MEMBER(backup.command_timeout),
               seconds(1), 12 * kHour),
       }},
      {"cluster",
       {
           config::TextField<RelayConfig>(
               "relay_id", TETHER_MEMBER(cluster.relay_id), kMaxRelayIdBytes,
               /*allow_empty=*/true, /*multiline=*/false),
           ListenAddressField("listen", TETHER_MEMBER(cluster.listen),
                              /*allow_empty=*/false),
           ListenAddressField("advertise", TETHER_MEMBER(cluster.advertise),
                              /*allow_empty=*/true),
           config::TextField<RelayConfig>(
               "redis", TETHER_MEMBER(cluster.redis), kMaxRedisUrlBytes,
               /*allow_empty=*/true, /*multiline=*/false),
           config::PathField<RelayConfig>(
               "redis_password_file",
               TETHER_MEMBER(cluster.redis_password_file),
               /*allow_empty=*/true),
           config::PathField<RelayConfig>("secret_file",
                                          TETHER_MEMBER(cluster.secret_file),
                                          /*allow_empty=*/true),
           FingerprintListField("peer_fingerprints"),
       }},
      {"log",
       {
           LogLevelField("level"),
       }},
  };
}

#undef TETHER_MEMBER

}  // namespace

const config::Schema<RelayConfig>& RelayConfigSchema() {
  static const config::Schema<RelayConfig>* const schema =
      new config::Schema<RelayConfig>(MakeSchema());
  return *schema;
}

}  // namespace tether::relay
