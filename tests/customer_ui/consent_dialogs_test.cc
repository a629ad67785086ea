#include "customer-app/ui/consent_dialogs.h"

#include <gtest/gtest.h>

#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTest>

#include <optional>
#include <ostream>

#include "app-ui/display_text.h"
#include "customer-app/ui/style.h"
#include "tests/customer_ui/qt_test_environment.h"

namespace tether::customer::ui {
namespace {

using std::chrono::milliseconds;

// One prompt of each kind the customer can be asked.
struct PromptCase {
  const char* name;
  bool terms;
  PermissionPrompt permission;
  TermsPrompt terms_prompt;
};

TermsPrompt Terms(bool recording) {
  TermsPrompt prompt;
  prompt.sas = "482913";
  prompt.technician = "Alex Meyer";
  prompt.organisation = "Example Corp IT";
  prompt.terms_text =
      "1. We only look at what you allow.\n2. You can stop "
      "at any time.\n3. The last line of the terms.";
  prompt.recording = recording;
  return prompt;
}

PermissionPrompt Permission(proto::Permission permission) {
  PermissionPrompt prompt;
  prompt.permission = permission;
  prompt.technician = "Alex Meyer";
  prompt.reason = "To check the printer settings.";
  prompt.view_description = "your whole screen";
  prompt.file_name = "printer-driver.pdf";
  prompt.file_size = 12 * 1024 * 1024;
  prompt.file_destination = "/home/sam/Downloads";
  return prompt;
}

// gtest prints the case by name, not as bytes.
void PrintTo(const PromptCase& prompt, std::ostream* os) {
  *os << prompt.name;
}

std::vector<PromptCase> AllowablePrompts() {
  return {
      {"Terms", true, {}, Terms(false)},
      {"TermsRecorded", true, {}, Terms(true)},
      {"ViewScreen", false, Permission(proto::PERMISSION_VIEW_SCREEN), {}},
      {"RemoteControl",
       false,
       Permission(proto::PERMISSION_REMOTE_CONTROL),
       {}},
      {"SendFile", false, Permission(proto::PERMISSION_SEND_FILE), {}},
      {"Clipboard", false, Permission(proto::PERMISSION_CLIPBOARD), {}},
      {"ViewSwitch", false, Permission(proto::PERMISSION_VIEW_SWITCH), {}},
  };
}

// Every prompt, including one for a permission Tether does not know (it
// can only be refused).
std::vector<PromptCase> AllPrompts() {
  std::vector<PromptCase> all = AllowablePrompts();
  all.push_back(
      {"Unknown", false, Permission(proto::PERMISSION_UNSPECIFIED), {}});
  return all;
}

class ConsentPromptTest : public ::testing::TestWithParam<PromptCase> {
 protected:
  // Shows the prompt through the provider; answers land in answers_.
  ConsentDialog* Ask(DialogConsentProvider* provider) {
    auto record = [this](bool granted) { answers_.push_back(granted); };
    if (GetParam().terms) {
      provider->AskTerms(GetParam().terms_prompt, record);
    } else {
      provider->AskPermission(GetParam().permission, record);
    }
    auto open = provider->open_dialogs();
    EXPECT_EQ(open.size(), 1u);
    return open.empty() ? nullptr : open.back();
  }
  bool HasAllow() const {
    return GetParam().terms ||
           GetParam().permission.permission != proto::PERMISSION_UNSPECIFIED;
  }

