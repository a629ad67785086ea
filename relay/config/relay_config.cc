#include "relay/config/relay_config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

// tomlplusplus stays in this file: nothing outside the config parser needs
// to know the format. Debian builds the library with exceptions, so
// toml::parse throws; the exception is caught right at the call.
#include <toml++/toml.h>

#include "base/byte_size.h"

namespace tether::relay {

namespace {

using std::chrono::seconds;
constexpr seconds kMinute{60};
constexpr seconds kHour{3600};
constexpr seconds kDay{86400};

// Terms a customer reads before agreeing; longer is a mistake, not terms.
constexpr size_t kMaxSupportTermsBytes = 64 * 1024;
constexpr size_t kMaxOrganisationBytes = 200;
constexpr size_t kMaxIssuerBytes = 64;
constexpr size_t kMaxPathBytes = 4096;
constexpr size_t kMaxListenAddresses = 16;
constexpr size_t kMaxBlocklistBytes = 1 << 20;
// Beyond this many, more errors only bury the first ones.
constexpr size_t kMaxReportedProblems = 50;

// ---------------------------------------------------------------------------
// Values.

std::string Quote(std::string_view text) {
  // A TOML basic string: printable text as is, the rest escaped.
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (byte < 0x20 || byte == 0x7F) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04X", byte);
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string FormatDuration(seconds d) {
  const int64_t s = d.count();
  if (s != 0 && s % kDay.count() == 0)
    return std::to_string(s / kDay.count()) + "d";
  if (s != 0 && s % kHour.count() == 0) {
    return std::to_string(s / kHour.count()) + "h";
  }
  if (s != 0 && s % kMinute.count() == 0) {
    return std::to_string(s / kMinute.count()) + "m";
  }
  return std::to_string(s) + "s";
}

// "<digits><unit>"; nullopt unless the whole text is exactly that.
std::optional<std::pair<uint64_t, std::string_view>> SplitNumber(
    std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  // Up to 12 digits, a number of days still fits in int64 seconds (sizes
  // check their own overflow). Longer is never a sensible setting.
  if (digits == 0 || digits > 12) {
    return std::nullopt;
  }
  uint64_t value = 0;
  for (size_t i = 0; i < digits; ++i) {
    value = value * 10 + static_cast<uint64_t>(text[i] - '0');
  }
  return std::make_pair(value, text.substr(digits));
}

std::optional<seconds> ParseDuration(std::string_view text) {
  const auto split = SplitNumber(text);
  if (!split)
    return std::nullopt;
  const auto [value, unit] = *split;
  const auto count = static_cast<int64_t>(value);
  if (unit == "s")
    return seconds(count);
  if (unit == "m")
    return count * kMinute;
  if (unit == "h")
    return count * kHour;
  if (unit == "d")
    return count * kDay;
  return std::nullopt;
}

std::optional<std::string> NormalizeIp(const std::string& host, int family) {
  unsigned char bytes[16] = {};
  if (inet_pton(family, host.c_str(), bytes) != 1)
    return std::nullopt;
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, bytes, text, sizeof(text));
  return std::string(text);
}

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return MakeError(Quote(text) +
                     " is not an address to listen on: " + std::string(why));
  };
  if (text.find('\0') != std::string_view::npos) {
    return bad("contains NUL");
  }
  std::string_view host;
  std::string_view port;
  int family = AF_INET;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() ||
        text[close + 1] != ':') {
      return bad("expected [IPv6 address]:port, e.g. \"[::]:8443\"");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    family = AF_INET6;
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return bad("expected address:port, e.g. \"0.0.0.0:8443\"");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return bad("put IPv6 addresses in brackets, e.g. \"[::]:8443\"");
    }
  }
  const std::optional<std::string> normal =
      NormalizeIp(std::string(host), family);
  if (!normal) {
    return bad(family == AF_INET6
                   ? "not an IPv6 address"
                   : "not an IPv4 address (host names are not accepted: "
                     "use an IP address such as 0.0.0.0, or [::])");
  }
  uint32_t number = 0;
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return bad("the port must be a number from 0 to 65535");
  }
  for (char c : port) {
    number = number * 10 + static_cast<uint32_t>(c - '0');
  }
  // Port 0 lets the kernel pick a free port (tests, side-by-side relays);
  // the relay logs the port it got.
  if (number > 65535) {
    return bad("the port must be a number from 0 to 65535");
  }
  return ListenAddress{*normal, static_cast<uint16_t>(number)};
}

