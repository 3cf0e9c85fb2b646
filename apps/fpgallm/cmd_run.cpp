#include <chrono>
#include <cstdio>
#include <filesystem>

#include <fmt/core.h>

#include "apps/fpgallm/Command.h"
#include "apps/fpgallm/Progress.h"
#include "models/core/Error.h"
#include "models/quant/Footprint.h"
#include "models/quant/PackedModel.h"
#include "models/checkpoint/ModelLoader.h"
#include "models/core/YamlConfig.h"
#include "run/Published.h"
#include "run/QuantCache.h"
#include "run/Resources.h"
#include "run/RunSetup.h"
#include "sim/accel/Deployment.h"
#include "sim/soc/Simulation.h"
#include "sim/soc/SocConfig.h"

namespace {

namespace fs = std::filesystem;
using namespace fpgallm;

constexpr const char* kDefaultPrompt = "Give me a short introduction to large language models.";
constexpr const char* kDefaultModel = "synthetic:qwen2.5-0.5b";
constexpr int64_t kDefaultDecodeSteps = 8;
constexpr const char* kDefaultCalib = "configs/calib/default.txt";

// Defaults, relative to the resource folder (run::resource_root) and resolved only when the command runs.
constexpr const char* kDefaultPlatform = "configs/platform/kv260.yaml";
constexpr const char* kDefaultAccel = "configs/accel/paper_gs64_pe8x8.yaml";
constexpr const char* kDefaultTokenizer = "data/qwen2.5-tokenizer";
constexpr const char* kDefaultReference = "configs/reference/xiang2025.yaml";

struct RunArgs {
  std::string platform, accel, tokenizer, reference;  // empty: the defaults above
  std::string model = kDefaultModel;
  std::string prompt = kDefaultPrompt;
  std::string quant;  // empty: run::kDefaultRunQuant
  std::string cache_dir;  // empty: default_cache_dir()
  bool no_cache = false;
  std::string fidelity;
  std::string out;
  int64_t prompt_len = 0;
  int64_t gen = kDefaultDecodeSteps;
  bool trace = false, quiet = false, show_stats = false, byte_prompt = false, no_reference = false;
  bool timing_only = false;