  std::vector<bool> answers_;
};

class AllowablePromptTest : public ConsentPromptTest {};

TEST_P(ConsentPromptTest, DefaultButtonIsTheSafeChoice) {
  DialogConsentProvider provider(milliseconds(0));
  ConsentDialog* dialog = Ask(&provider);
  ASSERT_NE(dialog, nullptr);
  ASSERT_NE(dialog->refuse_button(), nullptr);
  EXPECT_TRUE(dialog->refuse_button()->isDefault());
  EXPECT_TRUE(dialog->refuse_button()->hasFocus() ||
              QApplication::focusWidget() == nullptr);
  const QString refuse = dialog->refuse_button()->text();
  EXPECT_TRUE(refuse == QStringLiteral("No") ||
              refuse.startsWith(QStringLiteral("Don't")) ||
              refuse == QStringLiteral("No, thanks") ||
              refuse == QStringLiteral("OK"))
      << refuse.toStdString();
  if (HasAllow()) {
    ASSERT_NE(dialog->allow_button(), nullptr);
    EXPECT_FALSE(dialog->allow_button()->isDefault());
    EXPECT_FALSE(dialog->allow_button()->autoDefault());
  } else {
    EXPECT_EQ(dialog->allow_button(), nullptr);
  }
  provider.CloseAll();
}

TEST_P(ConsentPromptTest, EscapeRefuses) {
  DialogConsentProvider provider(milliseconds(0));
  ConsentDialog* dialog = Ask(&provider);
  ASSERT_NE(dialog, nullptr);
  QTest::keyClick(dialog, Qt::Key_Escape);
  EXPECT_EQ(answers_, std::vector<bool>{false});
  test::Flush();
  EXPECT_TRUE(provider.open_dialogs().empty());
}

TEST_P(ConsentPromptTest, EnterRefuses) {
  DialogConsentProvider provider(milliseconds(0));
  ConsentDialog* dialog = Ask(&provider);
  ASSERT_NE(dialog, nullptr);
  QTest::keyClick(dialog, Qt::Key_Return);
  EXPECT_EQ(answers_, std::vector<bool>{false});
}

TEST_P(AllowablePromptTest, EnterRefusesEvenWithTheFocusOnAllow) {
  DialogConsentProvider provider(milliseconds(0));
  ConsentDialog* dialog = Ask(&provider);
  ASSERT_NE(dialog, nullptr);
  dialog->allow_button()->setFocus();
  QTest::keyClick(dialog->allow_button(), Qt::Key_Return);
  EXPECT_EQ(answers_, std::vector<bool>{false});
}

TEST_P(ConsentPromptTest, ClosingTheWindowRefuses) {
  DialogConsentProvider provider(milliseconds(0));
  ConsentDialog* dialog = Ask(&provider);
  ASSERT_NE(dialog, nullptr);
  dialog->close();
  EXPECT_EQ(answers_, std::vector<bool>{false});
}

TEST_P(AllowablePromptTest, AllowGrantsExactlyOnce) {
  DialogConsentProvider provider(milliseconds(0));
  ConsentDialog* dialog = Ask(&provider);
  ASSERT_NE(dialog, nullptr);
  QTest::mouseClick(dialog->allow_button(), Qt::LeftButton);
  EXPECT_EQ(answers_, std::vector<bool>{true});
  dialog->close();
  test::Flush();
  EXPECT_EQ(answers_, std::vector<bool>{true});
}

TEST_P(AllowablePromptTest, AllowIsNotArmedUntilTheDelayHasPassed) {
  DialogConsentProvider provider(milliseconds(300));
  ConsentDialog* dialog = Ask(&provider);
  ASSERT_NE(dialog, nullptr);
  EXPECT_FALSE(dialog->allow_button()->isEnabled());
  QTest::mouseClick(dialog->allow_button(), Qt::LeftButton);
  EXPECT_TRUE(answers_.empty());
  ASSERT_TRUE(test::ProcessEventsUntil([&] { return dialog->armed(); }));
  QTest::mouseClick(dialog->allow_button(), Qt::LeftButton);
  EXPECT_EQ(answers_, std::vector<bool>{true});
}

TEST_P(ConsentPromptTest, PromptIsNonModalAndStaysOnTop) {
  DialogConsentProvider provider(milliseconds(0));
  ConsentDialog* dialog = Ask(&provider);
  ASSERT_NE(dialog, nullptr);
  EXPECT_FALSE(dialog->isModal());
  EXPECT_TRUE(dialog->windowFlags() & Qt::WindowStaysOnTopHint);
  provider.CloseAll();
}

TEST_P(ConsentPromptTest, CloseAllClosesThePromptWithoutAnswering) {
  DialogConsentProvider provider(milliseconds(0));
  ConsentDialog* dialog = Ask(&provider);
  ASSERT_NE(dialog, nullptr);
  provider.CloseAll();
  test::Flush();
  EXPECT_TRUE(provider.open_dialogs().empty());
  EXPECT_TRUE(answers_.empty());
}

std::string PromptName(const ::testing::TestParamInfo<PromptCase>& prompt) {
  return prompt.param.name;
}
INSTANTIATE_TEST_SUITE_P(EveryPrompt,
                         ConsentPromptTest,
                         ::testing::ValuesIn(AllPrompts()),
                         PromptName);
INSTANTIATE_TEST_SUITE_P(EveryPrompt,
                         AllowablePromptTest,
                         ::testing::ValuesIn(AllowablePrompts()),
                         PromptName);

// Finds a label showing exactly `text`, or one containing it.
QLabel* FindLabel(QWidget* root, const QString& text, bool exact = false) {
  for (QLabel* label : root->findChildren<QLabel*>()) {
    if (exact ? label->text() == text : label->text().contains(text))
      return label;
  }
  return nullptr;
}

TEST(TermsPromptTest, AsksWhetherTheSpokenCodeMatches) {
  ConsentDialog dialog(TermsPromptText(Terms(false)), milliseconds(0));
  EXPECT_NE(
      FindLabel(&dialog, QStringLiteral("Alex Meyer will read you this code:"),
                true),
      nullptr);
  EXPECT_NE(FindLabel(&dialog, QStringLiteral("482 913"), true), nullptr);
  EXPECT_NE(FindLabel(&dialog, QStringLiteral("Does it match?"), true),
            nullptr);
  EXPECT_EQ(dialog.accessibleDescription(),
            QStringLiteral("Alex Meyer will read you this code: 482 913 "
                           "\u2014 does it match?"));
  EXPECT_EQ(dialog.refuse_button()->text(), QStringLiteral("No"));
}

TEST(TermsPromptTest, ShowsTheWholeTermsText) {
  ConsentDialog dialog(TermsPromptText(Terms(false)), milliseconds(0));
  auto* terms = dialog.findChild<QPlainTextEdit*>(QStringLiteral("Terms"));
  ASSERT_NE(terms, nullptr);
  EXPECT_TRUE(terms->isReadOnly());
  EXPECT_TRUE(terms->toPlainText().contains(
      QStringLiteral("3. The last line of the terms.")));
}

TEST(TermsPromptTest, RecordingNoticeOnlyWhenRecorded) {
  ConsentDialog plain(TermsPromptText(Terms(false)), milliseconds(0));
  EXPECT_EQ(plain.findChild<QLabel*>(QStringLiteral("RecordingNotice")),
            nullptr);
  ConsentDialog recorded(TermsPromptText(Terms(true)), milliseconds(0));
  QLabel* notice =
      recorded.findChild<QLabel*>(QStringLiteral("RecordingNotice"));
  ASSERT_NE(notice, nullptr);
  EXPECT_TRUE(notice->text().contains(QStringLiteral("record")));
}

TEST(PermissionPromptTest, ViewScreenSaysWhatExactlyWouldBeSeen) {
  PermissionPrompt prompt = Permission(proto::PERMISSION_VIEW_SCREEN);
  prompt.view_description = "the window \u201CInvoice.pdf\u201D";
  ConsentDialog dialog(PermissionPromptText(prompt), milliseconds(0));
  EXPECT_NE(FindLabel(&dialog,
                      QStringLiteral("Let Alex Meyer see your "
                                     "screen?"),
                      true),
            nullptr);
  EXPECT_NE(FindLabel(&dialog, QStringLiteral("the window \u201CInvoice.pdf"
                                              "\u201D")),
            nullptr);
  EXPECT_NE(FindLabel(&dialog, QStringLiteral("To check the printer")),
            nullptr);
}

// The values of the two-column facts (file name, size, destination).
QStringList Facts(QWidget* root) {
  QStringList facts;
  for (QLabel* label : root->findChildren<QLabel*>(QStringLiteral("Fact")))
    facts << label->text();
  return facts;
}

TEST(PermissionPromptTest, FileShowsNameSizeAndDestination) {
  ConsentDialog dialog(
      PermissionPromptText(Permission(proto::PERMISSION_SEND_FILE)),
      milliseconds(0));
  EXPECT_EQ(Facts(&dialog),
            (QStringList{QStringLiteral("printer-driver.pdf"),
                         QStringLiteral("13 MB"),
                         QStringLiteral("/home/sam/Downloads")}));
  EXPECT_EQ(dialog.refuse_button()->text(), QStringLiteral("Don't accept"));
}

// Finding 7 of the outside test: a long name hid its real extension
// ("Invoice …____…pdf.desktop" showed as "…____.pdf…").
TEST(PermissionPromptTest, ALongFileNameIsCutInTheMiddleAndKeepsItsExtension) {
  PermissionPrompt prompt = Permission(proto::PERMISSION_SEND_FILE);
  prompt.file_name = "Invoice " + std::string(200, '_') + ".pdf.desktop";
  ConsentDialog dialog(PermissionPromptText(prompt), milliseconds(0));
  ASSERT_FALSE(Facts(&dialog).isEmpty());
  const QString shown = Facts(&dialog).front();
  EXPECT_LE(shown.size(), 120);
  EXPECT_TRUE(shown.startsWith(QStringLiteral("Invoice ")));
  EXPECT_TRUE(shown.endsWith(QStringLiteral(".pdf.desktop")))
      << shown.toStdString();
  EXPECT_TRUE(shown.contains(QChar(0x2026)));
  // A short name is shown whole, an extension longer than the room is cut
  // from the front.
  EXPECT_EQ(app_ui::DisplayFileName("report.pdf"),
            QStringLiteral("report.pdf"));
  const QString odd = app_ui::DisplayFileName("a." + std::string(300, 'x'), 40);
  EXPECT_EQ(odd.size(), 40);
  EXPECT_TRUE(odd.endsWith(QStringLiteral("xxxx")));
}

TEST(PermissionPromptTest, RemoteControlMentionsTheFrameAndHowToTakeItBack) {
  const PromptText text =
      PermissionPromptText(Permission(proto::PERMISSION_REMOTE_CONTROL));
  EXPECT_TRUE(text.body.contains(QStringLiteral("orange frame")));
  EXPECT_TRUE(text.body.contains(QStringLiteral("take control back")));
  EXPECT_EQ(text.refuse_label, QStringLiteral("Don't allow"));
}

TEST(PermissionPromptTest, TechnicianTextIsPlainAndHidesNoCharacters) {
  PermissionPrompt prompt = Permission(proto::PERMISSION_SEND_FILE);
  prompt.reason = "<a href='x'>click</a>";
  prompt.file_name = "invoice\u202Efdp.exe";  // reads "invoiceexe.pdf"
  ConsentDialog dialog(PermissionPromptText(prompt), milliseconds(0));
  for (QLabel* label : dialog.findChildren<QLabel*>())
    EXPECT_EQ(label->textFormat(), Qt::PlainText)
        << label->text().toStdString();
  EXPECT_NE(FindLabel(&dialog, QStringLiteral("<a href='x'>click</a>")),
            nullptr);
  ASSERT_FALSE(Facts(&dialog).isEmpty());
  EXPECT_EQ(Facts(&dialog).front(), QStringLiteral("invoicefdp.exe"));
}

TEST(DialogConsentProviderTest, SeveralPromptsAreAnsweredIndependently) {
  DialogConsentProvider provider(milliseconds(0));
  std::optional<bool> first, second;
  provider.AskPermission(Permission(proto::PERMISSION_VIEW_SCREEN),
                         [&](bool granted) { first = granted; });
  provider.AskPermission(Permission(proto::PERMISSION_CLIPBOARD),
                         [&](bool granted) { second = granted; });
  auto open = provider.open_dialogs();
  ASSERT_EQ(open.size(), 2u);
  QTest::mouseClick(open[0]->allow_button(), Qt::LeftButton);
  QTest::keyClick(open[1], Qt::Key_Escape);
  EXPECT_EQ(first, std::optional<bool>(true));
  EXPECT_EQ(second, std::optional<bool>(false));
}

TEST(DialogConsentProviderTest, DestroyingTheProviderAnswersNothing) {
  int calls = 0;
  {
    DialogConsentProvider provider(milliseconds(0));
    provider.AskTerms(Terms(false), [&](bool) { ++calls; });
  }
  test::Flush();
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace tether::customer::ui
