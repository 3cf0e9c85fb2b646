#include "studies/Validation.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>

#include <fmt/core.h>

#include "dse/Score.h"
#include "models/checkpoint/ModelLoader.h"
#include "models/core/Error.h"
#include "models/quant/Footprint.h"
#include "run/Published.h"
#include "sim/accel/Deployment.h"
#include "sim/soc/Simulation.h"
#include "sim/soc/SocConfig.h"
#include "sim/soc/SocParams.h"
#include "studies/Calibration.h"
#include "studies/Sensitivity.h"

namespace fpgallm::studies {

namespace fs = std::filesystem;

namespace {

/** One design: its config and the result of simulating it. */
struct Design {
  std::string label, figure_key;  // figure_key: "baseline" | "accelerated" (reference YAML sections)
  sim::SocConfig soc;
  sim::SimRunResult run;
  double model_bytes = 0;  // footprint: fp16 model, or AWQ weights when the PL streams MACRO
  double published_tps = 0, published_mb = 0, published_acc = 0;
};

/** Everything the study shares: options, the shapes-only model, the prompt, progress. */
struct Study {
  const ValidationOptions& o;
  const ValidationProgress& progress;
  ModelConfig mc;
  run::Published pub;
  bool pub_applies = false;
  std::shared_ptr<const ModelWeights> weights;
  std::vector<int32_t> prompt;
  std::vector<Design> ds;
  std::vector<std::pair<const sim::FittedParameter*, double>> refits;
  Sensitivity sensitivity;
  int64_t runs = 0;
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();

  Study(const ValidationOptions& opt, const ValidationProgress& p)
      : o(opt), progress(p), mc(load_model_config_only(opt.model)), pub(run::load_published(opt.reference)) {}

  double elapsed_s() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); }

  sim::SimRunResult simulate(const sim::SocConfig& soc, const std::string& what) {
    sim::SimRunOptions opt;
    opt.prompt = prompt;
    opt.decode_steps = o.gen;
    ++runs;
    if (progress.update) progress.update(fmt::format("[{:6.1f} s] run {}: {}", elapsed_s(), runs, what));
    return sim::simulate(soc, weights, opt);
  }
};

double rel_err(double sim, double pub) { return pub != 0 ? (sim - pub) / pub : 0.0; }
std::string pct(double x) { return fmt::format("{:+.1f}%", 100.0 * x); }
std::string code_block(const std::string& s) { return "```text\n" + s + "```\n"; }

/** Which design a calibration record's figure belongs to. */
Design* design_of(std::vector<Design>& ds, const std::string& figure) {
  for (auto& d : ds)
    if (figure == d.figure_key + ".decode_tokens_per_s") return &d;
  return nullptr;
}

/** Formula (1) for {baseline, accelerated}: accuracy %, model bytes, prefill and decode tokens/s each. */
std::array<double, 2> score(const std::array<std::array<double, 4>, 2>& m) {
  std::vector<dse::Objectives> c;
  for (const auto& d : m) {
    dse::Objectives x;
    x.decode_tps = d[3];
    x.prefill_tps = d[2];
    x.memory_bytes = d[1];
    x.accuracy = d[0];
    c.push_back(x);
  }
  const auto s = dse::score(c, c[0], dse::ScoreWeights{});
  return {s[0], s[1]};
}

/** The two designs with their footprints and published figures. */
void load_designs(Study& st) {
  const ValidationOptions& o = st.o;
  auto load = [&](const std::string& accel) {
    sim::SocConfig soc = sim::load_soc_config(o.platform, accel);
    soc.set_fidelity(sim::parse_fidelity(o.fidelity, "--fidelity"));
    return soc;
  };
  st.ds.resize(2);
  st.ds[0].label = "baseline (PS only)";
  st.ds[0].figure_key = "baseline";
  st.ds[0].soc = load(o.baseline);
  st.ds[1].label = "paper (AWQ G=64, PE 8x8)";
  st.ds[1].figure_key = "accelerated";
  st.ds[1].soc = load(o.paper);
  for (auto& d : st.ds) {
    const auto& acc = d.soc.accel;
    d.model_bytes = static_cast<double>(sim::deployed_model_bytes(acc, sim::deployed_footprint(acc, st.mc)));
    if (st.pub_applies) {
      const bool base = d.figure_key == "baseline";
      d.published_tps = base ? st.pub.base_tps : st.pub.acc_tps;
      d.published_mb = base ? st.pub.base_mb : st.pub.acc_mb;
      d.published_acc = base ? st.pub.base_acc_pct : st.pub.acc_acc_pct;
    }
  }
}

