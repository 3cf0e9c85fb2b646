// `fpgallm sweep SPEC --out DIR`: design-space exploration (analytic model over every point, the
// SystemC simulator on the finalists), and `fpgallm sweep-point`, which evaluates one point in
// its own process (SystemC elaborates once per process) for the local pool and for Dask workers.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "apps/fpgallm/Command.h"
#include "apps/fpgallm/Progress.h"
#include "run/Resources.h"
#include "dse/Sweep.h"
#include "sim/ddr/Fidelity.h"
#include "models/core/Error.h"

namespace {

using namespace fpgallm;
using namespace fpgallm::dse;
namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kDaskDriver = "dse/dask_driver.py";
constexpr const char* kPython = "/usr/bin/python3";  // Debian's, which has python3-distributed

struct SweepArgs {
  std::string spec, out, scheduler, cache_dir;
  int64_t jobs = 0;
  bool no_systemc = false, quiet = false;
};

std::string index_text(const PointIndex& p) {
  std::string s;
  for (size_t i = 0; i < p.size(); ++i) s += (i ? "," : "") + std::to_string(p[i]);
  return s;
}

PointIndex parse_index(const std::string& s, const SweepSpec& spec) {
  PointIndex p;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ',')) {
    try {
      p.push_back(std::stoi(part));
    } catch (const std::exception&) {
      fail("--index '{}': '{}' is not a number", s, part);
    }
  }
  if (p.size() != spec.axes.size()) fail("--index '{}' has {} entries but {} has {} axes", s, p.size(), spec.file, spec.axes.size());
  for (size_t a = 0; a < p.size(); ++a)
    if (p[a] < 0 || p[a] >= static_cast<int32_t>(spec.axes[a].values.size()))
      fail("--index '{}': axis '{}' has {} values (got index {})", s, spec.axes[a].name, spec.axes[a].values.size(), p[a]);
  return p;
}

std::string self_exe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) fail("cannot find the fpgallm binary (/proc/self/exe): {}", ec.message());
  return p.string();
}

std::string fmt_eta(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 90) return fmt::format("{:.0f} s", s);
  return fmt::format("{:.0f} min", s / 60);
}

/** A finalist waiting for the SystemC evaluator: "base" or an index into the grid. */
struct Job {
  std::string id;
  std::string index;     // empty: the base configs
  std::string fidelity;  // empty: the spec's finalists.fidelity; "cycle": a DDR-bound finalist's re-run
};

/** Journal id of a finalist's cycle-fidelity re-run. */
std::string cycle_id(const std::string& id) { return id + "@cycle"; }

/**
 * Runs `fpgallm sweep-point` for each job in up to `jobs` child processes at a time; each child's
 * row lands in the journal as soon as it exits (so an interrupted sweep keeps what finished).
 */
void run_local(const SweepArgs& a, const std::vector<Job>& todo, Journal& journal, int64_t jobs, bool quiet) {
  const std::string exe = self_exe();
  const fs::path tmp = fs::path(a.out) / "tmp";
  fs::create_directories(tmp);
  struct Child {
    Job job;
    fs::path out, err;
  };
  std::map<pid_t, Child> running;
  size_t next = 0, done = 0;
  cli::ProgressLine progress(!quiet);
  const auto t0 = std::chrono::steady_clock::now();
  auto status = [&] {
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double per_min = el > 0 ? 60.0 * static_cast<double>(done) / el : 0;
    const double eta = done ? el / static_cast<double>(done) * static_cast<double>(todo.size() - done) : NAN;
    progress.update(fmt::format("[systemc] {}/{} finalists, {} running, {:.2f} finalists/min, ETA {}", done, todo.size(),
                                running.size(), per_min, fmt_eta(eta)));
  };
  int64_t failures = 0;
  while (done < todo.size()) {
    while (next < todo.size() && static_cast<int64_t>(running.size()) < jobs) {
      const Job& j = todo[next++];
      Child c{j, tmp / fmt::format("point{}.json", next), tmp / fmt::format("point{}.err", next)};
      std::vector<std::string> args = {exe, "sweep-point", a.spec};
      if (j.index.empty()) args.push_back("--base");
      else args.insert(args.end(), {"--index", j.index});
      if (!j.fidelity.empty()) args.insert(args.end(), {"--fidelity", j.fidelity});
      const pid_t pid = fork();
      if (pid < 0) fail("fork failed while starting a sweep point");
      if (pid == 0) {
        // Child: stdout -> the row file, stderr -> the error file, then become `fpgallm sweep-point`.
        if (!std::freopen(c.out.c_str(), "w", stdout) || !std::freopen(c.err.c_str(), "w", stderr)) _exit(127);
        std::vector<char*> argv;
        for (auto& s : args) argv.push_back(s.data());
        argv.push_back(nullptr);
        execv(exe.c_str(), argv.data());
        _exit(127);
      }
      running.emplace(pid, std::move(c));
    }
    status();
    int st = 0;
    const pid_t pid = waitpid(-1, &st, 0);
    if (pid < 0) fail("waitpid failed while running sweep points");
    auto it = running.find(pid);
    if (it == running.end()) continue;
    Child c = std::move(it->second);
    running.erase(it);
    ++done;
    std::ifstream in(c.out);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
      json row = json::parse(text);
      row["id"] = c.job.id;
      journal.append(row);
    } else {
      std::ifstream e(c.err);
      std::string err((std::istreambuf_iterator<char>(e)), std::istreambuf_iterator<char>());
      while (!err.empty() && err.back() == '\n') err.pop_back();
      ++failures;
      // A point the simulator rejects is a result too (recorded, not retried).
      journal.append(json{{"id", c.job.id}, {"evaluator", "systemc"}, {"systemc_error", err.empty() ? "exit status " + std::to_string(st) : err}});
    }
    fs::remove(c.out);
    fs::remove(c.err);
  }
  progress.finish(fmt::format("[systemc] {} finalists in {:.1f} s ({} failed)", todo.size(),
                              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), failures));
}

