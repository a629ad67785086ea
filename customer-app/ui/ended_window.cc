#include "customer-app/ui/ended_window.h"

#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

#include "app-ui/app_style.h"
#include "app-ui/display_text.h"
#include "customer-app/ui/style.h"

namespace tether::customer::ui {
namespace {
constexpr int kWidth = 660;
}  // namespace

EndedWindow::EndedWindow(const EndView& view,
                         const CustomerSession* session,
                         QWidget* parent)
    : QWidget(parent), session_(session) {
  setObjectName(QStringLiteral("TetherWindow"));
  setWindowTitle(QStringLiteral("Tether \u2014 session ended"));
  setWindowFlags(Qt::Window | Qt::WindowTitleHint | Qt::WindowCloseButtonHint |
                 Qt::CustomizeWindowHint);
  choose_path_ = [this](const QString& suggested) {
    return QFileDialog::getSaveFileName(
        this, QStringLiteral("Save the receipt"), suggested,
        QStringLiteral("Text files (*.txt)"));
  };

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(40, 32, 40, 28);
  layout->setSpacing(16);

  title_ = app_ui::TextLabel(view.title, kTitlePt + 2, true, this);
  title_->setObjectName(QStringLiteral("EndTitle"));
  if (view.tone == EndView::Tone::kDanger)
    title_->setStyleSheet(QStringLiteral("color: #A61B1B;"));
  layout->addWidget(title_);
  text_ = app_ui::TextLabel(view.text, kBodyPt + 1, false, this);
  layout->addWidget(text_);
  if (!view.details.isEmpty()) {
    auto* details = app_ui::TextLabel(view.details, kSmallPt, false, this);
    details->setProperty("role", QStringLiteral("secondary"));
    layout->addWidget(details);
  }
  auto* closed = app_ui::TextLabel(
      QStringLiteral("The connection is closed. Tether keeps nothing running "
                     "on your computer once you close this window."),
      kBodyPt, false, this);
  closed->setProperty("role", QStringLiteral("secondary"));
  layout->addWidget(closed);

  const std::vector<ReceiptEntry> entries =
      session_ != nullptr ? session_->receipt() : std::vector<ReceiptEntry>{};
  if (!entries.empty()) {
    layout->addWidget(app_ui::TextLabel(QStringLiteral("What happened:"),
                                        kBodyPt, true, this));
    receipt_view_ = new QPlainTextEdit(this);
    receipt_view_->setObjectName(QStringLiteral("ReceiptView"));
    receipt_view_->setReadOnly(true);
    receipt_view_->setPlainText(ReceiptLines(entries));
    receipt_view_->setMinimumHeight(180);
    receipt_view_->setFocusPolicy(Qt::NoFocus);
    layout->addWidget(receipt_view_, 1);
  }

  save_status_ = app_ui::TextLabel(QString(), kBodyPt, false, this);
  save_status_->hide();
  layout->addWidget(save_status_);

  auto* buttons = new QHBoxLayout;
  buttons->setSpacing(14);
  save_button_ = new QPushButton(QStringLiteral("Save a receipt\u2026"), this);
  app_ui::SetButtonRole(save_button_, "secondary");
  save_button_->setAutoDefault(false);
  save_button_->setMinimumHeight(52);
  save_button_->setVisible(session_ != nullptr);
  close_button_ = new QPushButton(QStringLiteral("Close"), this);
  app_ui::SetButtonRole(close_button_, "primary");
  close_button_->setDefault(true);
  close_button_->setAutoDefault(true);
  close_button_->setMinimumHeight(52);
  close_button_->setMinimumWidth(160);
  buttons->addWidget(save_button_);
  buttons->addStretch(1);
  buttons->addWidget(close_button_);
  layout->addLayout(buttons);

  connect(save_button_, &QPushButton::clicked, this, &EndedWindow::SaveReceipt);
  connect(close_button_, &QPushButton::clicked, this, &QWidget::close);
  setMinimumWidth(kWidth);
  close_button_->setFocus();
}

void EndedWindow::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  FitToContents(this, kWidth);
}

void EndedWindow::SetChoosePath(
    std::function<QString(const QString& suggested)> choose) {
  choose_path_ = std::move(choose);
}

QString EndedWindow::SuggestedReceiptPath() {
  return QDir::home().filePath(QStringLiteral("tether-receipt-%1.txt")
                                   .arg(QDateTime::currentDateTime().toString(
                                       QStringLiteral("yyyy-MM-dd-HHmm"))));
}

QString EndedWindow::ReceiptLines(const std::vector<ReceiptEntry>& entries) {
  QStringList lines;
  for (const ReceiptEntry& entry : entries) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        entry.at.time_since_epoch())
                        .count();
    const QString time =
        QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("HH:mm"));
    lines << QStringLiteral("%1   %2").arg(
        time, app_ui::DisplayText(entry.text, 500));
  }
  return lines.join(QLatin1Char('\n'));
}

void EndedWindow::SaveReceipt() {
  if (session_ == nullptr || !choose_path_)
    return;
  const QString path = choose_path_(SuggestedReceiptPath());
  if (path.isEmpty())
    return;
  const Result<void> saved = session_->SaveReceipt(path.toStdString());
  if (saved.has_value()) {
    save_status_->setText(QStringLiteral("Receipt saved to %1")
                              .arg(QDir::toNativeSeparators(path)));
    save_status_->setStyleSheet(QStringLiteral("color: #2E7D32;"));
  } else {
    save_status_->setText(
        QStringLiteral("The receipt could not be saved: %1")
            .arg(QString::fromStdString(saved.error().message)));
    save_status_->setStyleSheet(QStringLiteral("color: #A61B1B;"));
  }
  save_status_->show();
}

void EndedWindow::closeEvent(QCloseEvent* event) {
  event->accept();
  if (!finished_) {
    finished_ = true;
    emit finished();
  }
}

}  // namespace tether::customer::ui
