// `fpgallm sweep SPEC --out DIR`: design-space exploration (dse/Engine.h: the analytic model over
// every point, the SystemC simulator on the finalists), and `fpgallm sweep-point`, which evaluates
// one point in its own process (SystemC elaborates once per process) for the local pool and for
// Dask workers.
#include <filesystem>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "apps/fpgallm/Command.h"
#include "apps/fpgallm/Progress.h"
#include "dse/Engine.h"
#include "models/core/Error.h"
#include "sim/ddr/Fidelity.h"

namespace {

using namespace fpgallm;
using namespace fpgallm::dse;
namespace fs = std::filesystem;
using json = nlohmann::json;

/** The sweep's progress on stderr: one ProgressLine per stage. */
class StderrProgress final : public SweepProgress {
 public:
  void update(const std::string& line) override { stage().update(line); }
  void finish(const std::string& line) override {
    stage().finish(line);
    line_.reset();
  }
  void note(const std::string& line) override { fmt::print(stderr, "{}\n", line); }

 private:
  cli::ProgressLine& stage() {
    if (!line_) line_ = std::make_unique<cli::ProgressLine>();
    return *line_;
  }
  std::unique_ptr<cli::ProgressLine> line_;
};

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

/** The summary table: base against best, analytic and simulated figures. */
void print_summary(const SweepOptions& o, const SweepResult& r) {
  const SweepSpec& spec = r.spec;
  fmt::print("fpgallm sweep {}: {} points, {} feasible, {} on the Pareto front, {} finalists ({:.1f} s)\n", spec.name,
             r.rows.size(), r.feasible, r.pareto, r.finalists.size(), r.seconds);
  fmt::print("{:<44} {:>12} {:>12}\n", "", "base", "best");
  const json& br = r.best ? r.rows[*r.best] : r.base;
  auto line = [&](const std::string& what, const char* key, int prec, double scale = 1.0) {
    fmt::print("{:<44} {:>12} {:>12}\n", what,
               r.base.contains(key) ? fmt::format("{:.{}f}", row_number(r.base, key) * scale, prec) : "-",
               br.contains(key) ? fmt::format("{:.{}f}", row_number(br, key) * scale, prec) : "-");
  };
  if (r.best)
    fmt::print("best: {} (ranked on {} figures)\n", br["id"].get<std::string>(),
               br.value("figures_from", std::string("analytic")));
  const std::string fid = sim::to_string(spec.finalists.fidelity);
  line("analytic decode tokens/s", "decode_tps", 2);
  line("analytic prefill tokens/s", "prefill_tps", 2);
  line(fmt::format("SystemC decode tokens/s ({}, finalist workload)", fid), "systemc_decode_tps", 2);
  line(fmt::format("SystemC prefill tokens/s ({}, finalist workload)", fid), "systemc_prefill_tps", 2);
  if (br.contains("cycle_decode_tps")) {
    line("SystemC decode tokens/s (cycle, DDR-bound re-run)", "cycle_decode_tps", 2);
    line("SystemC prefill tokens/s (cycle, DDR-bound re-run)", "cycle_prefill_tps", 2);
  }
  line("PL decode jobs: DDR bus busy (analytic, %)", "decode_pl_ddr_busy_pct", 1);
  line("memory (MB)", "memory_bytes", 1, 1e-6);
  line("accuracy: top-1 agreement with fp32", "accuracy_top1", 4);
  line("score (analytic)", "score", 4);
  if (br.contains("systemc_decode_tps") && r.base.contains("systemc_decode_tps"))
    fmt::print("best / base simulated decode tokens/s: {:.3f}\n",
               row_number(br, "systemc_decode_tps") / row_number(r.base, "systemc_decode_tps"));
  fmt::print("wrote {}/results.csv, results.json, pareto.csv, pareto.json, best.yaml, summary.json\n", o.out);
}

void run_sweep_command(SweepOptions o) {
  o.worker_exe = self_exe();
  StderrProgress shown;
  QuietProgress quiet;
  print_summary(o, run_sweep(o, o.quiet ? static_cast<SweepProgress&>(quiet) : shown));
}

struct PointArgs {
  std::string spec, index, evaluator = "systemc", fidelity;
  bool base = false;
};

void run_point(const PointArgs& a) {
  const SweepSpec spec = load_sweep_spec(a.spec);
  if (a.base == !a.index.empty()) fail("give exactly one of --index or --base");
  const DesignPoint p = a.base ? make_base_point(spec) : make_point(spec, parse_index(a.index, spec));
  SystemCOptions o = systemc_options(spec);
  if (!a.fidelity.empty()) o.fidelity = sim::parse_fidelity(a.fidelity, "--fidelity");
  std::unique_ptr<Evaluator> ev;
  if (a.evaluator == "systemc") ev = std::make_unique<SystemCEvaluator>(spec, o);
  else if (a.evaluator == "analytic") ev = std::make_unique<AnalyticEvaluator>(spec);
  else fail("--evaluator must be systemc or analytic (got '{}')", a.evaluator);
  fmt::print("{}\n", ev->evaluate(p).dump());
}

void setup(CLI::App& app) {
  auto a = std::make_shared<SweepOptions>();
  auto* c = app.add_subcommand("sweep", "Design-space exploration: analytic model over a sweep, SystemC on the finalists");
  c->add_option("spec", a->spec_file, "sweep YAML (configs/sweep/*.yaml)")->required();
  c->add_option("--out", a->out, "output folder (results.csv/json, pareto, best.yaml; journals make reruns resume)")->required();
  c->add_option("--jobs", a->jobs, "local processes for SystemC finalists (default: cores)");
  c->add_option("--scheduler", a->scheduler, "run the finalists on a Dask cluster: tcp://HOST:PORT");
  c->add_option("--cache-dir", a->cache_dir, "accuracy cache folder (default OUT/accuracy_cache)");
  c->add_flag("--no-systemc", [a](int64_t n) { a->systemc = n == 0; }, "analytic model only (no finalists simulated)");
  c->add_flag("--quiet", a->quiet, "no progress output");
  c->callback([a] { run_sweep_command(*a); });

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
