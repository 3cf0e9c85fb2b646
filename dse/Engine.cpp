#include "dse/Engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "models/core/Error.h"

namespace fpgallm::dse {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

class SpecSampling final : public SearchStrategy {
 public:
  explicit SpecSampling(const SweepSpec& spec)
      : points_(enumerate_points(spec)),
        what_(fmt::format("{} points ({} axes{})", points_.size(), spec.axes.size(),
                          spec.random ? ", random sample" : ", full grid")) {}
  std::vector<PointIndex> ask() override { return std::exchange(points_, {}); }
  void tell(const std::vector<PointIndex>&, const std::vector<json>&) override {}
  std::string describe() const override { return what_; }

 private:
  std::vector<PointIndex> points_;
  std::string what_;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/** Journal id of a finalist's cycle-fidelity re-run. */
std::string cycle_id(const std::string& id) { return id + "@cycle"; }

/**
 * Journals are only reused for the same inputs: the spec, the base configs and the cost file are
 * fingerprinted into OUT/inputs.sha; a rerun against different inputs is an error, not a silent
 * mix of stale and fresh rows.
 */
void check_inputs(const SweepSpec& spec, const std::string& out) {
  std::string all;
  for (const auto& f : {spec.file, spec.platform_file, spec.accel_file, spec.costs_file}) all += file_text(f) + '\0';
  if (!spec.model.starts_with("synthetic:")) all += file_text(spec.model);
  const std::string fp = fmt::format("{:016x}\n", std::hash<std::string>{}(all));
  const fs::path f = fs::path(out) / "inputs.sha";
  if (fs::exists(f) && file_text(f.string()) != fp)
    fail("{}: holds a sweep of different inputs ({} or its base configs changed since); give a new --out or delete "
         "its *.jsonl journals", out, spec.file);
  std::ofstream(f) << fp;
}

/** The sweep's state between stages: the points, their rows, the base row. */
struct Sweep {
  const SweepOptions& o;
  SweepProgress& progress;
  SweepSpec spec;
  std::vector<PointIndex> points;
  std::vector<json> rows;
  json base;
  std::unique_ptr<AccuracyCache> accuracy;
  std::map<std::string, AccuracyFigures> accuracy_by_quant;  ///< measured this sweep, by quantization setting
};

/**
 * Puts the accuracy figures of row `r`'s quantization setting into it (a row without one, such as an
 * infeasible point's, is left alone), measuring each setting once (and the cache on disk across runs).
 */
void fill_accuracy(Sweep& s, json& r, const std::function<DesignPoint()>& point) {
  if (!r.contains("quant")) return;
  const std::string key = r["quant"];
  auto it = s.accuracy_by_quant.find(key);
  if (it == s.accuracy_by_quant.end()) {
    if (s.spec.accuracy.enabled) s.progress.note(fmt::format("[accuracy] {} ...", key));
    it = s.accuracy_by_quant.emplace(key, point_accuracy(s.spec, *s.accuracy, point().soc.accel)).first;
  }
  put_accuracy(it->second, r);
}

/**
 * 1. The analytic model over the strategy's points; finished points come from the journal. The
 * strategy is told each batch's rows with their accuracy figures (a search may optimise them).
 */
void analytic_pass(Sweep& s, const AnalyticEvaluator& analytic, SearchStrategy& strategy) {
  Journal journal((fs::path(s.o.out) / "analytic.jsonl").string());
  const auto t0 = std::chrono::steady_clock::now();
  size_t skipped = 0;
  double accuracy_seconds = 0;  // of the pass's time, spent measuring its batches' accuracy
  std::set<std::string> asked;
  for (std::vector<PointIndex> batch = strategy.ask(); !batch.empty(); batch = strategy.ask()) {
    const size_t total = s.points.size() + batch.size();
    const size_t first = s.points.size();
    for (const auto& p : batch) {
      const std::string id = point_id(s.spec, p);
      if (!asked.insert(id).second)
        fail("{}: the search strategy ({}) asked for point {} twice", s.spec.file, strategy.describe(), id);
      const bool earlier = journal.has(id);
      if (earlier) ++skipped;
      else journal.append(analytic.evaluate(make_point(s.spec, p)));
      s.points.push_back(p);
      s.rows.push_back(journal.row(id));
      if (earlier) continue;
      const double el = seconds_since(t0);
      const double rate = el > 0 ? static_cast<double>(s.points.size() - skipped) / el : 0;
      s.progress.update(fmt::format("[analytic] {}/{} points, {:.0f} points/s, ETA {}", s.points.size(), total, rate,
                                    format_eta(rate > 0 ? static_cast<double>(total - s.points.size()) / rate : NAN)));
    }
    const auto ta = std::chrono::steady_clock::now();
    for (size_t i = first; i < s.rows.size(); ++i)
      if (s.rows[i].value("feasible", false))
        fill_accuracy(s, s.rows[i], [&] { return make_point(s.spec, s.points[i]); });
    accuracy_seconds += seconds_since(ta);
    strategy.tell(batch, std::vector<json>(s.rows.begin() + static_cast<std::ptrdiff_t>(first), s.rows.end()));
  }
  s.progress.finish(fmt::format("[analytic] {} points in {:.2f} s ({} from an earlier run)", s.points.size(),
                                seconds_since(t0) - accuracy_seconds, skipped));
  s.base = analytic.evaluate(make_base_point(s.spec));
  if (!s.base.value("feasible", false))
    fail("{}: the base configs (the score's baseline) are not feasible: {}", s.spec.file, s.base.value("reason", ""));
}

/** 2. Accuracy of the base (the points' came with their batches): measured once per setting, cached on disk. */
void accuracy_pass(Sweep& s) {
  fill_accuracy(s, s.base, [&] { return make_base_point(s.spec); });
  s.progress.note(fmt::format("[accuracy] {} settings ({} measured now, the rest from {})", s.accuracy_by_quant.size(),
                              s.accuracy->computed(), s.o.cache_dir));
}

/** Finalists' jobs not yet in the journal: the base (and its cycle run), the finalists, the cycle re-runs. */
std::vector<FinalistJob> pending_jobs(const Sweep& s, const std::vector<size_t>& finalists,
                                      const std::vector<size_t>& cycle_reruns, const Journal& journal) {
  std::vector<FinalistJob> todo;
  if (!journal.has("base")) todo.push_back({"base", "", ""});
  if (!cycle_reruns.empty() && !journal.has(cycle_id("base"))) todo.push_back({cycle_id("base"), "", "cycle"});
  for (size_t i : finalists) {
    const std::string id = s.rows[i]["id"];
    if (!journal.has(id)) todo.push_back({id, index_text(s.points[i]), ""});
  }
  for (size_t i : cycle_reruns) {
    const std::string id = cycle_id(s.rows[i]["id"]);
    if (!journal.has(id)) todo.push_back({id, index_text(s.points[i]), "cycle"});
  }
  return todo;
}

/**
 * 4. The finalists (and, for DDR-bound ones, cycle re-runs with the base's) through the executor,
 * then every finished SystemC row merged into its point's row (an earlier run's too).
 */
void systemc_pass(Sweep& s, const std::vector<size_t>& finalists, const std::vector<size_t>& cycle_reruns) {
  const std::string path = (fs::path(s.o.out) / "systemc.jsonl").string();
  if (s.o.systemc) {
    std::vector<FinalistJob> todo;
    {
      const Journal journal(path);
      todo = pending_jobs(s, finalists, cycle_reruns, journal);
    }
    const auto exec = make_executor({s.o.worker_exe, s.o.spec_file, s.o.out, s.o.jobs, s.o.scheduler, s.o.quiet});
    s.progress.note(
        fmt::format("[systemc] {} finalists + base, {} to run ({} fidelity, prompt {} + {} decode steps), {}",
                    finalists.size(), todo.size(), sim::to_string(s.spec.finalists.fidelity),
                    s.spec.finalists.prompt_len, s.spec.finalists.gen, exec->describe()));
    if (!cycle_reruns.empty())
      s.progress.note(fmt::format("[systemc] {} finalists keep the DDR >= {:g}% busy in their PL decode jobs: they and "
                                  "the base also run in cycle fidelity, whose figures rank them",
                                  cycle_reruns.size(), s.spec.finalists.cycle_above_ddr_busy_pct));
    if (!todo.empty()) exec->run(todo, path, s.progress);
  }
  const Journal journal(path);
  auto merge = [&](json& r, bool cycle) {
    const std::string id = r["id"];
    if (journal.has(id)) merge_systemc_row(s.spec, journal.row(id), r);
    if (cycle && journal.has(cycle_id(id))) merge_systemc_row(s.spec, journal.row(cycle_id(id)), r);
  };
  merge(s.base, !cycle_reruns.empty());
  for (size_t i : finalists) {
    merge(s.rows[i], std::find(cycle_reruns.begin(), cycle_reruns.end(), i) != cycle_reruns.end());
    s.rows[i]["finalist"] = true;
  }
}

/**
 * 5. The best point: among the simulated finalists, the best score on the simulated figures (same
 * formula, baseline simulated the same way); the best analytic score when SystemC did not run.
 */
void pick_best(Sweep& s, const std::vector<size_t>& finalists, SweepResult& r) {
  if (s.base.contains("systemc_decode_tps")) {
    std::vector<size_t> simmed;
    std::vector<Objectives> so;
    for (size_t i : finalists)
      if (s.rows[i].contains("systemc_decode_tps")) {
        simmed.push_back(i);
        so.push_back(ranked_objectives(s.rows[i], s.base));
      }
    if (!simmed.empty()) {
      const auto sc = score(so, row_objectives(s.base, true), s.spec.weights);
      for (size_t k = 0; k < simmed.size(); ++k) s.rows[simmed[k]]["systemc_score"] = sc[k];
      r.best = simmed[static_cast<size_t>(std::max_element(sc.begin(), sc.end()) - sc.begin())];
      r.best_by_systemc = true;
      return;
    }
  }
  FinalistOptions first;
  first.top_k = 1;
  first.pareto = false;
  const auto top = select_finalists(s.rows, first);
  if (!top.empty()) r.best = top[0];
}

/** 6. results/pareto as CSV and JSON, best.yaml, summary.json. */
void write_outputs(const Sweep& s, const SweepResult& r) {
  const fs::path out(s.o.out);
  std::vector<json> pareto_rows;
  for (const auto& row : s.rows)
    if (row["pareto"].get<bool>()) pareto_rows.push_back(row);
  const auto cols = csv_columns(s.spec, s.rows);
  write_csv((out / "results.csv").string(), cols, s.rows);
  write_csv((out / "pareto.csv").string(), cols, pareto_rows);
  std::ofstream(out / "results.json") << json(s.rows).dump(1) << "\n";
  std::ofstream(out / "pareto.json") << json(pareto_rows).dump(1) << "\n";
  json summary{{"spec", s.spec.file},
               {"points", s.rows.size()},
               {"feasible", r.feasible},
               {"finalists", r.finalists.size()},
               {"base", s.base}};
  if (r.best) {
    const size_t b = *r.best;
    std::ofstream(out / "best.yaml") << point_accel_yaml(s.spec, make_point(s.spec, s.points[b]),
                                                         s.spec.name + "_best");
    summary["best"] = s.rows[b];
    summary["best_by"] = r.best_by_systemc ? "systemc_score" : "score";
    summary["best_figures_from"] = s.rows[b].value("figures_from", std::string("analytic"));
    summary["cycle_reruns"] = r.cycle_reruns;
  }
  std::ofstream(out / "summary.json") << summary.dump(1) << "\n";
}

}  // namespace

std::unique_ptr<SearchStrategy> spec_sampling(const SweepSpec& spec) { return std::make_unique<SpecSampling>(spec); }

AnalyticEvaluator::AnalyticEvaluator(const SweepSpec& spec)
    : spec_(spec), costs_(load_resource_costs(spec.costs_file)) {}

json AnalyticEvaluator::evaluate(const DesignPoint& p) const { return evaluate_analytic(spec_, p, costs_); }

json SystemCEvaluator::evaluate(const DesignPoint& p) const { return evaluate_systemc(spec_, p, o_); }

void put_accuracy(const AccuracyFigures& f, json& row) {
  row["accuracy_top1"] = f.top1;
  row["accuracy_kl"] = f.kl;
  if (f.ppl > 0) row["stories_ppl"] = f.ppl;
}

AccuracyFigures point_accuracy(const SweepSpec& spec, AccuracyCache& cache, const sim::AccelConfig& accel) {
  return spec.accuracy.enabled ? cache.get(quant_setting(accel)) : AccuracyFigures{};
}

std::vector<size_t> rank_rows(std::vector<json>& rows, const json& base, const ScoreWeights& w) {
  std::vector<size_t> feasible;
  std::vector<Objectives> objs;
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i].value("feasible", false)) {
      feasible.push_back(i);
      objs.push_back(row_objectives(rows[i], false));
    }
  if (!feasible.empty()) {
    const auto sc = score(objs, row_objectives(base, false), w);
    for (size_t k = 0; k < feasible.size(); ++k) rows[feasible[k]]["score"] = sc[k];
    for (size_t k : pareto_front(objs)) rows[feasible[k]]["pareto"] = true;
  }
  for (auto& r : rows)
    if (!r.contains("pareto")) r["pareto"] = false;
  return feasible;
}

