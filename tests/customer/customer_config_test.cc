#include "customer-app/core/customer_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include "protocol/host_port.h"
#include "protocol/peer_session.h"
#include "tests/support/relay_process.h"

namespace tether::customer {
namespace {

constexpr char kFingerprint[] =
    "sha256:0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef";

std::string Minimal() {
  return std::string(
             "[relay]\nhost = \"relay.example.com\"\nfingerprint = \"") +
         kFingerprint + "\"\n";
}

Result<CustomerConfig> Parse(const std::string& text) {
  return ParseCustomerConfig(text, "tether-customer.toml", "/opt/tether");
}

TEST(CustomerConfigTest, AMinimalFileKeepsTheDefaults) {
  auto config = Parse(Minimal());
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->relay.host, "relay.example.com");
  EXPECT_EQ(config->relay.port, 8443);
  EXPECT_EQ(config->relay.fingerprint,
            "sha256:"
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  EXPECT_EQ(config->max_file_size, uint64_t{2} << 30);
  EXPECT_EQ(config->download_dir, DefaultDownloadDir().string());
}

TEST(CustomerConfigTest, RelayListIsReadInOrder) {
  auto config = Parse(std::string("[relay]\nhosts = [\"relay1.example.com\", "
                                  "\"relay2.example.com:9443\"]\n"
                                  "fingerprint = \"") +
                      kFingerprint + "\"\n");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->relay.host, "relay1.example.com");
  EXPECT_EQ(protocol::RelayAddresses(config->relay),
            (std::vector<protocol::HostPort>{{"relay1.example.com", 8443},
                                             {"relay2.example.com", 9443}}));
}

TEST(CustomerConfigTest, EveryKeyIsRead) {
  const std::string text = R"(
organisation = "ACME IT"
logo_path = "logo.png"
display = ":3"
download_dir = "/srv/incoming"
max_file_size = "512MiB"

[relay]
host = "10.0.0.5"
port = 9443
ca_file = "certs/ca.pem"
proxy = "http://proxy:3128"
)";
  auto config = Parse(text);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->organisation, "ACME IT");
  EXPECT_EQ(config->logo_path, "/opt/tether/logo.png");
  EXPECT_EQ(config->display, ":3");
  EXPECT_EQ(config->download_dir, "/srv/incoming");
  EXPECT_EQ(config->max_file_size, uint64_t{512} << 20);
  EXPECT_EQ(config->relay.port, 9443);
  EXPECT_EQ(config->relay.ca_file, "/opt/tether/certs/ca.pem");
  EXPECT_EQ(config->relay.proxy, "http://proxy:3128");
}

TEST(CustomerConfigTest, UnknownKeysAreRefusedByName) {
  auto config = Parse(Minimal() + "hots = \"x\"\n");
  ASSERT_FALSE(config.has_value());
  EXPECT_NE(config.error().message.find(
                "tether-customer.toml:4: unknown key 'relay.hots'"),
            std::string::npos)
      << config.error().message;
  auto top = Parse("skip_prompts = true\n" + Minimal());
  ASSERT_FALSE(top.has_value());
  EXPECT_NE(top.error().message.find("unknown key 'skip_prompts'"),
            std::string::npos);
  auto section = Parse(Minimal() + "[ui]\nx = 1\n");
  ASSERT_FALSE(section.has_value());
  EXPECT_NE(section.error().message.find("unknown section [ui]"),
            std::string::npos);
}

TEST(CustomerConfigTest, BadValuesNameTheKey) {
  auto port = Parse(Minimal() + "port = 70000\n");
  ASSERT_FALSE(port.has_value());
  EXPECT_NE(
      port.error().message.find("relay.port: must be between 1 and 65535"),
      std::string::npos);
  auto type = Parse("organisation = 5\n" + Minimal());
  ASSERT_FALSE(type.has_value());
  EXPECT_NE(type.error().message.find("organisation: expected a string"),
            std::string::npos);
  auto size = Parse("max_file_size = \"2GB\"\n" + Minimal());
  ASSERT_FALSE(size.has_value());
  EXPECT_NE(size.error().message.find("max_file_size"), std::string::npos);
  auto fingerprint = Parse("[relay]\nhost = \"h\"\nfingerprint = \"abc\"\n");
  ASSERT_FALSE(fingerprint.has_value());
  EXPECT_NE(fingerprint.error().message.find("relay.fingerprint"),
            std::string::npos);
  auto dir = Parse("download_dir = \"relative\"\n" + Minimal());
  ASSERT_FALSE(dir.has_value());
  EXPECT_NE(dir.error().message.find("download_dir"), std::string::npos);
  auto syntax = Parse("[relay\n");
  ASSERT_FALSE(syntax.has_value());
  EXPECT_NE(syntax.error().message.find("tether-customer.toml:1"),
            std::string::npos);
}

