#include "customer-app/ui/style.h"

#include <QLayout>
#include <QScreen>
#include <QWidget>

#include <algorithm>

#include "app-ui/app_style.h"
#include "protocol/file_receiver.h"

namespace tether::customer::ui {
namespace {

// Colours: a quiet blue for "go on", a clear red only for STOP and for a
// server that is not the company's, soft backgrounds everywhere else.
constexpr char kStyleSheet[] = R"css(
QWidget { color: #1B2430; }
QWidget#TetherWindow, QDialog { background: #F5F7FA; }
QLabel[role="secondary"] { color: #52606D; }
QLabel[role="hint"] { color: #52606D; }
QLabel[role="hint-error"] { color: #A61B1B; }

QPushButton {
  padding: 10px 22px; border-radius: 8px; border: 1px solid #B8C2CC;
  background: #FFFFFF;
}
QPushButton:hover { background: #EEF2F6; }
QPushButton:focus { border: 2px solid #1E5AA8; }
QPushButton:disabled { color: #9AA5B1; background: #EEF1F4; border-color: #D5DBE1; }

QPushButton[role="primary"], QPushButton[role="safe"] {
  background: #1E5AA8; color: #FFFFFF; border: 2px solid #1E5AA8;
  font-weight: bold;
}
QPushButton[role="primary"]:hover, QPushButton[role="safe"]:hover { background: #174A8C; }
QPushButton[role="primary"]:focus, QPushButton[role="safe"]:focus { border: 2px solid #0B2E5C; }
QPushButton[role="primary"]:disabled {
  background: #A9BCD6; border-color: #A9BCD6; color: #F5F7FA;
}
QPushButton[role="allow"] { background: #FFFFFF; color: #1B2430; border: 1px solid #8896A4; }
QPushButton[role="allow"]:disabled { color: #9AA5B1; border-color: #D5DBE1; }

QPushButton[role="danger"] {
  background: #C0262D; color: #FFFFFF; border: 2px solid #8E1B20;
  font-weight: bold; border-radius: 10px;
}
QPushButton#StopButton { font-size: 28pt; letter-spacing: 4px; }
QPushButton[size="big"] { font-size: 18pt; }
QPushButton[role="danger"]:hover { background: #A81F25; }
QPushButton[role="danger"]:pressed { background: #8E1B20; }

QLineEdit, QPlainTextEdit, QListWidget {
  background: #FFFFFF; border: 1px solid #B8C2CC; border-radius: 8px;
  padding: 6px 10px;
}
QLineEdit:focus { border: 2px solid #1E5AA8; }
QLineEdit#SessionCodeEdit { padding: 10px 16px; border-width: 2px; }
QLineEdit#SessionCodeEdit[state="invalid"] { border-color: #C0262D; }
QLineEdit#SessionCodeEdit[state="valid"] { border-color: #2E7D32; }

QFrame#Card {
  background: #FFFFFF; border: 1px solid #DDE3EA; border-radius: 12px;
}
QFrame#ProblemBox { border-radius: 10px; }
QFrame#ProblemBox[tone="problem"] { background: #FFF4E5; border: 1px solid #F0B35B; }
QFrame#ProblemBox[tone="danger"] { background: #FDECEC; border: 2px solid #C0262D; }
QFrame#ProblemBox[tone="calm"] { background: #EAF2FB; border: 1px solid #9DBCE3; }
QFrame#Notice { background: #FFF4E5; border: 1px solid #F0B35B; border-radius: 8px; }
QFrame#Quote { background: #EEF2F6; border-left: 4px solid #8896A4; border-radius: 4px; }
QFrame#SasBox { background: #FFFFFF; border: 2px solid #1E5AA8; border-radius: 12px; }
QFrame#Separator { background: #DDE3EA; max-height: 1px; min-height: 1px; border: none; }

QCheckBox { spacing: 12px; }
QCheckBox::indicator { width: 26px; height: 26px; }
)css";

}  // namespace

void ApplyCustomerStyle(QApplication* app) {
  app_ui::ApplyAppStyle(app, {.body_point_size = kBodyPt,
                              .background = QColor(0xF5, 0xF7, 0xFA),
                              .text = QColor(0x1B, 0x24, 0x30),
                              .accent = QColor(0x1E, 0x5A, 0xA8),
                              .style_sheet = kStyleSheet});
}

void FitToContents(QWidget* window, int width) {
  QLayout* layout = window->layout();
  if (layout == nullptr)
    return;
  layout->activate();
  width = std::max(width, layout->totalMinimumSize().width());
  int height = layout->hasHeightForWidth() ? layout->totalHeightForWidth(width)
                                           : layout->totalSizeHint().height();
  height = std::max(height, layout->totalMinimumSize().height());
  if (const QScreen* screen = window->screen(); screen != nullptr)
    height = std::min(height, screen->availableGeometry().height() - 40);
  window->resize(width, height);
}

void CenterOnScreen(QWidget* window) {
  const QScreen* screen = window->screen();
  if (screen == nullptr)
    return;
  QRect frame = window->frameGeometry();
  frame.moveCenter(screen->availableGeometry().center());
  window->move(frame.topLeft());
}

QString FormatSessionCode(const QString& digits) {
  if (digits.size() <= 4)
    return digits;
  return digits.left(4) + QLatin1Char(' ') + digits.mid(4);
}

QString FormatFileSize(uint64_t bytes) {
  // The core's wording, so the prompt and the receipt say the same size.
  return QString::fromStdString(protocol::FormatFileSize(bytes));
}

}  // namespace tether::customer::ui
