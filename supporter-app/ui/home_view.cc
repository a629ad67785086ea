#include "supporter-app/ui/home_view.h"

#include <QCheckBox>
#include <QClipboard>
#include <QFrame>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

#include "app-ui/app_style.h"
#include "app-ui/display_text.h"
#include "app-ui/end_tone.h"
#include "supporter-app/ui/style.h"

namespace tether::supporter::ui {
namespace {

constexpr int kCardWidth = 560;

QFrame* Box(const char* name, QWidget* parent) {
  auto* box = new QFrame(parent);
  box->setObjectName(QLatin1String(name));
  return box;
}

}  // namespace

HomeView::HomeView(Clock now, QWidget* parent)
    : QWidget(parent), now_(std::move(now)) {
  if (!now_)
    now_ = [] { return std::chrono::system_clock::now(); };

  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(24, 16, 24, 24);
  outer->setSpacing(12);

  auto* header = new QHBoxLayout;
  who_label_ = app_ui::TextLabel(QString(), kBodyPt, false, this);
  who_label_->setProperty("role", QStringLiteral("secondary"));
  header->addWidget(who_label_, 1);
  sign_out_button_ = new QPushButton(QStringLiteral("Sign out"), this);
  app_ui::SetButtonRole(sign_out_button_, "secondary");
  header->addWidget(sign_out_button_);
  outer->addLayout(header);
  outer->addStretch(1);

  QVBoxLayout* card_layout = AddCentredCard(outer, this, kCardWidth, 14);
  QWidget* card = card_layout->parentWidget();

  // Idle: what happened last time, then the one action.
  idle_page_ = new QWidget(card);
  auto* idle = new QVBoxLayout(idle_page_);
  idle->setContentsMargins(0, 0, 0, 0);
  idle->setSpacing(14);
  ended_box_ = Box("ProblemBox", idle_page_);
  auto* ended_layout = new QVBoxLayout(ended_box_);
  ended_layout->setContentsMargins(14, 10, 14, 10);
  ended_layout->setSpacing(4);
  ended_title_ = app_ui::TextLabel(QString(), kBodyPt + 1, true, ended_box_);
  ended_text_ = app_ui::TextLabel(QString(), kBodyPt, false, ended_box_);
  session_log_label_ =
      app_ui::TextLabel(QString(), kSmallPt, false, ended_box_);
  session_log_label_->setProperty("role", QStringLiteral("secondary"));
  session_log_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  ended_layout->addWidget(ended_title_);
  ended_layout->addWidget(ended_text_);
  ended_layout->addWidget(session_log_label_);
  open_folder_button_ =
      new QPushButton(QStringLiteral("Open session log folder"), ended_box_);
  app_ui::SetButtonRole(open_folder_button_, "secondary");
  ended_layout->addWidget(open_folder_button_, 0, Qt::AlignLeft);
  ended_box_->hide();
  idle->addWidget(ended_box_);

  new_session_button_ =
      new QPushButton(QStringLiteral("New session"), idle_page_);
  new_session_button_->setObjectName(QStringLiteral("NewSessionButton"));
  new_session_button_->setProperty("size", QStringLiteral("big"));
  app_ui::SetButtonRole(new_session_button_, "primary");
  new_session_button_->setShortcut(QKeySequence(QStringLiteral("Ctrl+N")));
  new_session_button_->setToolTip(
      QStringLiteral("Get a code for the customer (Ctrl+N)"));
  new_session_button_->setMinimumHeight(64);
  idle->addWidget(new_session_button_);
  record_check_ =
      new QCheckBox(QStringLiteral("Record the next session"), idle_page_);
  record_check_->setToolTip(QStringLiteral(
      "Saves the customer's screen as a video beside the session log. "
      "The customer is told before agreeing, so it is decided before the "
      "session starts."));
  idle->addWidget(record_check_);
  card_layout->addWidget(idle_page_);

  // The code to read out.
  code_page_ = new QWidget(card);
  auto* code = new QVBoxLayout(code_page_);
  code->setContentsMargins(0, 0, 0, 0);
  code->setSpacing(10);
  code->addWidget(app_ui::TextLabel(
      QStringLiteral("Read this code to the customer. They type it into "
                     "Tether on their computer."),
      kBodyPt, false, code_page_));
  auto* code_box = Box("CodeBox", code_page_);
  auto* code_row = new QHBoxLayout(code_box);
  code_row->setContentsMargins(20, 10, 12, 10);
  code_label_ = app_ui::TextLabel(QString(), kCodePt, true, code_box);
  code_label_->setObjectName(QStringLiteral("CodeLabel"));
  code_label_->setProperty("role", QStringLiteral("code"));
  code_label_->setWordWrap(false);
  // The style sheet's padding is not in a large label's size hint.
  code_label_->setMinimumHeight(code_label_->fontMetrics().height() + 12);
  code_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  code_row->addWidget(code_label_, 1);
  copy_button_ = new QPushButton(QStringLiteral("Copy"), code_box);
  copy_button_->setToolTip(QStringLiteral("Copy the code (Ctrl+C)"));
  copy_button_->setShortcut(QKeySequence(QStringLiteral("Ctrl+C")));
  code_row->addWidget(copy_button_, 0, Qt::AlignVCenter);
  code->addWidget(code_box);
  auto* code_footer = new QHBoxLayout;
  countdown_label_ = app_ui::TextLabel(QString(), kBodyPt, false, code_page_);
  countdown_label_->setProperty("role", QStringLiteral("secondary"));
  code_footer->addWidget(countdown_label_, 1);
  cancel_button_ = new QPushButton(QStringLiteral("Cancel"), code_page_);
  cancel_button_->setToolTip(QStringLiteral("Withdraw the code (Esc)"));
  cancel_button_->setShortcut(QKeySequence(Qt::Key_Escape));
  code_footer->addWidget(cancel_button_);
  code->addLayout(code_footer);
  card_layout->addWidget(code_page_);

  // The SAS both screens show.
  sas_page_ = new QWidget(card);
  auto* sas = new QVBoxLayout(sas_page_);
  sas->setContentsMargins(0, 0, 0, 0);
  sas->setSpacing(10);
  sas_caption_ = app_ui::TextLabel(
      QStringLiteral("Read this security code to the customer. Their screen "
                     "must show the same six digits; if not, end the "
                     "session."),
      kBodyPt, false, sas_page_);
  sas->addWidget(sas_caption_);
  auto* sas_box = Box("SasBox", sas_page_);
  auto* sas_box_layout = new QVBoxLayout(sas_box);
  sas_box_layout->setContentsMargins(20, 10, 20, 10);
  sas_label_ = app_ui::TextLabel(QString(), kSasPt, true, sas_box);
  sas_label_->setObjectName(QStringLiteral("SasLabel"));
  sas_label_->setProperty("role", QStringLiteral("code"));
  sas_label_->setAlignment(Qt::AlignCenter);
  sas_label_->setWordWrap(false);
  sas_label_->setMinimumHeight(sas_label_->fontMetrics().height() + 12);
  sas_box_layout->addWidget(sas_label_);
  sas->addWidget(sas_box);
  auto* sas_footer = new QHBoxLayout;
  status_label_ = app_ui::TextLabel(QString(), kBodyPt, false, sas_page_);
  status_label_->setProperty("role", QStringLiteral("secondary"));
  sas_footer->addWidget(status_label_, 1);
  end_button_ = new QPushButton(QStringLiteral("End session"), sas_page_);
  app_ui::SetButtonRole(end_button_, "secondary");
  sas_footer->addWidget(end_button_);
  sas->addLayout(sas_footer);
  card_layout->addWidget(sas_page_);

  tick_timer_ = new QTimer(this);
  tick_timer_->setInterval(1000);
  connect(tick_timer_, &QTimer::timeout, this, &HomeView::Tick);

  connect(new_session_button_, &QPushButton::clicked, this, [this] {
    if (phase_ == Phase::kIdle)
      emit newSessionRequested();
  });
  connect(copy_button_, &QPushButton::clicked, this, &HomeView::Copy);
  connect(cancel_button_, &QPushButton::clicked, this, [this] {
    if (phase_ == Phase::kCode || phase_ == Phase::kStarting)
      emit cancelRequested();
  });
  connect(end_button_, &QPushButton::clicked, this, &HomeView::endRequested);
  connect(sign_out_button_, &QPushButton::clicked, this,
          &HomeView::signOutRequested);
  connect(record_check_, &QCheckBox::toggled, this,
          &HomeView::recordNextChanged);
  connect(open_folder_button_, &QPushButton::clicked, this,
          [this] { emit openSessionLogFolderRequested(session_log_path_); });

  SetPhase(Phase::kIdle);
}

void HomeView::SetSignedIn(const QString& display_name, const QString& relay) {
  who_label_->setText(
      QStringLiteral("Signed in as %1 \u00B7 %2").arg(display_name, relay));
}

void HomeView::SetPhase(Phase phase) {
  phase_ = phase;
  idle_page_->setVisible(phase == Phase::kIdle);
  code_page_->setVisible(phase == Phase::kStarting || phase == Phase::kCode);
  sas_page_->setVisible(phase == Phase::kSecuring ||
                        phase == Phase::kInSession);
  sign_out_button_->setEnabled(phase == Phase::kIdle);
  record_check_->setEnabled(phase == Phase::kIdle);
  copy_button_->setEnabled(phase == Phase::kCode);
  if (phase == Phase::kStarting) {
    code_label_->setText(
        QStringLiteral("\u2013\u2013\u2013\u2013 \u2013\u2013\u2013\u2013"));
    countdown_label_->setText(
        QStringLiteral("Asking the relay for a code\u2026"));
  }
  if (phase == Phase::kCode)
    tick_timer_->start();
  else
    tick_timer_->stop();
  if (phase == Phase::kSecuring && sas_label_->text().isEmpty())
    sas_label_->setText(QStringLiteral("\u2026"));
  if (phase == Phase::kIdle) {
    sas_label_->clear();
    code_digits_.clear();
    new_session_button_->setFocus();
  }
  if (phase != Phase::kIdle)
    ended_box_->hide();
}

void HomeView::ShowCode(const std::string& code,
                        std::chrono::system_clock::time_point expires) {
  code_digits_ = QString::fromStdString(code);
  expires_ = expires;
  code_label_->setText(FormatSessionCode(code));
  SetPhase(Phase::kCode);
  Tick();
}

void HomeView::Tick() {
  if (phase_ != Phase::kCode)
    return;
  const auto left =
      std::chrono::duration_cast<std::chrono::seconds>(expires_ - now_());
  if (left.count() <= 0) {
    // The relay ends it (OnEnded follows); until then, say so.
    countdown_label_->setText(QStringLiteral("The code has expired."));
    copy_button_->setEnabled(false);
    return;
  }
  countdown_label_->setText(
      QStringLiteral("Expires in %1").arg(FormatCountdown(left)));
}

void HomeView::Copy() {
  if (code_digits_.isEmpty())
    return;
  if (QClipboard* clipboard = QGuiApplication::clipboard())
    clipboard->setText(code_digits_);
  copy_button_->setText(QStringLiteral("Copied"));
  QTimer::singleShot(1500, copy_button_,
                     [this] { copy_button_->setText(QStringLiteral("Copy")); });
}

void HomeView::ShowSas(const std::string& sas) {
  sas_label_->setText(app_ui::FormatSas(sas));
}

void HomeView::SetStatus(const QString& text) {
  status_label_->setText(text);
}

void HomeView::ShowEnded(const EndText& text, const QString& session_log_path) {
  SetPhase(Phase::kIdle);
  app_ui::SetTone(ended_box_, text.tone);
  ended_title_->setText(text.title);
  ended_text_->setText(text.details);
  ended_text_->setVisible(!text.details.isEmpty());
  session_log_path_ = session_log_path;
  session_log_label_->setText(
      QStringLiteral("Session log: %1").arg(session_log_path));
  session_log_label_->setVisible(!session_log_path.isEmpty());
  open_folder_button_->setVisible(!session_log_path.isEmpty());
  ended_box_->show();
}

void HomeView::SetRecordNext(bool on) {
  record_check_->setChecked(on);
}

bool HomeView::ended_visible() const {
  return !ended_box_->isHidden();
}

bool HomeView::sas_visible() const {
  return !sas_page_->isHidden() && !sas_label_->text().isEmpty();
}

}  // namespace tether::supporter::ui
