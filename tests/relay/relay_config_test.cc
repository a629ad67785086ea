#include "relay/config/relay_config.h"
#include "tests/support/text_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>

namespace tether::relay {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::HasSubstr;

// Tests run in tests/ (see tests/CMakeLists.txt).
constexpr char kPackagedConfig[] = "../packaging/relay.toml";

std::string ErrorOf(std::string_view toml) {
  auto config = ParseRelayConfig(toml, "relay.toml");
  if (config.has_value())
    return "(parsed without error)";
  return config.error().message;
}

// A fresh folder per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("tether_relay_config_" + std::string(info->name()) + "_" +
             std::to_string(getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path Write(const std::string& name,
                              const std::string& text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

// "section.key" for every `key = value` line, tracking [section] headers.
std::set<std::string> KeysIn(const std::string& toml) {
  std::set<std::string> keys;
  std::istringstream in(toml);
  std::string line;
  std::string section;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    if (line[0] == '[') {
      section = line.substr(1, line.find(']') - 1);
      continue;
    }
    const size_t equals = line.find(" = ");
    if (equals != std::string::npos) {
      keys.insert(section + "." + line.substr(0, equals));
    }
  }
  return keys;
}

using ::tether::test::ReadFile;

TEST(RelayConfigTest, DefaultsAreThoseOfTheIssue) {
  const RelayConfig config;
  ASSERT_EQ(config.server.listen.size(), 2u);
  EXPECT_EQ(config.server.listen[0].ToString(), "0.0.0.0:8443");
  EXPECT_EQ(config.server.listen[1].ToString(), "[::]:8443");
  EXPECT_EQ(config.server.max_connections, 10000u);
  EXPECT_EQ(config.tls.min_version, crypto::TlsVersion::kTls13);
  EXPECT_EQ(config.tls.cipher_suites,
            std::vector{crypto::Tls13Suite::kAes256GcmSha384});
  EXPECT_EQ(config.store.event_retention, hours(24 * 30));
  EXPECT_EQ(config.timeouts.tls_handshake, seconds(10));
  EXPECT_EQ(config.timeouts.first_message, seconds(10));
  EXPECT_EQ(config.timeouts.unauthenticated_idle, seconds(30));
  EXPECT_EQ(config.timeouts.code_expiry, minutes(10));
  EXPECT_EQ(config.timeouts.heartbeat_interval, seconds(15));
  EXPECT_EQ(config.timeouts.heartbeat_timeout, seconds(45));
  EXPECT_EQ(config.limits.outbound_queue, 256u * 1024);
  EXPECT_EQ(config.limits.handshakes_per_source, 8u);
  EXPECT_EQ(config.limits.signin_frame_max, 16u * 1024);
  EXPECT_EQ(config.limits.frame_memory, 256u << 20);
  EXPECT_EQ(config.limits.connections_per_source, 100u);
  EXPECT_EQ(config.limits.logins_per_source, 2u);
  EXPECT_EQ(config.limits.waiting_codes_per_technician, 3u);
  EXPECT_EQ(config.limits.concurrent_password_hashes, 4u);
  EXPECT_EQ(config.join_guard.failures_per_source, 5u);
  EXPECT_EQ(config.join_guard.failure_window, minutes(15));
  EXPECT_EQ(config.join_guard.lockout_initial, minutes(1));
  EXPECT_EQ(config.join_guard.lockout_max, minutes(60));
  EXPECT_EQ(config.join_guard.global_failures_per_hour, 200u);
  EXPECT_EQ(config.join_guard.slow_lane_delay, seconds(3));
  EXPECT_EQ(config.join_guard.slow_lane_interval, minutes(5));
  EXPECT_EQ(config.accounts.throttle.throttle_after_failures, 5u);
  EXPECT_EQ(config.accounts.throttle.max_throttle, minutes(15));
  EXPECT_EQ(config.accounts.throttle.lock_after_failures, 20u);
  EXPECT_EQ(config.password_policy.min_length, 12u);
  EXPECT_TRUE(config.password_policy.use_blocklist);
  EXPECT_EQ(config.metrics.listen.ToString(), "127.0.0.1:9464");
  EXPECT_EQ(config.backup.folder, "/var/lib/tether/backups");
  EXPECT_EQ(config.backup.keep, 7u);
  EXPECT_TRUE(config.backup.command.empty());
  EXPECT_EQ(config.backup.command_timeout, hours(1));
  EXPECT_EQ(config.log_level, log::Level::kInfo);
}

TEST(RelayConfigTest, EmptyFileGivesTheDefaults) {
  auto config = ParseRelayConfig("", "relay.toml");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(*config, RelayConfig{});
}

TEST(RelayConfigTest, PackagedConfigEqualsTheDefaults) {
  auto config = LoadRelayConfig(kPackagedConfig);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(*config, RelayConfig{}) << DescribeRelayConfig(*config);
}

TEST(RelayConfigTest, PackagedConfigSetsEveryKey) {
  EXPECT_EQ(KeysIn(ReadFile(kPackagedConfig)),
            KeysIn(DescribeRelayConfig(RelayConfig{})));
}

TEST(RelayConfigTest, DescriptionParsesBackToTheSameConfig) {
  RelayConfig config;
  config.server.listen = {{"192.0.2.1", 443}, {"2001:db8::1", 8443}};
  config.server.organisation = "Example \"IT\" \\ Ltd";
  config.server.support_terms = "Line one\n\tLine two";
  config.server.max_connections = 77;
  config.tls.certificate = "/etc/tether/c.pem";
  config.tls.private_key = "/etc/tether/k.pem";
  config.tls.min_version = crypto::TlsVersion::kTls12;
  config.tls.cipher_suites = {crypto::Tls13Suite::kChacha20Poly1305Sha256,
                              crypto::Tls13Suite::kAes256GcmSha384};
  config.store.database = "/srv/relay.db";
  config.store.event_retention = hours(36);
  config.timeouts.code_expiry = seconds(90);
  config.limits.relayed_frame_max = 3 << 20;
  config.join_guard.slow_lane_delay = seconds(0);
  config.accounts.require_totp = true;
  config.accounts.totp_issuer = "Example IT";
  config.password_policy.history = 5;
  config.password_blocklist_file = "/etc/tether/blocklist.txt";
  config.metrics.enabled = false;
  config.metrics.listen = {"::1", 9000};
  config.backup.folder = "/srv/tether backups";
  config.backup.keep = 30;
  config.backup.command = {"/usr/bin/rsync", "--rsh=ssh -p 2222", "{backup}",
                           "b\"ack\\up:tether/"};
  config.backup.command_timeout = minutes(5);
  config.log_level = log::Level::kDebug;
  const std::string text = DescribeRelayConfig(config);
  auto parsed = ParseRelayConfig(text, "described");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message << "\n" << text;
  EXPECT_EQ(*parsed, config) << text;
}

struct OverrideCase {
  const char* name;
  const char* toml;
  std::function<bool(const RelayConfig&)> applied;
};

class RelayConfigOverrideTest : public ::testing::TestWithParam<OverrideCase> {
};

TEST_P(RelayConfigOverrideTest, NonDefaultValueIsRead) {
  auto config = ParseRelayConfig(GetParam().toml, "relay.toml");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_TRUE(GetParam().applied(*config)) << DescribeRelayConfig(*config);
  EXPECT_NE(*config, RelayConfig{});
}

INSTANTIATE_TEST_SUITE_P(
    EverySection,
    RelayConfigOverrideTest,
    ::testing::Values(
        OverrideCase{"Server",
                     "[server]\nlisten = [\"[2001:db8::5]:9443\"]\n"
                     "organisation = \"Example\"\nmax_connections = 50\n",
                     [](const RelayConfig& c) {
                       return c.server.listen ==
                                  std::vector<ListenAddress>{
                                      {"2001:db8::5", 9443}} &&
                              c.server.organisation == "Example" &&
                              c.server.max_connections == 50;
                     }},
        OverrideCase{"ServerTermsFile",
                     "[server]\nsupport_terms_file = \"/etc/terms.txt\"\n",
                     [](const RelayConfig& c) {
                       return c.server.support_terms_file == "/etc/terms.txt";
                     }},
        OverrideCase{"Tls",
                     "[tls]\ncertificate = \"/c.pem\"\nprivate_key = "
                     "\"/k.pem\"\nmin_version = \"1.2\"\n"
                     "cipher_suites = [\"TLS_AES_128_GCM_SHA256\"]\n",
                     [](const RelayConfig& c) {
                       return c.tls.certificate == "/c.pem" &&
                              c.tls.private_key == "/k.pem" &&
                              c.tls.min_version == crypto::TlsVersion::kTls12 &&
                              c.tls.cipher_suites ==
                                  std::vector{
                                      crypto::Tls13Suite::kAes128GcmSha256};
                     }},
        OverrideCase{"Store",
                     "[store]\ndatabase = \"/srv/r.db\"\n"
                     "event_retention = \"90d\"\n",
                     [](const RelayConfig& c) {
                       return c.store.database == "/srv/r.db" &&
                              c.store.event_retention == hours(24 * 90);
                     }},
        OverrideCase{"Timeouts",
                     "[timeouts]\ntls_handshake = \"5s\"\nfirst_message = "
                     "\"7s\"\nunauthenticated_idle = \"1m\"\ncode_expiry = "
                     "\"1h\"\nheartbeat_interval = \"20s\"\n"
                     "heartbeat_timeout = \"2m\"\nstuck_peer = \"90s\"\n",
                     [](const RelayConfig& c) {
                       const auto& timeouts = c.timeouts;
                       return timeouts.tls_handshake == seconds(5) &&
                              timeouts.first_message == seconds(7) &&
                              timeouts.unauthenticated_idle == minutes(1) &&
                              timeouts.code_expiry == hours(1) &&
                              timeouts.heartbeat_interval == seconds(20) &&
                              timeouts.heartbeat_timeout == minutes(2) &&
                              timeouts.stuck_peer == seconds(90);
                     }},
        OverrideCase{"Limits",
                     "[limits]\ncontrol_frame_max = \"64KiB\"\n"
                     "relayed_frame_max = \"16MiB\"\noutbound_queue = "
                     "\"1MiB\"\nhandshakes_per_source = 2\nhandshakes_total = "
                     "64\nwaiting_codes_per_technician = 1\n"
                     "concurrent_password_hashes = 2\n",
                     [](const RelayConfig& c) {
                       const auto& l = c.limits;
                       return l.control_frame_max == 64 * 1024 &&
                              l.relayed_frame_max == 16 << 20 &&
                              l.outbound_queue == 1 << 20 &&
                              l.handshakes_per_source == 2 &&
                              l.handshakes_total == 64 &&
                              l.waiting_codes_per_technician == 1 &&
                              l.concurrent_password_hashes == 2;
                     }},
        OverrideCase{"JoinGuard",
                     "[join_guard]\nfailures_per_source = 3\nfailure_window "
                     "= \"30m\"\nlockout_initial = \"2m\"\nlockout_max = "
                     "\"2h\"\nglobal_failures_per_hour = 50\nslow_lane_delay "
                     "= \"5s\"\nslow_lane_interval = \"10m\"\n",
                     [](const RelayConfig& c) {
                       const auto& j = c.join_guard;
                       return j.failures_per_source == 3 &&
                              j.failure_window == minutes(30) &&
                              j.lockout_initial == minutes(2) &&
                              j.lockout_max == hours(2) &&
                              j.global_failures_per_hour == 50 &&
                              j.slow_lane_delay == seconds(5) &&
                              j.slow_lane_interval == minutes(10);
                     }},
        OverrideCase{"Accounts",
                     "[accounts]\nrequire_totp = true\n"
                     "throttle_after_failures = 3\nmax_throttle = \"1h\"\n"
                     "lock_after_failures = 10\ntotp_issuer = \"ACME IT\"\n",
                     [](const RelayConfig& c) {
                       const auto& a = c.accounts;
                       return a.require_totp &&
                              a.throttle.throttle_after_failures == 3 &&
                              a.throttle.max_throttle == hours(1) &&
                              a.throttle.lock_after_failures == 10 &&
                              a.totp_issuer == "ACME IT";
                     }},
        OverrideCase{"PasswordPolicy",
                     "[password_policy]\nmin_length = 15\nmax_length = 256\n"
                     "blocklist = false\nextra_blocklist_file = \"/b.txt\"\n"
                     "character_classes = 3\nhistory = 5\nexpiry_days = 90\n"
                     "disable_after_idle_days = 60\n",
                     [](const RelayConfig& c) {
                       const auto& p = c.password_policy;
                       return p.min_length == 15 && p.max_length == 256 &&
                              !p.use_blocklist &&
                              c.password_blocklist_file == "/b.txt" &&
                              p.min_character_classes == 3 && p.history == 5 &&
                              p.expiry_days == 90 &&
                              p.disable_after_idle_days == 60;
                     }},
        OverrideCase{"Metrics",
                     "[metrics]\nenabled = false\nlisten = \"[::1]:9100\"\n",
                     [](const RelayConfig& c) {
                       return !c.metrics.enabled &&
                              c.metrics.listen == ListenAddress{"::1", 9100};
                     }},
        OverrideCase{"Backup",
                     "[backup]\nfolder = \"/srv/backups\"\nkeep = 30\n"
                     "command = [\"/usr/bin/rsync\", \"{backup}\", "
                     "\"host:t/\"]\ncommand_timeout = \"10m\"\n",
                     [](const RelayConfig& c) {
                       const auto& b = c.backup;
                       return b.folder == "/srv/backups" && b.keep == 30 &&
                              b.command ==
                                  std::vector<std::string>{"/usr/bin/rsync",
                                                           "{backup}",
                                                           "host:t/"} &&
                              b.command_timeout == minutes(10);
                     }},
        OverrideCase{"Log", "[log]\nlevel = \"debug\"\n",
                     [](const RelayConfig& c) {
                       return c.log_level == log::Level::kDebug;
                     }}),
    [](const ::testing::TestParamInfo<OverrideCase>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(RelayConfigTest, UnknownKeyIsNamedWithASuggestion) {
  EXPECT_EQ(ErrorOf("[server]\n\nlistn = [\"0.0.0.0:1\"]\n"),
            "relay.toml:3: unknown key 'server.listn' (did you mean "
            "'listen'?)");
}

TEST(RelayConfigTest, KeyInTheWrongSectionPointsToTheRightOne) {
  EXPECT_EQ(ErrorOf("[server]\ncode_expiry = \"5m\"\n"),
            "relay.toml:2: unknown key 'server.code_expiry' (did you mean "
            "'timeouts.code_expiry'?)");
}

TEST(RelayConfigTest, UnknownSectionIsNamedWithASuggestion) {
  EXPECT_EQ(ErrorOf("[timeout]\ncode_expiry = \"5m\"\n"),
            "relay.toml:1: unknown section [timeout] (did you mean "
            "[timeouts]?)");
}

TEST(RelayConfigTest, UnrelatedUnknownKeyGetsNoSuggestion) {
  EXPECT_EQ(ErrorOf("[log]\ncolour = true\n"),
            "relay.toml:2: unknown key 'log.colour'");
}

TEST(RelayConfigTest, TopLevelKeyIsUnknown) {
  EXPECT_THAT(ErrorOf("listen = [\"0.0.0.0:1\"]\n"),
              HasSubstr("relay.toml:1: unknown key 'listen' (did you mean "
                        "'server.listen'?)"));
}

TEST(RelayConfigTest, SectionThatIsNotATableIsAnError) {
  EXPECT_EQ(ErrorOf("server = 5\n"),
            "relay.toml:1: server: expected a table [server], got an "
            "integer");
}

TEST(RelayConfigTest, DurationWithoutUnitIsRefused) {
  EXPECT_EQ(ErrorOf("[timeouts]\ncode_expiry = \"600\"\n"),
            "relay.toml:2: timeouts.code_expiry: \"600\" is not a duration: "
            "write a whole number and a unit, s, m, h or d (e.g. \"10s\", "
            "\"15m\", \"1h\", \"30d\")");
  EXPECT_THAT(ErrorOf("[timeouts]\ncode_expiry = 600\n"),
              HasSubstr("timeouts.code_expiry: expected a duration such as "
                        "\"10s\", \"15m\", \"1h\" or \"30d\", got an "
                        "integer"));
}

TEST(RelayConfigTest, MalformedDurationsAreRefused) {
  for (const char* bad : {"", "m", "10 m", " 10m", "10M", "1.5h", "-5s", "+5s",
                          "10ms", "10mm", "1h30m", "9999999999999s"}) {
    EXPECT_THAT(
        ErrorOf("[timeouts]\nstuck_peer = \"" + std::string(bad) + "\"\n"),
        HasSubstr("timeouts.stuck_peer: "))
        << bad;
  }
}

TEST(RelayConfigTest, DurationOutOfRangeNamesTheRange) {
  EXPECT_EQ(ErrorOf("[timeouts]\ncode_expiry = \"2d\"\n"),
            "relay.toml:2: timeouts.code_expiry: must be between 1m and 1d, "
            "got \"2d\"");
}

TEST(RelayConfigTest, BadSizeNamesTheKeyAndUnits) {
  EXPECT_EQ(ErrorOf("[limits]\noutbound_queue = \"256KB\"\n"),
            "relay.toml:2: limits.outbound_queue: \"256KB\" is not a size: "
            "write a whole number and a unit, B, KiB, MiB or GiB (powers of "
            "1024, e.g. \"256KiB\")");
  EXPECT_THAT(ErrorOf("[limits]\noutbound_queue = \"1GiB\"\n"),
              HasSubstr("limits.outbound_queue: must be between 16KiB and "
                        "64MiB, got \"1GiB\""));
  EXPECT_THAT(ErrorOf("[limits]\noutbound_queue = \"99999999999GiB\"\n"),
              HasSubstr("limits.outbound_queue: \"99999999999GiB\" is not a "
                        "size"));
}

TEST(RelayConfigTest, BadListenAddressesNameTheKey) {
  EXPECT_THAT(ErrorOf("[server]\nlisten = [\"localhost:8443\"]\n"),
              HasSubstr("relay.toml:2: server.listen: \"localhost:8443\" is "
                        "not an address to listen on: not an IPv4 address "
                        "(host names are not accepted"));
  EXPECT_THAT(ErrorOf("[server]\nlisten = [\"::1:8443\"]\n"),
              HasSubstr("put IPv6 addresses in brackets"));
  EXPECT_THAT(ErrorOf("[server]\nlisten = [\"[::1]:x\"]\n"),
              HasSubstr("the port must be a number from 0 to 65535"));
  EXPECT_THAT(ErrorOf("[server]\nlisten = [\"10.0.0.1:65536\"]\n"),
              HasSubstr("the port must be a number from 0 to 65535"));
  EXPECT_THAT(ErrorOf("[server]\nlisten = [\"10.0.0.1\"]\n"),
              HasSubstr("expected address:port"));
  EXPECT_THAT(ErrorOf("[server]\nlisten = []\n"),
              HasSubstr("server.listen: must list 1 to 16 addresses"));
  EXPECT_THAT(ErrorOf("[server]\nlisten = \"0.0.0.0:8443\"\n"),
              HasSubstr("server.listen: expected a list"));
  EXPECT_THAT(ErrorOf("[metrics]\nlisten = \"[fe80::1%eth0]:9464\"\n"),
              HasSubstr("metrics.listen: \"[fe80::1%eth0]:9464\" is not an "
                        "address to listen on: not an IPv6 address"));
}

TEST(RelayConfigTest, PortZeroLetsTheKernelPickAndNeverOverlaps) {
  auto config = ParseRelayConfig(
      "[server]\nlisten = [\"127.0.0.1:0\"]\n"
      "[metrics]\nlisten = \"127.0.0.1:0\"\n",
      "relay.toml");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->server.listen[0].port, 0);
}

TEST(RelayConfigTest, OverlappingListenAddressesAreRefused) {
  EXPECT_THAT(
      ErrorOf("[server]\nlisten = [\"0.0.0.0:8443\", \"10.0.0.1:8443\"]\n"),
      HasSubstr("server.listen: 10.0.0.1:8443 overlaps 0.0.0.0:8443"));
  EXPECT_THAT(ErrorOf("[metrics]\nlisten = \"127.0.0.1:8443\"\n"),
              HasSubstr("relay.toml:2: metrics.listen (127.0.0.1:8443) "
                        "overlaps server.listen (0.0.0.0:8443)"));
  EXPECT_TRUE(ParseRelayConfig(
                  "[metrics]\nenabled = false\nlisten = \"127.0.0.1:8443\"\n",
                  "relay.toml")
                  .has_value());
}

TEST(RelayConfigTest, BadBackupValuesAreNamed) {
  EXPECT_EQ(ErrorOf("[backup]\nkeep = 0\n"),
            "relay.toml:2: backup.keep: must be between 1 and 1000, got 0");
  EXPECT_EQ(ErrorOf("[backup]\nfolder = \"\"\n"),
            "relay.toml:2: backup.folder: must not be empty");
  EXPECT_EQ(ErrorOf("[backup]\ncommand = \"/usr/bin/rsync -a\"\n"),
            "relay.toml:2: backup.command: expected a list such as "
            "[\"/usr/bin/rsync\", \"--archive\", \"{backup}\", "
            "\"backup.example.com:tether/\"], got a string");
  EXPECT_EQ(ErrorOf("[backup]\ncommand = [\"rsync\", \"{backup}\"]\n"),
            "relay.toml:2: backup.command: the program must be an absolute "
            "path (it runs without a shell or PATH), got \"rsync\"");
  EXPECT_EQ(ErrorOf("[backup]\ncommand = [\"/bin/cp\", \"\"]\n"),
            "relay.toml:2: backup.command: word 2: must not be empty");
  EXPECT_EQ(ErrorOf("[backup]\ncommand = [\"/bin/cp\", 7]\n"),
            "relay.toml:2: backup.command: expected a list such as "
            "[\"/usr/bin/rsync\", \"--archive\", \"{backup}\", "
            "\"backup.example.com:tether/\"], got an integer");
  EXPECT_EQ(ErrorOf("[backup]\ncommand_timeout = \"2d\"\n"),
            "relay.toml:2: backup.command_timeout: must be between 1s and "
            "12h, got \"2d\"");
}

TEST(RelayConfigTest, ARelativeBackupFolderIsBesideTheConfig) {
  TempDir dir;
  const auto path = dir.Write("relay.toml", "[backup]\nfolder = \"b\"\n");
  auto config = LoadRelayConfig(path);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->backup.folder, dir.path() / "b");
}

TEST(RelayConfigTest, WrongTypesNameTheKeyAndTheExpectedType) {
  EXPECT_EQ(ErrorOf("[server]\nmax_connections = \"10000\"\n"),
            "relay.toml:2: server.max_connections: expected an integer, got "
            "a string");
  EXPECT_EQ(ErrorOf("[accounts]\nrequire_totp = \"yes\"\n"),
            "relay.toml:2: accounts.require_totp: expected true or false, "
            "got a string");
  EXPECT_EQ(ErrorOf("[limits]\nhandshakes_total = 5.0\n"),
            "relay.toml:2: limits.handshakes_total: expected an integer, got "
            "a floating-point number");
}

TEST(RelayConfigTest, IntegerOutOfRangeNamesTheRange) {
  EXPECT_EQ(ErrorOf("[server]\nmax_connections = 0\n"),
            "relay.toml:2: server.max_connections: must be between 1 and "
            "1000000, got 0");
  EXPECT_THAT(ErrorOf("[password_policy]\nhistory = -1\n"),
              HasSubstr("password_policy.history: must be between 0 and"));
  EXPECT_THAT(ErrorOf("[password_policy]\ncharacter_classes = 5\n"),
              HasSubstr("password_policy.character_classes: must be between "
                        "0 and 4, got 5"));
}

TEST(RelayConfigTest, BadEnumValuesListTheAllowedOnes) {
  EXPECT_EQ(ErrorOf("[tls]\nmin_version = \"1.1\"\n"),
            "relay.toml:2: tls.min_version: must be \"1.2\" or \"1.3\", got "
            "\"1.1\"");
  EXPECT_THAT(ErrorOf("[log]\nlevel = \"loud\"\n"),
              HasSubstr("log.level: unknown log level 'loud' (expected "
                        "trace, debug, info, warn, error or off)"));
}

TEST(RelayConfigTest, TlsMinVersion12Parses) {
  auto config = ParseRelayConfig("[tls]\nmin_version = \"1.2\"\n", "x");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->tls.min_version, crypto::TlsVersion::kTls12);
}

TEST(RelayConfigTest, BadCipherSuiteListsSayWhatIsWrong) {
  EXPECT_EQ(
      ErrorOf("[tls]\ncipher_suites = [\"TLS_RSA_WITH_AES_128_CBC_SHA\"]\n"),
      "relay.toml:2: tls.cipher_suites: \"TLS_RSA_WITH_AES_128_CBC_SHA\" "
      "is not a TLS 1.3 cipher suite: write TLS_AES_256_GCM_SHA384, "
      "TLS_CHACHA20_POLY1305_SHA256 or TLS_AES_128_GCM_SHA256");
  EXPECT_THAT(ErrorOf("[tls]\ncipher_suites = []\n"),
              HasSubstr("tls.cipher_suites: must list 1 to 3 TLS 1.3 suites"));
  EXPECT_THAT(ErrorOf("[tls]\ncipher_suites = [\"TLS_AES_256_GCM_SHA384\", "
                      "\"TLS_AES_256_GCM_SHA384\"]\n"),
              HasSubstr("\"TLS_AES_256_GCM_SHA384\" is listed twice"));
  EXPECT_THAT(ErrorOf("[tls]\ncipher_suites = \"TLS_AES_256_GCM_SHA384\"\n"),
              HasSubstr("tls.cipher_suites: expected a list such as"));
}

TEST(RelayConfigTest, TextWithControlCharactersIsRefused) {
  EXPECT_THAT(ErrorOf("[server]\norganisation = \"a\\u0007b\"\n"),
              HasSubstr("server.organisation: must be one line"));
  EXPECT_THAT(ErrorOf("[accounts]\ntotp_issuer = \"\"\n"),
              HasSubstr("accounts.totp_issuer: must not be empty"));
  EXPECT_THAT(ErrorOf("[tls]\ncertificate = \"\"\n"),
              HasSubstr("tls.certificate: must not be empty"));
}

TEST(RelayConfigTest, HeartbeatTimeoutMustExceedInterval) {
  EXPECT_EQ(ErrorOf("[timeouts]\nheartbeat_interval = \"30s\"\n"
                    "heartbeat_timeout = \"30s\"\n"),
            "relay.toml:3: timeouts.heartbeat_timeout (30s) must be longer "
            "than timeouts.heartbeat_interval (30s), or live peers are "
            "dropped between heartbeats");
}

TEST(RelayConfigTest, CrossChecksNameBothKeys) {
  EXPECT_THAT(ErrorOf("[timeouts]\nfirst_message = \"1m\"\n"),
              HasSubstr("timeouts.first_message (1m) must not be longer than "
                        "timeouts.unauthenticated_idle (30s)"));
  EXPECT_THAT(ErrorOf("[limits]\nhandshakes_per_source = 600\n"),
              HasSubstr("limits.handshakes_per_source (600) must not exceed "
                        "limits.handshakes_total (512)"));
  EXPECT_THAT(ErrorOf("[limits]\ncontrol_frame_max = \"16MiB\"\n"),
              HasSubstr("limits.control_frame_max (16MiB) must not exceed "
                        "limits.relayed_frame_max (8MiB)"));
  EXPECT_THAT(ErrorOf("[limits]\nsignin_frame_max = \"2MiB\"\n"),
              HasSubstr("limits.signin_frame_max (2MiB) must not exceed "
                        "limits.control_frame_max (1MiB)"));
  EXPECT_THAT(ErrorOf("[limits]\nframe_memory = \"4MiB\"\n"),
              HasSubstr("limits.relayed_frame_max (8MiB) must not exceed "
                        "limits.frame_memory (4MiB)"));
  EXPECT_THAT(ErrorOf("[join_guard]\nlockout_initial = \"2h\"\n"),
              HasSubstr("join_guard.lockout_initial (2h) must not exceed "
                        "join_guard.lockout_max (1h)"));
}

TEST(RelayConfigTest, AClusterRelayNeedsRedisAKeyAndPostgresql) {
  const std::string error = ErrorOf("[cluster]\nrelay_id = \"relay1\"\n");
  EXPECT_THAT(error, HasSubstr("relay.toml:2: cluster.relay_id is set, so "
                               "cluster.redis is needed"));
  EXPECT_THAT(error, HasSubstr("cluster.secret_file is needed"));
  EXPECT_THAT(error, HasSubstr("store.postgresql is needed"));
  EXPECT_THAT(error, HasSubstr("cluster.advertise is needed: cluster.listen "
                               "(0.0.0.0:8444) does not say which address"));
  const std::string cluster =
      "[store]\npostgresql = \"host=db\"\n[cluster]\nrelay_id = \"r1\"\n"
      "secret_file = \"/etc/tether/cluster.key\"\nlisten = "
      "\"10.0.0.11:8444\"\n";
  auto config = ParseRelayConfig(cluster + "redis = \"redis://10.0.0.5\"\n",
                                 "relay.toml");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_TRUE(config->cluster.enabled());
  EXPECT_THAT(ErrorOf(cluster + "redis = \"redis://:hunter2@10.0.0.5\"\n"),
              HasSubstr("cluster.redis holds a password: put it in "
                        "cluster.redis_password_file"));
  EXPECT_THAT(ErrorOf(cluster + "redis = \"redis://10.0.0.5\"\n"
                                "advertise = \"0.0.0.0:8444\"\n"),
              HasSubstr("cluster.advertise must be an address the other "
                        "relays can dial"));
  EXPECT_THAT(ErrorOf("[cluster]\nrelay_id = \"relay one\"\n"),
              HasSubstr("cluster.relay_id may hold only letters"));
  EXPECT_THAT(ErrorOf("[cluster]\npeer_fingerprints = [\"sha1:00\"]\n"),
              HasSubstr("cluster.peer_fingerprints"));
  EXPECT_THAT(
      ErrorOf("[server]\nlisten = [\"0.0.0.0:8444\"]\n"
              "[cluster]\nrelay_id = \"r1\"\n"),
      HasSubstr("cluster.listen (0.0.0.0:8444) overlaps server.listen"));
}

TEST(RelayConfigTest, SupportTermsAndTermsFileAreMutuallyExclusive) {
  EXPECT_EQ(ErrorOf("[server]\nsupport_terms = \"Be nice.\"\n"
                    "support_terms_file = \"/etc/terms.txt\"\n"),
            "relay.toml:3: server.support_terms and server.support_terms_file "
            "are mutually exclusive: set one of them");
}

TEST(RelayConfigTest, PasswordPolicyIsValidatedByCrypto) {
  EXPECT_EQ(ErrorOf("[password_policy]\nmin_length = 4\n"),
            "relay.toml:1: password policy: min_length must be at least 8");
  EXPECT_THAT(ErrorOf("[password_policy]\nmin_length = 100\n"
                      "max_length = 64\n"),
              HasSubstr("min_length must not be greater than max_length"));
}

TEST(RelayConfigTest, EveryProblemIsReportedOnItsOwnLine) {
  EXPECT_EQ(ErrorOf("[server]\nmax_connections = 0\n[log]\nlevel = 3\n"
                    "[tls]\nmin_versoin = \"1.3\"\n"),
            "relay.toml:2: server.max_connections: must be between 1 and "
            "1000000, got 0\n"
            "relay.toml:4: log.level: expected one of \"trace\", \"debug\", "
            "\"info\", \"warn\", \"error\", \"off\", got an integer\n"
            "relay.toml:6: unknown key 'tls.min_versoin' (did you mean "
            "'min_version'?)");
}

TEST(RelayConfigTest, MalformedTomlGivesLineAndColumn) {
  EXPECT_THAT(ErrorOf("[server]\norganisation = \"open\n"),
              HasSubstr("relay.toml:2:"));
  const std::string error = ErrorOf("[server]\n\nmax_connections = = 5\n");
  EXPECT_EQ(error.rfind("relay.toml:3:", 0), 0u) << error;
  EXPECT_THAT(ErrorOf("[server]\n[server]\n"), HasSubstr("relay.toml:2:"));
}

TEST(RelayConfigTest, OversizeTextIsRefusedBeforeParsing) {
  const std::string huge(kMaxRelayConfigBytes + 1, '#');
  EXPECT_EQ(ErrorOf(huge),
            "relay.toml is larger than 1MiB; is it the right "
            "file?");
}

TEST(RelayConfigTest, OversizeFileIsRefused) {
  TempDir dir;
  const auto path =
      dir.Write("relay.toml", std::string(kMaxRelayConfigBytes + 1, '#'));
  auto config = LoadRelayConfig(path);
  ASSERT_FALSE(config.has_value());
  EXPECT_THAT(config.error().message, HasSubstr("is larger than 1MiB"));
}

TEST(RelayConfigTest, MissingFileIsAClearError) {
  auto config = LoadRelayConfig("/nonexistent/tether/relay.toml");
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message,
            "cannot open config file /nonexistent/tether/relay.toml: No such "
            "file or directory");
}