TEST(CustomerConfigTest, TheRelayMustBeNamedAndPinnedOneWay) {
  auto no_host =
      Parse(std::string("[relay]\nfingerprint = \"") + kFingerprint + "\"\n");
  ASSERT_FALSE(no_host.has_value());
  EXPECT_NE(no_host.error().message.find("relay.host is not set"),
            std::string::npos);
  auto neither = Parse("[relay]\nhost = \"h\"\n");
  ASSERT_FALSE(neither.has_value());
  auto both = Parse(Minimal() + "ca_file = \"/ca.pem\"\n");
  ASSERT_FALSE(both.has_value());
  EXPECT_NE(both.error().message.find("exactly one"), std::string::npos);
}

// relay.host follows the rules of --relay (protocol::ParseHostPort): what
// the command line refuses, the file refuses too, with the same reason.
TEST(CustomerConfigTest, ABadRelayHostIsRefusedLikeTheCommandLineDoes) {
  for (const char* bad : {"relay/path", "relay!.example.com", "[::1", "[::1]x",
                          "relay:0", "a:b:c"}) {
    auto command_line = protocol::ParseHostPort(bad, 8443);
    ASSERT_FALSE(command_line.has_value()) << bad;
    auto config = Parse(std::string("[relay]\nhost = \"") + bad +
                        "\"\nfingerprint = \"" + kFingerprint + "\"\n");
    ASSERT_FALSE(config.has_value()) << bad;
    EXPECT_EQ(config.error().message,
              "tether-customer.toml:2: relay.host: must be a host name or an "
              "IP address (" +
                  command_line.error().message + ")")
        << bad;
  }
  // The port has a key of its own.
  auto with_port = Parse(
      std::string("[relay]\nhost = \"relay.example.com:9443\"\nfingerprint = "
                  "\"") +
      kFingerprint + "\"\n");
  ASSERT_FALSE(with_port.has_value());
  EXPECT_NE(with_port.error().message.find("relay.host: must be a host name"),
            std::string::npos);
  for (const auto& [written, host] :
       {std::pair{"10.0.0.5", "10.0.0.5"}, std::pair{"::1", "::1"},
        std::pair{"[fd00::7]", "fd00::7"},
        std::pair{"relay_1-a", "relay_1-a"}}) {
    auto config = Parse(std::string("[relay]\nhost = \"") + written +
                        "\"\nfingerprint = \"" + kFingerprint + "\"\n");
    ASSERT_TRUE(config.has_value())
        << written << ": " << config.error().message;
    EXPECT_EQ(config->relay.host, host);
  }
}

TEST(CustomerConfigTest, HugeFilesAreRefusedBeforeParsing) {
  auto config = Parse(Minimal() + "# " + std::string(70 * 1024, 'x') + "\n");
  ASSERT_FALSE(config.has_value());
  EXPECT_NE(config.error().message.find("larger than 64KiB"),
            std::string::npos);
}

TEST(CustomerConfigTest, HomeIsExpanded) {
  const char* home = std::getenv("HOME");
  if (home == nullptr)
    GTEST_SKIP() << "no HOME";
  auto config = Parse("download_dir = \"~/Incoming\"\n" + Minimal());
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->download_dir,
            (std::filesystem::path(home) / "Incoming").string());
}

TEST(CustomerConfigTest, LoadReadsAFileAndNamesAMissingOne) {
  char templ[] = "/tmp/tether-config-XXXXXX";
  const std::filesystem::path dir = mkdtemp(templ);
  const auto path = dir / "tether-customer.toml";
  {
    std::ofstream out(path);
    out << "organisation = \"Org\"\nlogo_path = \"logo.svg\"\n" << Minimal();
  }
  auto config = CustomerConfig::Load(path.string());
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->organisation, "Org");
  EXPECT_EQ(config->logo_path, (dir / "logo.svg").string());
  auto missing = CustomerConfig::Load((dir / "nope.toml").string());
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("nope.toml"), std::string::npos);
  std::filesystem::remove_all(dir);
}

