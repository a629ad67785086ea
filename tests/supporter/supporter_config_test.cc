// tether-supporter.toml: what IT writes is read strictly, and every mistake
// is named with its key and line.

#include "supporter-app/core/supporter_config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace tether::supporter {
namespace {

constexpr char kFingerprint[] =
    "sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef";

std::string ErrorOf(const std::string& text) {
  auto config = ParseSupporterConfig(text, "tether-supporter.toml", "/etc/x");
  return config ? "(parsed)" : config.error().message;
}

TEST(SupporterConfigTest, PackagedFileIsRead) {
  const std::string text = std::string(R"(user_name = "tina"
protocol_dir = "/srv/protocols/tina"

[relay]
host = "relay.example.com"
port = 9443
fingerprint = ")") + kFingerprint +
                           R"("
proxy = "http://proxy:3128"
)";
  auto config = ParseSupporterConfig(text, "tether-supporter.toml", "/etc/x");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->user_name, "tina");
  EXPECT_EQ(config->protocol_dir, "/srv/protocols/tina");
  EXPECT_EQ(config->relay.host, "relay.example.com");
  EXPECT_EQ(config->relay.port, 9443);
  // Stored in the form the engine compares.
  EXPECT_EQ(config->relay.fingerprint,
            "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
            "abcdef");
  EXPECT_EQ(config->relay.proxy, "http://proxy:3128");
}

TEST(SupporterConfigTest, DefaultsAndRelativeCaFile) {
  auto config = ParseSupporterConfig(
      "[relay]\nhost = \"relay\"\nca_file = \"ca.pem\"\n", "t.toml", "/etc/x");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->relay.port, 8443);
  EXPECT_EQ(config->relay.ca_file, "/etc/x/ca.pem");
  EXPECT_EQ(config->protocol_dir, DefaultProtocolDir());
  EXPECT_EQ(config->protocol_dir.filename(), "Tether sessions");
}

TEST(SupporterConfigTest, DownloadDirIsReadAndDefaultsToDownloads) {
  auto config = ParseSupporterConfig(
      "download_dir = \"/srv/incoming/\"\n[relay]\nhost = \"relay\"\n"
      "ca_file = \"ca.pem\"\n",
      "t.toml", "/etc/x");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->download_dir, "/srv/incoming/");
  auto defaults = ParseSupporterConfig(
      "[relay]\nhost = \"relay\"\nca_file = \"ca.pem\"\n", "t.toml", "/etc/x");
  ASSERT_TRUE(defaults.has_value()) << defaults.error().message;
  EXPECT_EQ(defaults->download_dir, DefaultDownloadDir());
  EXPECT_FALSE(defaults->download_dir.empty());
  EXPECT_EQ(ErrorOf("download_dir = \"incoming\"\n"),
            "tether-supporter.toml:1: download_dir: must be an absolute path "
            "or start with \"~/\", got \"incoming\"");
}

TEST(SupporterConfigTest, UnknownKeysAreNamedWithTheirLine) {
  EXPECT_EQ(ErrorOf("usr_name = \"tina\"\n"),
            "tether-supporter.toml:1: unknown key 'usr_name' (did you mean "
            "'user_name'?)");
  EXPECT_EQ(ErrorOf("[relay]\nhost = \"r\"\nfingerprnt = \"x\"\n"),
            "tether-supporter.toml:3: unknown key 'relay.fingerprnt' (did you "
            "mean 'fingerprint'?)");
  EXPECT_EQ(ErrorOf("\n[recording]\non = true\n"),
            "tether-supporter.toml:2: unknown section [recording]");
}

TEST(SupporterConfigTest, BadValuesSayWhatIsWrong) {
  EXPECT_EQ(ErrorOf("[relay]\nhost = \"r\"\nport = 70000\n"),
            "tether-supporter.toml:3: relay.port: must be between 1 and 65535, "
            "got 70000");
  EXPECT_EQ(ErrorOf("protocol_dir = \"sessions\"\n"),
            "tether-supporter.toml:1: protocol_dir: must be an absolute path "
            "or start with \"~/\", got \"sessions\"");
  EXPECT_NE(ErrorOf("[relay]\nhost = \"r\"\nfingerprint = \"sha1:00\"\n")
                .find("tether-supporter.toml:3: relay.fingerprint:"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("user_name = 5\n"),
            "tether-supporter.toml:1: user_name: expected a string, got an "
            "integer");
  EXPECT_EQ(ErrorOf("[relay]\nhost = \"r\"\nproxy = \"socks5://p\"\n"),
            "tether-supporter.toml:3: relay.proxy: must look like "
            "\"http://host:port\"");
  EXPECT_NE(ErrorOf("[relay\n").find("tether-supporter.toml:1:"),
            std::string::npos);
}

TEST(SupporterConfigTest, RelayMustBeSetAndTrustedOneWay) {
  EXPECT_EQ(ErrorOf(""),
            "tether-supporter.toml: relay.host is not set\n"
            "tether-supporter.toml: set exactly one of relay.fingerprint and "
            "relay.ca_file");
  EXPECT_EQ(ErrorOf("[relay]\nhost = \"r\"\n"),
            "tether-supporter.toml: set exactly one of relay.fingerprint and "
            "relay.ca_file");
  EXPECT_EQ(ErrorOf(std::string("[relay]\nhost = \"r\"\nca_file = \"c\"\n"
                                "fingerprint = \"") +
                    kFingerprint + "\"\n"),
            "tether-supporter.toml: set exactly one of relay.fingerprint and "
            "relay.ca_file");
}

TEST(SupporterConfigTest, RelayListIsReadAndCheckedLikeHost) {
  const std::string pin =
      std::string("fingerprint = \"") + kFingerprint + "\"\n";
  auto config = ParseSupporterConfig(
      "[relay]\nhosts = [\"relay1.example.com\", \"relay2:9443\"]\n" + pin,
      "tether-supporter.toml", "/etc/x");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->relay.host, "relay1.example.com");
  ASSERT_EQ(config->relay.hosts.size(), 2u);
  EXPECT_EQ(config->relay.hosts[1].port, 9443);
  EXPECT_EQ(ErrorOf("[relay]\nhost = \"r\"\nhosts = [\"s\"]\n" + pin),
            "tether-supporter.toml:3: relay: set host (one relay) or hosts (a "
            "list), not both");
}

TEST(SupporterConfigTest, OversizeFileIsRefused) {
  const std::string huge(kMaxSupporterConfigBytes + 1, '#');
  EXPECT_EQ(ErrorOf(huge),
            "tether-supporter.toml is larger than 64KiB; is it the right "
            "file?");
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / "tether-supporter-huge.toml";
  std::ofstream(path) << huge;
  auto loaded = SupporterConfig::Load(path.string());
  std::filesystem::remove(path);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().message.find("larger than 64KiB"),
            std::string::npos);
}

TEST(SupporterConfigTest, LoadReadsTheGivenFile) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / "tether-supporter-load.toml";
  std::ofstream(path) << "[relay]\nhost = \"relay\"\nca_file = \"ca.pem\"\n";
  auto loaded = SupporterConfig::Load(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->relay.ca_file,
            (std::filesystem::temp_directory_path() / "ca.pem").string());
  EXPECT_FALSE(SupporterConfig::Load("/nonexistent/x.toml").has_value());
}

}  // namespace
}  // namespace tether::supporter