TEST(RelayConfigTest, LoadResolvesRelativePathsAgainstTheConfigFolder) {
  TempDir dir;
  const auto path = dir.Write(
      "relay.toml",
      "[tls]\ncertificate = \"relay.crt\"\nprivate_key = \"/abs/relay.key\"\n"
      "[store]\ndatabase = \"data/relay.db\"\n");
  auto config = LoadRelayConfig(path);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->tls.certificate, dir.path() / "relay.crt");
  EXPECT_EQ(config->tls.private_key, "/abs/relay.key");
  EXPECT_EQ(config->store.database, dir.path() / "data/relay.db");
}

TEST(RelayConfigTest, LoadReadsTermsAndBlocklistFiles) {
  TempDir dir;
  dir.Write("terms.txt", "We help, you watch.\n");
  dir.Write("blocklist.txt",
            "# company words\nacme-corp\r\n\n  springfield \n");
  const auto path = dir.Write(
      "relay.toml",
      "[server]\nsupport_terms_file = \"terms.txt\"\n"
      "[password_policy]\nextra_blocklist_file = \"blocklist.txt\"\n");
  auto config = LoadRelayConfig(path);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->server.support_terms, "We help, you watch.\n");
  EXPECT_EQ(config->password_policy.extra_blocklist,
            (std::vector<std::string>{"acme-corp", "springfield"}));
  const std::string described = DescribeRelayConfig(*config);
  EXPECT_THAT(described, HasSubstr("# support_terms: 20 bytes, from "
                                   "support_terms_file"));
  EXPECT_THAT(described, HasSubstr("  # 2 passwords read from it"));
}

TEST(RelayConfigTest, UnreadableReferencedFileNamesTheKey) {
  TempDir dir;
  const auto path = dir.Write(
      "relay.toml", "[password_policy]\nextra_blocklist_file = \"nope.txt\"\n");
  auto config = LoadRelayConfig(path);
  ASSERT_FALSE(config.has_value());
  EXPECT_THAT(config.error().message,
              HasSubstr("cannot open password_policy.extra_blocklist_file " +
                        (dir.path() / "nope.txt").string()));
}

TEST(RelayConfigTest, DescriptionListsEffectiveValues) {
  const std::string text = DescribeRelayConfig(RelayConfig{});
  EXPECT_THAT(text, HasSubstr("[server]\nlisten = [\"0.0.0.0:8443\", "
                              "\"[::]:8443\"]\n"));
  EXPECT_THAT(text, HasSubstr("event_retention = \"30d\"\n"));
  EXPECT_THAT(text, HasSubstr("outbound_queue = \"256KiB\"\n"));
  EXPECT_THAT(text, HasSubstr("[log]\nlevel = \"info\"\n"));
}

}  // namespace
}  // namespace tether::relay