/** Re-fits the calibration records sequentially, in the order they are listed, each to its own figure. */
void refit(Study& st) {
  if (!st.pub_applies) fail("--fit needs the published figures, which apply to {} only", st.pub.source);
  for (const auto& f : st.ds[0].soc.fitted) {
    Design* d = design_of(st.ds, f.figure);
    if (!d) fail("calibration: figure '{}' of {} is not a decode figure of either design", f.figure, f.key);
    const auto params = sim::platform_parameters(d->soc);
    const sim::SocParam* p = sim::find_parameter(params, f.parameter);
    if (!p) fail("calibration: {} is not a parameter of the selected software profile", f.parameter);
    const double v = fit_parameter(*p, d->soc, d->published_tps, [&](const sim::SocConfig& soc) {
      return st.simulate(soc, fmt::format("fit {} = {:.6g}", f.parameter, p->get(soc))).decode_tokens_per_s();
    }, d->label);
    st.refits.emplace_back(&f, v);
    for (auto& e : st.ds) {
      const auto ps = sim::platform_parameters(e.soc);
      if (const auto* q = sim::find_parameter(ps, f.parameter)) q->set(e.soc, v);
    }
  }
}

/** Markdown lines. */
struct Md {
  std::string text;
  void line(const std::string& s = "") { text += s + "\n"; }
};

void report_header(const Study& st, double wall, Md& md) {
  const ValidationOptions& o = st.o;
  md.line("# Validation against the published KV260 figures");
  md.line();
  md.line(fmt::format("Generated by `fpgallm validate --out {}`{}: every number on this page comes from that one "
                      "invocation ({} simulations, {:.0f} s of host time). Do not edit by hand.",
                      o.out, o.fit ? " --fit" : "", st.runs, wall));
  md.line();
  md.line(fmt::format(
      "Setup: model `{}` ({} layers, hidden {}, vocab {}) **timing-only** (no weights: same timing and "
      "statistics as a full run, pinned by tests), prompt {} tokens, {} decode steps, {} fidelity; "
      "platform `{}` with host software profile **{}**; designs `{}` and `{}`; published figures `{}` ({}).",
      o.model, st.mc.num_layers, st.mc.hidden_size, st.mc.vocab_size, o.prompt_len, o.gen, o.fidelity,
      fs::path(o.platform).filename().string(), st.ds[0].soc.ps.software.name, fs::path(o.baseline).filename().string(),
      fs::path(o.paper).filename().string(), fs::path(o.reference).filename().string(), st.pub.source));
  md.line();
  if (!st.pub_applies)
    md.line(fmt::format("The published figures apply to the Qwen2.5-0.5B shape only; this model is {}x{}: simulated "
                        "figures only.\n",
                        st.mc.num_layers, st.mc.hidden_size));
}

void report_calibration(Study& st, Md& md) {
  const auto& fitted = st.ds[0].soc.fitted;
  md.line("## Calibration: the fitted parameters");
  md.line();
  md.line(fmt::format("At most {} parameters are fitted, each to one published figure; a fitted figure is never a "
                      "prediction. The records live in the platform YAML (`calibration:`), which `fpgallm` checks "
                      "against the values in use.",
                      sim::kMaxFittedParameters));
  md.line();
  md.line("| parameter | fitted to | published | before | after | simulated | error |");
  md.line("|---|---|---:|---:|---:|---:|---:|");
  for (const auto& f : fitted) {
    Design* d = design_of(st.ds, f.figure);
    double after = f.after;
    for (const auto& [rf, v] : st.refits)
      if (rf == &f) after = v;
    const double sim_tps = d ? d->run.decode_tokens_per_s() : 0;
    md.line(fmt::format("| `{}` | {} | {} | {:.6g} | {:.6g} | {:.3f} | {} |", f.parameter, f.figure,
                        d && d->published_tps > 0 ? fmt::format("{:.1f}", d->published_tps) : "n/a", f.before, after,
                        sim_tps, d && d->published_tps > 0 ? pct(rel_err(sim_tps, d->published_tps)) : "n/a"));
  }
  if (fitted.empty()) md.line("| (none) | | | | | | |");
  if (st.o.fit)
    md.line("\nRe-fitted by this run (`--fit`): copy the `after` values into the platform YAML's parameters and "
            "`calibration:` records.");
  md.line();
}

