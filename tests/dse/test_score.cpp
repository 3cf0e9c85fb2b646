// Formula (1) and the Pareto front: the figures the explorer ranks designs by.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "dse/Score.h"
#include "models/core/Error.h"

using namespace fpgallm;
using dse::Objectives;

namespace {

Objectives obj(double dec, double pre, double mem, double acc, double res = 0.5) {
  Objectives o;
  o.decode_tps = dec;
  o.prefill_tps = pre;
  o.memory_bytes = mem;
  o.accuracy = acc;
  o.resources = res;
  return o;
}

}  // namespace

TEST(Score, EachTermIsTheRatioToTheBaselineOverItsLargestValue) {
  const Objectives base = obj(2, 10, 1000, 0.8);
  // a: twice the decode rate, half the memory; b: the best prefill and accuracy.
  const std::vector<Objectives> c = {obj(4, 10, 500, 0.8), obj(2, 20, 1000, 1.0)};
  const dse::ScoreWeights w;  // 0.4 accuracy, 0.2 memory, prefill, decode
  const std::vector<double> s = dse::score(c, base, w);
  ASSERT_EQ(s.size(), 2u);
  // a: acc 1/1.25, mem 2/2, pre 1/2, dec 2/2; b: acc 1.25/1.25, mem 1/2, pre 2/2, dec 1/2.
  EXPECT_DOUBLE_EQ(s[0], 0.4 * (1.0 / 1.25) + 0.2 * 1.0 + 0.2 * 0.5 + 0.2 * 1.0);
  EXPECT_DOUBLE_EQ(s[1], 0.4 * 1.0 + 0.2 * 0.5 + 0.2 * 1.0 + 0.2 * 0.5);
}

TEST(Score, ABaselineWithoutFiguresIsAnError) {
  EXPECT_THROW(dse::score({obj(1, 1, 1, 1)}, obj(0, 1, 1, 1), dse::ScoreWeights{}), Error);
}

TEST(Pareto, APointBetterSomewhereAndNoWorseAnywhereDominates) {
  EXPECT_TRUE(dse::dominates(obj(2, 1, 100, 0.9), obj(1, 1, 100, 0.9)));
  EXPECT_TRUE(dse::dominates(obj(1, 1, 90, 0.9), obj(1, 1, 100, 0.9)));     // less memory
  EXPECT_TRUE(dse::dominates(obj(1, 1, 100, 0.9, 0.4), obj(1, 1, 100, 0.9, 0.5)));  // fewer resources
  EXPECT_FALSE(dse::dominates(obj(1, 1, 100, 0.9), obj(1, 1, 100, 0.9)));  // equal: neither
  EXPECT_FALSE(dse::dominates(obj(2, 1, 110, 0.9), obj(1, 1, 100, 0.9)));  // a trade-off
}

TEST(Pareto, TheFrontKeepsTradeOffsAndTiesAndDropsDominatedPoints) {
  const std::vector<Objectives> c = {
      obj(1, 1, 100, 0.9),  // 0: dominated by 2
      obj(3, 1, 200, 0.9),  // 1: fastest, biggest
      obj(2, 1, 100, 0.9),  // 2: a trade-off with 1
      obj(2, 1, 100, 0.9),  // 3: tied with 2: neither dominates
      obj(2, 1, 100, 0.8),  // 4: dominated by 2 (accuracy)
  };
  EXPECT_EQ(dse::pareto_front(c), (std::vector<size_t>{1, 2, 3}));
}

TEST(Pareto, NonDominatedOnMinimisedRowsAgreesWithTheFront) {
  const std::vector<Objectives> c = {obj(1, 2, 100, 0.9), obj(2, 1, 100, 0.9), obj(1, 1, 120, 0.9),
                                     obj(2, 2, 100, 0.7), obj(0.5, 0.5, 200, 0.5)};
  std::vector<std::vector<double>> rows;
  for (const auto& o : c) rows.push_back({-o.decode_tps, -o.prefill_tps, o.memory_bytes, -o.accuracy, o.resources});
  const std::vector<bool> keep = dse::non_dominated(rows);
  std::vector<size_t> front;
  for (size_t i = 0; i < keep.size(); ++i)
    if (keep[i]) front.push_back(i);
  EXPECT_EQ(front, dse::pareto_front(c));
  EXPECT_EQ(front, (std::vector<size_t>{0, 1, 3}));
}

TEST(Pareto, ANanObjectiveNeitherDominatesNorIsDominatedOnIt) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(dse::dominates_minimised({nan, 1}, {2, 2}));
  EXPECT_FALSE(dse::dominates_minimised({1, 1}, {nan, 2}));
}
