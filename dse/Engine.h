#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dse/Executor.h"
#include "dse/Progress.h"
#include "dse/Sweep.h"

namespace fpgallm::dse {

/**
 * Chooses the points the analytic pass evaluates: ask() hands out a batch, tell() returns their
 * rows with their accuracy figures (a search that learns from them, such as NSGA-II, picks the next
 * batch from them); an empty batch ends the search. Each point is asked at most once (the engine
 * refuses a repeat) and must satisfy the spec's constraints.
 */
class SearchStrategy {
 public:
  virtual ~SearchStrategy() = default;
  virtual std::vector<PointIndex> ask() = 0;
  virtual void tell(const std::vector<PointIndex>& points, const std::vector<nlohmann::json>& rows) = 0;
  /** "400 points (3 axes, full grid)", "NSGA-II, budget 200" (for the sweep's first progress note). */
  virtual std::string describe() const = 0;
};

/** The spec's own sampling: its full grid or its seeded random sample (enumerate_points), one batch. */
std::unique_ptr<SearchStrategy> spec_sampling(const SweepSpec& spec);

/** Evaluates one design point into a row (the analytic model, or the SystemC simulator). */
class Evaluator {
 public:
  virtual ~Evaluator() = default;
  virtual EvaluatorKind kind() const = 0;
  virtual nlohmann::json evaluate(const DesignPoint& p) const = 0;
};

/** evaluate_analytic with the spec's resource costs (loaded once). */
class AnalyticEvaluator final : public Evaluator {
 public:
  explicit AnalyticEvaluator(const SweepSpec& spec);
  EvaluatorKind kind() const override { return EvaluatorKind::Analytic; }
  nlohmann::json evaluate(const DesignPoint& p) const override;

 private:
  const SweepSpec& spec_;
  ResourceCosts costs_;
};

/** evaluate_systemc with the spec's finalist settings (or an overridden fidelity). */
class SystemCEvaluator final : public Evaluator {
 public:
  SystemCEvaluator(const SweepSpec& spec, SystemCOptions o) : spec_(spec), o_(o) {}
  EvaluatorKind kind() const override { return EvaluatorKind::SystemC; }
  nlohmann::json evaluate(const DesignPoint& p) const override;

 private:
  const SweepSpec& spec_;
  SystemCOptions o_;
};

/** Writes accuracy figures into a row: accuracy_top1, accuracy_kl, and stories_ppl when measured. */
void put_accuracy(const AccuracyFigures& f, nlohmann::json& row);

/**
 * A design point's accuracy figures: measured (once per quantization setting, cached) when the spec
 * measures accuracy, else the fp32-equal defaults (top-1 1, KL 0) that leave the score's accuracy term neutral.
 */
AccuracyFigures point_accuracy(const SweepSpec& spec, AccuracyCache& cache, const sim::AccelConfig& accel);

/**
 * Score (formula (1), baseline = `base`) and the Pareto flag of every feasible row; infeasible rows
 * get pareto = false. Returns the indices of the feasible rows.
 */
std::vector<size_t> rank_rows(std::vector<nlohmann::json>& rows, const nlohmann::json& base, const ScoreWeights& w);

/**
 * The one finalist policy (the sweep's and explore's): the `top_k` ranked rows by score, then the
 * Pareto rows in score order when `pareto`, capped at `max_finalists`. Rows must be ranked
 * (rank_rows); returns row indices.
 */
std::vector<size_t> select_finalists(const std::vector<nlohmann::json>& rows, const FinalistOptions& f);

struct SweepOptions {
  std::string spec_file;
  std::string out;         ///< output folder (required): results, journals that make reruns resume
  std::string cache_dir;   ///< accuracy cache (empty: OUT/accuracy_cache)
  std::string worker_exe;  ///< the fpgallm CLI whose `sweep-point` simulates one finalist
  std::string scheduler;   ///< non-empty: finalists on this Dask cluster
  int64_t jobs = 0;        ///< local finalist processes (0: one per core)
  bool systemc = true;     ///< false: the analytic pass only
  bool quiet = false;      ///< also silences the Dask driver
};

struct SweepResult {
  SweepSpec spec;
  std::vector<nlohmann::json> rows;   ///< one per point, in the strategy's order
  nlohmann::json base;                ///< the base configs' row (the score's baseline)
  std::vector<size_t> finalists;      ///< rows simulated in SystemC, in the finalist policy's order
  size_t feasible = 0, pareto = 0, cycle_reruns = 0;
  std::optional<size_t> best;    ///< row index of the best point
  bool best_by_systemc = false;  ///< best ranked on simulated figures (else the analytic score)
  double seconds = 0;
};

/**
 * A whole sweep: the analytic pass over the strategy's points (resumable through OUT/analytic.jsonl),
 * accuracy per quantization setting, score and Pareto front, the finalists simulated by the
 * executor (OUT/systemc.jsonl), the best point, and the outputs (results/pareto CSV and JSON,
 * best.yaml, summary.json). `strategy` null: the spec's own sampling.
 */
SweepResult run_sweep(const SweepOptions& o, SweepProgress& progress, SearchStrategy* strategy = nullptr);

}  // namespace fpgallm::dse
