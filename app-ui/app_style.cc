#include "app-ui/app_style.h"

#include <QApplication>
#include <QFont>
#include <QLabel>
#include <QPalette>
#include <QPushButton>
#include <QStyle>
#include <QStyleFactory>
#include <QWidget>

namespace tether::app_ui {

void ApplyAppStyle(QApplication* app, const AppLook& look) {
  app->setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
  QFont font(QStringLiteral("DejaVu Sans"));
  font.setPointSize(look.body_point_size);
  app->setFont(font);
  QPalette palette = app->style()->standardPalette();
  palette.setColor(QPalette::Window, look.background);
  palette.setColor(QPalette::WindowText, look.text);
  palette.setColor(QPalette::Base, Qt::white);
  palette.setColor(QPalette::Text, look.text);
  palette.setColor(QPalette::Highlight, look.accent);
  palette.setColor(QPalette::HighlightedText, Qt::white);
  palette.setColor(QPalette::Button, Qt::white);
  palette.setColor(QPalette::ButtonText, look.text);
  app->setPalette(palette);
  app->setStyleSheet(QString::fromLatin1(look.style_sheet));
}

void SetButtonRole(QPushButton* button, const char* role) {
  button->setProperty("role", QString::fromLatin1(role));
  Repolish(button);
}

void Repolish(QWidget* widget) {
  widget->style()->unpolish(widget);
  widget->style()->polish(widget);
  widget->update();
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

}  // namespace tether::app_ui
