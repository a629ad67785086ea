#pragma once

// The supporter UI tests' QApplication (tests/support/qt_test_environment.h)
// with tether-supporter's style. Every test file includes this header; the
// inline variable registers the environment once.

#include "supporter-app/ui/style.h"
#include "tests/support/qt_test_environment.h"

namespace tether::supporter::ui::test {

inline ::testing::Environment* const kQtEnvironment =
    tether::test::RegisterQtEnvironment("tether_supporter_ui_tests",
                                        &ApplySupporterStyle);

using tether::test::Flush;
using tether::test::ProcessEventsUntil;

}  // namespace tether::supporter::ui::test
