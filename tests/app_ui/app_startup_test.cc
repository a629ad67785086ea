#include "app-ui/app_startup.h"

#include <gtest/gtest.h>

#include <QCommandLineOption>

#include <string>
#include <vector>

namespace tether::app_ui {
namespace {

const AppIdentity kIdentity{
    .program = "tether-test",
    .display_name = QStringLiteral("Tether test"),
    .description = QStringLiteral("A test."),
    .relay_name = QStringLiteral("relay"),
    .start_failure_advice = {},
};

// argv as main() gets it, kept alive for the parse.
class Arguments {
 public:
  explicit Arguments(std::vector<std::string> arguments)
      : arguments_(std::move(arguments)) {
    for (std::string& argument : arguments_)
      argv_.push_back(argument.data());
    argv_.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(arguments_.size()); }
  char** argv() { return argv_.data(); }

 private:
  std::vector<std::string> arguments_;
  std::vector<char*> argv_;
};

TEST(AppCommandLineTest, CollectsTheRelayOptionsAndTheAppsOwn) {
  AppCommandLine command_line(kIdentity, QStringLiteral("Settings file."));
  const QCommandLineOption user(QStringLiteral("user"), QStringLiteral("User."),
                                QStringLiteral("name"));
  command_line.AddOption(user);
  Arguments arguments({"tether-test", "--relay", "relay.example.com:9443",
                       "--fingerprint", "sha256:ab", "--config", "my.toml",
                       "--user", "alex"});
  EXPECT_EQ(command_line.Parse(arguments.argc(), arguments.argv()),
            std::nullopt);

  const protocol::RelayOverrides overrides = command_line.relay_overrides();
  EXPECT_EQ(overrides.relay, "relay.example.com:9443");
  EXPECT_EQ(overrides.fingerprint, "sha256:ab");
  EXPECT_EQ(overrides.ca_file, std::nullopt);
  EXPECT_EQ(overrides.proxy, std::nullopt);
  EXPECT_EQ(command_line.config_file(), QStringLiteral("my.toml"));
  EXPECT_TRUE(command_line.IsSet(user));
  EXPECT_EQ(command_line.Value(user), QStringLiteral("alex"));
}

TEST(AppCommandLineTest, NothingGivenOverridesNothing) {
  AppCommandLine command_line(kIdentity, QStringLiteral("Settings file."));
  Arguments arguments({"tether-test"});
  EXPECT_EQ(command_line.Parse(arguments.argc(), arguments.argv()),
            std::nullopt);
  EXPECT_EQ(command_line.config_file(), std::nullopt);
  const protocol::RelayOverrides overrides = command_line.relay_overrides();
  EXPECT_FALSE(overrides.relay || overrides.fingerprint || overrides.ca_file ||
               overrides.proxy);
}

TEST(AppCommandLineTest, AnUnknownOptionOrAStrayArgumentEndsWithCode2) {
  for (const char* wrong : {"--skip-prompts", "stray"}) {
    AppCommandLine command_line(kIdentity, QStringLiteral("Settings file."));
    Arguments arguments({"tether-test", wrong});
    EXPECT_EQ(command_line.Parse(arguments.argc(), arguments.argv()), 2)
        << wrong;
  }
}

TEST(AppCommandLineTest, HelpAndVersionEndWithCode0) {
  for (const char* asked : {"--help", "-h", "--version"}) {
    AppCommandLine command_line(kIdentity, QStringLiteral("Settings file."));
    Arguments arguments({"tether-test", asked});
    EXPECT_EQ(command_line.Parse(arguments.argc(), arguments.argv()), 0)
        << asked;
  }
}

}  // namespace
}  // namespace tether::app_ui
