#include "customer-app/ui/style.h"

#include <QApplication>
#include <QFont>
#include <QLabel>
#include <QLayout>
#include <QPalette>
#include <QPushButton>
#include <QScreen>
#include <QStyle>
#include <QStyleFactory>
#include <QWidget>

#include <algorithm>
#include <limits>
#include <string>

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

bool IsHiddenCharacter(char32_t c) {
  if (c < 0x20 || (c >= 0x7F && c < 0xA0))
    return true;  // C0, DEL, C1
  if (c >= 0x200B && c <= 0x200F)
    return true;  // zero-width, LRM, RLM
  if (c >= 0x202A && c <= 0x202E)
    return true;  // embeddings, overrides
  if (c >= 0x2066 && c <= 0x2069)
    return true;  // isolates
  if (c == 0x061C || c == 0xFEFF)
    return true;  // ALM, BOM
  return false;
}

}  // namespace

void ApplyCustomerStyle(QApplication* app) {
  app->setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
  QFont font(QStringLiteral("DejaVu Sans"));
  font.setPointSize(kBodyPt);
  app->setFont(font);
  QPalette palette = app->style()->standardPalette();
  palette.setColor(QPalette::Window, QColor(0xF5, 0xF7, 0xFA));
  palette.setColor(QPalette::WindowText, QColor(0x1B, 0x24, 0x30));
  palette.setColor(QPalette::Base, Qt::white);
  palette.setColor(QPalette::Text, QColor(0x1B, 0x24, 0x30));
  palette.setColor(QPalette::Highlight, QColor(0x1E, 0x5A, 0xA8));
  palette.setColor(QPalette::HighlightedText, Qt::white);
  palette.setColor(QPalette::Button, Qt::white);
  palette.setColor(QPalette::ButtonText, QColor(0x1B, 0x24, 0x30));
  app->setPalette(palette);
  app->setStyleSheet(QString::fromLatin1(kStyleSheet));
}

void SetButtonRole(QPushButton* button, const char* role) {
  button->setProperty("role", QString::fromLatin1(role));
  button->style()->unpolish(button);
  button->style()->polish(button);
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

QLabel* UntrustedLabel(const QString& text, QWidget* parent) {
  auto* label = new QLabel(parent);
  label->setTextFormat(Qt::PlainText);
  label->setTextInteractionFlags(Qt::NoTextInteraction);
  label->setWordWrap(true);
  label->setText(text);
  return label;
}

QLabel* TextLabel(const QString& text,
                  int point_size,
                  bool bold,
                  QWidget* parent) {
  auto* label = UntrustedLabel(text, parent);
  QFont font = label->font();
  font.setPointSize(point_size);
  font.setBold(bold);
  label->setFont(font);
  return label;
}

QString DisplayText(std::string_view utf8, int max_chars, bool keep_newlines) {
  // fromUtf8 replaces invalid sequences with U+FFFD.
  const QString decoded =
      QString::fromUtf8(utf8.data(), static_cast<qsizetype>(utf8.size()));
  QString out;
  out.reserve(decoded.size());
  int kept = 0;
  for (char32_t c : decoded.toUcs4()) {
    if (kept >= max_chars) {
      out.append(QChar(0x2026));  // …
      break;
    }
    if (c == U'\n' && keep_newlines) {
      out.append(QLatin1Char('\n'));
    } else if (c == U'\t') {
      out.append(QLatin1Char(' '));
    } else if (c == U'\r') {
      continue;
    } else if (IsHiddenCharacter(c)) {
      if (c == U'\n')
        out.append(QLatin1Char(' '));
      continue;
    } else {
      out.append(QString::fromUcs4(&c, 1));
    }
    ++kept;
  }
  return out;
}

QString DisplayFileName(std::string_view utf8, int max_chars) {
  // Cleaned first (no hidden characters), then measured in characters.
  std::u32string all;
  for (char32_t c :
       DisplayText(utf8, std::numeric_limits<int>::max()).trimmed().toUcs4())
    all.push_back(c);
  const auto size = static_cast<qsizetype>(all.size());
  if (size <= max_chars)
    return QString::fromUcs4(all.data(), size);
  const size_t dot = all.rfind(U'.');
  const qsizetype extension =
      dot == std::u32string::npos ? 0 : size - static_cast<qsizetype>(dot);
  // The end keeps at least the extension, and a third of the room.
  const qsizetype tail = std::min<qsizetype>(
      std::max<qsizetype>(extension, max_chars / 3), max_chars - 1);
  const qsizetype head = max_chars - 1 - tail;
  QString out = QString::fromUcs4(all.data(), head);
  out.append(QChar(0x2026));  // …
  out.append(QString::fromUcs4(all.data() + size - tail, tail));
  return out;
}

QString FormatSas(std::string_view sas) {
  const QString s =
      QString::fromUtf8(sas.data(), static_cast<qsizetype>(sas.size()));
  if (s.size() == 6)
    return s.left(3) + QLatin1Char(' ') + s.mid(3);
  return s;
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
