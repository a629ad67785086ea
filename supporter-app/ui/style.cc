#include "supporter-app/ui/style.h"

#include <QHBoxLayout>

#include <algorithm>

#include "app-ui/app_style.h"

namespace tether::supporter::ui {
namespace {

// The customer app's colours (so both sides feel like one product), with
// tighter padding: a console holds many controls at once.
constexpr char kStyleSheet[] = R"css(
QWidget { color: #1B2430; }
QWidget#TetherWindow, QDialog, QMainWindow { background: #F5F7FA; }
QLabel[role="secondary"] { color: #52606D; }
QLabel[role="error"] { color: #A61B1B; }
QLabel[role="code"] { color: #0B2E5C; }

QPushButton {
  padding: 6px 16px; border-radius: 6px; border: 1px solid #B8C2CC;
  background: #FFFFFF;
}
QPushButton:hover { background: #EEF2F6; }
QPushButton:focus { border: 2px solid #1E5AA8; }
QPushButton:disabled { color: #9AA5B1; background: #EEF1F4; border-color: #D5DBE1; }
QPushButton[role="primary"], QPushButton[role="safe"] {
  background: #1E5AA8; color: #FFFFFF; border: 2px solid #1E5AA8; font-weight: bold;
}
QPushButton[role="primary"]:hover, QPushButton[role="safe"]:hover { background: #174A8C; }
QPushButton[role="primary"]:focus, QPushButton[role="safe"]:focus { border: 2px solid #0B2E5C; }
QPushButton[role="primary"]:disabled { background: #A9BCD6; border-color: #A9BCD6; color: #F5F7FA; }
QPushButton[role="allow"] { background: #FFFFFF; border: 1px solid #8896A4; }
QPushButton[role="danger"] {
  background: #C0262D; color: #FFFFFF; border: 2px solid #8E1B20; font-weight: bold;
}
QPushButton[role="danger"]:hover { background: #A81F25; }
QPushButton[size="big"] { font-size: 16pt; padding: 12px 28px; }

QLineEdit, QPlainTextEdit, QListWidget, QComboBox {
  background: #FFFFFF; border: 1px solid #B8C2CC; border-radius: 6px; padding: 4px 8px;
}
QLineEdit:focus, QPlainTextEdit:focus { border: 2px solid #1E5AA8; }
QLineEdit[state="invalid"] { border: 2px solid #C0262D; }

QFrame#Card { background: #FFFFFF; border: 1px solid #DDE3EA; border-radius: 10px; }
QFrame#ProblemBox { border-radius: 8px; }
QFrame#ProblemBox[tone="problem"] { background: #FFF4E5; border: 1px solid #F0B35B; }
QFrame#ProblemBox[tone="danger"] { background: #FDECEC; border: 2px solid #C0262D; }
QFrame#ProblemBox[tone="calm"] { background: #EAF2FB; border: 1px solid #9DBCE3; }
QFrame#SasBox, QFrame#CodeBox {
  background: #FFFFFF; border: 2px solid #1E5AA8; border-radius: 10px;
}
QFrame#Separator { background: #DDE3EA; max-height: 1px; min-height: 1px; border: none; }

QToolBar { background: #FFFFFF; border-bottom: 1px solid #DDE3EA; spacing: 4px; padding: 3px; }
QToolBar QToolButton { padding: 4px 8px; border-radius: 5px; }
QToolBar QToolButton:hover { background: #EEF2F6; }
QToolBar QToolButton:checked { background: #DCE7F5; }
QToolButton#ControlButton[control="on"] { background: #E64A19; color: #FFFFFF; font-weight: bold; }
QToolButton#EndButton { color: #A61B1B; font-weight: bold; }
QStatusBar { background: #FFFFFF; border-top: 1px solid #DDE3EA; }
QStatusBar QLabel { padding: 0 8px; }
QLabel#ControlBadge[control="on"] { background: #E64A19; color: #FFFFFF; font-weight: bold; border-radius: 4px; }
QLabel#RecordBadge[recording="on"] { color: #C0262D; font-weight: bold; }
QDockWidget::title { background: #EEF2F6; padding: 4px 8px; }
QProgressBar { border: 1px solid #B8C2CC; border-radius: 4px; background: #FFFFFF; text-align: center; }
QProgressBar::chunk { background: #1E5AA8; border-radius: 3px; }
)css";

}  // namespace

void ApplySupporterStyle(QApplication* app) {
  app_ui::ApplyAppStyle(app, {.body_point_size = kBodyPt,
                              .background = QColor(0xF5, 0xF7, 0xFA),
                              .text = QColor(0x1B, 0x24, 0x30),
                              .accent = QColor(0x1E, 0x5A, 0xA8),
                              .style_sheet = kStyleSheet});
}

QVBoxLayout* AddCentredCard(QVBoxLayout* outer,
                            QWidget* page,
                            int width,
                            int spacing) {
  auto* card = new QFrame(page);
  card->setObjectName(QStringLiteral("Card"));
  card->setFixedWidth(width);
  auto* column = new QVBoxLayout(card);
  column->setContentsMargins(28, 24, 28, 24);
  column->setSpacing(spacing);
  // Centred by stretches, not by an alignment flag: an aligned item gets
  // its size hint's height, which clips wrapped lines.
  auto* centre = new QHBoxLayout;
  centre->addStretch(1);
  centre->addWidget(card);
  centre->addStretch(1);
  outer->addLayout(centre);
  outer->addStretch(2);
  return column;
}

QString FormatSessionCode(std::string_view digits) {
  const QString s =
      QString::fromLatin1(digits.data(), static_cast<qsizetype>(digits.size()));
  return s.size() == 8 ? s.left(4) + QLatin1Char(' ') + s.mid(4) : s;
}

QString FormatFileSize(uint64_t bytes) {
  if (bytes == 1)
    return QStringLiteral("1 byte");
  if (bytes < 1000)
    return QStringLiteral("%1 bytes").arg(bytes);
  static constexpr const char* kUnits[] = {"KB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes) / 1000.0;
  int unit = 0;
  while (value >= 1000.0 && unit < 3) {
    value /= 1000.0;
    ++unit;
  }
  return QStringLiteral("%1 %2")
      .arg(value, 0, 'f', value < 100 ? 1 : 0)
      .arg(QLatin1String(kUnits[unit]));
}

QString FormatCountdown(std::chrono::seconds left) {
  const long long s = std::max<long long>(0, left.count());
  return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10,
                                                 QLatin1Char('0'));
}

}  // namespace tether::supporter::ui
