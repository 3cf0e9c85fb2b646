// `fpgallm validate`: simulated vs published figures, calibration record, latency breakdowns,
// sensitivity (tornado) and the DDR roofline, all from one invocation, written as Markdown + SVG.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>

#include <fmt/core.h>
#include <fmt/format.h>

#include "apps/fpgallm/Command.h"
#include "apps/fpgallm/Progress.h"
#include "apps/fpgallm/Published.h"
#include "apps/fpgallm/Resources.h"
#include "dse/Score.h"
#include "models/checkpoint/ModelLoader.h"
#include "models/core/Error.h"
#include "models/quant/Footprint.h"
#include "sim/soc/Simulation.h"
#include "sim/soc/SocConfig.h"
#include "sim/soc/SocParams.h"

namespace {

namespace fs = std::filesystem;
using namespace fpgallm;

constexpr const char* kDefaultPlatform = "configs/platform/kv260.yaml";
constexpr const char* kDefaultBaseline = "configs/accel/baseline_ps_only.yaml";
constexpr const char* kDefaultPaper = "configs/accel/paper_gs64_pe8x8.yaml";
constexpr const char* kDefaultReference = "configs/reference/xiang2025.yaml";
constexpr const char* kDefaultModel = "synthetic:qwen2.5-0.5b";
constexpr int64_t kDefaultPromptLen = 16;
constexpr int64_t kDefaultGen = 4;
constexpr double kDefaultSwing = 0.2;  // the issue's +-20%
constexpr int kFitIterations = 20;     // regula falsi steps (a handful are needed)
constexpr double kFitTolerance = 1e-3; // relative: stop once the figure is met this closely
// Formula (1) of the paper: weights of accuracy, memory, prefill and decode.

struct ValidateArgs {
  std::string platform, baseline, paper, reference;
  std::string model = kDefaultModel;
  std::string out = "docs/validation.md";
  std::string fidelity = "fast";
  int64_t prompt_len = kDefaultPromptLen;
  int64_t gen = kDefaultGen;
  double swing = kDefaultSwing;
  bool no_sensitivity = false, fit = false, quiet = false;
  std::vector<std::string> only_params;  // sensitivity on these paths only (empty: all)

