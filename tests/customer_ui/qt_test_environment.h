#pragma once

// The customer UI tests' QApplication (tests/support/qt_test_environment.h)
// with tether-customer's style. Every test file includes this header; the
// inline variable registers the environment once.

#include "customer-app/ui/style.h"
#include "tests/support/qt_test_environment.h"

namespace tether::customer::ui::test {

inline ::testing::Environment* const kQtEnvironment =
    tether::test::RegisterQtEnvironment("tether_customer_ui_tests",
                                        &ApplyCustomerStyle);

using tether::test::Flush;
using tether::test::ProcessEventsUntil;

}  // namespace tether::customer::ui::test
