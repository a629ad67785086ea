#include "supporter-app/ui/transfer_panel.h"

#include <algorithm>

#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

#include "app-ui/app_style.h"
#include "app-ui/display_text.h"
#include "supporter-app/ui/style.h"

namespace tether::supporter::ui {

QString DescribeTransfer(const FileTransfer& transfer) {
  const QString message = app_ui::DisplayText(transfer.message, 200);
  if (transfer.direction == FileTransfer::Direction::kFromCustomer) {
    switch (transfer.state) {
      case FileTransfer::State::kAsking:
        return QStringLiteral("The customer offers this file (%1). Accept?")
            .arg(FormatFileSize(transfer.size));
      case FileTransfer::State::kSending:
        return QStringLiteral("Receiving: %1 of %2")
            .arg(FormatFileSize(transfer.sent), FormatFileSize(transfer.size));
      case FileTransfer::State::kDone:
        return QStringLiteral("Saved to %1")
            .arg(app_ui::DisplayText(transfer.saved_path, 300));
      case FileTransfer::State::kRefused:
        return message.isEmpty() ? QStringLiteral("Declined.") : message;
      default:
        break;  // failed and cancelled read the same both ways
    }
  }
  switch (transfer.state) {
    case FileTransfer::State::kAsking:
      return QStringLiteral("Waiting for the customer to accept\u2026");
    case FileTransfer::State::kSending:
      return QStringLiteral("%1 of %2")
          .arg(FormatFileSize(transfer.sent), FormatFileSize(transfer.size));
    case FileTransfer::State::kDone:
      return QStringLiteral("Sent (%1)").arg(FormatFileSize(transfer.size));
    case FileTransfer::State::kRefused:
      return QStringLiteral("The customer refused this file.");
    case FileTransfer::State::kFailed:
      return message.isEmpty() ? QStringLiteral("Failed.")
                               : QStringLiteral("Failed: %1").arg(message);
    case FileTransfer::State::kCancelled:
      return message.isEmpty() ? QStringLiteral("Cancelled.")
                               : QStringLiteral("Cancelled: %1").arg(message);
  }
  return {};
}

TransferPanel::TransferPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(8, 8, 8, 8);
  layout->setSpacing(6);
  send_button_ = new QPushButton(QStringLiteral("Send file\u2026"), this);
  send_button_->setToolTip(
      QStringLiteral("Offer a file to the customer (Ctrl+Alt+Shift+U)"));
  layout->addWidget(send_button_, 0, Qt::AlignLeft);

  auto* scroll = new QScrollArea(this);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  auto* content = new QWidget(scroll);
  rows_layout_ = new QVBoxLayout(content);
  rows_layout_->setContentsMargins(0, 0, 0, 0);
  rows_layout_->setSpacing(10);
  empty_label_ = app_ui::TextLabel(QStringLiteral("No files yet."), kBodyPt,
                                   false, content);
  empty_label_->setProperty("role", QStringLiteral("secondary"));
  rows_layout_->addWidget(empty_label_);
  rows_layout_->addStretch(1);
  scroll->setWidget(content);
  layout->addWidget(scroll, 1);

  connect(send_button_, &QPushButton::clicked, this,
          &TransferPanel::sendFileRequested);
}

TransferPanel::Row TransferPanel::AddRow(const QString& name) {
  Row row;
  row.widget = new QWidget(rows_layout_->parentWidget());
  auto* grid = new QGridLayout(row.widget);
  grid->setContentsMargins(0, 0, 0, 0);
  grid->setHorizontalSpacing(8);
  grid->setVerticalSpacing(3);
  row.name = app_ui::TextLabel(name, kBodyPt, true, row.widget);
  row.name->setWordWrap(false);
  row.name->setMinimumWidth(80);
  row.progress = new QProgressBar(row.widget);
  row.progress->setRange(0, 1000);
  row.progress->setTextVisible(false);
  row.progress->setFixedHeight(10);
  row.state = app_ui::TextLabel(QString(), kSmallPt, false, row.widget);
  row.state->setProperty("role", QStringLiteral("secondary"));
  row.cancel = new QPushButton(QStringLiteral("Cancel"), row.widget);
  row.accept = new QPushButton(QStringLiteral("Accept"), row.widget);
  row.decline = new QPushButton(QStringLiteral("Decline"), row.widget);
  row.accept->hide();
  row.decline->hide();
  auto* buttons = new QHBoxLayout;
  buttons->setSpacing(6);
  buttons->addWidget(row.accept);
  buttons->addWidget(row.decline);
  buttons->addWidget(row.cancel);
  grid->addWidget(row.name, 0, 0);
  grid->addLayout(buttons, 0, 1, 2, 1, Qt::AlignVCenter);
  grid->addWidget(row.progress, 1, 0);
  grid->addWidget(row.state, 2, 0, 1, 2);
  grid->setColumnStretch(0, 1);
  empty_label_->hide();
  rows_layout_->insertWidget(rows_layout_->count() - 1, row.widget);
  return row;
}

