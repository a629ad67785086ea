// Reading the small files configs live in, and the helpers every config
// reader shares (values, paths, quoting user text back).

#include "config/config_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/fields.h"

namespace tether::config {
namespace {

class TempFolder {
 public:
  TempFolder() {
    char templ[] = "/tmp/tether-config-test-XXXXXX";
    path_ = mkdtemp(templ);
  }
  ~TempFolder() { std::filesystem::remove_all(path_); }
  std::filesystem::path Write(const std::string& name,
                              const std::string& text) {
    std::ofstream(path_ / name, std::ios::binary) << text;
    return path_ / name;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

TEST(ConfigFileTest, ReadsASmallFileWhole) {
  TempFolder folder;
  const std::string text(40000, 'x');
  auto read = ReadSmallFile(folder.Write("a.toml", text), 40000, "config file");
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(*read, text);
}

TEST(ConfigFileTest, RefusesAFileOverTheLimit) {
  TempFolder folder;
  const auto path = folder.Write("big.toml", std::string(65 * 1024, '#'));
  auto read = ReadSmallFile(path, 64 * 1024, "config file");
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().message, "config file " + path.string() +
                                      " is larger than 64KiB; is it the "
                                      "right file?");
}

TEST(ConfigFileTest, AMissingFileIsNamedWithTheReason) {
  auto read = ReadSmallFile("/nonexistent/tether/x.toml", 1024, "terms file");
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().message,
            "cannot open terms file /nonexistent/tether/x.toml: No such file "
            "or directory");
}

TEST(ConfigFileTest, PrintableHidesControlCharactersAndCutsLongText) {
  EXPECT_EQ(Printable("plain"), "plain");
  EXPECT_EQ(Printable(std::string("a\x1b[2Jb\x7f\n", 8)), "a?[2Jb??");
  EXPECT_EQ(Printable(std::string(70, 'k')), std::string(64, 'k') + "...");
}

TEST(ConfigFileTest, ExpandHomeOnlyExpandsALeadingTilde) {
  const char* home = std::getenv("HOME");
  if (home == nullptr || home[0] == '\0')
    GTEST_SKIP() << "no HOME";
  EXPECT_EQ(ExpandHome("~/Downloads"),
            std::filesystem::path(home) / "Downloads");
  EXPECT_EQ(ExpandHome("/srv/~/x"), "/srv/~/x");
  EXPECT_EQ(ExpandHome("~user/x"), "~user/x");
}

TEST(ConfigFileTest, ProgramFolderHoldsTheRunningProgram) {
  const std::filesystem::path folder = ProgramFolder();
  EXPECT_TRUE(folder.is_absolute());
  EXPECT_TRUE(std::filesystem::exists(folder / "tether_config_tests"));
}

TEST(ConfigValuesTest, DurationsReadAndWriteInWholeUnits) {
  using std::chrono::seconds;
  EXPECT_EQ(ParseDuration("15m"), seconds(900));
  EXPECT_EQ(ParseDuration("30d"), seconds(30 * 86400));
  for (const char* bad : {"", "m", "10", "10 m", "1.5h", "-5s", "10ms", "1h30m",
                          "9999999999999s"}) {
    EXPECT_EQ(ParseDuration(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(FormatDuration(seconds(3600)), "1h");
  EXPECT_EQ(FormatDuration(seconds(90)), "90s");
  EXPECT_EQ(FormatDuration(seconds(0)), "0s");
}

TEST(ConfigValuesTest, QuoteWritesATomlString) {
  EXPECT_EQ(Quote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(ConfigValuesTest, FoldersMustBeAbsoluteOrUnderHome) {
  auto absolute = AbsoluteOrHomePath("/srv//incoming/");
  ASSERT_TRUE(absolute.has_value());
  EXPECT_EQ(*absolute, "/srv/incoming/");
  auto relative = AbsoluteOrHomePath("incoming");
  ASSERT_FALSE(relative.has_value());
  EXPECT_EQ(relative.error().message,
            "must be an absolute path or start with \"~/\", got \"incoming\"");
}

TEST(ConfigValuesTest, TextChecksSayWhatIsWrong) {
  EXPECT_TRUE(CheckText("ok", 2, false, false).has_value());
  EXPECT_EQ(CheckText("", 2, false, false).error().message,
            "must not be empty");
  EXPECT_EQ(CheckText("abc", 2, true, false).error().message,
            "must be at most 2 bytes long, got 3");
  EXPECT_EQ(CheckText("a\nb", 9, true, false).error().message,
            "must be one line without control characters");
  EXPECT_TRUE(CheckText("a\nb\tc", 9, true, true).has_value());
  EXPECT_EQ(CheckPath("a\x01", true).error().message, "is not a usable path");
}

}  // namespace
}  // namespace tether::config
