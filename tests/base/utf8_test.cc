#include "base/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace tether {
namespace {

TEST(Utf8Test, DecodesOneToFourByteSequences) {
  auto decoded = DecodeUtf8("aö€😀");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, (std::u32string{U'a', U'ö', U'€', U'😀'}));
  EXPECT_EQ(DecodeUtf8(""), std::u32string());
}

TEST(Utf8Test, RejectsWhatStrictUtf8Forbids) {
  EXPECT_FALSE(DecodeUtf8("\xc3").has_value());              // truncated
  EXPECT_FALSE(DecodeUtf8("\xe2\x82").has_value());          // truncated
  EXPECT_FALSE(DecodeUtf8("\xc0\xaf").has_value());          // overlong
  EXPECT_FALSE(DecodeUtf8("\xe0\x80\xaf").has_value());      // overlong
  EXPECT_FALSE(DecodeUtf8("\xed\xa0\x80").has_value());      // surrogate
  EXPECT_FALSE(DecodeUtf8("\xf4\x90\x80\x80").has_value());  // > U+10FFFF
  EXPECT_FALSE(DecodeUtf8("\x80").has_value());  // stray continuation
  EXPECT_FALSE(DecodeUtf8("\xff").has_value());
  EXPECT_FALSE(DecodeUtf8("a\xc3(").has_value());  // bad continuation
}

TEST(Utf8Test, LengthOfTheFirstSequence) {
  EXPECT_EQ(ValidUtf8Length(""), 0u);
  EXPECT_EQ(ValidUtf8Length("a\xff"), 1u);
  EXPECT_EQ(ValidUtf8Length("\xc3\xb6x"), 2u);
  EXPECT_EQ(ValidUtf8Length("\xe2\x82\xac"), 3u);
  EXPECT_EQ(ValidUtf8Length("\xf0\x9f\x98\x80"), 4u);
  EXPECT_EQ(ValidUtf8Length("\xf0\x9f\x98"), 0u);
  EXPECT_EQ(DecodeUtf8Sequence("\xf0\x9f\x98\x80", 4), U'😀');
}

TEST(Utf8Test, EncodesWhatItDecodes) {
  for (char32_t cp : {U'\0', U'a', U'\x7f', U'\x80', U'ö', U'\x7ff', U'\x800',
                      U'€', U'\xffff', U'\x10000', U'😀', U'\x10ffff'}) {
    std::string text;
    AppendUtf8(cp, text);
    auto back = DecodeUtf8(text);
    ASSERT_TRUE(back.has_value()) << static_cast<uint32_t>(cp);
    EXPECT_EQ(*back, std::u32string(1, cp));
  }
}

TEST(Utf8Test, CutNeverEndsInsideASequence) {
  EXPECT_EQ(CutUtf8("abc", 10), "abc");
  EXPECT_EQ(CutUtf8("abc", 2), "ab");
  EXPECT_EQ(CutUtf8("a\xc3\xb6", 2), "a");  // not half of ö
  EXPECT_EQ(CutUtf8("a\xc3\xb6", 3), "a\xc3\xb6");
  EXPECT_EQ(CutUtf8("\xf0\x9f\x98\x80x", 3), "");  // not 3/4 of 😀
  EXPECT_EQ(CutUtf8("\xf0\x9f\x98\x80x", 4), "\xf0\x9f\x98\x80");
  EXPECT_EQ(CutUtf8("", 0), "");
}

}  // namespace
}  // namespace tether
