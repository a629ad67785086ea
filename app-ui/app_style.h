#pragma once

// How both apps apply their look, and the widgets whose behaviour the look
// relies on. What an app looks like (sizes, colours, its style sheet) stays
// in its own ui/style.cc; this is only the mechanism.

#include <QColor>
#include <QString>

class QApplication;
class QLabel;
class QPushButton;
class QWidget;

namespace tether::app_ui {

// One app's look, as its ui/style.cc defines it.
struct AppLook {
  int body_point_size = 0;  // the default font (DejaVu Sans)
  QColor background;        // windows
  QColor text;              // all text on background and on white
  QColor accent;            // selections
  const char* style_sheet = "";
};

// Fusion style, the palette (white fields and buttons), the default font
// and the style sheet.
void ApplyAppStyle(QApplication* app, const AppLook& look);

// What a button is for, as the style sheets select it: "primary" (the one
// obvious action), "safe" (the default answer of a prompt: refuse),
// "allow" (the other answer), "danger" or "secondary".
void SetButtonRole(QPushButton* button, const char* role);
// Re-applies the style sheet after a dynamic property it selects on changed.
void Repolish(QWidget* widget);

// A label for text the other side chose (names, reasons, file names, chat):
// always plain text, never rich text or links, wrapped.
QLabel* UntrustedLabel(const QString& text, QWidget* parent = nullptr);
// The same in the given size, optionally bold.
QLabel* TextLabel(const QString& text,
                  int point_size,
                  bool bold = false,
                  QWidget* parent = nullptr);

}  // namespace tether::app_ui
