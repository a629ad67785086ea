// The schema layer the relay's and both apps' config files share: unknown
// keys and sections are named with a suggestion, every problem gets its
// file and line, and a field refusing a value names the key.

#include "config/schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/fields.h"

namespace tether::config {
namespace {

using ::testing::HasSubstr;

struct Endpoint {
  std::string host;
  int64_t port = 1;
};

struct ToyConfig {
  std::string name = "default";
  bool enabled = false;
  Endpoint server;
};

Schema<ToyConfig> ToySchema() {
  return {
      {"",
       {TextField<ToyConfig>(
           "name", [](auto& c) -> auto& { return c.name; }, 16,
           /*allow_empty=*/false, /*multiline=*/false)}},
      {"switches",
       {BoolField<ToyConfig>(
           "enabled", [](auto& c) -> auto& { return c.enabled; })}},
      {"server",
       FieldsOf<ToyConfig>(
           std::vector<Field<Endpoint>>{
               TextField<Endpoint>(
                   "host", [](auto& e) -> auto& { return e.host; }, 64,
                   /*allow_empty=*/false, /*multiline=*/false),
               IntegerField<Endpoint>(
                   "port", [](auto& e) -> auto& { return e.port; }, 1, 9),
           },
           [](auto& c) -> auto& { return c.server; })},
  };
}

Result<ToyConfig> Parse(std::string_view text,
                        const CrossCheck<ToyConfig>& check = nullptr) {
  return ParseConfig<ToyConfig>(text, "toy.toml", {1024, 3}, ToySchema(),
                                ToyConfig{}, check);
}

std::string ErrorOf(std::string_view text) {
  auto config = Parse(text);
  return config ? "(parsed)" : config.error().message;
}

TEST(ConfigSchemaTest, ReadsTopLevelKeysSectionsAndNestedParts) {
  auto config = Parse(
      "name = \"toy\"\n[switches]\nenabled = true\n"
      "[server]\nhost = \"h\"\nport = 7\n");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->name, "toy");
  EXPECT_TRUE(config->enabled);
  EXPECT_EQ(config->server.host, "h");
  EXPECT_EQ(config->server.port, 7);
}

TEST(ConfigSchemaTest, KeysTheFileDoesNotSetKeepTheirDefaults) {
  auto config = Parse("");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->name, "default");
  EXPECT_EQ(config->server.port, 1);
}

TEST(ConfigSchemaTest, UnknownKeysAreNamedWithASuggestion) {
  EXPECT_EQ(ErrorOf("[server]\nhots = \"h\"\nhst = \"h\"\n"),
            "toy.toml:2: unknown key 'server.hots'\n"
            "toy.toml:3: unknown key 'server.hst' (did you mean 'host'?)");
  EXPECT_EQ(ErrorOf("nam = \"x\"\n"),
            "toy.toml:1: unknown key 'nam' (did you mean 'name'?)");
  EXPECT_EQ(ErrorOf("[server]\nweather = 1\n"),
            "toy.toml:2: unknown key 'server.weather'");
}

TEST(ConfigSchemaTest, AKeyInTheWrongPlacePointsToTheRightOne) {
  EXPECT_EQ(ErrorOf("port = 3\n"),
            "toy.toml:1: unknown key 'port' (did you mean 'server.port'?)");
  EXPECT_EQ(ErrorOf("[server]\nname = \"x\"\n"),
            "toy.toml:2: unknown key 'server.name' (did you mean 'name'?)");
}

TEST(ConfigSchemaTest, UnknownSectionsAreNamedWithASuggestion) {
  EXPECT_EQ(ErrorOf("[servre]\n"),
            "toy.toml:1: unknown section [servre] (did you mean [server]?)");
  EXPECT_EQ(ErrorOf("\n[weather]\n"), "toy.toml:2: unknown section [weather]");
}

TEST(ConfigSchemaTest, ASectionMustBeATable) {
  EXPECT_EQ(ErrorOf("server = 5\n"),
            "toy.toml:1: server: expected a table [server], got an integer");
}

TEST(ConfigSchemaTest, ControlCharactersInNamesAreNotEchoed) {
  EXPECT_EQ(ErrorOf("\"a\\u001bb\" = 1\n"), "toy.toml:1: unknown key 'a?b'");
}

TEST(ConfigSchemaTest, ProblemsComeInFileOrderUpToTheLimit) {
  EXPECT_EQ(ErrorOf("[server]\nport = 10\nhost = \"\"\n"
                    "[switches]\nenabled = 1\n"),
            "toy.toml:2: server.port: must be between 1 and 9, got 10\n"
            "toy.toml:3: server.host: must not be empty\n"
            "toy.toml:5: switches.enabled: expected true or false, got an "
            "integer");
  EXPECT_EQ(ErrorOf("a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n"),
            "toy.toml:1: unknown key 'a'\n"
            "toy.toml:2: unknown key 'b'\n"
            "toy.toml:3: unknown key 'c'\n"
            "toy.toml: ... and 2 more problems");
}

TEST(ConfigSchemaTest, CrossChecksRunOnceEveryKeyWasReadAndPointAtTheKey) {
  const CrossCheck<ToyConfig> check =
      [](const ToyConfig& config, const KeyLines& lines, Problems& problems) {
        if (config.enabled && config.server.host.empty())
          problems.Add(lines.Of("switches.enabled"), "enabled needs a host");
        problems.Add(lines.Of("name"), "checked");
      };
  auto config = Parse("\n[switches]\nenabled = true\n", check);
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message,
            "toy.toml:3: enabled needs a host\ntoy.toml: checked");
  auto refused = Parse("[switches]\nenabled = 2\n", check);
  ASSERT_FALSE(refused.has_value());
  EXPECT_THAT(refused.error().message, ::testing::Not(HasSubstr("checked")));
}

TEST(ConfigSchemaTest, SyntaxErrorsGiveLineAndColumn) {
  EXPECT_EQ(ErrorOf("\n\nname = = 5\n").rfind("toy.toml:3:", 0), 0u);
  EXPECT_THAT(ErrorOf("[server]\n[server]\n"), HasSubstr("toy.toml:2:"));
}

TEST(ConfigSchemaTest, OversizeTextIsRefusedBeforeParsing) {
  EXPECT_EQ(ErrorOf(std::string(1025, '#')),
            "toy.toml is larger than 1KiB; is it the right file?");
}

TEST(ConfigSchemaTest, ASourceWithoutANameIsCalledConfig) {
  auto config = ParseConfig<ToyConfig>("x = 1\n", "", {1024, 3}, ToySchema(),
                                       ToyConfig{}, nullptr);
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message, "config:1: unknown key 'x'");
}

TEST(ConfigSchemaTest, SuggestionsAreForTyposNotForOtherWords) {
  EXPECT_EQ(EditDistance("listn", "listen"), 1u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(ClosestName("listn", {"listen", "level"}), "listen");
  EXPECT_EQ(ClosestName("colour", {"level"}), std::nullopt);
  EXPECT_EQ(ClosestName(std::string(100, 'a'), {"a"}), std::nullopt);
}

TEST(ConfigSchemaTest, DescribersFollowTheNestedPart) {
  ToyConfig config;
  config.server.port = 4;
  const Schema<ToyConfig> schema = ToySchema();
  EXPECT_EQ(schema[2].fields[1].describe(config), "port = 4");
  EXPECT_EQ(schema[0].fields[0].describe(config), "name = \"default\"");
}

}  // namespace
}  // namespace tether::config