void report_comparison(const Study& st, Md& md) {
  const auto& fitted = st.ds[0].soc.fitted;
  const Design &base = st.ds[0], &paper = st.ds[1];
  auto is_fitted = [&](const std::string& figure) {
    return std::any_of(fitted.begin(), fitted.end(), [&](const auto& f) { return f.figure == figure; });
  };
  md.line("## Simulated vs published");
  md.line();
  md.line("| figure | simulated | published | error | status |");
  md.line("|---|---:|---:|---:|---|");
  auto row = [&](const std::string& name, double sim, double pubv, const std::string& status, int prec = 2) {
    md.line(fmt::format("| {} | {:.{}f} | {} | {} | {} |", name, sim, prec,
                        st.pub_applies && pubv > 0 ? fmt::format("{:.{}f}", pubv, prec) : "n/a",
                        st.pub_applies && pubv > 0 ? pct(rel_err(sim, pubv)) : "n/a", status));
  };
  row("baseline model size (MB, 1e6 B; fp16 weights)", base.model_bytes / kBytesPerMB, base.published_mb,
      "predicted");
  row("AWQ model size (MiB; the paper's \"443.81 MB\", docs/formats.md)", paper.model_bytes / kBytesPerMiB,
      paper.published_mb, "predicted");
  row("baseline decode tokens/s", base.run.decode_tokens_per_s(), base.published_tps,
      is_fitted("baseline.decode_tokens_per_s") ? "**fitted** (not a prediction)" : "predicted", 3);
  row("paper decode tokens/s", paper.run.decode_tokens_per_s(), paper.published_tps,
      is_fitted("accelerated.decode_tokens_per_s") ? "**fitted** (not a prediction)" : "predicted", 3);
  row("decode speed-up (paper / baseline)", paper.run.decode_tokens_per_s() / base.run.decode_tokens_per_s(),
      st.pub_applies ? st.pub.acc_tps / st.pub.base_tps : 0, "derived from the two fitted figures", 3);
  md.line(fmt::format("| baseline prefill tokens/s ({} tokens) | {:.2f} | not published | - | predicted, unverified |",
                      st.o.prompt_len, base.run.prefill_tokens_per_s()));
  md.line(fmt::format("| paper prefill tokens/s ({} tokens) | {:.2f} | not published | - | predicted, unverified |",
                      st.o.prompt_len, paper.run.prefill_tokens_per_s()));
  md.line();
}

void report_score(const Study& st, Md& md) {
  if (!st.pub_applies) return;
  const Design &base = st.ds[0], &paper = st.ds[1];
  const run::Published& pub = st.pub;
  // Per design: accuracy (published: not measurable here), model bytes, prefill and decode tokens/s;
  // dse::score turns bytes into the saving against the baseline.
  const std::array<std::array<double, 4>, 2> simm = {
      {{base.published_acc, base.model_bytes, base.run.prefill_tokens_per_s(), base.run.decode_tokens_per_s()},
       {paper.published_acc, paper.model_bytes, paper.run.prefill_tokens_per_s(), paper.run.decode_tokens_per_s()}}};
  // The paper's figures; prefill is not published, so the simulated prefill stands in for both.
  const std::array<std::array<double, 4>, 2> pubm = {
      {{pub.base_acc_pct, pub.base_mb, simm[0][2], pub.base_tps},
       {pub.acc_acc_pct, pub.acc_mb * kBytesPerMiB / kBytesPerMB, simm[1][2], pub.acc_tps}}};
  const auto ss = score(simm), ps = score(pubm);
  md.line("## Score of formula (1)");
  md.line();
  md.line("`score = 0.4 acc/max + 0.2 mem/max + 0.2 prefill/max + 0.2 decode/max` over the two designs, with mem the "
          "saving against the fp16 model (baseline bytes / design bytes). Accuracy is the **published WNLI accuracy** "
          "(64.79% / 61.97%): it cannot be measured without the real weights. The published score uses the "
          "published sizes (443.81 read as MiB) and decode rates; prefill is not published, so both columns use the "
          "simulated prefill. The simulated decode rates are fitted, so the score checks the size and prefill "
          "terms only.");
  md.line();
  md.line("| design | simulated score | score from published figures | error |");
  md.line("|---|---:|---:|---:|");
  for (int d = 0; d < 2; ++d)
    md.line(fmt::format("| {} | {:.4f} | {:.4f} | {} |", st.ds[d].label, ss[d], ps[d], pct(rel_err(ss[d], ps[d]))));
  md.line();
}

