#pragma once

// The chat beside the picture: the conversation (customer's words as plain,
// cleaned text) and a line to type into. Chat is part of the session
// protocol; it is never logged by the UI.

#include <QString>
#include <QWidget>

class QLineEdit;
class QListWidget;
class QListWidgetItem;
class QPushButton;

namespace tether::supporter::ui {

class ChatPanel : public QWidget {
  Q_OBJECT

 public:
  explicit ChatPanel(QWidget* parent = nullptr);

  // The newest kMaxHistoryItems lines are shown.
  static constexpr int kMaxHistoryItems = 500;
  void AddMessage(const QString& text, bool from_me);
  void AddNotice(const QString& text);
  void SetEnabledForSession(bool enabled);
  void FocusInput();

  QListWidget* history() const { return history_; }
  QLineEdit* input() const { return input_; }
  QPushButton* send_button() const { return send_button_; }

 signals:
  void sendRequested(const QString& text);

 private:
  void Send();
  void Append(QListWidgetItem* item);

  QListWidget* history_ = nullptr;
  QLineEdit* input_ = nullptr;
  QPushButton* send_button_ = nullptr;
};

}  // namespace tether::supporter::ui
