#include "relay/limits/source_row_budget.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "tests/fakes/manual_clock.h"

namespace tether::relay {
namespace {

using std::chrono::seconds;

TEST(SourceRowBudgetTest, EachSourceWritesItsShareThenIsCounted) {
  tether::test::ManualClock clock;
  SourceRowBudget budget(3, seconds(600), clock);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(budget.Take("192.0.2.1/32"));
  }
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(budget.Take("192.0.2.1/32"));
  }
  EXPECT_TRUE(budget.Take("192.0.2.2/32"));      // another source has its own
  EXPECT_TRUE(budget.EndWindowIfDue().empty());  // not yet
  clock.Advance(seconds(600));
  auto over = budget.EndWindowIfDue();
  ASSERT_EQ(over.size(), 1u);
  EXPECT_EQ(over[0].source, "192.0.2.1/32");
  EXPECT_EQ(over[0].suppressed, 100u);
  // A new window: the source may write again.
  EXPECT_TRUE(budget.Take("192.0.2.1/32"));
  EXPECT_TRUE(budget.EndWindowIfDue().empty());
}

TEST(SourceRowBudgetTest, SourcesPastTheCapShareOneSummary) {
  tether::test::ManualClock clock;
  SourceRowBudget budget(0, seconds(60), clock);
  for (size_t i = 0; i < SourceRowBudget::kMaxSources + 5; ++i) {
    EXPECT_FALSE(budget.Take("s" + std::to_string(i)));
  }
  clock.Advance(seconds(60));
  auto over = budget.EndWindowIfDue();
  EXPECT_EQ(over.size(), SourceRowBudget::kMaxSources + 1);
  uint64_t other = 0;
  for (const auto& summary : over) {
    if (summary.source == SourceRowBudget::kOtherSources)
      other = summary.suppressed;
  }
  EXPECT_EQ(other, 5u);
}

}  // namespace
}  // namespace tether::relay
