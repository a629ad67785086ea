#pragma once

// Files sent to the customer, and files the customer offers: one row per
// file with its name, size, a progress bar, what is happening ("Waiting for
// the customer to accept", "Sent", "Refused", "Saved to …") and Cancel
// while it can still be cancelled. A file from the customer first shows
// Accept and Decline: nothing is written before the technician accepts.

#include <cstdint>
#include <map>

#include <QString>
#include <QWidget>

#include "supporter-app/core/supporter_session.h"

class QLabel;
class QProgressBar;
class QPushButton;
class QVBoxLayout;

namespace tether::supporter::ui {

class TransferPanel : public QWidget {
  Q_OBJECT

 public:
  explicit TransferPanel(QWidget* parent = nullptr);

  void Update(const FileTransfer& transfer);
  // A file that could not even be offered (unreadable, too big).
  void AddFailure(const QString& name, const QString& message);
  void SetEnabledForSession(bool enabled);

  struct Row {
    QWidget* widget = nullptr;
    QLabel* name = nullptr;
    QLabel* state = nullptr;
    QProgressBar* progress = nullptr;
    QPushButton* cancel = nullptr;
    QPushButton* accept = nullptr;   // files from the customer only
    QPushButton* decline = nullptr;  // files from the customer only
  };
  const Row* row(uint32_t file_id) const;
  int row_count() const { return static_cast<int>(rows_.size()); }
  QPushButton* send_button() const { return send_button_; }

 signals:
  void sendFileRequested();
  void cancelRequested(uint32_t file_id);
  void acceptRequested(uint32_t file_id);
  void declineRequested(uint32_t file_id);

 private:
  Row AddRow(const QString& name);

  QVBoxLayout* rows_layout_ = nullptr;
  QLabel* empty_label_ = nullptr;
  QPushButton* send_button_ = nullptr;
  std::map<uint32_t, Row> rows_;
  int failures_ = 0;
};

// "Waiting for the customer to accept", "1.2 MB of 3.4 MB", ...
QString DescribeTransfer(const FileTransfer& transfer);

}  // namespace tether::supporter::ui
