// DSE evaluator speed: analytic points per second on one core (goal >= 10,000/s) over the points
// of configs/sweep/gs_pe.yaml, and SystemC finalists per minute with the spec's finalist settings
// (full-size Qwen2.5-0.5B shapes, fast fidelity, timing-only, as `fpgallm sweep-point` runs them).
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "dse/Analytic.h"
#include "dse/Resources.h"
#include "dse/Sweep.h"
#include "dse/SweepSpec.h"

namespace {

using namespace fpgallm;
using namespace fpgallm::dse;

// CMake passes the absolute data folder; the configs sit beside it in the source tree.
std::string source_dir() { return std::filesystem::path(FPGALLM_DATA_DIR).parent_path().string(); }

const SweepSpec& gs_pe() {
  static const SweepSpec s = load_sweep_spec(source_dir() + "/configs/sweep/gs_pe.yaml");
  return s;
}

/** The gs_pe points whose configs parse (built once, outside the timed loop). */
const std::vector<DesignPoint>& points() {
  static const std::vector<DesignPoint> pts = [] {
    std::vector<DesignPoint> v;
    for (const auto& p : enumerate_points(gs_pe())) {
      DesignPoint d = make_point(gs_pe(), p);
      if (d.config_error.empty()) v.push_back(std::move(d));
    }
    return v;
  }();
  return pts;
}

/** The analytic model alone: construct from the point's SoC config, evaluate the spec's workload. */
void BM_AnalyticPoint(benchmark::State& state) {
  const auto& pts = points();
  const Workload w{gs_pe().prompt_len, gs_pe().gen};
  size_t i = 0;
  for (auto _ : state) {
    const DesignPoint& p = pts[i++ % pts.size()];
    benchmark::DoNotOptimize(AnalyticModel(p.soc).evaluate(p.model, w).decode_ns);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["points_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AnalyticPoint);

/** A whole analytic sweep row: resources, DDR footprint, feasibility and the analytic model. */
void BM_AnalyticRow(benchmark::State& state) {
  const auto& pts = points();
  const ResourceCosts costs = load_resource_costs(gs_pe().costs_file);
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(evaluate_analytic(gs_pe(), pts[i++ % pts.size()], costs));
  state.counters["rows_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AnalyticRow);

/** One SystemC finalist (the base point) with the spec's finalist settings. */
void BM_SystemCFinalist(benchmark::State& state) {
  const DesignPoint base = make_base_point(gs_pe());
  const SystemCOptions o = systemc_options(gs_pe());
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) benchmark::DoNotOptimize(evaluate_systemc(gs_pe(), base, o));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  state.counters["finalists_per_min"] = 60.0 * static_cast<double>(state.iterations()) / s;
}
BENCHMARK(BM_SystemCFinalist)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
