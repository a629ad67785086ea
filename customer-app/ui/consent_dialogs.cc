#include "customer-app/ui/consent_dialogs.h"

#include <QFont>
#include <QFrame>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QShowEvent>
#include <QTimer>
#include <QVBoxLayout>

#include "app-ui/app_style.h"
#include "app-ui/display_text.h"
#include "customer-app/ui/style.h"

namespace tether::customer::ui {
namespace {

constexpr int kMaxNameChars = 60;

QString Technician(const std::string& name, bool sentence_start) {
  const QString shown = app_ui::DisplayText(name, kMaxNameChars).trimmed();
  if (!shown.isEmpty())
    return shown;
  return sentence_start ? QStringLiteral("Your technician")
                        : QStringLiteral("your technician");
}

QString Quoted(const QString& text) {
  return QStringLiteral("\u201C%1\u201D").arg(text);
}

}  // namespace

PromptText TermsPromptText(const TermsPrompt& prompt) {
  const QString who = Technician(prompt.technician, true);
  const QString sas = app_ui::FormatSas(prompt.sas);
  PromptText text;
  text.window_title = QStringLiteral("Tether \u2014 check the security code");
  text.title = QStringLiteral("%1 will read you this code:").arg(who);
  text.sas = sas;
  text.question = QStringLiteral("Does it match?");
  text.sentence =
      QStringLiteral("%1 will read you this code: %2 \u2014 does it match?")
          .arg(who, sas);
  text.sas_question = QStringLiteral(
      "Press No if the code is different or nobody read it to you: the "
      "connection may not be safe.");
  if (prompt.recording) {
    text.notice = QStringLiteral(
                      "This session will be recorded: %1 keeps a video of "
                      "what they see and do.")
                      .arg(Technician(prompt.technician, false));
  }
  const QString organisation =
      app_ui::DisplayText(prompt.organisation, 80).trimmed();
  text.terms_heading =
      organisation.isEmpty()
          ? QStringLiteral("The support terms:")
          : QStringLiteral("The support terms of %1:").arg(organisation);
  text.terms =
      app_ui::DisplayText(prompt.terms_text, 20000, /*keep_newlines=*/true);
  if (text.terms.trimmed().isEmpty())
    text.terms = QStringLiteral("(No terms were given.)");
  text.footnote = QStringLiteral(
                      "Yes means the code matches and you agree to these "
                      "terms. %1 still has to ask you before seeing your "
                      "screen or doing anything.")
                      .arg(who);
  text.allow_label = QStringLiteral("Yes, it matches and I agree");
  text.refuse_label = QStringLiteral("No");
  return text;
}

PromptText PermissionPromptText(const PermissionPrompt& prompt) {
  const QString who = Technician(prompt.technician, true);
  PromptText text;
  text.window_title = QStringLiteral("Tether \u2014 %1 asks").arg(who);
  const QString reason = app_ui::DisplayText(prompt.reason, 300).trimmed();
  if (!reason.isEmpty())
    text.quote = QStringLiteral("%1 says: %2").arg(who, Quoted(reason));
  text.footnote = QStringLiteral(
      "You can stop everything at any time with the red STOP button.");
  text.refuse_label = QStringLiteral("Don't allow");

  switch (prompt.permission) {
    case proto::PERMISSION_VIEW_SCREEN: {
      QString what =
          app_ui::DisplayText(prompt.view_description, 120).trimmed();
      if (what.isEmpty())
        what = QStringLiteral("your screen");
      text.title = QStringLiteral("Let %1 see your screen?").arg(who);
      text.body = QStringLiteral(
                      "%1 would see %2: everything shown there, including "
                      "open documents and messages. Seeing only: they could "
                      "not click or type.")
                      .arg(who, what);
      text.allow_label = QStringLiteral("Allow viewing");
      if (prompt.desktop_asks_next) {
        text.footnote = QStringLiteral(
            "If you allow it, your computer asks you too: pick the screen or "
            "window to share there and press Share. You can stop everything "
            "at any time with the red STOP button.");
      }
      break;
    }
    case proto::PERMISSION_REMOTE_CONTROL:
      text.title =
          QStringLiteral("Let %1 control your mouse and keyboard?").arg(who);
      text.body = QStringLiteral(
                      "%1 could click, type and open programs on this "
                      "computer, as if sitting in front of it. An orange "
                      "frame shows around your screen while they can. To "
                      "take control back, untick \u201CRemote control is "
                      "on\u201D in the Tether panel.")
                      .arg(who);
      text.allow_label = QStringLiteral("Allow control");
      if (prompt.desktop_asks_next) {
        // Wayland: no frame can stay around the screen; the Tether panel
        // says it instead (docs/customer.md).
        text.body = QStringLiteral(
                        "%1 could click, type and open programs on this "
                        "computer, as if sitting in front of it. The Tether "
                        "panel says so in orange while they can. To take "
                        "control back, untick \u201CRemote control is "
                        "on\u201D in the Tether panel.")
                        .arg(who);
        text.footnote = QStringLiteral(
            "If you allow it, your computer asks you too: switch on "
            "\u201CAllow remote interaction\u201D there and press Share. You "
            "can stop everything at any time with the red STOP button.");
      }
      break;
    case proto::PERMISSION_SEND_FILE: {
      QString name = app_ui::DisplayFileName(prompt.file_name);
      if (name.isEmpty())
        name = QStringLiteral("(no name)");
      QString destination =
          app_ui::DisplayText(prompt.file_destination, 200).trimmed();
      if (destination.isEmpty())
        destination = QStringLiteral("your Downloads folder");
      text.title = QStringLiteral("Accept a file from %1?").arg(who);
      text.body = QStringLiteral("%1 wants to send you this file:").arg(who);
      text.facts = {{QStringLiteral("File"), name},
                    {QStringLiteral("Size"), FormatFileSize(prompt.file_size)},
                    {QStringLiteral("Saved to"), destination}};
      text.footnote = QStringLiteral(
          "Only accept files you expect. Tether saves the file; it does not "
          "open it.");
      text.allow_label = QStringLiteral("Accept file");
      text.refuse_label = QStringLiteral("Don't accept");
      break;
    }
    case proto::PERMISSION_CLIPBOARD:
      text.title =
          QStringLiteral("Let %1 put text on your clipboard?").arg(who);
      text.body = QStringLiteral(
                      "Text %1 copies would be placed on this computer's "
                      "clipboard, ready to paste with Ctrl+V. It replaces "
                      "what you copied before.")
                      .arg(Technician(prompt.technician, false));
      text.allow_label = QStringLiteral("Allow");
      text.refuse_label = QStringLiteral("Don't allow");
      break;
    case proto::PERMISSION_VIEW_SWITCH:
      text.title = QStringLiteral("See %1's screen?").arg(who);
      text.body = QStringLiteral(
                      "%1 wants to show you their own screen, for example to "
                      "show how something is done. A window with their "
                      "screen would open on this computer.")
                      .arg(who);
      text.allow_label = QStringLiteral("Show me");
      text.refuse_label = QStringLiteral("No, thanks");
      break;
    default:
      text.title = QStringLiteral(
                       "%1 asked for something Tether does not "
                       "know")
                       .arg(who);
      text.body = QStringLiteral(
          "It cannot be allowed. Nothing changes on your computer.");
      text.allow_label.clear();
      text.refuse_label = QStringLiteral("OK");
      text.footnote.clear();
      break;
  }
  return text;
}

ConsentDialog::ConsentDialog(const PromptText& text,
                             std::chrono::milliseconds arm_delay,
                             QWidget* parent)
    : QDialog(parent) {
  setWindowTitle(text.window_title);
  // A window of its own above everything (the panel included), without a
  // help or minimise button, not modal: the panel's STOP keeps working.
  setWindowFlags(Qt::Dialog | Qt::WindowStaysOnTopHint | Qt::WindowTitleHint |
                 Qt::WindowCloseButtonHint | Qt::CustomizeWindowHint);
  setModal(false);
  setAttribute(Qt::WA_DeleteOnClose);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(36, 30, 36, 26);
  layout->setSpacing(16);

  auto* title = app_ui::TextLabel(text.title, kTitlePt, true, this);
  title->setObjectName(QStringLiteral("PromptTitle"));
  layout->addWidget(title);

  if (!text.sas.isEmpty()) {
    auto* sas_box = new QFrame(this);
    sas_box->setObjectName(QStringLiteral("SasBox"));
    auto* sas_layout = new QVBoxLayout(sas_box);
    sas_layout->setContentsMargins(16, 10, 16, 10);
    auto* sas = new QLabel(text.sas, sas_box);
    sas->setObjectName(QStringLiteral("Sas"));
    sas->setTextFormat(Qt::PlainText);
    QFont sas_font(QStringLiteral("DejaVu Sans Mono"));
    sas_font.setPointSize(kSasPt);
    sas_font.setBold(true);
    sas_font.setLetterSpacing(QFont::AbsoluteSpacing, 6);
    sas->setFont(sas_font);
    sas->setAlignment(Qt::AlignCenter);
    sas_layout->addWidget(sas);
    layout->addWidget(sas_box);
  }
  if (!text.question.isEmpty()) {
    auto* question = app_ui::TextLabel(text.question, kTitlePt, true, this);
    question->setObjectName(QStringLiteral("PromptQuestion"));
    question->setAlignment(Qt::AlignCenter);
    layout->addWidget(question);
  }
  if (!text.sas_question.isEmpty())
    layout->addWidget(
        app_ui::TextLabel(text.sas_question, kBodyPt, false, this));
  setAccessibleDescription(text.sentence.isEmpty() ? text.title
                                                   : text.sentence);

  if (!text.body.isEmpty()) {
    auto* body = app_ui::TextLabel(text.body, kBodyPt + 1, false, this);
    body->setObjectName(QStringLiteral("PromptBody"));
    layout->addWidget(body);
  }
  if (!text.facts.empty()) {
    auto* facts = new QGridLayout;
    facts->setHorizontalSpacing(18);
    facts->setVerticalSpacing(6);
    facts->setContentsMargins(12, 0, 0, 0);
    int row = 0;
    for (const auto& [name, value] : text.facts) {
      auto* name_label = app_ui::TextLabel(name, kBodyPt, false, this);
      name_label->setProperty("role", QStringLiteral("secondary"));
      auto* value_label = app_ui::TextLabel(value, kBodyPt + 1, true, this);
      value_label->setObjectName(QStringLiteral("Fact"));
      facts->addWidget(name_label, row, 0, Qt::AlignTop);
      facts->addWidget(value_label, row, 1);
      ++row;
    }
    facts->setColumnStretch(1, 1);
    layout->addLayout(facts);
  }
  if (!text.quote.isEmpty()) {
    auto* quote_box = new QFrame(this);
    quote_box->setObjectName(QStringLiteral("Quote"));
    auto* quote_layout = new QVBoxLayout(quote_box);
    quote_layout->setContentsMargins(14, 10, 14, 10);
    auto* quote = app_ui::TextLabel(text.quote, kBodyPt, false, quote_box);
    QFont italic = quote->font();
    italic.setItalic(true);
    quote->setFont(italic);
    quote_layout->addWidget(quote);
    layout->addWidget(quote_box);
  }
  if (!text.notice.isEmpty()) {
    auto* notice_box = new QFrame(this);
    notice_box->setObjectName(QStringLiteral("Notice"));
    auto* notice_layout = new QHBoxLayout(notice_box);
    notice_layout->setContentsMargins(14, 10, 14, 10);
    auto* notice = app_ui::TextLabel(text.notice, kBodyPt, true, notice_box);
    notice->setObjectName(QStringLiteral("RecordingNotice"));
    notice_layout->addWidget(notice);
    layout->addWidget(notice_box);
  }
  if (!text.terms.isEmpty()) {
    layout->addWidget(
        app_ui::TextLabel(text.terms_heading, kBodyPt, true, this));
    auto* terms = new QPlainTextEdit(this);
    terms->setObjectName(QStringLiteral("Terms"));
    terms->setReadOnly(true);
    terms->setPlainText(text.terms);
    terms->setMinimumHeight(150);
    terms->setTabChangesFocus(true);
    layout->addWidget(terms, 1);
  }
  if (!text.footnote.isEmpty()) {
    auto* footnote =
        app_ui::TextLabel(text.footnote, kSmallPt + 1, false, this);
    footnote->setProperty("role", QStringLiteral("secondary"));
    layout->addWidget(footnote);
  }

  auto* buttons = new QHBoxLayout;
  buttons->setSpacing(14);
  buttons->addStretch(1);
  if (!text.allow_label.isEmpty()) {
    allow_button_ = new QPushButton(text.allow_label, this);
    allow_button_->setObjectName(QStringLiteral("AllowButton"));
    app_ui::SetButtonRole(allow_button_, "allow");
    // Enter never presses "allow", even with the focus on it: only a click
    // or Space does.
    allow_button_->setAutoDefault(false);
    allow_button_->setDefault(false);
    allow_button_->setMinimumHeight(52);
    allow_button_->setEnabled(arm_delay.count() <= 0);
    buttons->addWidget(allow_button_);
    connect(allow_button_, &QPushButton::clicked, this, &QDialog::accept);
  }
  refuse_button_ = new QPushButton(text.refuse_label, this);
  refuse_button_->setObjectName(QStringLiteral("RefuseButton"));
  app_ui::SetButtonRole(refuse_button_, "safe");
  refuse_button_->setAutoDefault(true);
  refuse_button_->setDefault(true);
  refuse_button_->setMinimumHeight(52);
  refuse_button_->setMinimumWidth(160);
  buttons->addWidget(refuse_button_);
  connect(refuse_button_, &QPushButton::clicked, this, &QDialog::reject);
  layout->addLayout(buttons);

  if (allow_button_ != nullptr && arm_delay.count() > 0) {
    arm_timer_ = new QTimer(this);
    arm_timer_->setSingleShot(true);
    arm_timer_->setInterval(arm_delay);
    connect(arm_timer_, &QTimer::timeout, allow_button_,
            [this] { allow_button_->setEnabled(true); });
  }

  width_ = text.terms.isEmpty() ? 620 : 700;
  setMinimumWidth(width_);
  refuse_button_->setFocus();
}

bool ConsentDialog::armed() const {
  return allow_button_ != nullptr && allow_button_->isEnabled();
}

void ConsentDialog::showEvent(QShowEvent* event) {
  QDialog::showEvent(event);
  FitToContents(this, width_);
  CenterOnScreen(this);
  if (arm_timer_ != nullptr && !armed() && !arm_timer_->isActive())
    arm_timer_->start();
  refuse_button_->setFocus();
}

void ConsentDialog::Dismiss() {
  dismissed_ = true;
  close();
}

void ConsentDialog::done(int result) {
  // Esc, the close button and Enter (the refuse button is the default) all
  // come here as Rejected; only the armed allow button gives Accepted.
  const bool granted = result == QDialog::Accepted && armed();
  QDialog::done(granted ? QDialog::Accepted : QDialog::Rejected);
  if (!answered_ && !dismissed_) {
    answered_ = true;
    emit answered(granted);
  }
}

DialogConsentProvider::DialogConsentProvider(
    std::chrono::milliseconds arm_delay,
    QObject* parent)
    : QObject(parent), arm_delay_(arm_delay) {}

DialogConsentProvider::~DialogConsentProvider() {
  CloseAll();
}

void DialogConsentProvider::AskTerms(const TermsPrompt& prompt, Answer answer) {
  Show(TermsPromptText(prompt), std::move(answer));
}

void DialogConsentProvider::AskPermission(const PermissionPrompt& prompt,
                                          Answer answer) {
  Show(PermissionPromptText(prompt), std::move(answer));
}

void DialogConsentProvider::Show(const PromptText& text, Answer answer) {
  auto* dialog = new ConsentDialog(text, arm_delay_);
  connect(dialog, &ConsentDialog::answered, this,
          [answer = std::move(answer)](bool granted) {
            if (answer)
              answer(granted);
          });
  // Keep the list to the prompts still on screen.
  connect(dialog, &QObject::destroyed, this, [this] {
    std::erase_if(dialogs_,
                  [](const QPointer<ConsentDialog>& d) { return d.isNull(); });
  });
  dialogs_.emplace_back(dialog);
  dialog->show();
  dialog->raise();
  dialog->activateWindow();
  emit promptShown(dialog);
}

void DialogConsentProvider::CloseAll() {
  auto dialogs = std::move(dialogs_);
  dialogs_.clear();
  for (const QPointer<ConsentDialog>& dialog : dialogs) {
    if (dialog.isNull())
      continue;
    dialog->disconnect(this);
    dialog->Dismiss();
  }
}

std::vector<ConsentDialog*> DialogConsentProvider::open_dialogs() const {
  std::vector<ConsentDialog*> open;
  for (const QPointer<ConsentDialog>& pointer : dialogs_) {
    if (ConsentDialog* dialog = pointer.data();
        dialog != nullptr && dialog->isVisible()) {
      open.push_back(dialog);
    }
  }
  return open;
}

}  // namespace tether::customer::ui