std::vector<size_t> select_finalists(const std::vector<json>& rows, const FinalistOptions& f) {
  std::vector<size_t> order;
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i].contains("score")) order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return row_number(rows[x], "score") > row_number(rows[y], "score"); });
  std::vector<size_t> out;
  for (size_t i = 0; i < order.size() && static_cast<int64_t>(i) < f.top_k; ++i) out.push_back(order[i]);
  if (f.pareto)
    for (size_t i : order)
      if (rows[i].value("pareto", false) && std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
  if (static_cast<int64_t>(out.size()) > f.max_finalists) out.resize(static_cast<size_t>(f.max_finalists));
  return out;
}

SweepResult run_sweep(const SweepOptions& in, SweepProgress& progress, SearchStrategy* strategy) {
  const auto t0 = std::chrono::steady_clock::now();
  SweepOptions o = in;
  Sweep s{o, progress, load_sweep_spec(o.spec_file), {}, {}, {}, {}};
  if (o.out.empty()) fail("{}: the sweep needs an output folder (--out DIR)", s.spec.file);
  if (o.jobs <= 0) o.jobs = std::max<int64_t>(1, static_cast<int64_t>(std::thread::hardware_concurrency()));
  if (o.cache_dir.empty()) o.cache_dir = (fs::path(o.out) / "accuracy_cache").string();
  fs::create_directories(o.out);
  check_inputs(s.spec, o.out);
  const AnalyticEvaluator analytic(s.spec);
  // Before anything runs: an accuracy measurement that cannot be made fails now, naming the field.
  s.accuracy = std::make_unique<AccuracyCache>(o.cache_dir, s.spec.accuracy, s.spec.file);
  std::unique_ptr<SearchStrategy> own;
  if (!strategy) strategy = (own = spec_sampling(s.spec)).get();
  progress.note(fmt::format("sweep {}: {}, workload prompt {} + {} decode steps", s.spec.name, strategy->describe(),
                            s.spec.prompt_len, s.spec.gen));
  analytic_pass(s, analytic, *strategy);
  accuracy_pass(s);
  SweepResult r;
  const std::vector<size_t> feasible = rank_rows(s.rows, s.base, s.spec.weights);
  const std::vector<size_t> finalists = select_finalists(s.rows, s.spec.finalists);
  std::vector<size_t> cycle_reruns;
  for (size_t i : finalists)
    if (reruns_in_cycle(s.spec, s.rows[i])) cycle_reruns.push_back(i);
  systemc_pass(s, finalists, cycle_reruns);
  pick_best(s, finalists, r);
  r.feasible = feasible.size();
  r.cycle_reruns = cycle_reruns.size();
  r.finalists = finalists;
  for (const auto& row : s.rows) r.pareto += row["pareto"].get<bool>() ? 1 : 0;
  write_outputs(s, r);
  r.seconds = seconds_since(t0);
  r.spec = std::move(s.spec);
  r.rows = std::move(s.rows);
  r.base = std::move(s.base);
  return r;
}

}  // namespace fpgallm::dse
