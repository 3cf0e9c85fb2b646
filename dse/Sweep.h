#pragma once
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dse/Accuracy.h"
#include "dse/Analytic.h"
#include "dse/Resources.h"
#include "dse/Score.h"
#include "dse/SweepSpec.h"

namespace fpgallm::dse {

/** The bytes of a file ("" when it cannot be read): sweep inputs, worker outputs. */
std::string file_text(const std::string& path);

/**
 * Append-only JSON-lines file of finished points, one object per line with an "id". Each append
 * is flushed to the OS before returning, so a killed sweep (Ctrl-C or SIGKILL) loses no finished
 * point; a torn last line (killed mid-write) is ignored on reload and the point runs again.
 */
class Journal {
 public:
  explicit Journal(std::string path);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  bool has(const std::string& id) const { return rows_.count(id) != 0; }
  const nlohmann::json& row(const std::string& id) const { return rows_.at(id); }
  const std::map<std::string, nlohmann::json>& rows() const { return rows_; }
  /** Records a finished point (a second row for the same id is ignored: no duplicates). */
  void append(const nlohmann::json& row);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
  std::map<std::string, nlohmann::json> rows_;
};

/** The evaluator behind a row: analytic (every point) or the SystemC simulator (finalists). */
enum class EvaluatorKind { Analytic, SystemC };

/**
 * Evaluates a point with the analytic model: configs, resources (infeasible points name the
 * resource), DDR footprint, prefill/decode tokens/s. A flat JSON row (axis values by axis name).
 * Needs no SystemC context: thousands of points per second.
 */
nlohmann::json evaluate_analytic(const SweepSpec& spec, const DesignPoint& p, const ResourceCosts& costs);

/**
 * True when a finalist's analytic row says the DDR is its limit (decode_pl_ddr_busy_pct at least
 * finalists.cycle_above_ddr_busy_pct) and the finalists run in fast fidelity: it runs in cycle
 * fidelity too, and those figures rank it.
 */
bool reruns_in_cycle(const SweepSpec& spec, const nlohmann::json& row);

/**
 * Merges a SystemC row into a point's row: its systemc_* fields, or cycle_* for a cycle re-run of a
 * fast-fidelity sweep; sets figures_from to the fidelity whose figures rank the row (cycle over
 * the finalists' fidelity over analytic).
 */
void merge_systemc_row(const SweepSpec& spec, const nlohmann::json& sim_row, nlohmann::json& row);

/** A row's numeric field, 0 when absent or not a number. */
double row_number(const nlohmann::json& row, const char* key);

/** A row's objectives: its analytic figures, or (systemc) those of its finalist run. */
Objectives row_objectives(const nlohmann::json& row, bool systemc);

/**
 * A simulated finalist's objectives on the figures that rank it: its cycle-fidelity figures when
 * it has them, expressed against the base's run in the same fidelity (the score takes ratios to
 * the base, so each ratio compares like with like); else its finalist-fidelity figures.
 */
Objectives ranked_objectives(const nlohmann::json& row, const nlohmann::json& base);

/** SystemC options for finalists (the spec's `finalists:` section). */
struct SystemCOptions {
  sim::Fidelity fidelity = sim::Fidelity::Fast;
  bool timing_only = false;
  int64_t prompt_len = 8, gen = 2;
};
SystemCOptions systemc_options(const SweepSpec& spec);

/**
 * Runs the point through sim::simulate() (synthetic weights of the point's model, RTN-quantized to
 * its MACRO layout) and returns {id, systemc_prefill_tps, systemc_decode_tps, ...}, together with
 * the analytic figures for the same short workload, so the two evaluators compare like for like.
 */
nlohmann::json evaluate_systemc(const SweepSpec& spec, const DesignPoint& p, const SystemCOptions& o);

/** Analytic figures of a point for an explicit workload (for the SystemC comparison). */
PerfFigures analytic_perf(const DesignPoint& p, const Workload& w);

/** Column order of results.csv: fixed columns, then the axes, then the rest. */
std::vector<std::string> csv_columns(const SweepSpec& spec, const std::vector<nlohmann::json>& rows);
void write_csv(const std::string& path, const std::vector<std::string>& cols, const std::vector<nlohmann::json>& rows);

/** The accel YAML of a point with its name set, ready for `fpgallm run --accel`. */
std::string point_accel_yaml(const SweepSpec& spec, const DesignPoint& p, const std::string& name);

}  // namespace fpgallm::dse
