#pragma once
#include <cstddef>
#include <vector>

#include "dse/SweepSpec.h"

namespace fpgallm::dse {

/** The figures a point is judged on (higher is better except memory and resources). */
struct Objectives {
  double decode_tps = 0, prefill_tps = 0;
  double memory_bytes = 0;
  double accuracy = 0;
  double resources = 0;  ///< largest used/available ratio over LUT, FF, DSP, BRAM, URAM
};

/**
 * Formula (1) of arXiv 2504.17376: score = w_acc·acc/MAX + w_mem·mem/MAX + w_pre·prefill/MAX +
 * w_dec·decode/MAX, where each term is the candidate's ratio to the baseline (memory as
 * baseline/candidate, so smaller is better) and MAX is that ratio's largest value over the
 * candidates. Returns one score per candidate.
 */
std::vector<double> score(const std::vector<Objectives>& candidates, const Objectives& baseline, const ScoreWeights& w);

/** Indices of the candidates no other candidate dominates over all five objectives, ascending. */
std::vector<size_t> pareto_front(const std::vector<Objectives>& candidates);

/** True when a is at least as good as b everywhere and better somewhere. */
bool dominates(const Objectives& a, const Objectives& b);

/**
 * The one dominance test, on objectives all to be minimised (negate the maximised ones): a
 * dominates b when a <= b everywhere and a < b somewhere. NaN compares false, so a point with a NaN
 * objective neither dominates nor is dominated on it.
 */
bool dominates_minimised(const std::vector<double>& a, const std::vector<double>& b);

/** Per point (rows of objectives, all minimised): no other point dominates it. */
std::vector<bool> non_dominated(const std::vector<std::vector<double>>& points);

}  // namespace fpgallm::dse
