#include "supporter-app/ui/chat_panel.h"

#include <QHBoxLayout>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QTime>
#include <QVBoxLayout>

#include "supporter-app/ui/style.h"

namespace tether::supporter::ui {
namespace {

constexpr int kMaxChatChars = 2000;  // what the core sends at most

}  // namespace

ChatPanel::ChatPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(8, 8, 8, 8);
  layout->setSpacing(6);
  history_ = new QListWidget(this);
  history_->setObjectName(QStringLiteral("ChatHistory"));
  history_->setWordWrap(true);
  history_->setSelectionMode(QAbstractItemView::NoSelection);
  history_->setFocusPolicy(Qt::NoFocus);
  history_->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
  layout->addWidget(history_, 1);
  auto* row = new QHBoxLayout;
  input_ = new QLineEdit(this);
  input_->setObjectName(QStringLiteral("ChatInput"));
  input_->setPlaceholderText(QStringLiteral("Message to the customer"));
  input_->setMaxLength(kMaxChatChars);
  row->addWidget(input_, 1);
  send_button_ = new QPushButton(QStringLiteral("Send"), this);
  row->addWidget(send_button_);
  layout->addLayout(row);
  connect(input_, &QLineEdit::returnPressed, this, &ChatPanel::Send);
  connect(send_button_, &QPushButton::clicked, this, &ChatPanel::Send);
  setMinimumWidth(260);
}

void ChatPanel::Send() {
  const QString text = input_->text().trimmed();
  if (text.isEmpty() || !input_->isEnabled())
    return;
  input_->clear();
  emit sendRequested(text);  // the core echoes it back via OnChat(from_me)
}

void ChatPanel::AddMessage(const QString& text, bool from_me) {
  auto* item = new QListWidgetItem(
      QStringLiteral("%1  %2\n%3")
          .arg(QTime::currentTime().toString(QStringLiteral("HH:mm")),
               from_me ? QStringLiteral("You") : QStringLiteral("Customer"),
               text));
  item->setForeground(from_me ? QColor(0x1E, 0x5A, 0xA8)
                              : QColor(0x1B, 0x24, 0x30));
  Append(item);
}

void ChatPanel::AddNotice(const QString& text) {
  auto* item = new QListWidgetItem(text);
  item->setForeground(QColor(0x52, 0x60, 0x6D));
  QFont font = item->font();
  font.setItalic(true);
  item->setFont(font);
  Append(item);
}

void ChatPanel::Append(QListWidgetItem* item) {
  history_->addItem(item);
  // Adding costs time in proportion to the list (word wrap): a flooding
  // customer must not make the console slow. The session log keeps
  // every message.
  while (history_->count() > kMaxHistoryItems)
    delete history_->takeItem(0);
  history_->scrollToBottom();
}

void ChatPanel::SetEnabledForSession(bool enabled) {
  input_->setEnabled(enabled);
  send_button_->setEnabled(enabled);
}

void ChatPanel::FocusInput() {
  input_->setFocus();
}

}  // namespace tether::supporter::ui
