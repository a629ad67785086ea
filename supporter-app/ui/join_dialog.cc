#include "supporter-app/ui/join_dialog.h"

#include <QCloseEvent>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include "app-ui/app_style.h"
#include "app-ui/display_text.h"
#include "supporter-app/ui/style.h"

namespace tether::supporter::ui {
namespace {

QString OrUnknown(const QString& text) {
  return text.isEmpty() ? QStringLiteral("(not given)") : text;
}

}  // namespace

JoinDialog::JoinDialog(const std::string& host_name,
                       const std::string& user_name,
                       const std::string& address,
                       QWidget* parent)
    : QDialog(parent) {
  setWindowTitle(QStringLiteral("A customer wants to connect"));
  setObjectName(QStringLiteral("JoinDialog"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(28, 22, 28, 22);
  layout->setSpacing(14);
  layout->addWidget(app_ui::TextLabel(
      QStringLiteral("Somebody typed your code"), kTitlePt, true, this));
  layout->addWidget(app_ui::TextLabel(
      QStringLiteral("Accept only if this is the customer you are talking "
                     "to. Nothing is shared until they agree as well."),
      kBodyPt, false, this));

  auto* form = new QFormLayout;
  form->setVerticalSpacing(8);
  host_label_ = app_ui::TextLabel(OrUnknown(app_ui::DisplayText(host_name, 80)),
                                  kBodyPt + 2, true, this);
  user_label_ = app_ui::TextLabel(OrUnknown(app_ui::DisplayText(user_name, 80)),
                                  kBodyPt + 2, true, this);
  address_label_ = app_ui::TextLabel(
      OrUnknown(app_ui::DisplayText(address, 80)), kBodyPt + 2, false, this);
  form->addRow(QStringLiteral("Computer:"), host_label_);
  form->addRow(QStringLiteral("User:"), user_label_);
  form->addRow(QStringLiteral("Address:"), address_label_);
  layout->addLayout(form);

  auto* buttons = new QHBoxLayout;
  buttons->addStretch(1);
  accept_button_ = new QPushButton(QStringLiteral("&Accept"), this);
  app_ui::SetButtonRole(accept_button_, "allow");
  accept_button_->setAutoDefault(false);
  reject_button_ = new QPushButton(QStringLiteral("&Reject"), this);
  app_ui::SetButtonRole(reject_button_, "safe");
  reject_button_->setDefault(true);
  reject_button_->setAutoDefault(true);
  buttons->addWidget(accept_button_);
  buttons->addWidget(reject_button_);
  layout->addLayout(buttons);

  connect(accept_button_, &QPushButton::clicked, this,
          [this] { Answer(true); });
  connect(reject_button_, &QPushButton::clicked, this,
          [this] { Answer(false); });
  setMinimumWidth(480);
  reject_button_->setFocus();
}

void JoinDialog::Answer(bool accept) {
  if (answered_)
    return;
  answered_ = true;
  if (accept)
    emit accepted_join();
  else
    emit rejected_join();
  QDialog::done(accept ? Accepted : Rejected);
}

void JoinDialog::reject() {
  Answer(false);
}

void JoinDialog::closeEvent(QCloseEvent* event) {
  Answer(false);
  event->accept();
}

}  // namespace tether::supporter::ui
