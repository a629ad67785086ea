#pragma once

// How serious an ending or a problem is, as both apps show it: the "tone"
// property their style sheets colour a box by (calm, problem, danger).

class QWidget;

namespace tether::app_ui {

enum class EndTone {
  kCalm,     // ended as expected (by this side or by the other)
  kProblem,  // something went wrong; trying again may help
  kDanger,   // the server is not the company's: do not continue
};

// Gives `box` the tone's property and re-applies the style sheet.
void SetTone(QWidget* box, EndTone tone);

}  // namespace tether::app_ui