/** Hands the jobs to dse/dask_driver.py, which runs one `sweep-point` per job on the cluster. */
void run_dask(const SweepArgs& a, const std::vector<Job>& todo, const std::string& journal_path, bool quiet) {
  const fs::path jobs_file = fs::path(a.out) / "dask_jobs.json";
  json j = json::array();
  for (const auto& t : todo) j.push_back({{"id", t.id}, {"index", t.index}, {"fidelity", t.fidelity}});
  std::ofstream(jobs_file) << j.dump(1) << "\n";
  const std::string driver = run::resource_path(kDaskDriver);
  if (!fs::exists(driver)) fail("{}: the Dask driver is missing from this installation", driver);
  std::vector<std::string> args = {kPython, driver, "--scheduler", a.scheduler, "--exe", self_exe(), "--spec",
                                   fs::absolute(a.spec).string(), "--jobs", jobs_file.string(), "--journal", journal_path};
  if (quiet) args.push_back("--quiet");
  const pid_t pid = fork();
  if (pid < 0) fail("fork failed while starting the Dask driver");
  if (pid == 0) {
    std::vector<char*> argv;
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    execv(kPython, argv.data());
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    fail("the Dask driver ({} {}) failed with status {}; finished points are kept in {}", kPython, driver,
         WIFEXITED(st) ? WEXITSTATUS(st) : -1, journal_path);
}


std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

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

void run_sweep(SweepArgs& a) {
  const auto t_start = std::chrono::steady_clock::now();
  SweepSpec spec = load_sweep_spec(a.spec);
  if (a.out.empty()) fail("--out DIR is required");
  if (a.jobs <= 0) a.jobs = std::max<int64_t>(1, static_cast<int64_t>(std::thread::hardware_concurrency()));
  if (a.cache_dir.empty()) a.cache_dir = (fs::path(a.out) / "accuracy_cache").string();
  fs::create_directories(a.out);
  check_inputs(spec, a.out);
  const ResourceCosts costs = load_resource_costs(spec.costs_file);
  // Before anything runs: an accuracy measurement that cannot be made fails now, naming the field.
  AccuracyCache acc(a.cache_dir, spec.accuracy, spec.file);
  const std::vector<PointIndex> points = enumerate_points(spec);
  if (!a.quiet)
    fmt::print(stderr, "sweep {}: {} points ({} axes{}), workload prompt {} + {} decode steps\n", spec.name,
               points.size(), spec.axes.size(), spec.random ? ", random sample" : ", full grid", spec.prompt_len, spec.gen);

  // 1. Analytic model over every point (resumable: finished points come from the journal).
  Journal analytic((fs::path(a.out) / "analytic.jsonl").string());
  {
    cli::ProgressLine progress(!a.quiet);
    const auto t0 = std::chrono::steady_clock::now();
    size_t n = 0, skipped = 0;
    for (const auto& p : points) {
      const std::string id = point_id(spec, p);
      ++n;
      if (analytic.has(id)) {
        ++skipped;
        continue;
      }
      analytic.append(evaluate_analytic(spec, make_point(spec, p), costs));
      const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double rate = el > 0 ? static_cast<double>(n - skipped) / el : 0;
      progress.update(fmt::format("[analytic] {}/{} points, {:.0f} points/s, ETA {}", n, points.size(), rate,
                                  fmt_eta(rate > 0 ? static_cast<double>(points.size() - n) / rate : NAN)));
    }
    progress.finish(fmt::format("[analytic] {} points in {:.2f} s ({} from an earlier run)", points.size(),
                                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), skipped));
  }
  std::vector<json> rows;
  for (const auto& p : points) rows.push_back(analytic.row(point_id(spec, p)));
  const DesignPoint base = make_base_point(spec);
  json base_row = evaluate_analytic(spec, base, costs);
  if (!base_row.value("feasible", false))
    fail("{}: the base configs (the score's baseline) are not feasible: {}", spec.file, base_row.value("reason", ""));

  // 2. Accuracy per quantization setting (measured once, cached on disk).
  {
    std::map<std::string, AccuracyFigures> by_key;
    auto fill = [&](json& r) {
      if (!r.contains("quant")) return;
      const std::string key = r["quant"];
      if (!by_key.count(key)) {
        QuantSetting s;
        s.quantized = r.value("quantized", true);
        s.group_size = r.value("group_size", int64_t{0});
        s.bits = r.value("bits", 0);
        s.zero_point = r.value("zero_point", true);
        s.lm_head = r.value("lm_head_quantized", false);
        if (!spec.accuracy.enabled) by_key[key] = AccuracyFigures{};
        else {
          if (!a.quiet) fmt::print(stderr, "[accuracy] {} ...\n", key);
          by_key[key] = acc.get(s);
        }
      }
      const auto& f = by_key[key];
      r["accuracy_top1"] = f.top1;
      r["accuracy_kl"] = f.kl;
      if (f.ppl > 0) r["stories_ppl"] = f.ppl;
    };
    fill(base_row);
    for (auto& r : rows)
      if (r.value("feasible", false)) fill(r);
    if (!a.quiet) fmt::print(stderr, "[accuracy] {} settings ({} measured now, the rest from {})\n", by_key.size(), acc.computed(), a.cache_dir);
  }

  // 3. Score (formula (1)) and Pareto front over the feasible points, baseline = the base configs.
  std::vector<size_t> feas;
  std::vector<Objectives> objs;
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i].value("feasible", false)) {
      feas.push_back(i);
      objs.push_back(row_objectives(rows[i], false));
    }
  const Objectives base_obj = row_objectives(base_row, false);
  if (!feas.empty()) {
    const auto sc = score(objs, base_obj, spec.weights);
    for (size_t k = 0; k < feas.size(); ++k) rows[feas[k]]["score"] = sc[k];
    for (size_t k : pareto_front(objs)) rows[feas[k]]["pareto"] = true;
  }
  for (auto& r : rows)
    if (!r.contains("pareto")) r["pareto"] = false;

  // 4. Finalists: top-k by score plus the Pareto set, capped; the base always (for the ratios).
  std::vector<size_t> order = feas;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return row_number(rows[x], "score") > row_number(rows[y], "score"); });
  std::vector<size_t> finalists;
  for (size_t i = 0; i < order.size() && static_cast<int64_t>(i) < spec.finalists.top_k; ++i) finalists.push_back(order[i]);
  if (spec.finalists.pareto)
    for (size_t i : order)
      if (rows[i]["pareto"].get<bool>() && std::find(finalists.begin(), finalists.end(), i) == finalists.end())
        finalists.push_back(i);
  if (static_cast<int64_t>(finalists.size()) > spec.finalists.max_finalists) finalists.resize(spec.finalists.max_finalists);

  // DDR-bound finalists (and then the base, their baseline) run in cycle fidelity too.
  std::vector<size_t> cycle_reruns;
  for (size_t i : finalists)
    if (reruns_in_cycle(spec, rows[i])) cycle_reruns.push_back(i);
  const std::string sc_path = (fs::path(a.out) / "systemc.jsonl").string();
  if (!a.no_systemc) {
    std::vector<Job> todo;
    {
      Journal sc(sc_path);
      if (!sc.has("base")) todo.push_back({"base", "", ""});
      if (!cycle_reruns.empty() && !sc.has(cycle_id("base"))) todo.push_back({cycle_id("base"), "", "cycle"});
      for (size_t i : finalists) {
        const std::string id = rows[i]["id"];
        if (!sc.has(id)) todo.push_back({id, index_text(points[i]), ""});
      }
      for (size_t i : cycle_reruns) {
        const std::string id = cycle_id(rows[i]["id"]);
        if (!sc.has(id)) todo.push_back({id, index_text(points[i]), "cycle"});
      }
      if (!a.quiet) {
        fmt::print(stderr, "[systemc] {} finalists + base, {} to run ({} fidelity, prompt {} + {} decode steps){}\n",
                   finalists.size(), todo.size(), sim::to_string(spec.finalists.fidelity), spec.finalists.prompt_len,
                   spec.finalists.gen, a.scheduler.empty() ? fmt::format(", {} local processes", a.jobs) : " on " + a.scheduler);
        if (!cycle_reruns.empty())
          fmt::print(stderr, "[systemc] {} finalists keep the DDR >= {:g}% busy in their PL decode jobs: they and the base "
                             "also run in cycle fidelity, whose figures rank them\n",
                     cycle_reruns.size(), spec.finalists.cycle_above_ddr_busy_pct);
      }
      if (!todo.empty() && a.scheduler.empty()) run_local(a, todo, sc, a.jobs, a.quiet);
    }
    if (!todo.empty() && !a.scheduler.empty()) run_dask(a, todo, sc_path, a.quiet);
  }
  Journal sc(sc_path);
  auto merge = [&](json& r, bool cycle) {
    const std::string id = r["id"];
    if (sc.has(id)) merge_systemc_row(spec, sc.row(id), r);
    if (cycle && sc.has(cycle_id(id))) merge_systemc_row(spec, sc.row(cycle_id(id)), r);
  };
  merge(base_row, !cycle_reruns.empty());
  for (size_t i : finalists) {
    merge(rows[i], std::find(cycle_reruns.begin(), cycle_reruns.end(), i) != cycle_reruns.end());
    rows[i]["finalist"] = true;
  }

  // 5. Best: among finalists simulated by SystemC, the best score on the simulated figures
  // (same formula, same baseline simulated the same way); analytic when SystemC did not run.
  size_t best = rows.size();
  bool best_sim = false;
  if (base_row.contains("systemc_decode_tps")) {
    std::vector<size_t> simmed;
    std::vector<Objectives> so;
    for (size_t i : finalists)
      if (rows[i].contains("systemc_decode_tps")) {
        simmed.push_back(i);
        so.push_back(ranked_objectives(rows[i], base_row));
      }
    if (!simmed.empty()) {
      const auto s2 = score(so, row_objectives(base_row, true), spec.weights);
      for (size_t k = 0; k < simmed.size(); ++k) rows[simmed[k]]["systemc_score"] = s2[k];
      best = simmed[static_cast<size_t>(std::max_element(s2.begin(), s2.end()) - s2.begin())];
      best_sim = true;
    }
  }
  if (best == rows.size() && !order.empty()) best = order[0];

  // 6. Outputs: rows as JSON and CSV, the Pareto set, best.yaml, a summary.
  std::vector<json> pareto_rows;
  for (const auto& r : rows)
    if (r["pareto"].get<bool>()) pareto_rows.push_back(r);
  const auto cols = csv_columns(spec, rows);
  write_csv((fs::path(a.out) / "results.csv").string(), cols, rows);
  write_csv((fs::path(a.out) / "pareto.csv").string(), cols, pareto_rows);
  std::ofstream(fs::path(a.out) / "results.json") << json(rows).dump(1) << "\n";
  std::ofstream(fs::path(a.out) / "pareto.json") << json(pareto_rows).dump(1) << "\n";
  json summary{{"spec", spec.file}, {"points", rows.size()}, {"feasible", feas.size()}, {"finalists", finalists.size()},
               {"base", base_row}};
  if (best < rows.size()) {
    const DesignPoint bp = make_point(spec, points[best]);
    std::ofstream(fs::path(a.out) / "best.yaml") << point_accel_yaml(spec, bp, spec.name + "_best");
    summary["best"] = rows[best];
    summary["best_by"] = best_sim ? "systemc_score" : "score";
    summary["best_figures_from"] = rows[best].value("figures_from", std::string("analytic"));
    summary["cycle_reruns"] = cycle_reruns.size();
  }
  std::ofstream(fs::path(a.out) / "summary.json") << summary.dump(1) << "\n";

  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  fmt::print("fpgallm sweep {}: {} points, {} feasible, {} on the Pareto front, {} finalists ({:.1f} s)\n", spec.name,
             rows.size(), feas.size(), pareto_rows.size(), finalists.size(), secs);
  fmt::print("{:<44} {:>12} {:>12}\n", "", "base", "best");
  const json& br = best < rows.size() ? rows[best] : base_row;
  auto line = [&](const char* what, const char* key, int prec, double scale = 1.0) {
    fmt::print("{:<44} {:>12} {:>12}\n", what,
               base_row.contains(key) ? fmt::format("{:.{}f}", row_number(base_row, key) * scale, prec) : "-",
               br.contains(key) ? fmt::format("{:.{}f}", row_number(br, key) * scale, prec) : "-");
  };
  if (best < rows.size())
    fmt::print("best: {} (ranked on {} figures)\n", rows[best]["id"].get<std::string>(),
               rows[best].value("figures_from", std::string("analytic")));
  line("analytic decode tokens/s", "decode_tps", 2);
  line("analytic prefill tokens/s", "prefill_tps", 2);
  line(fmt::format("SystemC decode tokens/s ({}, finalist workload)", sim::to_string(spec.finalists.fidelity)).c_str(),
       "systemc_decode_tps", 2);
  line(fmt::format("SystemC prefill tokens/s ({}, finalist workload)", sim::to_string(spec.finalists.fidelity)).c_str(),
       "systemc_prefill_tps", 2);
  if (br.contains("cycle_decode_tps")) {
    line("SystemC decode tokens/s (cycle, DDR-bound re-run)", "cycle_decode_tps", 2);
    line("SystemC prefill tokens/s (cycle, DDR-bound re-run)", "cycle_prefill_tps", 2);
  }
  line("PL decode jobs: DDR bus busy (analytic, %)", "decode_pl_ddr_busy_pct", 1);
  line("memory (MB)", "memory_bytes", 1, 1e-6);
  line("accuracy: top-1 agreement with fp32", "accuracy_top1", 4);
  line("score (analytic)", "score", 4);
  if (br.contains("systemc_decode_tps") && base_row.contains("systemc_decode_tps"))
    fmt::print("best / base simulated decode tokens/s: {:.3f}\n",
               row_number(br, "systemc_decode_tps") / row_number(base_row, "systemc_decode_tps"));
  fmt::print("wrote {}/results.csv, results.json, pareto.csv, pareto.json, best.yaml, summary.json\n", a.out);
}

