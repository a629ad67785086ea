#include "app-ui/end_tone.h"

#include <QString>
#include <QWidget>

#include "app-ui/app_style.h"

namespace tether::app_ui {
namespace {

const char* ToneName(EndTone tone) {
  switch (tone) {
    case EndTone::kCalm:
      return "calm";
    case EndTone::kProblem:
      return "problem";
    case EndTone::kDanger:
      return "danger";
  }
  return "problem";
}

}  // namespace

void SetTone(QWidget* box, EndTone tone) {
  box->setProperty("tone", QString::fromLatin1(ToneName(tone)));
  Repolish(box);
}

}  // namespace tether::app_ui
