#include "protocol/file_name.h"

#include <gtest/gtest.h>

#include <string>

namespace tether::protocol {
namespace {

std::string Clean(std::string_view offered) {
  auto result = SanitizeFileName(offered);
  return result ? result->name : "<refused: " + result.error().message + ">";
}

uint32_t Changes(std::string_view offered) {
  auto result = SanitizeFileName(offered);
  return result ? result->changes : 0xFFFFFFFF;
}

TEST(FileNameTest, PlainNamesPassUnchanged) {
  EXPECT_EQ(Clean("report.pdf"), "report.pdf");
  EXPECT_EQ(Clean("Überweisung März 2026.xlsx"), "Überweisung März 2026.xlsx");
  EXPECT_EQ(Clean("a b (1).tar.gz"), "a b (1).tar.gz");
  EXPECT_EQ(Changes("report.pdf"), kNameChangeNone);
}

TEST(FileNameTest, DirectoryPartsAreStripped) {
  EXPECT_EQ(Clean("../x"), "x");
  EXPECT_EQ(Clean("../../../../etc/passwd"), "passwd");
  EXPECT_EQ(Clean("/etc/passwd"), "passwd");
  EXPECT_EQ(Clean("a/b/c.txt"), "c.txt");
  EXPECT_EQ(Clean("..\\..\\x.bat"), "x.bat");
  EXPECT_EQ(Clean("\\\\server\\share\\x.doc"), "x.doc");
  EXPECT_TRUE(Changes("../x") & kNameChangeDirectoryParts);
}

TEST(FileNameTest, WindowsDrivesAreStripped) {
  EXPECT_EQ(Clean("C:\\x"), "x");
  EXPECT_EQ(Clean("C:x"), "x");
  EXPECT_EQ(Clean("c:/Windows/System32/drivers/etc/hosts"), "hosts");
  EXPECT_TRUE(Changes("C:x") & kNameChangeDriveLetter);
}

TEST(FileNameTest, DotsAndNamesWithNothingLeftAreRefused) {
  for (const char* bad :
       {"", ".", "..", "...", "../", "/", "dir/", "C:", "C:\\", " . ", "\\"}) {
    auto result = SanitizeFileName(bad);
    EXPECT_FALSE(result.has_value()) << "'" << bad << "'";
    if (!result) {
      EXPECT_EQ(result.error().message, "the offered file has no usable name");
    }
  }
}

// Found by file_name_fuzzer: cutting a long name can leave a device name.
TEST(FileNameTest, ANameCutToADeviceNameIsStillPrefixed) {
  const std::string offered = "com1" + std::string(400, ' ') + "x";
  auto sanitized = SanitizeFileName(offered);
  ASSERT_TRUE(sanitized.has_value());
  EXPECT_EQ(sanitized->name, "_com1");
  auto again = SanitizeFileName(sanitized->name);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->name, "_com1");
  EXPECT_EQ(again->changes, kNameChangeNone);
}

TEST(FileNameTest, LeadingDotsAndTrailingDotsAndSpacesGo) {
  EXPECT_EQ(Clean(".bashrc"), "bashrc");
  EXPECT_EQ(Clean("..hidden.txt"), "hidden.txt");
  EXPECT_EQ(Clean("name.txt. . "), "name.txt");
  EXPECT_EQ(Clean("  spaced.txt"), "spaced.txt");
  EXPECT_TRUE(Changes(".bashrc") & kNameChangeDots);
}

TEST(FileNameTest, WindowsDeviceNamesAreNeutralisedWithAnyExtension) {
  EXPECT_EQ(Clean("CON"), "_CON");
  EXPECT_EQ(Clean("con.txt"), "_con.txt");
  EXPECT_EQ(Clean("Prn.tar.gz"), "_Prn.tar.gz");
  EXPECT_EQ(Clean("AUX"), "_AUX");
  EXPECT_EQ(Clean("nul.anything"), "_nul.anything");
  EXPECT_EQ(Clean("COM1"), "_COM1");
  EXPECT_EQ(Clean("lpt9.log"), "_lpt9.log");
  EXPECT_EQ(Clean("COM\u00B9.txt"), "_COM\u00B9.txt");
  EXPECT_EQ(Clean("CON .txt"), "_CON .txt");
  EXPECT_EQ(Clean("CONIN$"), "_CONIN$");
  EXPECT_TRUE(Changes("CON") & kNameChangeDeviceName);
  // Not devices.
  EXPECT_EQ(Clean("COM10"), "COM10");
  EXPECT_EQ(Clean("LPT0.txt"), "LPT0.txt");
  EXPECT_EQ(Clean("console.txt"), "console.txt");
  EXPECT_EQ(Clean("CONTRACT.pdf"), "CONTRACT.pdf");
}

TEST(FileNameTest, ControlAndBidiCharactersAreReplaced) {
  EXPECT_EQ(Clean(std::string("a\0b.txt", 7)), "a_b.txt");
  EXPECT_EQ(Clean("a\nb\tc.txt"), "a_b_c.txt");
  EXPECT_EQ(Clean("a\x7F.txt"), "a_.txt");
  // "invoice<RLO>fdp.exe" shows as "invoiceexe.pdf".
  EXPECT_EQ(Clean("invoice\u202Efdp.exe"), "invoice_fdp.exe");
  EXPECT_EQ(Clean("zero\u200Bwidth.txt"), "zero_width.txt");
  EXPECT_TRUE(Changes("a\nb") & kNameChangeControlCharacters);
}

TEST(FileNameTest, ReservedCharactersAreReplaced) {
  EXPECT_EQ(Clean("what?.txt"), "what_.txt");
  EXPECT_EQ(Clean("a<b>c|d*e\"f.txt"), "a_b_c_d_e_f.txt");
  EXPECT_EQ(Clean("file.txt:stream"), "file.txt_stream");
}

TEST(FileNameTest, InvalidUtf8IsRefused) {
  EXPECT_FALSE(SanitizeFileName("bad\xff.txt").has_value());
  EXPECT_FALSE(SanitizeFileName("\xc0\xaf.txt").has_value());  // overlong '/'
  EXPECT_FALSE(SanitizeFileName("\xed\xa0\x80.txt").has_value());  // surrogate
}

TEST(FileNameTest, LongNamesAreCutKeepingTheExtension) {
  const std::string stem(300, 'a');
  auto result = SanitizeFileName(stem + ".pdf");
  ASSERT_TRUE(result.has_value());
  EXPECT_LE(result->name.size(), kMaxFileNameBytes);
  EXPECT_TRUE(result->name.ends_with(".pdf"));
  EXPECT_TRUE(result->changes & kNameChangeTruncated);
  // Never in the middle of a character.
  std::string wide;
  for (int i = 0; i < 200; ++i)
    wide += "\u00E4";  // 2 bytes each
  auto cut = SanitizeFileName(wide + ".txt");
  ASSERT_TRUE(cut.has_value());
  EXPECT_TRUE(SanitizeFileName(cut->name).has_value());
  EXPECT_FALSE(SanitizeFileName(std::string(5000, 'a')).has_value());
}

TEST(FileNameTest, NumberedNamesGoBeforeTheExtension) {
  EXPECT_EQ(NumberedFileName("report.pdf", 0), "report.pdf");
  EXPECT_EQ(NumberedFileName("report.pdf", 1), "report (1).pdf");
  EXPECT_EQ(NumberedFileName("archive.tar.gz", 2), "archive.tar (2).gz");
  EXPECT_EQ(NumberedFileName("README", 3), "README (3)");
}

TEST(FileNameTest, ChangesAreDescribedWithoutTheName) {
  EXPECT_EQ(
      DescribeNameChanges(kNameChangeDirectoryParts | kNameChangeDeviceName),
      "directory parts, device name");
  EXPECT_EQ(DescribeNameChanges(kNameChangeNone), "");
}

}  // namespace
}  // namespace tether::protocol