void report_breakdown(const Study& st, Md& md) {
  md.line("## Where a decode step goes");
  md.line();
  md.line("Per design, decode summed over all steps: every op by unit (PS = A53 kernels, PL = accelerator job from "
          "descriptor to done), then the host software stack's own rows (unit SW): `host_loop` (per token), "
          "`op_dispatch` (per PS op), and per offloaded call `driver_call`, `buffer_copy` (model buffers <-> DMA "
          "buffers), `cache_maint`, `descriptor`, `completion`.");
  md.line();
  for (const auto& d : st.ds) {
    md.line(fmt::format("### {} — {:.3f} tokens/s, {:.2f} ms per token", d.label, d.run.decode_tokens_per_s(),
                        d.run.decode_ns() / 1e6 / std::max<int64_t>(1, d.run.decode_tokens())));
    md.line();
    md.text += code_block(d.run.ledger.breakdown_table(Phase::Decode));
    const auto sw = d.run.ledger.software_total(Phase::Decode);
    md.line(fmt::format("\nSoftware stack: {:.1f}% of decode time; PS ops {:.1f}%; PL jobs {:.1f}%.\n",
                        100 * sw.time_ns / d.run.decode_ns(),
                        100 * d.run.ledger.total(Phase::Decode, sim::Unit::PS).time_ns / d.run.decode_ns(),
                        100 * d.run.ledger.total(Phase::Decode, sim::Unit::PL).time_ns / d.run.decode_ns()));
  }
}

void report_sensitivity(const Study& st, Md& md, ValidationReport& r) {
  const double swing = st.o.swing;
  md.line(fmt::format("## Sensitivity: each parameter ±{:.0f}%", 100 * swing));
  md.line();
  md.line("Each platform and software parameter moved alone, the rest as configured; decode tokens/s of each design. "
          "Sorted by the paper design's largest change: measure the top rows on your board first.");
  md.line();
  for (int d = 1; d >= 0; --d) {
    const double bt = st.ds[static_cast<size_t>(d)].run.decode_tokens_per_s();
    std::vector<TornadoRow> sorted = st.sensitivity.rows;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [&](const auto& x, const auto& y) { return x.swing(d, bt) > y.swing(d, bt); });
    const std::string svg_name =
        fs::path(st.o.out).stem().string() + (d == 1 ? "_tornado_paper.svg" : "_tornado_baseline.svg");
    r.svgs.emplace_back(svg_name,
                        tornado_svg(sorted, d, bt, fmt::format("Sensitivity of {}", st.ds[d].label), 100 * swing));
    md.line(fmt::format("### Tornado: {} (base {:.3f} tokens/s)", st.ds[d].label, bt));
    md.line();
    md.line(fmt::format("![tornado: {}]({})", st.ds[d].label, svg_name));
    md.line();
    md.line(fmt::format("| parameter | value | -{0:.0f}% → tokens/s | +{0:.0f}% → tokens/s | largest change |",
                        100 * swing));
    md.line("|---|---:|---:|---:|---:|");
    for (const auto& t : sorted)
      md.line(fmt::format("| `{}` | {:.6g} {} | {:.3f} ({}) | {:.3f} ({}) | {:.1f}% |", t.path, t.base_value, t.unit,
                          t.lo_tps[d], pct(t.lo_tps[d] / bt - 1), t.hi_tps[d], pct(t.hi_tps[d] / bt - 1),
                          100 * t.swing(d, bt)));
    md.line();
  }
  if (!st.sensitivity.not_varied.empty()) {
    std::string names;
    for (const auto& n : st.sensitivity.not_varied) names += (names.empty() ? "`" : ", `") + n + "`";
    md.line(fmt::format("Zero in this configuration, so not varied: {}.\n", names));
  }
}