// ---- The code the customer types
// -------------------------------------------------

TEST(SessionCodeTest, AcceptsTheUsualWaysOfWritingIt) {
  for (const char* typed :
       {"12345678", "1234 5678", "1234-5678", " 1234 5678 ", "1234  5678",
        "12 34 56 78", "Code: 1234 5678.",
        "Your code is 1234-5678 (valid 10 min)", "1234\u00A05678",
        "\uFF11\uFF12\uFF13\uFF14\uFF15\uFF16\uFF17\uFF18",
        "1234 5678\n1234 5678"}) {
    auto code = NormalizeSessionCode(typed);
    ASSERT_TRUE(code.has_value()) << typed << ": " << code.error().message;
    EXPECT_EQ(*code, "12345678") << typed;
  }
}

TEST(SessionCodeTest, SaysWhatIsWrongInPlainWords) {
  const auto error = [](std::string_view typed) {
    auto code = NormalizeSessionCode(typed);
    return code ? std::string("accepted ") + *code : code.error().message;
  };
  EXPECT_EQ(error(""), "Type the 8-digit code your technician gave you.");
  EXPECT_EQ(error("hello"), "Type the 8-digit code your technician gave you.");
  EXPECT_EQ(error("1234 567"), "The code has 8 digits; this has only 7.");
  EXPECT_EQ(error("1234 56789"), "The code has 8 digits; this has 9.");
  EXPECT_EQ(error("1234a5678"),
            "The code is 8 digits without letters or other signs in between.");
  EXPECT_NE(error("1111 2222 or 3333 4444").find("more than one code"),
            std::string::npos);
  EXPECT_NE(error(std::string(2000, '1')).find("too much text"),
            std::string::npos);
}

// What IT hands out: `tether-relay customer-config` writes a file this app
// loads as is.
TEST(CustomerConfigTest, LoadsTheFileTheRelayWrites) {
  test::RelayProcess relay;
  ASSERT_EQ(relay.RunCommand({"cert", "init"}).exit_code, 0);
  const auto path = relay.dir() / "tether-customer.toml";
  auto written =
      relay.RunCommand({"customer-config", "--host", "support.example.com",
                        "--port", "443", "--out", path.string()});
  ASSERT_EQ(written.exit_code, 0) << written.output;
  auto config = CustomerConfig::Load(path.string());
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->relay.host, "support.example.com");
  EXPECT_EQ(config->relay.port, 443);
  EXPECT_EQ(config->organisation, "Test IT");
  auto shown = relay.RunCommand({"cert", "show"});
  EXPECT_EQ(config->relay.fingerprint + "\n", shown.output);

  // A cluster's relays, tried in the order given; one key for all.
  written = relay.RunCommand({"customer-config", "--host", "relay1.example.com",
                              "--host", "[2001:db8::7]:9443", "--host",
                              "relay3.example.com", "--port", "443", "--out",
                              path.string()});
  ASSERT_EQ(written.exit_code, 0) << written.output;
  config = CustomerConfig::Load(path.string());
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(protocol::RelayAddresses(config->relay),
            (std::vector<protocol::HostPort>{{"relay1.example.com", 443},
                                             {"2001:db8::7", 9443},
                                             {"relay3.example.com", 443}}));
  EXPECT_EQ(config->relay.fingerprint + "\n", shown.output);

  // What the app would refuse is refused here, before anyone gets it.
  for (const auto& bad : std::vector<std::vector<std::string>>{
           {"--host", "relay one"},
           {"--host", "a.example.com", "--host", "a.example.com:443"},
           {"--host", "a.example.com", "--host", "b.example.com:0"}}) {
    std::vector<std::string> args = {"customer-config", "--port", "443"};
    args.insert(args.end(), bad.begin(), bad.end());
    written = relay.RunCommand(args);
    EXPECT_NE(written.exit_code, 0) << written.output;
    EXPECT_NE(written.output.find("--host"), std::string::npos)
        << written.output;
  }
}

}  // namespace
}  // namespace tether::customer
