#pragma once

// "Somebody typed your code": the customer's computer, user and network
// address as the relay saw them, and Accept / Reject. Reject is the default
// button and has the focus, so an Enter pressed in passing refuses; closing
// the dialog refuses too. Non-modal (open()), so the UI thread never waits.

#include <QDialog>
#include <string>

#include <QString>

class QLabel;
class QPushButton;

namespace tether::supporter::ui {

class JoinDialog : public QDialog {
  Q_OBJECT

 public:
  // Texts straight from the relay; shown as plain text, cleaned.
  JoinDialog(const std::string& host_name,
             const std::string& user_name,
             const std::string& address,
             QWidget* parent = nullptr);

  QPushButton* accept_button() const { return accept_button_; }
  QPushButton* reject_button() const { return reject_button_; }
  QLabel* host_label() const { return host_label_; }
  QLabel* user_label() const { return user_label_; }
  QLabel* address_label() const { return address_label_; }

 signals:
  // Exactly one of them, once.
  void accepted_join();
  void rejected_join();

 protected:
  void closeEvent(QCloseEvent* event) override;
  void reject() override;  // Esc

 private:
  void Answer(bool accept);

  bool answered_ = false;
  QPushButton* accept_button_ = nullptr;
  QPushButton* reject_button_ = nullptr;
  QLabel* host_label_ = nullptr;
  QLabel* user_label_ = nullptr;
  QLabel* address_label_ = nullptr;
};

}  // namespace tether::supporter::ui