  void resolve_defaults() {
    if (platform.empty()) platform = run::resource_path(kDefaultPlatform);
    if (accel.empty()) accel = run::resource_path(kDefaultAccel);
    if (tokenizer.empty()) tokenizer = run::resource_path(kDefaultTokenizer);
    if (reference.empty() && !no_reference) reference = run::resource_path(kDefaultReference);
  }
};

using run::load_published;
using run::Published;

run::RunSetup run_setup(const RunArgs& a) {
  run::RunSetup s;
  s.prompt = a.prompt;
  s.tokenizer = a.tokenizer;
  s.byte_prompt = a.byte_prompt;
  s.prompt_len = a.prompt_len;
  s.quant = a.quant.empty() ? run::kDefaultRunQuant : a.quant;
  s.quant_given = !a.quant.empty();
  s.calib_file = run::resource_path(kDefaultCalib);
  return s;
}

/** The breakdown tables and the summary, published figures beside the simulated ones when they apply. */
void print_report(const RunArgs& a, const sim::SocConfig& soc, const ModelConfig& mc, const Published& pub,
                  const sim::SimRunResult& r) {
  // The paper's unaccelerated deployment is the comparison for configs that offload nothing.
  const double pub_tps = soc.accel.offload_linear ? pub.acc_tps : pub.base_tps;
  const double pub_mb = soc.accel.offload_linear ? pub.acc_mb : pub.base_mb;
  const Footprint fp = sim::deployed_footprint(soc.accel, mc);
  fmt::print("fpgallm run: {} ({} layers, hidden {}), accel {} @ {} MHz, PE {}x{}, {} DMA channels, {} fidelity{}\n",
             a.model, mc.num_layers, mc.hidden_size, soc.accel.name, soc.accel.clock_mhz, soc.accel.pe_rows,
             soc.accel.pe_cols, soc.accel.n_channels, sim::to_string(soc.accel.fidelity),
             a.timing_only ? ", timing only" : "");
  fmt::print("host software: {} (ps.software.profile in {})\n", soc.ps.software.name, a.platform);
  fmt::print("\n== Prefill: {} tokens ==\n{}", r.prefill_tokens(), r.ledger.breakdown_table(Phase::Prefill));
  if (r.decode_tokens())
    fmt::print("\n== Decode: {} steps (sum over steps) ==\n{}", r.decode_tokens(),
               r.ledger.breakdown_table(Phase::Decode));
  const double decode_ms = r.decode_tokens() ? r.decode_ns() / 1e6 / r.decode_tokens() : 0.0;
  fmt::print("\n== Summary ==\n");
  fmt::print("{:<34} {:>14} {:>14}\n", "", "simulated", pub.loaded ? "published" : "");
  // Where the DDR is the limit the fidelities differ most: every figure below says which it is.
  fmt::print("{:<34} {:>14}\n", "fidelity", sim::to_string(soc.accel.fidelity));
  fmt::print("{:<34} {:>14.2f} {:>14}\n", "prefill tokens/s", r.prefill_tokens_per_s(), pub.loaded ? "n/a" : "");
  fmt::print("{:<34} {:>14.3f}\n", "prefill time (ms)", r.prefill_ns() / 1e6);
  fmt::print("{:<34} {:>14.2f} {:>14}\n", "decode tokens/s", r.decode_tokens_per_s(),
             pub.loaded ? fmt::format("{:.1f}", pub_tps) : "");
  fmt::print("{:<34} {:>14.3f}\n", "decode time per token (ms)", decode_ms);
  const double model_bytes = static_cast<double>(sim::deployed_model_bytes(soc.accel, fp));
  // The paper's 443.81 is a MiB figure and its 988 an MB one (docs/formats.md): each goes on its row.
  fmt::print("{:<34} {:>14.2f} {:>14}\n", "model footprint (MiB)", model_bytes / kBytesPerMiB,
             pub.loaded && soc.accel.offload_linear ? fmt::format("{:.2f}", pub_mb) : "");
  fmt::print("{:<34} {:>14.2f} {:>14}\n", "model footprint (MB)", model_bytes / kBytesPerMB,
             pub.loaded && !soc.accel.offload_linear ? fmt::format("{:.0f}", pub_mb) : "");
  if (pub.loaded && soc.accel.offload_linear) {
    fmt::print("{:<34} {:>14.2f} {:>14.0f}\n", "fp16 baseline footprint (MB)", fp.fp16_baseline_bytes / kBytesPerMB,
               pub.base_mb);
    fmt::print("{:<34} {:>14} {:>14.1f}\n", "baseline decode tokens/s", "-", pub.base_tps);
  }
  fmt::print("{:<34} {:>14.2f}\n", "DDR row-hit rate (%)", r.stats.value("ddr.row_hit_rate"));
  fmt::print("{:<34} {:>14.1f}\n", "PE utilisation (%)", r.stats.value("accel.pe_array.utilisation"));
  fmt::print("{:<34} {:>14.1f}\n", "host time simulating (s)", r.wall_seconds);

}

void run_command(RunArgs& a) {
  a.resolve_defaults();
  if (!a.quant.empty() && a.quant != "rtn" && a.quant != "awq") fail("--quant must be rtn or awq (got '{}')", a.quant);
  if (a.gen < 0) fail("--gen must be >= 0 (got {})", a.gen);
  if (a.prompt_len < 0) fail("--prompt-len must be >= 0 (got {})", a.prompt_len);
  sim::SocConfig soc = sim::load_soc_config(a.platform, a.accel);
  if (!a.fidelity.empty()) soc.set_fidelity(sim::parse_fidelity(a.fidelity, "--fidelity"));
  Published pub = load_published(a.reference);
  sim::SimRunOptions opt;
  run::RunSetup setup = run_setup(a);
  cli::ProgressLine prep(!a.quiet);
  setup.progress = [&](int64_t layer, int64_t n, const std::string& what) {
    prep.update(fmt::format("[{:6.1f} s] quantizing ({}) layer {}/{}", prep.elapsed_s(), what, std::min(layer + 1, n), n));
  };
  run::ModelRequest req;
  req.spec = a.model;
  req.timing_only = a.timing_only;
  req.cache_dir = a.cache_dir;
  req.no_cache = a.no_cache;
  req.note = [&](const std::string& line) { prep.finish(line); };
  run::PreparedRun prepared = run::prepare_run(req, soc, setup);
  const auto weights = prepared.weights;
  opt.prompt = std::move(prepared.prompt);
  const ModelConfig& mc = weights->config;
  // Published figures sit beside the simulated ones only for the model they were measured on.
  pub.loaded = pub.applies_to(mc);

  opt.decode_steps = a.gen;
  opt.trace = a.trace || !a.out.empty();
  cli::ProgressLine progress(!a.quiet);
  opt.progress = [&](Phase p, int64_t tok, int64_t layer, int64_t n_layers) {
    const double s = progress.elapsed_s();
    if (p == Phase::Prefill)
      progress.update(fmt::format("[{:6.1f} s] prefill {} tokens: layer {:>2}/{}", s, opt.prompt.size(), layer + 1,
                                  n_layers));
    else
      progress.update(fmt::format("[{:6.1f} s] decode token {:>3}/{}: layer {:>2}/{}", s, tok + 1, a.gen, layer + 1,
                                  n_layers));
  };
  if (!a.quiet)
    fmt::print(stderr, "simulating {} on {} + {} ({} fidelity), prompt {} tokens, {} decode steps\n", mc.name,
               a.platform, soc.accel.name, sim::to_string(soc.accel.fidelity), opt.prompt.size(), a.gen);
  sim::SimRunResult r = sim::simulate(soc, weights, opt);
  progress.finish(fmt::format("simulated in {:.1f} s of host time", r.wall_seconds));

  print_report(a, soc, mc, pub, r);
  if (a.show_stats) fmt::print("\n== Statistics ==\n{}", r.stats.to_table());
  if (!a.out.empty()) {
    run::write_run_outputs(r, a.out, {soc, mc, a.model, opt.prompt, a.gen, setup.quant});
    fmt::print("\nwrote {}/stats.json, stats.csv, trace.json ({} events{}) and what ran: platform.yaml, accel.yaml, "
               "model.yaml, run.yaml\n", a.out, r.trace->size(),
               r.trace->dropped() ? fmt::format(", {} dropped", r.trace->dropped()) : "");
  }
}

void setup(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  auto* c = app.add_subcommand("run", "Run Qwen2 AWQ inference on the simulated KV260 and print the latency breakdown");
  c->add_option("--platform", a->platform, fmt::format("platform YAML (ddr, axi, ps, pl); default {}", kDefaultPlatform));
  c->add_option("--accel", a->accel, fmt::format("accelerator YAML; default {}", kDefaultAccel));
  c->add_option("--model", a->model, "synthetic:<preset>, model config .yaml, HF folder, llama2.c .bin or packed AWQ file")->capture_default_str();
  c->add_option("--tokenizer", a->tokenizer, fmt::format("tokenizer for the prompt; default {}", kDefaultTokenizer));
  c->add_flag("--byte-prompt", a->byte_prompt, "no tokenizer: the prompt's bytes are the token ids (AWQ calibrates on random ids)");
  c->add_option("--prompt", a->prompt, "prompt text")->capture_default_str();
  c->add_option("--prompt-len", a->prompt_len, "repeat the prompt's tokens to exactly N tokens (0: as encoded)");
  c->add_option("--gen", a->gen, "decode steps")->capture_default_str();
  c->add_flag("--timing-only", a->timing_only,
              "no weights: only placement, traffic and timing (same times and stats as a full run; no logits); "
              "--model may be synthetic:<preset>, a model config YAML or a HF folder of any size");
  c->add_option("--quant", a->quant,
                fmt::format("how to quantize an unquantized model: rtn | awq (default {}; the run prints which ran and why)",
                            run::kDefaultRunQuant));
  c->add_flag("--no-cache", a->no_cache, "quantize afresh and do not write the cache of quantized models");
  c->add_option("--cache-dir", a->cache_dir,
                fmt::format("cache of quantized models; default ${}, else $XDG_CACHE_HOME/fpgallm or ~/.cache/fpgallm",
                            run::kCacheDirEnv));
  c->add_option("--fidelity", a->fidelity, "override the configs: cycle | fast");
  c->add_option("--reference", a->reference,
                fmt::format("published figures YAML shown beside the simulated ones; default {}", kDefaultReference));
  c->add_flag("--no-reference", a->no_reference, "show no published figures");
  c->add_option("--out", a->out, "write stats.json, stats.csv and a Chrome trace here");
  c->add_flag("--trace", a->trace, "record the timeline (written with --out)");
  c->add_flag("--stats", a->show_stats, "print the whole statistics tree");
  c->add_flag("--quiet", a->quiet, "no progress output");
  c->callback([a] { run_command(*a); });
}

}  // namespace

FPGALLM_REGISTER_COMMAND("run", setup);