  void resolve_defaults() {
    if (platform.empty()) platform = cli::resource_path(kDefaultPlatform);
    if (baseline.empty()) baseline = cli::resource_path(kDefaultBaseline);
    if (paper.empty()) paper = cli::resource_path(kDefaultPaper);
    if (reference.empty()) reference = cli::resource_path(kDefaultReference);
  }
};

/** One design: its config and the result of simulating it. */
struct Design {
  std::string label, figure_key;  // figure_key: "baseline" | "accelerated" (reference YAML sections)
  sim::SocConfig soc;
  sim::SimRunResult run;
  double model_bytes = 0;   // footprint: fp16 model, or AWQ weights when the PL streams MACRO
  double published_tps = 0, published_mb = 0, published_acc = 0;
};

struct Context {
  const ValidateArgs& a;
  std::shared_ptr<const ModelWeights> weights;
  std::vector<int32_t> prompt;
  cli::ProgressLine& progress;
  int64_t runs = 0;
};

sim::SimRunResult simulate_design(Context& ctx, const sim::SocConfig& soc, const std::string& what) {
  sim::SimRunOptions opt;
  opt.prompt = ctx.prompt;
  opt.decode_steps = ctx.a.gen;
  ++ctx.runs;
  ctx.progress.update(fmt::format("[{:6.1f} s] run {}: {}", ctx.progress.elapsed_s(), ctx.runs, what));
  return sim::simulate(soc, ctx.weights, opt);
}

double rel_err(double sim, double pub) { return pub != 0 ? (sim - pub) / pub : 0.0; }
std::string pct(double x) { return fmt::format("{:+.1f}%", 100.0 * x); }

sim::SocConfig load_design(const ValidateArgs& a, const std::string& accel) {
  sim::SocConfig soc = sim::load_soc_config(a.platform, accel);
  if (a.fidelity == "cycle") soc.set_fidelity(sim::Fidelity::cycle);
  else if (a.fidelity == "fast") soc.set_fidelity(sim::Fidelity::fast);
  else fail("--fidelity must be cycle or fast (got '{}')", a.fidelity);
  return soc;
}

/** Which design a calibration record's figure belongs to. */
Design* design_of(std::vector<Design>& ds, const std::string& figure) {
  for (auto& d : ds)
    if (figure == d.figure_key + ".decode_tokens_per_s") return &d;
  return nullptr;
}

/**
 * Fits one parameter until its design's decode tokens/s meets the published figure: regula falsi
 * (Illinois variant) on 1/tokens/s, which is close to linear in a per-call time (and in 1/efficiency),
 * so a few simulations suffice.
 */
double fit_parameter(Context& ctx, Design& d, const sim::FittedParameter& f) {
  const auto params = sim::platform_parameters(d.soc);
  const sim::SocParam* p = sim::find_parameter(params, f.parameter);
  if (!p) fail("calibration: {} is not a parameter of the selected software profile", f.parameter);
  sim::SocConfig soc = d.soc;
  const double target = d.published_tps;
  double last_tps = 0;
  auto g = [&](double v) {  // 1/tokens/s - 1/target: zero at the fit
    p->set(soc, v);
    last_tps = simulate_design(ctx, soc, fmt::format("fit {} = {:.6g}", f.parameter, v)).decode_tokens_per_s();
    return 1.0 / last_tps - 1.0 / target;
  };
  // Brackets from the parameter's nature: a fraction lies in (0, 1]; a time in [0, 1 ms].
  double a = p->unit == "fraction" ? 0.05 : 0.0, b = p->unit == "fraction" ? 1.0 : 1e6;
  double ga = g(a), gb = g(b);
  if (ga * gb > 0)
    fail("calibration: {} cannot reach {} tokens/s for {} within [{}, {}]", f.parameter, target, d.label, a, b);
  double c = a;
  int side = 0;
  for (int i = 0; i < kFitIterations; ++i) {
    c = (a * gb - b * ga) / (gb - ga);
    const double gc = g(c);
    if (std::abs(last_tps - target) <= kFitTolerance * target) break;
    if (gc * gb > 0) {
      b = c;
      gb = gc;
      if (side == -1) ga /= 2;
      side = -1;
    } else {
      a = c;
      ga = gc;
      if (side == +1) gb /= 2;
      side = +1;
    }
  }
  // Three significant digits: the fit is no more precise than the published figure.
  const double digits = std::pow(10.0, std::floor(std::log10(std::abs(c))) - 2);
  return std::round(c / digits) * digits;
}

/** Formula (1) for {baseline, accelerated}: accuracy %, model bytes, prefill and decode tokens/s each. */
std::array<double, 2> score(const std::array<std::array<double, 4>, 2>& m) {
  std::vector<dse::Objectives> c;
  for (const auto& d : m) c.push_back({.decode_tps = d[3], .prefill_tps = d[2], .memory_bytes = d[1], .accuracy = d[0]});
  const auto s = dse::score(c, c[0], dse::ScoreWeights{});
  return {s[0], s[1]};
}

struct TornadoRow {
  std::string path, unit;
  double base_value = 0;
  std::array<double, 2> lo_tps{}, hi_tps{};  // per design: decode tokens/s at -swing / +swing
  double swing(int d, double base_tps) const {
    return base_tps > 0 ? std::max(std::abs(lo_tps[d] - base_tps), std::abs(hi_tps[d] - base_tps)) / base_tps : 0;
  }
};

/** A horizontal-bar tornado chart of decode tokens/s (relative to the base run), as SVG. */
std::string tornado_svg(const std::vector<TornadoRow>& rows, int d, double base_tps, const std::string& title,
                        double swing_pct) {
  const int row_h = 22, label_w = 380, plot_w = 420, top = 50, margin = 20;
  const int h = top + static_cast<int>(rows.size()) * row_h + 40;
  const int w = label_w + plot_w + 2 * margin;
  double extent = 0.01;
  for (const auto& r : rows)
    extent = std::max({extent, std::abs(r.lo_tps[d] / base_tps - 1), std::abs(r.hi_tps[d] / base_tps - 1)});
  const double cx = margin + label_w + plot_w / 2.0;
  auto x_of = [&](double rel) { return cx + rel / extent * (plot_w / 2.0 - 10); };
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{}\" y=\"20\" font-size=\"14\" font-weight=\"bold\">{}</text>\n"
      "<text x=\"{}\" y=\"38\">decode tokens/s change when each parameter moves -{:.0f}% (blue) / +{:.0f}% (orange); "
      "base {:.3f} tokens/s</text>\n",
      w, h, margin, title, margin, swing_pct, swing_pct, base_tps);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const double y = top + static_cast<double>(i) * row_h;
    s += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", margin + label_w - 6, y + 15, r.path);
    for (int k = 0; k < 2; ++k) {
      const double rel = (k == 0 ? r.lo_tps[d] : r.hi_tps[d]) / base_tps - 1;
      const double x0 = std::min(cx, x_of(rel)), x1 = std::max(cx, x_of(rel));
      s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\" opacity=\"0.8\"/>\n",
                       x0, y + 3 + k * 8, std::max(0.5, x1 - x0), 8, k == 0 ? "#1f77b4" : "#ff7f0e");
    }
  }
  const double y_axis = top + static_cast<double>(rows.size()) * row_h + 5;
  s += fmt::format("<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"black\"/>\n", cx, top, cx, y_axis);
  for (double t : {-extent, -extent / 2, extent / 2, extent})
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{:+.1f}%</text>\n", x_of(t), y_axis + 15,
                     100 * t);
  s += "</svg>\n";
  return s;
}