bool IsWildcard(const ListenAddress& a) {
  return a.host == "0.0.0.0" || a.host == "::";
}

// Whether binding both would collide (each family binds separately:
// the relay sets IPV6_V6ONLY). Port 0 gets a fresh port each time.
bool Overlap(const ListenAddress& a, const ListenAddress& b) {
  return a.port != 0 && a.port == b.port && a.ipv6() == b.ipv6() &&
         (a.host == b.host || IsWildcard(a) || IsWildcard(b));
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

std::string_view TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

Unexpected<Error> WrongType(const toml::node& node, std::string_view wanted) {
  return MakeError("expected " + std::string(wanted) + ", got " +
                   std::string(TypeName(node)));
}

Result<std::string_view> ReadString(const toml::node& node,
                                    std::string_view wanted) {
  const auto* value = node.as_string();
  if (value == nullptr)
    return WrongType(node, wanted);
  return std::string_view(value->get());
}

// ---------------------------------------------------------------------------
// The schema: every section and key, how to read it and how to show it.

struct Field {
  std::string_view name;
  // Reads `node` into `config`; the error says what is wrong with the value
  // (the caller adds where and which key).
  std::function<Result<void>(const toml::node&, RelayConfig&)> read;
  // The line(s) DescribeRelayConfig prints.
  std::function<std::string(const RelayConfig&)> describe;
};

struct Section {
  std::string_view name;
  std::vector<Field> fields;
};

std::string Line(std::string_view name, std::string_view value) {
  return std::string(name) + " = " + std::string(value);
}

template <typename Get>
Field DurationField(std::string_view name, Get get, seconds min, seconds max) {
  return {name,
          [=](const toml::node& node, RelayConfig& config) -> Result<void> {
            auto text = ReadString(
                node, "a duration such as \"10s\", \"15m\", \"1h\" or \"30d\"");
            if (!text)
              return Unexpected(std::move(text).error());
            const std::optional<seconds> value = ParseDuration(*text);
            if (!value) {
              return MakeError(
                  Quote(*text) +
                  " is not a duration: write a whole number and a unit, s, "
                  "m, h or d (e.g. \"10s\", \"15m\", \"1h\", \"30d\")");
            }
            if (*value < min || *value > max) {
              return MakeError("must be between " + FormatDuration(min) +
                               " and " + FormatDuration(max) + ", got " +
                               Quote(*text));
            }
            get(config) = *value;
            return {};
          },
          [=](const RelayConfig& config) {
            return Line(name, Quote(FormatDuration(get(config))));
          }};
}

template <typename Get>
Field SizeField(std::string_view name, Get get, uint64_t min, uint64_t max) {
  return {
      name,
      [=](const toml::node& node, RelayConfig& config) -> Result<void> {
        auto text = ReadString(node, "a size such as \"256KiB\" or \"1MiB\"");
        if (!text)
          return Unexpected(std::move(text).error());
        const std::optional<uint64_t> value = ParseByteSize(*text);
        if (!value) {
          return MakeError(
              Quote(*text) +
              " is not a size: write a whole number and a unit, B, KiB, "
              "MiB or GiB (powers of 1024, e.g. \"256KiB\")");
        }
        if (*value < min || *value > max) {
          return MakeError("must be between " + FormatByteSize(min) + " and " +
                           FormatByteSize(max) + ", got " + Quote(*text));
        }
        get(config) = *value;
        return {};
      },
      [=](const RelayConfig& config) {
        return Line(name, Quote(FormatByteSize(get(config))));
      }};
}

template <typename Get>
Field IntegerField(std::string_view name, Get get, int64_t min, int64_t max) {
  using T = std::remove_cvref_t<decltype(get(std::declval<RelayConfig&>()))>;
  return {name,
          [=](const toml::node& node, RelayConfig& config) -> Result<void> {
            const auto* value = node.as_integer();
            if (value == nullptr)
              return WrongType(node, "an integer");
            const int64_t number = value->get();
            if (number < min || number > max) {
              return MakeError("must be between " + std::to_string(min) +
                               " and " + std::to_string(max) + ", got " +
                               std::to_string(number));
            }
            get(config) = static_cast<T>(number);
            return {};
          },
          [=](const RelayConfig& config) {
            return Line(name, std::to_string(get(config)));
          }};
}

template <typename Get>
Field BoolField(std::string_view name, Get get) {
  return {name,
          [=](const toml::node& node, RelayConfig& config) -> Result<void> {
            const auto* value = node.as_boolean();
            if (value == nullptr)
              return WrongType(node, "true or false");
            get(config) = value->get();
            return {};
          },
          [=](const RelayConfig& config) {
            return Line(name, get(config) ? "true" : "false");
          }};
}

bool HasControlCharacters(std::string_view text, bool multiline) {
  return std::any_of(text.begin(), text.end(), [&](char c) {
    const auto byte = static_cast<unsigned char>(c);
    if (multiline && (c == '\n' || c == '\t' || c == '\r'))
      return false;
    return byte < 0x20 || byte == 0x7F;
  });
}

template <typename Get>
Field TextField(std::string_view name,
                Get get,
                size_t max_bytes,
                bool allow_empty,
                bool multiline) {
  return {name,
          [=](const toml::node& node, RelayConfig& config) -> Result<void> {
            auto text = ReadString(node, "a string");
            if (!text)
              return Unexpected(std::move(text).error());
            if (text->empty() && !allow_empty) {
              return MakeError("must not be empty");
            }
            if (text->size() > max_bytes) {
              return MakeError("must be at most " + std::to_string(max_bytes) +
                               " bytes long, got " +
                               std::to_string(text->size()));
            }
            if (HasControlCharacters(*text, multiline)) {
              return MakeError(multiline ? "must not contain control "
                                           "characters other than line breaks "
                                           "and tabs"
                                         : "must be one line without control "
                                           "characters");
            }
            get(config) = std::string(*text);
            return {};
          },
          [=](const RelayConfig& config) {
            return Line(name, Quote(get(config)));
          }};
}

template <typename Get>
Field PathField(std::string_view name, Get get, bool allow_empty) {
  return {name,
          [=](const toml::node& node, RelayConfig& config) -> Result<void> {
            auto text = ReadString(node, "a path");
            if (!text)
              return Unexpected(std::move(text).error());
            if (text->empty() && !allow_empty) {
              return MakeError("must not be empty");
            }
            if (text->size() > kMaxPathBytes ||
                HasControlCharacters(*text, /*multiline=*/false)) {
              return MakeError("is not a usable path");
            }
            get(config) = std::filesystem::path(std::string(*text));
            return {};
          },
          [=](const RelayConfig& config) {
            return Line(name, Quote(get(config).string()));
          }};
}

Field ListenListField(std::string_view name) {
  return {name,
          [](const toml::node& node, RelayConfig& config) -> Result<void> {
            const auto* array = node.as_array();
            if (array == nullptr) {
              return WrongType(node, "a list such as [\"0.0.0.0:8443\"]");
            }
            if (array->empty() || array->size() > kMaxListenAddresses) {
              return MakeError("must list 1 to " +
                               std::to_string(kMaxListenAddresses) +
                               " addresses");
            }
            std::vector<ListenAddress> addresses;
            for (const toml::node& element : *array) {
              auto text = ReadString(element, "\"address:port\" strings");
              if (!text)
                return Unexpected(std::move(text).error());
              auto address = ParseListenAddress(*text);
              if (!address)
                return Unexpected(std::move(address).error());
              for (const ListenAddress& other : addresses) {
                if (Overlap(*address, other)) {
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
              list += Quote(address.ToString());
            }
            return Line(name, list + "]");
          }};
}

Field MetricsListenField(std::string_view name) {
  return {name,
          [](const toml::node& node, RelayConfig& config) -> Result<void> {
            auto text = ReadString(node, "\"address:port\"");
            if (!text)
              return Unexpected(std::move(text).error());
            auto address = ParseListenAddress(*text);
            if (!address)
              return Unexpected(std::move(address).error());
            config.metrics.listen = *std::move(address);
            return {};
          },
          [name](const RelayConfig& config) {
            return Line(name, Quote(config.metrics.listen.ToString()));
          }};
}

Field TlsVersionField(std::string_view name) {
  return {
      name,
      [](const toml::node& node, RelayConfig& config) -> Result<void> {
        auto text = ReadString(node, "\"1.2\" or \"1.3\"");
        if (!text)
          return Unexpected(std::move(text).error());
        if (*text == "1.2") {
          config.tls.min_version = crypto::TlsVersion::kTls12;
        } else if (*text == "1.3") {
          config.tls.min_version = crypto::TlsVersion::kTls13;
        } else {
          return MakeError("must be \"1.2\" or \"1.3\", got " + Quote(*text));
        }
        return {};
      },
      [name](const RelayConfig& config) {
        return Line(name, config.tls.min_version == crypto::TlsVersion::kTls13
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
          return WrongType(node, kExample);
        if (array->empty() || array->size() > 3)
          return MakeError("must list 1 to 3 TLS 1.3 suites");
        std::vector<crypto::Tls13Suite> suites;
        for (const toml::node& element : *array) {
          auto text = ReadString(element, kExample);
          if (!text)
            return Unexpected(std::move(text).error());
          auto suite = crypto::ParseTls13Suite(*text);
          if (!suite) {
            return MakeError(Quote(*text) + " is " + suite.error().message);
          }
          if (std::find(suites.begin(), suites.end(), *suite) != suites.end()) {
            return MakeError(Quote(*text) + " is listed twice");
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
          list += Quote(crypto::Tls13SuiteName(suite));
        }
        return Line(name, list + "]");
      }};
}

Field LogLevelField(std::string_view name) {
  return {name,
          [](const toml::node& node, RelayConfig& config) -> Result<void> {
            auto text =
                ReadString(node,
                           "one of \"trace\", \"debug\", \"info\", \"warn\", "
                           "\"error\", \"off\"");
            if (!text)
              return Unexpected(std::move(text).error());
            auto level = log::ParseLevel(*text);
            if (!level)
              return Unexpected(std::move(level).error());
            config.log_level = *level;
            return {};
          },
          [name](const RelayConfig& config) {
            return Line(name, Quote(LevelName(config.log_level)));
          }};
}

// support_terms as written, or a note when it was read from a file.
Field SupportTermsField(std::string_view name) {
  Field field = TextField(
      name, [](auto& c) -> auto& { return c.server.support_terms; },
      kMaxSupportTermsBytes, /*allow_empty=*/true, /*multiline=*/true);
  field.describe = [name](const RelayConfig& config) {
    if (!config.server.support_terms_file.empty()) {
      return "# " + std::string(name) + ": " +
             std::to_string(config.server.support_terms.size()) +
             " bytes, from support_terms_file";
    }
    return Line(name, Quote(config.server.support_terms));
  };
  return field;
}

Field BlocklistFileField(std::string_view name) {
  Field field = PathField(
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

// `[](auto& c) -> auto& { return c.<member>; }` for const and non-const.
#define TETHER_MEMBER(member) \
  [](auto& c) -> auto& {      \
    return c.member;          \
  }

std::vector<Section> MakeSchema() {
  constexpr int64_t kMaxU32 = std::numeric_limits<uint32_t>::max();
  return {
      {"server",
       {
           ListenListField("listen"),
           TextField("organisation", TETHER_MEMBER(server.organisation),
                     kMaxOrganisationBytes, /*allow_empty=*/true,
                     /*multiline=*/false),
           SupportTermsField("support_terms"),
           PathField("support_terms_file",
                     TETHER_MEMBER(server.support_terms_file),
                     /*allow_empty=*/true),
           IntegerField("max_connections",
                        TETHER_MEMBER(server.max_connections), 1, 1'000'000),
       }},
      {"tls",
       {
           PathField("certificate", TETHER_MEMBER(tls.certificate),
                     /*allow_empty=*/false),
           PathField("private_key", TETHER_MEMBER(tls.private_key),
                     /*allow_empty=*/false),
           TlsVersionField("min_version"),
           CipherSuitesField("cipher_suites"),
       }},
      {"store",
       {
           PathField("database", TETHER_MEMBER(store.database),
                     /*allow_empty=*/false),
           DurationField("event_retention",
                         TETHER_MEMBER(store.event_retention), kHour,
                         3650 * kDay),
       }},
      {"timeouts",
       {
           DurationField("tls_handshake", TETHER_MEMBER(timeouts.tls_handshake),
                         seconds(1), 5 * kMinute),
           DurationField("first_message", TETHER_MEMBER(timeouts.first_message),
                         seconds(1), 5 * kMinute),
           DurationField("unauthenticated_idle",
                         TETHER_MEMBER(timeouts.unauthenticated_idle),
                         seconds(1), kHour),
           DurationField("code_expiry", TETHER_MEMBER(timeouts.code_expiry),
                         kMinute, kDay),
           DurationField("heartbeat_interval",
                         TETHER_MEMBER(timeouts.heartbeat_interval), seconds(1),
                         10 * kMinute),
           DurationField("heartbeat_timeout",
                         TETHER_MEMBER(timeouts.heartbeat_timeout), seconds(2),
                         kHour),
           DurationField("stuck_peer", TETHER_MEMBER(timeouts.stuck_peer),
                         seconds(1), kHour),
       }},
      {"limits",
       {
           SizeField("signin_frame_max", TETHER_MEMBER(limits.signin_frame_max),
                     kKiB, 16 * kMiB),
           SizeField("control_frame_max",
                     TETHER_MEMBER(limits.control_frame_max), kKiB, 16 * kMiB),
           SizeField("relayed_frame_max",
                     TETHER_MEMBER(limits.relayed_frame_max), kKiB, 64 * kMiB),
           SizeField("outbound_queue", TETHER_MEMBER(limits.outbound_queue),
                     16 * kKiB, 64 * kMiB),
           SizeField("frame_memory", TETHER_MEMBER(limits.frame_memory), kMiB,
                     64 * 1024 * kMiB),
           IntegerField("connections_per_source",
                        TETHER_MEMBER(limits.connections_per_source), 1,
                        1'000'000),
           IntegerField("handshakes_per_source",
                        TETHER_MEMBER(limits.handshakes_per_source), 1, 10'000),
           IntegerField("handshakes_total",
                        TETHER_MEMBER(limits.handshakes_total), 1, 100'000),
           IntegerField("logins_per_source",
                        TETHER_MEMBER(limits.logins_per_source), 1, 1'000),
           IntegerField("waiting_codes_per_technician",
                        TETHER_MEMBER(limits.waiting_codes_per_technician), 1,
                        100),
           // Each argon2id run holds 64 MiB.
           IntegerField("concurrent_password_hashes",
                        TETHER_MEMBER(limits.concurrent_password_hashes), 1,
                        64),
       }},
      {"join_guard",
       {
           // Each failure within the window is remembered, so keep it small.
           IntegerField("failures_per_source",
                        TETHER_MEMBER(join_guard.failures_per_source), 1, 100),
           DurationField("failure_window",
                         TETHER_MEMBER(join_guard.failure_window), kMinute,
                         kDay),
           DurationField("lockout_initial",
                         TETHER_MEMBER(join_guard.lockout_initial), seconds(1),
                         kDay),
           DurationField("lockout_max", TETHER_MEMBER(join_guard.lockout_max),
                         seconds(1), 7 * kDay),
           IntegerField("global_failures_per_hour",
                        TETHER_MEMBER(join_guard.global_failures_per_hour), 1,
                        10'000'000),
           DurationField("slow_lane_delay",
                         TETHER_MEMBER(join_guard.slow_lane_delay), seconds(0),
                         kMinute),
           DurationField("slow_lane_interval",
                         TETHER_MEMBER(join_guard.slow_lane_interval),
                         seconds(1), kDay),
       }},
      {"accounts",
       {
           BoolField("require_totp", TETHER_MEMBER(accounts.require_totp)),
           IntegerField(
               "throttle_after_failures",
               TETHER_MEMBER(accounts.throttle.throttle_after_failures), 1,
               1000),
           DurationField("max_throttle",
                         TETHER_MEMBER(accounts.throttle.max_throttle),
                         seconds(1), kDay),
           IntegerField("lock_after_failures",
                        TETHER_MEMBER(accounts.throttle.lock_after_failures), 1,
                        1000),
           TextField("totp_issuer", TETHER_MEMBER(accounts.totp_issuer),
                     kMaxIssuerBytes, /*allow_empty=*/false,
                     /*multiline=*/false),
       }},
      // The bounds here only keep values in range of their types;
      // crypto::Validate() judges the policy afterwards.
      {"password_policy",
       {
           IntegerField("min_length", TETHER_MEMBER(password_policy.min_length),
                        0, kMaxU32),
           IntegerField("max_length", TETHER_MEMBER(password_policy.max_length),
                        0, kMaxU32),
           BoolField("blocklist", TETHER_MEMBER(password_policy.use_blocklist)),
           BlocklistFileField("extra_blocklist_file"),
           // Four classes exist: lower, upper, digit, other.
           IntegerField("character_classes",
                        TETHER_MEMBER(password_policy.min_character_classes), 0,
                        4),
           IntegerField("history", TETHER_MEMBER(password_policy.history), 0,
                        kMaxU32),
           IntegerField("expiry_days",
                        TETHER_MEMBER(password_policy.expiry_days), 0, kMaxU32),
           IntegerField("disable_after_idle_days",
                        TETHER_MEMBER(password_policy.disable_after_idle_days),
                        0, kMaxU32),
       }},
      {"metrics",
       {
           BoolField("enabled", TETHER_MEMBER(metrics.enabled)),
           MetricsListenField("listen"),
       }},
      {"log",
       {
           LogLevelField("level"),
       }},
  };
}

#undef TETHER_MEMBER

const std::vector<Section>& Schema() {
  static const std::vector<Section>* const schema =
      new std::vector<Section>(MakeSchema());
  return *schema;
}

// ---------------------------------------------------------------------------
// Parsing.

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The closest of `names` to a mistyped `name`, if any is close enough to be
// a typo rather than a different word.
std::optional<std::string_view> ClosestName(
    std::string_view name,
    const std::vector<std::string_view>& names) {
  // Names are short; anything longer is not a typo of one.
  if (name.size() > 64)
    return std::nullopt;
  const size_t allowed =
      std::max<size_t>(1, std::min<size_t>(3, name.size() / 3));
  std::optional<std::string_view> best;
  size_t best_distance = allowed + 1;
  for (std::string_view candidate : names) {
    const size_t d = EditDistance(name, candidate);
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

std::string Printable(std::string_view key) {
  // A key is shown in a message; keep what a terminal would misread out.
  std::string out;
  for (char c : key.substr(0, 64)) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 || byte == 0x7F) ? '?' : c;
  }
  if (key.size() > 64)
    out += "...";
  return out;
}

class Problems {
 public:
  void Add(uint32_t line, std::string message) {
    list_.push_back({line, std::move(message)});
  }
  void Add(const toml::source_region& where, std::string message) {
    Add(static_cast<uint32_t>(where.begin.line), std::move(message));
  }
  bool empty() const { return list_.empty(); }

  std::string Format(std::string_view source) {
    // In file order; whole-file problems (line 0) last.
    std::stable_sort(list_.begin(), list_.end(),
                     [](const auto& a, const auto& b) {
                       const uint32_t la = a.first == 0 ? UINT32_MAX : a.first;
                       const uint32_t lb = b.first == 0 ? UINT32_MAX : b.first;
                       return la < lb;
                     });
    std::string out;
    for (size_t i = 0; i < list_.size() && i < kMaxReportedProblems; ++i) {
      if (!out.empty())
        out += '\n';
      out += std::string(source);
      if (list_[i].first != 0)
        out += ":" + std::to_string(list_[i].first);
      out += ": " + list_[i].second;
    }
    if (list_.size() > kMaxReportedProblems) {
      out += "\n" + std::string(source) + ": ... and " +
             std::to_string(list_.size() - kMaxReportedProblems) +
             " more problems";
    }
    return out;
  }

 private:
  std::vector<std::pair<uint32_t, std::string>> list_;
};

std::string UnknownKeyMessage(std::string_view section, std::string_view key) {
  std::string message = "unknown key '";
  if (!section.empty())
    message += std::string(section) + ".";
  message += Printable(key) + "'";
  // A known key in the wrong section is the likeliest mistake.
  for (const Section& other : Schema()) {
    if (other.name == section)
      continue;
    for (const Field& field : other.fields) {
      if (field.name == key) {
        return message + " (did you mean '" + std::string(other.name) + "." +
               std::string(key) + "'?)";
      }
    }
  }
  for (const Section& own : Schema()) {
    if (own.name != section)
      continue;
    std::vector<std::string_view> names;
    for (const Field& field : own.fields)
      names.push_back(field.name);
    if (auto closest = ClosestName(key, names)) {
      return message + " (did you mean '" + std::string(*closest) + "'?)";
    }
  }
  return message;
}

// Checks that span keys or sections. `lines` says where each key was set,
// so the message can point at it.
void CrossCheck(const RelayConfig& config,
                const std::map<std::string, uint32_t>& lines,
                Problems& problems) {
  const auto line_of = [&](const std::string& key) -> uint32_t {
    auto it = lines.find(key);
    return it == lines.end() ? 0 : it->second;
  };
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
      if (Overlap(address, config.metrics.listen)) {
        problems.Add(line_of("metrics.listen"),
                     "metrics.listen (" + config.metrics.listen.ToString() +
                         ") overlaps server.listen (" + address.ToString() +
                         ")");
        break;
      }
    }
  }
  if (auto valid = crypto::Validate(config.password_policy); !valid) {
    problems.Add(line_of("password_policy"), valid.error().message);
  }
}

// ---------------------------------------------------------------------------
// Files.

Result<std::string> ReadSmallFile(const std::filesystem::path& path,
                                  size_t max_bytes,
                                  std::string_view what) {
  std::unique_ptr<std::FILE, decltype(&std::fclose)> file(
      std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) {
    return MakeError("cannot open " + std::string(what) + " " + path.string() +
                     ": " + std::strerror(errno));
  }
  std::string text;
  char buffer[16384];
  while (true) {
    const size_t n = std::fread(buffer, 1, sizeof(buffer), file.get());
    text.append(buffer, n);
    if (text.size() > max_bytes) {
      return MakeError(std::string(what) + " " + path.string() +
                       " is larger than " + FormatByteSize(max_bytes) +
                       "; is it the right file?");
    }
    if (n < sizeof(buffer))
      break;
  }
  if (std::ferror(file.get())) {
    return MakeError("cannot read " + std::string(what) + " " + path.string() +
                     ": " + std::strerror(errno));
  }
  return text;
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

bool ListenAddress::ipv6() const {
  return host.find(':') != std::string::npos;
}

std::string ListenAddress::ToString() const {
  const std::string port_text = ":" + std::to_string(port);
  return ipv6() ? "[" + host + "]" + port_text : host + port_text;
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
         a.metrics == b.metrics && a.log_level == b.log_level;
}

Result<RelayConfig> ParseRelayConfig(std::string_view toml_text,
                                     std::string_view source_name) {
  const std::string source(source_name.empty() ? "config" : source_name);
  if (toml_text.size() > kMaxRelayConfigBytes) {
    return MakeError(source + " is larger than " +
                     FormatByteSize(kMaxRelayConfigBytes) +
                     "; is it the right file?");
  }
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    return MakeError(source + ":" + std::to_string(e.source().begin.line) +
                     ":" + std::to_string(e.source().begin.column) + ": " +
                     std::string(e.description()));
  } catch (const std::exception& e) {
    // Not expected from the parser, but nothing may escape: a bad config
    // is an error message, never a crash.
    return MakeError(source + ": cannot parse: " + e.what());
  }

  RelayConfig config;
  Problems problems;
  std::map<std::string, uint32_t> lines;
  for (const auto& [key, node] : root) {
    const std::string_view section_name = key.str();
    const auto* section = [&]() -> const Section* {
      for (const Section& s : Schema()) {
        if (s.name == section_name)
          return &s;
      }
      return nullptr;
    }();
    if (section == nullptr) {
      if (!node.is_table()) {
        problems.Add(key.source(), UnknownKeyMessage("", section_name));
        continue;
      }
      std::vector<std::string_view> names;
      for (const Section& s : Schema())
        names.push_back(s.name);
      std::string message = "unknown section [" + Printable(section_name) + "]";
      if (auto closest = ClosestName(section_name, names)) {
        message += " (did you mean [" + std::string(*closest) + "]?)";
      }
      problems.Add(key.source(), std::move(message));
      continue;
    }
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      problems.Add(key.source(), std::string(section_name) +
                                     ": expected a table [" +
                                     std::string(section_name) + "], got " +
                                     std::string(TypeName(node)));
      continue;
    }
    lines[std::string(section_name)] =
        static_cast<uint32_t>(key.source().begin.line);
    for (const auto& [field_key, value] : *table) {
      const auto field = std::find_if(
          section->fields.begin(), section->fields.end(),
          [&](const Field& f) { return f.name == field_key.str(); });
      if (field == section->fields.end()) {
        problems.Add(field_key.source(),
                     UnknownKeyMessage(section_name, field_key.str()));
        continue;
      }
      const std::string full_name =
          std::string(section_name) + "." + std::string(field->name);
      lines[full_name] = static_cast<uint32_t>(field_key.source().begin.line);
      if (auto read = field->read(value, config); !read) {
        problems.Add(field_key.source(),
                     full_name + ": " + read.error().message);
      }
    }
  }
  if (problems.empty())
    CrossCheck(config, lines, problems);
  if (!problems.empty())
    return MakeError(problems.Format(source));
  return config;
}

Result<RelayConfig> LoadRelayConfig(const std::filesystem::path& path) {
  auto text = ReadSmallFile(path, kMaxRelayConfigBytes, "config file");
  if (!text)
    return Unexpected(std::move(text).error());
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
        &config->password_blocklist_file}) {
    if (!p->empty() && p->is_relative())
      *p = (folder / *p).lexically_normal();
  }

  const std::string where = path.string() + ": ";
  if (!config->server.support_terms_file.empty()) {
    auto terms =
        ReadSmallFile(config->server.support_terms_file, kMaxSupportTermsBytes,
                      "server.support_terms_file");
    if (!terms)
      return MakeError(where + terms.error().message);
    config->server.support_terms = *std::move(terms);
  }
  if (!config->password_blocklist_file.empty()) {
    auto list =
        ReadSmallFile(config->password_blocklist_file, kMaxBlocklistBytes,
                      "password_policy.extra_blocklist_file");
    if (!list)
      return MakeError(where + list.error().message);
    config->password_policy.extra_blocklist = BlocklistEntries(*list);
  }
  return config;
}

std::string DescribeRelayConfig(const RelayConfig& config) {
  std::string out;
  for (const Section& section : Schema()) {
    if (!out.empty())
      out += '\n';
    out += "[" + std::string(section.name) + "]\n";
    for (const Field& field : section.fields) {
      out += field.describe(config) + "\n";
    }
  }
  return out;
}

}  // namespace tether::relay