void TransferPanel::Update(const FileTransfer& transfer) {
  auto it = rows_.find(transfer.file_id);
  if (it == rows_.end()) {
    Row row = AddRow(app_ui::DisplayText(transfer.name, 120));
    const uint32_t id = transfer.file_id;
    connect(row.cancel, &QPushButton::clicked, this, [this, id] {
      if (const Row* r = this->row(id); r != nullptr)
        r->cancel->setEnabled(false);  // until the core reports kCancelled
      emit cancelRequested(id);
    });
    connect(row.accept, &QPushButton::clicked, this, [this, id] {
      if (const Row* r = this->row(id); r != nullptr) {
        r->accept->setEnabled(false);  // until the core reports kSending
        r->decline->setEnabled(false);
      }
      emit acceptRequested(id);
    });
    connect(row.decline, &QPushButton::clicked, this, [this, id] {
      if (const Row* r = this->row(id); r != nullptr) {
        r->accept->setEnabled(false);
        r->decline->setEnabled(false);
      }
      emit declineRequested(id);
    });
    it = rows_.emplace(transfer.file_id, row).first;
  }
  const Row& row = it->second;
  const bool active = transfer.state == FileTransfer::State::kAsking ||
                      transfer.state == FileTransfer::State::kSending;
  int value = 0;
  if (transfer.state == FileTransfer::State::kDone) {
    value = 1000;
  } else if (transfer.size > 0) {
    value = static_cast<int>(
        std::min<uint64_t>(1000, transfer.sent * 1000 / transfer.size));
  }
  row.progress->setValue(value);
  row.progress->setEnabled(active ||
                           transfer.state == FileTransfer::State::kDone);
  row.state->setText(DescribeTransfer(transfer));
  row.state->setProperty("role", transfer.state == FileTransfer::State::kFailed
                                     ? QStringLiteral("error")
                                     : QStringLiteral("secondary"));
  app_ui::Repolish(row.state);
  // A file from the customer waiting for an answer: Accept or Decline,
  // not Cancel.
  const bool asking =
      transfer.direction == FileTransfer::Direction::kFromCustomer &&
      transfer.state == FileTransfer::State::kAsking;
  row.accept->setVisible(asking);
  row.decline->setVisible(asking);
  if (!asking) {
    row.accept->setEnabled(false);
    row.decline->setEnabled(false);
  }
  row.cancel->setVisible(active && !asking);
  if (!active)
    row.cancel->setEnabled(false);
}

void TransferPanel::AddFailure(const QString& name, const QString& message) {
  Row row = AddRow(name);
  row.progress->setValue(0);
  row.progress->setEnabled(false);
  row.cancel->hide();
  row.state->setText(QStringLiteral("Not sent: %1").arg(message));
  row.state->setProperty("role", QStringLiteral("error"));
  app_ui::Repolish(row.state);
  ++failures_;
}

void TransferPanel::SetEnabledForSession(bool enabled) {
  send_button_->setEnabled(enabled);
  for (auto& [id, row] : rows_) {
    if (!enabled) {
      row.cancel->setEnabled(false);
      row.accept->setEnabled(false);
      row.decline->setEnabled(false);
    }
  }
}

const TransferPanel::Row* TransferPanel::row(uint32_t file_id) const {
  auto it = rows_.find(file_id);
  return it == rows_.end() ? nullptr : &it->second;
}

}  // namespace tether::supporter::ui
