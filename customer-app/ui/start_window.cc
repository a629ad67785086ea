#include "customer-app/ui/start_window.h"

#include <QCloseEvent>
#include <QFileInfo>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QPixmap>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

#include <algorithm>

#include "app-ui/app_style.h"
#include "app-ui/display_text.h"
#include "app-ui/end_tone.h"
#include "customer-app/core/customer_session.h"
#include "customer-app/ui/session_code_edit.h"
#include "customer-app/ui/style.h"

namespace tether::customer::ui {
namespace {

constexpr int kLogoHeight = 56;
constexpr int kWidth = 600;

}  // namespace

StartWindow::StartWindow(const CustomerConfig& config, QWidget* parent)
    : QWidget(parent) {
  setObjectName(QStringLiteral("TetherWindow"));
  setWindowTitle(QStringLiteral("Tether remote support"));
  setWindowFlags(Qt::Window | Qt::WindowTitleHint | Qt::WindowCloseButtonHint |
                 Qt::WindowMinimizeButtonHint | Qt::CustomizeWindowHint);

  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(40, 32, 40, 28);
  outer->setSpacing(18);

  // Who is helping: the logo and the organisation IT configured.
  auto* header = new QHBoxLayout;
  header->setSpacing(16);
  const QString logo_path = QString::fromStdString(config.logo_path);
  if (!logo_path.isEmpty()) {
    QPixmap logo(logo_path);
    if (!logo.isNull()) {
      auto* logo_label = new QLabel(this);
      logo_label->setPixmap(
          logo.scaledToHeight(kLogoHeight, Qt::SmoothTransformation));
      logo_label->setAlignment(Qt::AlignCenter);
      header->addWidget(logo_label, 0, Qt::AlignTop);
    }
  }
  auto* titles = new QVBoxLayout;
  titles->setSpacing(2);
  const QString organisation = app_ui::DisplayText(config.organisation, 80);
  auto* org_label = app_ui::TextLabel(
      organisation.isEmpty() ? QStringLiteral("Remote support") : organisation,
      kTitlePt, true, this);
  titles->addWidget(org_label);
  auto* sub = app_ui::TextLabel(
      organisation.isEmpty() ? QStringLiteral("with Tether")
                             : QStringLiteral("Remote support with Tether"),
      kBodyPt, false, this);
  sub->setProperty("role", QStringLiteral("secondary"));
  titles->addWidget(sub);
  header->addLayout(titles, 1);
  outer->addLayout(header);

  auto* separator = new QFrame(this);
  separator->setObjectName(QStringLiteral("Separator"));
  outer->addWidget(separator);

  // What went wrong last time (hidden until then).
  problem_box_ = new QFrame(this);
  problem_box_->setObjectName(QStringLiteral("ProblemBox"));
  auto* problem_layout = new QVBoxLayout(problem_box_);
  problem_layout->setContentsMargins(18, 14, 18, 14);
  problem_layout->setSpacing(6);
  problem_title_ =
      app_ui::TextLabel(QString(), kBodyPt + 1, true, problem_box_);
  problem_text_ = app_ui::TextLabel(QString(), kBodyPt, false, problem_box_);
  problem_details_ =
      app_ui::TextLabel(QString(), kSmallPt, false, problem_box_);
  problem_details_->setProperty("role", QStringLiteral("secondary"));
  problem_layout->addWidget(problem_title_);
  problem_layout->addWidget(problem_text_);
  problem_layout->addWidget(problem_details_);
  problem_box_->hide();
  outer->addWidget(problem_box_);

  // The one question on this screen.
  prompt_label_ = app_ui::TextLabel(
      QStringLiteral("Enter the 8-digit code your technician gives you:"),
      kBodyPt + 2, false, this);
  outer->addWidget(prompt_label_);

  code_edit_ = new SessionCodeEdit(this);
  code_edit_->setMinimumHeight(76);
  outer->addWidget(code_edit_);

  hint_label_ = app_ui::TextLabel(code_edit_->hint(), kBodyPt, false, this);
  hint_label_->setProperty("role", QStringLiteral("hint"));
  hint_label_->setAlignment(Qt::AlignCenter);
  outer->addWidget(hint_label_);

  connect_button_ = new QPushButton(QStringLiteral("Connect"), this);
  connect_button_->setProperty("size", QStringLiteral("big"));
  app_ui::SetButtonRole(connect_button_, "primary");
  QFont big = connect_button_->font();
  big.setPointSize(kBodyPt + 4);
  big.setBold(true);
  connect_button_->setFont(big);
  connect_button_->setMinimumHeight(64);
  connect_button_->setDefault(true);
  connect_button_->setAutoDefault(true);
  outer->addWidget(connect_button_);

  status_label_ = app_ui::TextLabel(QString(), kBodyPt, false, this);
  status_label_->setAlignment(Qt::AlignCenter);
  status_label_->hide();
  outer->addWidget(status_label_);

  auto* buttons = new QHBoxLayout;
  buttons->addStretch(1);
  cancel_button_ = new QPushButton(QStringLiteral("Cancel"), this);
  app_ui::SetButtonRole(cancel_button_, "secondary");
  cancel_button_->hide();
  buttons->addWidget(cancel_button_);
  close_button_ = new QPushButton(QStringLiteral("Close"), this);
  app_ui::SetButtonRole(close_button_, "primary");
  close_button_->hide();
  buttons->addWidget(close_button_);
  buttons->addStretch(1);
  outer->addLayout(buttons);

  outer->addStretch(1);
  footer_ = app_ui::TextLabel(
      QStringLiteral("Your technician sees nothing until you allow it, and "
                     "you can stop at any time."),
      kSmallPt + 1, false, this);
  footer_->setProperty("role", QStringLiteral("secondary"));
  footer_->setAlignment(Qt::AlignCenter);
  outer->addWidget(footer_);

  connect(code_edit_, &SessionCodeEdit::validityChanged, this,
          [this](bool) { UpdateConnectButton(); });
  connect(code_edit_, &SessionCodeEdit::hintChanged, this,
          &StartWindow::OnHintChanged);
  connect(code_edit_, &QLineEdit::returnPressed, connect_button_,
          &QPushButton::click);
  connect(connect_button_, &QPushButton::clicked, this, [this] {
    if (phase_ == Phase::kEnterCode && code_edit_->valid())
      emit connectRequested(code_edit_->code());
  });
  connect(cancel_button_, &QPushButton::clicked, this,
          &StartWindow::cancelRequested);
  connect(close_button_, &QPushButton::clicked, this,
          &StartWindow::closeRequested);

  connect(code_edit_, &QLineEdit::textEdited, this, [this] {
    // The customer acts on the message: the hint speaks again.
    hint_label_->setVisible(phase_ == Phase::kEnterCode);
  });

  setMinimumWidth(kWidth);
  SetPhase(Phase::kEnterCode);
  code_edit_->setFocus();
}

bool StartWindow::problem_visible() const {
  return !problem_box_->isHidden();
}

void StartWindow::SetPhase(Phase phase) {
  phase_ = phase;
  const bool entering = phase == Phase::kEnterCode;
  const bool busy =
      phase == Phase::kConnecting || phase == Phase::kWaitingForTechnician;
  const bool blocked = phase == Phase::kBlocked;
  code_edit_->setReadOnly(!entering);
  code_edit_->setVisible(!blocked);
  prompt_label_->setVisible(!blocked);
  footer_->setVisible(!blocked);
  connect_button_->setVisible(phase != Phase::kBlocked);
  cancel_button_->setVisible(busy);
  close_button_->setVisible(phase == Phase::kBlocked);
  hint_label_->setVisible(entering);
  status_label_->setVisible(busy);
  switch (phase) {
    case Phase::kEnterCode:
      connect_button_->setText(QStringLiteral("Connect"));
      break;
    case Phase::kConnecting:
      connect_button_->setText(QStringLiteral("Connecting\u2026"));
      status_label_->setText(
          QStringLiteral("Connecting to your company's support server\u2026"));
      break;
    case Phase::kWaitingForTechnician:
      connect_button_->setText(QStringLiteral("Connecting\u2026"));
      status_label_->setText(QStringLiteral(
          "Waiting for your technician to accept the connection\u2026"));
      break;
    case Phase::kBlocked:
      close_button_->setDefault(true);
      close_button_->setFocus();
      break;
  }
  if (busy)
    ClearProblem();
  UpdateConnectButton();
  Refit();
}

void StartWindow::Refit() {
  if (isVisible())
    FitToContents(this, std::max(width(), kWidth));
}

void StartWindow::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  FitToContents(this, std::max(width(), kWidth));
}