void report_roofline(const Study& st, Md& md) {
  const auto& ds = st.ds;
  md.line("## DDR roofline");
  md.line();
  const double ddr_peak = ds[0].soc.ddr.peak_gbps();
  const double hp_peak = static_cast<double>(ds[1].soc.accel.n_channels) * ds[1].soc.axi.hp_port().peak_gbps();
  md.line(fmt::format("Decode reads every weight once per token, so tokens/s ≤ bandwidth ÷ bytes moved per token. "
                      "DDR peak: {:.1f} GB/s ({} MT/s x {} bit); the accelerator's {} HP ports peak at {:.1f} GB/s. "
                      "Bytes per token are those the simulation moved (weights, KV cache, activations).",
                      ddr_peak, ds[0].soc.ddr.data_rate_mtps, ds[0].soc.ddr.bus_width_bits, ds[1].soc.accel.n_channels,
                      hp_peak));
  md.line();
  md.line("| design | MB moved per token | achieved GB/s | roofline tokens/s (DDR peak) | simulated tokens/s | "
          "fraction of roofline |");
  md.line("|---|---:|---:|---:|---:|---:|");
  for (const auto& d : ds) {
    const double tokens = static_cast<double>(std::max<int64_t>(1, d.run.decode_tokens()));
    const double bytes = static_cast<double>(d.run.ledger.total(Phase::Decode, sim::Unit::PS).bytes +
                                             d.run.ledger.total(Phase::Decode, sim::Unit::PL).bytes) /
                         tokens;
    const double roof = ddr_peak * 1e9 / bytes;
    md.line(fmt::format("| {} | {:.1f} | {:.2f} | {:.2f} | {:.3f} | {:.1f}% |", d.label, bytes / 1e6,
                        bytes * d.run.decode_tokens_per_s() / 1e9, roof, d.run.decode_tokens_per_s(),
                        100 * d.run.decode_tokens_per_s() / roof));
  }
  md.line();
}

}  // namespace

void ValidationOptions::validate() const {
  if (gen < 1) fail("--gen must be >= 1 (decode tokens/s needs a decode step; got {})", gen);
  if (prompt_len < 1) fail("--prompt-len must be >= 1 (got {})", prompt_len);
  if (!(swing > 0 && swing < 1)) fail("--swing must be in (0, 1) (got {})", swing);
}

ValidationReport run_validation(const ValidationOptions& o, const ValidationProgress& progress) {
  o.validate();
  Study st(o, progress);
  st.pub_applies = st.pub.applies_to(st.mc);
  st.weights = make_shape_only_weights(st.mc);
  // Token ids do not change timing: the prompt is ids 0..n-1 (mod vocab).
  for (int64_t i = 0; i < o.prompt_len; ++i) st.prompt.push_back(static_cast<int32_t>(i % st.mc.vocab_size));
  load_designs(st);
  if (o.fit) refit(st);
  for (auto& d : st.ds) d.run = st.simulate(d.soc, d.label);
  if (o.sensitivity)
    st.sensitivity = sensitivity_study({&st.ds[0].soc, &st.ds[1].soc}, {st.ds[0].label, st.ds[1].label}, o.swing,
                                       o.only_params, [&](const sim::SocConfig& soc, const std::string& what) {
                                         return st.simulate(soc, what).decode_tokens_per_s();
                                       });
  const double wall = st.elapsed_s();
  if (progress.finish) progress.finish(fmt::format("validate: {} simulations in {:.1f} s of host time", st.runs, wall));

  ValidationReport r;
  Md md;
  report_header(st, wall, md);
  report_calibration(st, md);
  report_comparison(st, md);
  report_score(st, md);
  report_breakdown(st, md);
  if (o.sensitivity) report_sensitivity(st, md, r);
  report_roofline(st, md);
  r.markdown = std::move(md.text);
  for (const auto& [f, v] : st.refits) r.refits.push_back({f->parameter, v, f->after});
  r.baseline_decode_tps = st.ds[0].run.decode_tokens_per_s();
  r.paper_decode_tps = st.ds[1].run.decode_tokens_per_s();
  r.simulations = st.runs;
  return r;
}

void write_validation_report(const ValidationReport& r, const std::string& path) {
  const fs::path out(path);
  if (out.has_parent_path()) fs::create_directories(out.parent_path());
  for (const auto& [name, svg] : r.svgs) std::ofstream(out.parent_path() / name) << svg;
  std::ofstream f(out);
  if (!f) fail("{}: cannot write the report", path);
  f << r.markdown;
}

}  // namespace fpgallm::studies
