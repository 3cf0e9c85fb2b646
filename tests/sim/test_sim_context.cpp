#include "tests/sim/SimFixture.h"

using fpgallm::test::SimTest;

namespace {
struct Ticker : sc_core::sc_module {
  int ticks = 0;
  SC_HAS_PROCESS(Ticker);
  explicit Ticker(sc_core::sc_module_name n) : sc_module(n) { SC_THREAD(run); }
  void run() {
    for (int i = 0; i < 3; ++i) { wait(sc_core::sc_time(10, sc_core::SC_NS)); ++ticks; }
  }
};
}  // namespace

// Two tests that each elaborate and run: only possible because the fixture renews the context.
TEST_F(SimTest, FreshContextRunsFromTimeZero) {
  Ticker t("ticker");
  sc_core::sc_start();
  EXPECT_EQ(t.ticks, 3);
  EXPECT_EQ(sc_core::sc_time_stamp(), sc_core::sc_time(30, sc_core::SC_NS));
}

TEST_F(SimTest, SecondElaborationInSameProcessWorks) {
  Ticker t("ticker");
  sc_core::sc_start();
  EXPECT_EQ(sc_core::sc_time_stamp(), sc_core::sc_time(30, sc_core::SC_NS));
}
