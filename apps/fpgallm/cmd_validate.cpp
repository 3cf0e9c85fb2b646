// `fpgallm validate`: simulated vs published figures, calibration record, latency breakdowns,
// sensitivity (tornado) and the DDR roofline, all from one invocation (studies/Validation.h).
#include <fmt/core.h>

#include "apps/fpgallm/Command.h"
#include "apps/fpgallm/Progress.h"
#include "run/Resources.h"
#include "studies/Validation.h"

namespace {

using namespace fpgallm;

constexpr const char* kDefaultPlatform = "configs/platform/kv260.yaml";
constexpr const char* kDefaultBaseline = "configs/accel/baseline_ps_only.yaml";
constexpr const char* kDefaultPaper = "configs/accel/paper_gs64_pe8x8.yaml";
constexpr const char* kDefaultReference = "configs/reference/xiang2025.yaml";
constexpr const char* kDefaultModel = "synthetic:qwen2.5-0.5b";

struct ValidateArgs {
  studies::ValidationOptions o;
  bool no_sensitivity = false, quiet = false;

  ValidateArgs() { o.model = kDefaultModel; }

  void resolve_defaults() {
    if (o.platform.empty()) o.platform = run::resource_path(kDefaultPlatform);
    if (o.baseline.empty()) o.baseline = run::resource_path(kDefaultBaseline);
    if (o.paper.empty()) o.paper = run::resource_path(kDefaultPaper);
    if (o.reference.empty()) o.reference = run::resource_path(kDefaultReference);
    o.sensitivity = !no_sensitivity;
  }
};

void validate(ValidateArgs& a) {
  a.resolve_defaults();
  cli::ProgressLine progress(!a.quiet);
  studies::ValidationProgress p;
  p.update = [&](const std::string& line) { progress.update(line); };
  p.finish = [&](const std::string& line) { progress.finish(line); };
  const studies::ValidationReport r = studies::run_validation(a.o, p);
  studies::write_validation_report(r, a.o.out);
  fmt::print("wrote {}\n", a.o.out);
  for (const auto& f : r.refits) fmt::print("fitted {} = {:.6g} (was {:.6g})\n", f.parameter, f.value, f.was);
  fmt::print("baseline decode {:.3f} tokens/s, paper decode {:.3f} tokens/s\n", r.baseline_decode_tps,
             r.paper_decode_tps);
}

void setup(CLI::App& app) {
  auto a = std::make_shared<ValidateArgs>();
  auto* c = app.add_subcommand("validate",
                               "Simulate the baseline and the paper design, compare with the published figures and "
                               "write the validation report (Markdown + SVG tornado plots)");
  c->add_option("--out", a->o.out, "report path; plots are written next to it")->capture_default_str();
  c->add_option("--platform", a->o.platform, fmt::format("platform YAML; default {}", kDefaultPlatform));
  c->add_option("--baseline", a->o.baseline, fmt::format("baseline accelerator YAML; default {}", kDefaultBaseline));
  c->add_option("--paper", a->o.paper, fmt::format("paper accelerator YAML; default {}", kDefaultPaper));
  c->add_option("--reference", a->o.reference, fmt::format("published figures YAML; default {}", kDefaultReference));
  c->add_option("--model", a->o.model, "model shape: synthetic:<preset>, a model config YAML or a HF folder")
      ->capture_default_str();
  c->add_option("--prompt-len", a->o.prompt_len, "prompt tokens")->capture_default_str();
  c->add_option("--gen", a->o.gen, "decode steps per run")->capture_default_str();
  c->add_option("--fidelity", a->o.fidelity, "cycle | fast")->capture_default_str();
  c->add_option("--swing", a->o.swing, "relative parameter change of the sensitivity study")->capture_default_str();
  c->add_option("--param", a->o.only_params, "vary only this parameter path (repeatable)");
  c->add_flag("--no-sensitivity", a->no_sensitivity, "skip the sensitivity study");
  c->add_flag("--fit", a->o.fit, "re-fit the calibration records' parameters to their figures and report the values");
  c->add_flag("--quiet", a->quiet, "no progress output");
  c->callback([a] { validate(*a); });
}

}  // namespace

FPGALLM_REGISTER_COMMAND("validate", setup);