std::string code_block(const std::string& s) { return "```text\n" + s + "```\n"; }

void validate(ValidateArgs& a) {
  a.resolve_defaults();
  if (a.gen < 1) fail("--gen must be >= 1 (decode tokens/s needs a decode step; got {})", a.gen);
  if (a.prompt_len < 1) fail("--prompt-len must be >= 1 (got {})", a.prompt_len);
  if (!(a.swing > 0 && a.swing < 1)) fail("--swing must be in (0, 1) (got {})", a.swing);
  const auto wall0 = std::chrono::steady_clock::now();

  const ModelConfig mc = load_model_config_only(a.model);
  cli::Published pub = cli::load_published(a.reference);
  const bool pub_applies = pub.applies_to(mc);

  cli::ProgressLine progress(!a.quiet);
  Context ctx{a, make_shape_only_weights(mc), {}, progress};
  // Token ids do not change timing: the prompt is ids 0..n-1 (mod vocab).
  for (int64_t i = 0; i < a.prompt_len; ++i) ctx.prompt.push_back(static_cast<int32_t>(i % mc.vocab_size));

  std::vector<Design> ds(2);
  ds[0].label = "baseline (PS only)";
  ds[0].figure_key = "baseline";
  ds[0].soc = load_design(a, a.baseline);
  ds[1].label = "paper (AWQ G=64, PE 8x8)";
  ds[1].figure_key = "accelerated";
  ds[1].soc = load_design(a, a.paper);
  for (auto& d : ds) {
    const auto& acc = d.soc.accel;
    const Footprint fp = estimate_footprint(mc, acc.macro.group_size, acc.macro.bits, acc.macro.zero_point,
                                            acc.offload_lm_head, acc.macro);
    d.model_bytes = static_cast<double>(acc.offload_linear ? fp.model_bytes() : fp.fp16_baseline_bytes);
    if (pub_applies) {
      const bool base = d.figure_key == "baseline";
      d.published_tps = base ? pub.base_tps : pub.acc_tps;
      d.published_mb = base ? pub.base_mb : pub.acc_mb;
      d.published_acc = base ? pub.base_acc_pct : pub.acc_acc_pct;
    }
  }
  const auto& fitted = ds[0].soc.fitted;

  // Optional re-fit: sequentially, in the order the records are listed, each to its own figure.
  std::vector<std::pair<const sim::FittedParameter*, double>> refits;
  if (a.fit) {
    if (!pub_applies) fail("--fit needs the published figures, which apply to {} only", pub.source);
    for (const auto& f : fitted) {
      Design* d = design_of(ds, f.figure);
      if (!d) fail("calibration: figure '{}' of {} is not a decode figure of either design", f.figure, f.key);
      const double v = fit_parameter(ctx, *d, f);
      refits.emplace_back(&f, v);
      for (auto& e : ds) {
        const auto params = sim::platform_parameters(e.soc);
        if (const auto* p = sim::find_parameter(params, f.parameter)) p->set(e.soc, v);
      }
    }
  }

  for (auto& d : ds) d.run = simulate_design(ctx, d.soc, d.label);

  // Sensitivity: every platform and software parameter moved by +-swing, one at a time.
  std::vector<TornadoRow> tornado;
  std::vector<std::string> not_varied;
  if (!a.no_sensitivity) {
    for (const auto& p : sim::platform_parameters(ds[1].soc)) {
      if (!a.only_params.empty() && std::find(a.only_params.begin(), a.only_params.end(), p.path) == a.only_params.end())
        continue;
      TornadoRow r{p.path, p.unit, p.get(ds[1].soc), {}, {}};
      if (r.base_value == 0) {
        not_varied.push_back(p.path);
        continue;
      }
      for (int d = 0; d < 2; ++d) {
        for (int k = 0; k < 2; ++k) {
          sim::SocConfig soc = ds[static_cast<size_t>(d)].soc;
          const double f = k == 0 ? 1 - a.swing : 1 + a.swing;
          p.set(soc, r.base_value * f);
          try {
            soc.validate();
            const double t = simulate_design(ctx, soc, fmt::format("{} x{:.2f} ({})", p.path, f, ds[d].label))
                                 .decode_tokens_per_s();
            (k == 0 ? r.lo_tps : r.hi_tps)[static_cast<size_t>(d)] = t;
          } catch (const Error& e) {
            fail("sensitivity: {} x{:.2f} makes the {} config invalid: {}", p.path, f, ds[d].label, e.what());
          }
        }
      }
      tornado.push_back(r);
    }
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  progress.finish(fmt::format("validate: {} simulations in {:.1f} s of host time", ctx.runs, wall));

  // ---- the report ----
  if (fs::path(a.out).has_parent_path()) fs::create_directories(fs::path(a.out).parent_path());
  std::string md;
  auto line = [&](const std::string& s = "") { md += s + "\n"; };
  line("# Validation against the published KV260 figures");
  line();
  line(fmt::format("Generated by `fpgallm validate --out {}`{}: every number on this page comes from that one "
                   "invocation ({} simulations, {:.0f} s of host time). Do not edit by hand.",
                   a.out, a.fit ? " --fit" : "", ctx.runs, wall));
  line();
  line(fmt::format("Setup: model `{}` ({} layers, hidden {}, vocab {}) **timing-only** (no weights: same timing and "
                   "statistics as a full run, pinned by tests), prompt {} tokens, {} decode steps, {} fidelity; "
                   "platform `{}` with host software profile **{}**; designs `{}` and `{}`; published figures `{}` ({}).",
                   a.model, mc.num_layers, mc.hidden_size, mc.vocab_size, a.prompt_len, a.gen, a.fidelity,
                   fs::path(a.platform).filename().string(), ds[0].soc.ps.software.name,
                   fs::path(a.baseline).filename().string(), fs::path(a.paper).filename().string(),
                   fs::path(a.reference).filename().string(), pub.source));
  line();
  if (!pub_applies)
    line(fmt::format("The published figures apply to the Qwen2.5-0.5B shape only; this model is {}x{}: simulated "
                     "figures only.\n",
                     mc.num_layers, mc.hidden_size));

  // Calibration.
  line("## Calibration: the fitted parameters");
  line();
  line(fmt::format("At most {} parameters are fitted, each to one published figure; a fitted figure is never a "
                   "prediction. The records live in the platform YAML (`calibration:`), which `fpgallm` checks "
                   "against the values in use.",
                   sim::kMaxFittedParameters));
  line();
  line("| parameter | fitted to | published | before | after | simulated | error |");
  line("|---|---|---:|---:|---:|---:|---:|");
  for (const auto& f : fitted) {
    Design* d = design_of(ds, f.figure);
    double after = f.after;
    for (const auto& [rf, v] : refits)
      if (rf == &f) after = v;
    const double sim_tps = d ? d->run.decode_tokens_per_s() : 0;
    line(fmt::format("| `{}` | {} | {} | {:.6g} | {:.6g} | {:.3f} | {} |", f.parameter, f.figure,
                     d && d->published_tps > 0 ? fmt::format("{:.1f}", d->published_tps) : "n/a", f.before, after,
                     sim_tps, d && d->published_tps > 0 ? pct(rel_err(sim_tps, d->published_tps)) : "n/a"));
  }
  if (fitted.empty()) line("| (none) | | | | | | |");
  if (a.fit)
    line("\nRe-fitted by this run (`--fit`): copy the `after` values into the platform YAML's parameters and "
         "`calibration:` records.");
  line();

  // Simulated vs published.
  const Design &base = ds[0], &paper = ds[1];
  auto is_fitted = [&](const std::string& figure) {
    return std::any_of(fitted.begin(), fitted.end(), [&](const auto& f) { return f.figure == figure; });
  };
  line("## Simulated vs published");
  line();
  line("| figure | simulated | published | error | status |");
  line("|---|---:|---:|---:|---|");
  auto row = [&](const std::string& name, double sim, double pubv, const std::string& status, int prec = 2) {
    line(fmt::format("| {} | {:.{}f} | {} | {} | {} |", name, sim, prec,
                     pub_applies && pubv > 0 ? fmt::format("{:.{}f}", pubv, prec) : "n/a",
                     pub_applies && pubv > 0 ? pct(rel_err(sim, pubv)) : "n/a", status));
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
      pub_applies ? pub.acc_tps / pub.base_tps : 0, "derived from the two fitted figures", 3);
  line(fmt::format("| baseline prefill tokens/s ({} tokens) | {:.2f} | not published | - | predicted, unverified |",
                   a.prompt_len, base.run.prefill_tokens_per_s()));
  line(fmt::format("| paper prefill tokens/s ({} tokens) | {:.2f} | not published | - | predicted, unverified |",
                   a.prompt_len, paper.run.prefill_tokens_per_s()));
  line();

  // Score of formula (1).
  if (pub_applies) {
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
    line("## Score of formula (1)");
    line();
    line("`score = 0.4 acc/max + 0.2 mem/max + 0.2 prefill/max + 0.2 decode/max` over the two designs, with mem the "
         "saving against the fp16 model (baseline bytes / design bytes). Accuracy is the **published WNLI accuracy** "
         "(64.79% / 61.97%): it cannot be measured without the real weights. The published score uses the "
         "published sizes (443.81 read as MiB) and decode rates; prefill is not published, so both columns use the "
         "simulated prefill. The simulated decode rates are fitted, so the score checks the size and prefill "
         "terms only.");
    line();
    line("| design | simulated score | score from published figures | error |");
    line("|---|---:|---:|---:|");
    for (int d = 0; d < 2; ++d)
      line(fmt::format("| {} | {:.4f} | {:.4f} | {} |", ds[d].label, ss[d], ps[d], pct(rel_err(ss[d], ps[d]))));
    line();
  }

  // Breakdown.
  line("## Where a decode step goes");
  line();
  line("Per design, decode summed over all steps: every op by unit (PS = A53 kernels, PL = accelerator job from "
       "descriptor to done), then the host software stack's own rows (unit SW): `host_loop` (per token), "
       "`op_dispatch` (per PS op), and per offloaded call `driver_call`, `buffer_copy` (model buffers <-> DMA "
       "buffers), `cache_maint`, `descriptor`, `completion`.");
  line();
  for (const auto& d : ds) {
    line(fmt::format("### {} — {:.3f} tokens/s, {:.2f} ms per token", d.label, d.run.decode_tokens_per_s(),
                     d.run.decode_ns() / 1e6 / std::max<int64_t>(1, d.run.decode_tokens())));
    line();
    md += code_block(d.run.ledger.breakdown_table(Phase::Decode));
    const auto sw = d.run.ledger.software_total(Phase::Decode);
    line(fmt::format("\nSoftware stack: {:.1f}% of decode time; PS ops {:.1f}%; PL jobs {:.1f}%.\n",
                     100 * sw.time_ns / d.run.decode_ns(),
                     100 * d.run.ledger.total(Phase::Decode, sim::Unit::PS).time_ns / d.run.decode_ns(),
                     100 * d.run.ledger.total(Phase::Decode, sim::Unit::PL).time_ns / d.run.decode_ns()));
  }

  // Sensitivity.
  if (!a.no_sensitivity) {
    line(fmt::format("## Sensitivity: each parameter ±{:.0f}%", 100 * a.swing));
    line();
    line("Each platform and software parameter moved alone, the rest as configured; decode tokens/s of each design. "
         "Sorted by the paper design's largest change: measure the top rows on your board first.");
    line();
    for (int d = 1; d >= 0; --d) {
      const double bt = ds[static_cast<size_t>(d)].run.decode_tokens_per_s();
      std::vector<TornadoRow> sorted = tornado;
      std::stable_sort(sorted.begin(), sorted.end(),
                       [&](const auto& x, const auto& y) { return x.swing(d, bt) > y.swing(d, bt); });
      const std::string svg_name =
          fs::path(a.out).stem().string() + (d == 1 ? "_tornado_paper.svg" : "_tornado_baseline.svg");
      std::ofstream(fs::path(a.out).parent_path() / svg_name)
          << tornado_svg(sorted, d, bt, fmt::format("Sensitivity of {}", ds[d].label), 100 * a.swing);
      line(fmt::format("### Tornado: {} (base {:.3f} tokens/s)", ds[d].label, bt));
      line();
      line(fmt::format("![tornado: {}]({})", ds[d].label, svg_name));
      line();
      line(fmt::format("| parameter | value | -{0:.0f}% → tokens/s | +{0:.0f}% → tokens/s | largest change |",
                       100 * a.swing));
      line("|---|---:|---:|---:|---:|");
      for (const auto& r : sorted)
        line(fmt::format("| `{}` | {:.6g} {} | {:.3f} ({}) | {:.3f} ({}) | {:.1f}% |", r.path, r.base_value, r.unit,
                         r.lo_tps[d], pct(r.lo_tps[d] / bt - 1), r.hi_tps[d], pct(r.hi_tps[d] / bt - 1),
                         100 * r.swing(d, bt)));
      line();
    }
    if (!not_varied.empty()) {
      std::string names;
      for (const auto& n : not_varied) names += (names.empty() ? "`" : ", `") + n + "`";
      line(fmt::format("Zero in this configuration, so not varied: {}.\n", names));
    }
  }

  // Roofline.
  line("## DDR roofline");
  line();
  const double ddr_peak = ds[0].soc.ddr.peak_gbps();
  const double hp_peak = static_cast<double>(ds[1].soc.accel.n_channels) * ds[1].soc.axi.hp_port().peak_gbps();
  line(fmt::format("Decode reads every weight once per token, so tokens/s ≤ bandwidth ÷ bytes moved per token. "
                   "DDR peak: {:.1f} GB/s ({} MT/s x {} bit); the accelerator's {} HP ports peak at {:.1f} GB/s. "
                   "Bytes per token are those the simulation moved (weights, KV cache, activations).",
                   ddr_peak, ds[0].soc.ddr.data_rate_mtps, ds[0].soc.ddr.bus_width_bits, ds[1].soc.accel.n_channels,
                   hp_peak));
  line();
  line("| design | MB moved per token | achieved GB/s | roofline tokens/s (DDR peak) | simulated tokens/s | "
       "fraction of roofline |");
  line("|---|---:|---:|---:|---:|---:|");
  for (const auto& d : ds) {
    const double tokens = static_cast<double>(std::max<int64_t>(1, d.run.decode_tokens()));
    const double bytes = static_cast<double>(d.run.ledger.total(Phase::Decode, sim::Unit::PS).bytes +
                                             d.run.ledger.total(Phase::Decode, sim::Unit::PL).bytes) /
                         tokens;
    const double roof = ddr_peak * 1e9 / bytes;
    line(fmt::format("| {} | {:.1f} | {:.2f} | {:.2f} | {:.3f} | {:.1f}% |", d.label, bytes / 1e6,
                     bytes * d.run.decode_tokens_per_s() / 1e9, roof, d.run.decode_tokens_per_s(),
                     100 * d.run.decode_tokens_per_s() / roof));
  }
  line();

  std::ofstream f(a.out);
  if (!f) fail("{}: cannot write the report", a.out);
  f << md;
  fmt::print("wrote {}\n", a.out);
  for (const auto& [rf, v] : refits) fmt::print("fitted {} = {:.6g} (was {:.6g})\n", rf->parameter, v, rf->after);
  fmt::print("baseline decode {:.3f} tokens/s, paper decode {:.3f} tokens/s\n", base.run.decode_tokens_per_s(),
             paper.run.decode_tokens_per_s());
}

void setup(CLI::App& app) {
  auto a = std::make_shared<ValidateArgs>();
  auto* c = app.add_subcommand("validate",
                               "Simulate the baseline and the paper design, compare with the published figures and "
                               "write the validation report (Markdown + SVG tornado plots)");
  c->add_option("--out", a->out, "report path; plots are written next to it")->capture_default_str();
  c->add_option("--platform", a->platform, fmt::format("platform YAML; default {}", kDefaultPlatform));
  c->add_option("--baseline", a->baseline, fmt::format("baseline accelerator YAML; default {}", kDefaultBaseline));
  c->add_option("--paper", a->paper, fmt::format("paper accelerator YAML; default {}", kDefaultPaper));
  c->add_option("--reference", a->reference, fmt::format("published figures YAML; default {}", kDefaultReference));
  c->add_option("--model", a->model, "model shape: synthetic:<preset>, a model config YAML or a HF folder")
      ->capture_default_str();
  c->add_option("--prompt-len", a->prompt_len, "prompt tokens")->capture_default_str();
  c->add_option("--gen", a->gen, "decode steps per run")->capture_default_str();
  c->add_option("--fidelity", a->fidelity, "cycle | fast")->capture_default_str();
  c->add_option("--swing", a->swing, "relative parameter change of the sensitivity study")->capture_default_str();
  c->add_option("--param", a->only_params, "vary only this parameter path (repeatable)");
  c->add_flag("--no-sensitivity", a->no_sensitivity, "skip the sensitivity study");
  c->add_flag("--fit", a->fit, "re-fit the calibration records' parameters to their figures and report the values");
  c->add_flag("--quiet", a->quiet, "no progress output");
  c->callback([a] { validate(*a); });
}

}  // namespace

FPGALLM_REGISTER_COMMAND("validate", setup);