void StartWindow::ShowProblem(const EndView& view) {
  app_ui::SetTone(problem_box_, view.tone);
  problem_title_->setText(view.title);
  problem_text_->setText(view.text);
  problem_details_->setText(view.details);
  problem_details_->setVisible(!view.details.isEmpty());
  problem_box_->show();
  SetPhase(view.can_retry ? Phase::kEnterCode : Phase::kBlocked);
  // The message says what to do; "That looks right" under it would not.
  hint_label_->hide();
  Refit();
  if (view.can_retry) {
    code_edit_->setFocus();
    code_edit_->selectAll();
  }
}

void StartWindow::ClearProblem() {
  problem_box_->hide();
  Refit();
}

void StartWindow::UpdateConnectButton() {
  connect_button_->setEnabled(phase_ == Phase::kEnterCode &&
                              code_edit_->valid());
}

void StartWindow::OnHintChanged(const QString& hint, bool is_error) {
  hint_label_->setText(hint);
  hint_label_->setProperty(
      "role", is_error ? QStringLiteral("hint-error") : QStringLiteral("hint"));
  app_ui::Repolish(hint_label_);
}

void StartWindow::closeEvent(QCloseEvent* event) {
  // The app decides what closing means (cancel a connection, quit).
  event->ignore();
  emit closeRequested();
}

}  // namespace tether::customer::ui
