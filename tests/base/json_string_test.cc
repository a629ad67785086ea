#include "base/json_string.h"

#include <gtest/gtest.h>

#include <string>

namespace tether {
namespace {

std::string Json(std::string_view value) {
  std::string out;
  AppendJsonString(out, value);
  return out;
}

TEST(JsonStringTest, EscapesQuoteBackslashAndTheShortControls) {
  EXPECT_EQ(Json(""), "\"\"");
  EXPECT_EQ(Json("plain"), "\"plain\"");
  EXPECT_EQ(Json("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(Json("\b\f\n\r\t"), R"("\b\f\n\r\t")");
}

TEST(JsonStringTest, EscapesEveryOtherControlCharacter) {
  EXPECT_EQ(Json(std::string("\0\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
  EXPECT_EQ(Json("\x7f"), R"("\u007f")");  // DEL
  // C1 controls (U+0080..U+009F), as UTF-8: CSI, NEL.
  EXPECT_EQ(Json("\xc2\x9b\xc2\x85"), R"("\u009b\u0085")");
  // Line and paragraph separators end a line in JavaScript.
  EXPECT_EQ(Json("a\xe2\x80\xa8z\xe2\x80\xa9"), R"("a\u2028z\u2029")");
  // The pieces the relay's export has always escaped, together.
  EXPECT_EQ(Json(std::string("a\"\\\n\x1f\x7f", 6)),
            "\"a\\\"\\\\\\n\\u001f\\u007f\"");
}

TEST(JsonStringTest, KeepsValidUtf8AsItIs) {
  // é, ü after U+00A0, €, U+1F680: not escaped.
  EXPECT_EQ(Json("\xc3\xa9\xc2\xa0\xc3\xbc\xe2\x82\xac\xf0\x9f\x9a\x80"),
            "\"\xc3\xa9\xc2\xa0\xc3\xbc\xe2\x82\xac\xf0\x9f\x9a\x80\"");
}

TEST(JsonStringTest, ReplacesEachByteOfInvalidUtf8) {
  // A stray continuation byte, an overlong '/', a surrogate, a cut-off
  // sequence: each byte replaced, the valid text around them kept.
  EXPECT_EQ(Json("x\x80y\xc0\xafz\xed\xa0\x80w\xe2\x82"),
            "\"x\\ufffdy\\ufffd\\ufffdz\\ufffd\\ufffd\\ufffdw\\ufffd\\ufffd\"");
  // Above U+10FFFF, a lone 0xff, and a lead byte followed by a quote: the
  // quote is still escaped, so the string cannot end early.
  EXPECT_EQ(Json("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");
  EXPECT_EQ(Json("\xff"), R"("\ufffd")");
  EXPECT_EQ(Json("\xc3\""), R"("\ufffd\"")");
}

TEST(JsonStringTest, AppendsToWhatIsThere) {
  std::string out = "{\"k\":";
  AppendJsonString(out, "v");
  EXPECT_EQ(out, "{\"k\":\"v\"");
}

}  // namespace
}  // namespace tether
