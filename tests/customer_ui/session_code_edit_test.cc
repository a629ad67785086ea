#include "customer-app/ui/session_code_edit.h"

#include <gtest/gtest.h>

#include <QSignalSpy>
#include <QTest>

#include "tests/customer_ui/qt_test_environment.h"

namespace tether::customer::ui {
namespace {

class SessionCodeEditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    edit_.show();
    edit_.setFocus();
  }
  SessionCodeEdit edit_;
};

TEST_F(SessionCodeEditTest, TypedDigitsAreGroupedFourAndFour) {
  QTest::keyClicks(&edit_, QStringLiteral("12345678"));
  EXPECT_EQ(edit_.text(), QStringLiteral("1234 5678"));
  EXPECT_TRUE(edit_.valid());
  EXPECT_EQ(edit_.code(), QStringLiteral("12345678"));
}

TEST_F(SessionCodeEditTest,
       PartialCodeIsNotValidAndSaysHowManyDigitsAreMissing) {
  QTest::keyClicks(&edit_, QStringLiteral("12345"));
  EXPECT_EQ(edit_.text(), QStringLiteral("1234 5"));
  EXPECT_FALSE(edit_.valid());
  EXPECT_TRUE(edit_.code().isEmpty());
  EXPECT_EQ(edit_.hint(), QStringLiteral("3 more digits."));
  EXPECT_FALSE(edit_.hint_is_error());
}

TEST_F(SessionCodeEditTest, EmptyFieldExplainsTheCode) {
  EXPECT_FALSE(edit_.valid());
  EXPECT_EQ(edit_.hint(), QStringLiteral("The code has 8 digits."));
  EXPECT_FALSE(edit_.hint_is_error());
}

TEST_F(SessionCodeEditTest, TypingTheSpaceYourselfKeepsOneSpace) {
  QTest::keyClicks(&edit_, QStringLiteral("1234 5678"));
  EXPECT_EQ(edit_.text(), QStringLiteral("1234 5678"));
  EXPECT_TRUE(edit_.valid());
}

TEST_F(SessionCodeEditTest, DashSeparatedCodeIsAcceptedAndShownGrouped) {
  edit_.setText(QStringLiteral("1234-5678"));
  EXPECT_EQ(edit_.text(), QStringLiteral("1234 5678"));
  EXPECT_EQ(edit_.code(), QStringLiteral("12345678"));
}

TEST_F(SessionCodeEditTest, PastedSentenceAroundTheCodeIsReducedToTheCode) {
  edit_.setText(QStringLiteral("Your code is: 1234 5678. Thanks!"));
  EXPECT_TRUE(edit_.valid());
  EXPECT_EQ(edit_.text(), QStringLiteral("1234 5678"));
  EXPECT_EQ(edit_.code(), QStringLiteral("12345678"));
}

TEST_F(SessionCodeEditTest, LettersAreAnErrorInPlainWordsAndStayVisible) {
  edit_.setText(QStringLiteral("12ab5678"));
  EXPECT_FALSE(edit_.valid());
  EXPECT_TRUE(edit_.hint_is_error());
  EXPECT_FALSE(edit_.hint().isEmpty());
  EXPECT_EQ(edit_.text(), QStringLiteral("12ab5678"));
}

TEST_F(SessionCodeEditTest, NineDigitsAreAnError) {
  QTest::keyClicks(&edit_, QStringLiteral("123456789"));
  EXPECT_FALSE(edit_.valid());
  EXPECT_TRUE(edit_.hint_is_error());
  EXPECT_EQ(edit_.text(), QStringLiteral("1234 56789"));
}

TEST_F(SessionCodeEditTest, BackspaceAfterACompleteCodeMakesItIncomplete) {
  QTest::keyClicks(&edit_, QStringLiteral("12345678"));
  QTest::keyClick(&edit_, Qt::Key_Backspace);
  EXPECT_EQ(edit_.text(), QStringLiteral("1234 567"));
  EXPECT_FALSE(edit_.valid());
  EXPECT_EQ(edit_.hint(), QStringLiteral("1 more digit."));
}

TEST_F(SessionCodeEditTest, DeletingTheSpaceKeepsTheGroupingAndTheDigits) {
  QTest::keyClicks(&edit_, QStringLiteral("12345678"));
  edit_.setCursorPosition(5);  // after the space
  QTest::keyClick(&edit_, Qt::Key_Backspace);
  EXPECT_EQ(edit_.text(), QStringLiteral("1234 5678"));
  EXPECT_TRUE(edit_.valid());
}

TEST_F(SessionCodeEditTest,
       ValidityChangedFiresWhenTheCodeBecomesCompleteAndAgainWhenNot) {
  QSignalSpy spy(&edit_, &SessionCodeEdit::validityChanged);
  QTest::keyClicks(&edit_, QStringLiteral("1234567"));
  EXPECT_EQ(spy.count(), 0);
  QTest::keyClicks(&edit_, QStringLiteral("8"));
  ASSERT_EQ(spy.count(), 1);
  EXPECT_TRUE(spy.at(0).at(0).toBool());
  QTest::keyClick(&edit_, Qt::Key_Backspace);
  ASSERT_EQ(spy.count(), 2);
  EXPECT_FALSE(spy.at(1).at(0).toBool());
}

}  // namespace
}  // namespace tether::customer::ui
