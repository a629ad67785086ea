#include "app-ui/display_text.h"

#include <gtest/gtest.h>

#include <string>

namespace tether::app_ui {
namespace {

TEST(DisplayTextTest, RemovesControlAndBidiOverrideCharacters) {
  // U+202E would make "invoice\u202Efdp.exe" read "invoiceexe.pdf".
  EXPECT_EQ(DisplayText("invoice\u202Efdp.exe"),
            QStringLiteral("invoicefdp.exe"));
  EXPECT_EQ(DisplayText("a\u200Bb\u2066c\u2069\xEF\xBB\xBF"
                        "d\x07\x7F\r"),
            QStringLiteral("abcd"));
}

TEST(DisplayTextTest, NewlinesAndTabsBecomeSpacesUnlessNewlinesAreKept) {
  EXPECT_EQ(DisplayText("one\ntwo\tthree"), QStringLiteral("one two three"));
  EXPECT_EQ(DisplayText("one\r\ntwo", 200, /*keep_newlines=*/true),
            QStringLiteral("one\ntwo"));
}

TEST(DisplayTextTest, CutsAtMaxCharsWithAnEllipsis) {
  EXPECT_EQ(DisplayText("abcdef", 3), QStringLiteral("abc\u2026"));
  EXPECT_EQ(DisplayText("abc", 3), QStringLiteral("abc"));
  // A newline shown as a space is a character shown.
  EXPECT_EQ(DisplayText("ab\ncd", 3), QStringLiteral("ab \u2026"));
  // Removed characters do not count.
  EXPECT_EQ(DisplayText("a\u202Ebc", 3), QStringLiteral("abc"));
}

TEST(DisplayTextTest, InvalidUtf8IsReplacedNotDropped) {
  EXPECT_EQ(DisplayText("a\xFF"
                        "b"),
            QStringLiteral("a\uFFFDb"));
}

TEST(DisplayFileNameTest, ALongNameKeepsItsRealExtension) {
  const QString shown =
      DisplayFileName("Invoice " + std::string(200, '_') + ".pdf.desktop", 60);
  EXPECT_EQ(shown.size(), 60);
  EXPECT_TRUE(shown.startsWith(QStringLiteral("Invoice ")));
  EXPECT_TRUE(shown.endsWith(QStringLiteral(".pdf.desktop")));
  EXPECT_EQ(DisplayFileName("  report.pdf\n"), QStringLiteral("report.pdf"));
}

TEST(FormatSasTest, SplitsSixDigitsInTwoGroupsOfThree) {
  EXPECT_EQ(FormatSas("482913"), QStringLiteral("482 913"));
  EXPECT_EQ(FormatSas("48291"), QStringLiteral("48291"));
  EXPECT_EQ(FormatSas(""), QString());
}

}  // namespace
}  // namespace tether::app_ui
