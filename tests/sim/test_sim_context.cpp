#include <cmath>
#include <random>

#include "sim/tlm/TimeConv.h"
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

// The hot paths convert times with TimeConv instead of the library calls: the figures must not move.
TEST_F(SimTest, TimeConvGivesExactlyWhatTheKernelGives) {
  const fpgallm::sim::TimeConv conv;
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> frac(0.0, 1.0);
  for (int i = 0; i < 200000; ++i) {
    // Whole, half and arbitrary picosecond values across the range the models use (up to ~1 s).
    const double scale = std::pow(10.0, static_cast<double>(i % 13));
    const double ps = i % 3 == 0 ? std::floor(frac(rng) * scale) + 0.5 : frac(rng) * scale;
    ASSERT_EQ(conv.from_ps(ps), sc_core::sc_time(ps, sc_core::SC_PS)) << ps;
    const sc_core::sc_time t = sc_core::sc_time::from_value(rng() >> (i % 40 + 10));
    ASSERT_EQ(conv.ns(t), t.to_seconds() * 1e9) << t.value();
  }
  EXPECT_EQ(conv.from_ps(0.0), sc_core::SC_ZERO_TIME);
}
