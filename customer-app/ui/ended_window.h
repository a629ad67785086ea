#pragma once

// The last window: why the session ended, what happened during it, and the
// offer to save a readable receipt. Closing it ends the app.

#include <functional>
#include <vector>

#include <QString>
#include <QWidget>

#include "customer-app/core/customer_session.h"
#include "customer-app/ui/end_view.h"

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace tether::customer::ui {

class EndedWindow : public QWidget {
  Q_OBJECT

 public:
  // `session` (may be null) writes the receipt; it must outlive the window.
  EndedWindow(const EndView& view,
              const CustomerSession* session,
              QWidget* parent = nullptr);

  // Where to save the receipt; the default asks with a file dialog. Returns
  // an empty string when the customer cancels.
  void SetChoosePath(std::function<QString(const QString& suggested)> choose);

  QLabel* title_label() const { return title_; }
  QLabel* text_label() const { return text_; }
  QLabel* save_status() const { return save_status_; }
  QPushButton* save_button() const { return save_button_; }
  QPushButton* close_button() const { return close_button_; }
  QPlainTextEdit* receipt_view() const { return receipt_view_; }

  // "tether-receipt-2024-05-01-1412.txt" in the home folder.
  static QString SuggestedReceiptPath();
  // One line per entry: "14:02  You allowed remote control."
  static QString ReceiptLines(const std::vector<ReceiptEntry>& entries);

 signals:
  void finished();

 protected:
  void closeEvent(QCloseEvent* event) override;
  void showEvent(QShowEvent* event) override;

 private:
  void SaveReceipt();

  const CustomerSession* session_;
  std::function<QString(const QString&)> choose_path_;
  bool finished_ = false;
  QLabel* title_ = nullptr;
  QLabel* text_ = nullptr;
  QLabel* save_status_ = nullptr;
  QPlainTextEdit* receipt_view_ = nullptr;
  QPushButton* save_button_ = nullptr;
  QPushButton* close_button_ = nullptr;
};

}  // namespace tether::customer::ui