struct PointArgs {
  std::string spec, index, evaluator = "systemc", fidelity;
  bool base = false;
};

void run_point(const PointArgs& a) {
  const SweepSpec spec = load_sweep_spec(a.spec);
  if (a.base == !a.index.empty()) fail("give exactly one of --index or --base");
  const DesignPoint p = a.base ? make_base_point(spec) : make_point(spec, parse_index(a.index, spec));
  json row;
  SystemCOptions o = systemc_options(spec);
  if (!a.fidelity.empty()) o.fidelity = sim::parse_fidelity(a.fidelity, "--fidelity");
  if (a.evaluator == "systemc") row = evaluate_systemc(spec, p, o);
  else if (a.evaluator == "analytic") row = evaluate_analytic(spec, p, load_resource_costs(spec.costs_file));
  else fail("--evaluator must be systemc or analytic (got '{}')", a.evaluator);
  fmt::print("{}\n", row.dump());
}

void setup(CLI::App& app) {
  auto a = std::make_shared<SweepArgs>();
  auto* c = app.add_subcommand("sweep", "Design-space exploration: analytic model over a sweep, SystemC on the finalists");
  c->add_option("spec", a->spec, "sweep YAML (configs/sweep/*.yaml)")->required();
  c->add_option("--out", a->out, "output folder (results.csv/json, pareto, best.yaml; journals make reruns resume)")->required();
  c->add_option("--jobs", a->jobs, "local processes for SystemC finalists (default: cores)");
  c->add_option("--scheduler", a->scheduler, "run the finalists on a Dask cluster: tcp://HOST:PORT");
  c->add_option("--cache-dir", a->cache_dir, "accuracy cache folder (default OUT/accuracy_cache)");
  c->add_flag("--no-systemc", a->no_systemc, "analytic model only (no finalists simulated)");
  c->add_flag("--quiet", a->quiet, "no progress output");
  c->callback([a] { run_sweep(*a); });

  auto p = std::make_shared<PointArgs>();
  auto* s = app.add_subcommand("sweep-point", "Evaluate one point of a sweep and print its row as JSON (worker side)");
  s->add_option("spec", p->spec, "sweep YAML")->required();
  s->add_option("--index", p->index, "value index per axis, comma-separated (as the sweep hands it out)");
  s->add_flag("--base", p->base, "the base configs (the score's baseline) instead of a point");
  s->add_option("--evaluator", p->evaluator, "systemc | analytic")->capture_default_str();
  s->add_option("--fidelity", p->fidelity, "cycle | fast: override the spec's finalists.fidelity (the sweep's cycle re-runs)");
  s->callback([p] { run_point(*p); });
}

}  // namespace

FPGALLM_REGISTER_COMMAND("sweep", setup);
