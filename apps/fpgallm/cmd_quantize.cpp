#include <chrono>
#include <memory>

#include <fmt/core.h>

#include "apps/fpgallm/Command.h"
#include "run/Resources.h"
#include "models/core/Error.h"
#include "models/checkpoint/AutoAwq.h"
#include "models/quant/Footprint.h"
#include "models/quant/PackedModel.h"
#include "models/quant/QuantizeJob.h"
#include "models/quant/Quantizer.h"


namespace {

/** The default calibration text, relative to the resource folder. */
constexpr const char* kDefaultCalibRelPath = "configs/calib/default.txt";

struct QuantizeArgs {
  std::string model, method = "awq", calib, calib_tokens, tokenizer, out, autoawq_out;
  int64_t group_size = 64;
  int bits = 4;
  bool no_zero_point = false, quantize_lm_head = false, no_scale_search = false, no_clip_search = false;
  int64_t calib_samples = fpgallm::QuantOptions{}.calib_samples;
  int64_t calib_len = fpgallm::QuantOptions{}.calib_seq_len;
  int64_t calib_blocks = fpgallm::kDefaultRandomCalibBlocks;
  int64_t search_tokens = fpgallm::QuantOptions{}.search_tokens;
  int64_t clip_sample_tokens = fpgallm::QuantOptions{}.clip_sample_tokens;
  bool rtn_candidate = false, clip_include_max_shrink = false, clip_codes = false;
  uint64_t calib_seed = fpgallm::kDefaultRandomCalibSeed;
  int64_t tile_rows = fpgallm::MacroLayout{}.tile_rows;
  int64_t beat_bytes = fpgallm::MacroLayout{}.beat_bytes;
};

/** The shipped calibration text, wherever the resources are (run::resource_root). */
std::string default_calib_path() { return fpgallm::run::resource_path(kDefaultCalibRelPath); }

void run_quantize(const QuantizeArgs& a) {
  using namespace fpgallm;
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };

  QuantizeJob job;
  job.model = a.model;
  job.out = a.out;
  QuantOptions& o = job.options;
  o.method = a.method;
  o.bits = a.bits;
  o.group_size = a.group_size;
  o.zero_point = !a.no_zero_point;
  o.quantize_lm_head = a.quantize_lm_head;
  o.search_scale = !a.no_scale_search;
  o.search_clip = !a.no_clip_search;
  o.calib_samples = a.calib_samples;
  o.calib_seq_len = a.calib_len;
  o.search_tokens = a.search_tokens;
  o.clip_sample_tokens = a.clip_sample_tokens;
  o.rtn_candidate = a.rtn_candidate;
  o.clip_include_max_shrink = a.clip_include_max_shrink;
  o.clip_codes = a.clip_codes;
  o.progress = [&](int64_t layer, int64_t n_layers, const std::string& what) {
    if (layer >= n_layers) fmt::print(stderr, "[{:7.1f} s] {}\n", elapsed(), what);
    else fmt::print(stderr, "[{:7.1f} s] layer {}/{}: {}\n", elapsed(), layer + 1, n_layers, what);
  };
  job.calib_file = a.calib.empty() ? default_calib_path() : a.calib;
  job.tokenizer = a.tokenizer;
  job.calib_tokens = a.calib_tokens;
  job.calib_seed = a.calib_seed;
  job.calib_blocks = a.calib_blocks;
  job.tile_rows = a.tile_rows;
  job.beat_bytes = a.beat_bytes;
  job.autoawq_out = a.autoawq_out;
  job.log = [](const std::string& line) { fmt::print(stderr, "{}\n", line); };
  if (o.method == "rtn" && (!a.calib.empty() || !a.tokenizer.empty()))
    fmt::print(stderr, "note: rtn needs no calibration; --calib and --tokenizer are ignored\n");

  const PackedModel written = run_quantize_job(job);
  const MacroLayout layout = job.layout();
  if (!a.autoawq_out.empty()) fmt::print(stderr, "[{:7.1f} s] wrote AutoAWQ GEMM folder {}\n", elapsed(), a.autoawq_out);
  fmt::print(stderr, "[{:7.1f} s] wrote {}\n", elapsed(), a.out);
  fmt::print("packed model {} (MACRO tile_rows {}, {}-byte beats, {}-byte blocks)\n\n{}", a.out, layout.tile_rows,
             layout.beat_bytes, layout.block_bytes(), written.footprint.table());
}

void setup(CLI::App& app) {
  auto a = std::make_shared<QuantizeArgs>();
  auto* c = app.add_subcommand(
      "quantize",
      "Quantize a model (AWQ or RTN, asymmetric uint4 per group) and write a MACRO-packed model file.\n"
      "AWQ calibration text is tokenized with --tokenizer, else with tokenizer files found next to the model;\n"
      "a synthetic:<preset> model with neither calibrates on random token ids from a seeded RNG (--calib-seed).");
  c->add_option("--model", a->model, "llama2.c .bin, HF folder, or synthetic:<preset>[:seed]")->required();
  c->add_option("--method", a->method, "awq | rtn")->check(CLI::IsMember({"awq", "rtn"}));
  c->add_option("--group-size", a->group_size, "input channels per quantization group (a non-dividing size zero-pads the last group)");
  c->add_option("--bits", a->bits, "bits per weight code");
  c->add_flag("--no-zero-point", a->no_zero_point, "symmetric codes, zero fixed at 2^(bits-1)");
  c->add_flag("--quantize-lm-head", a->quantize_lm_head, "also quantize lm_head (RTN; the fp16 embeddings stay)");
  c->add_flag("--no-scale-search", a->no_scale_search, "AWQ without the per-channel scale search");
  c->add_flag("--no-clip-search", a->no_clip_search, "AWQ without the per-group clipping search");
  c->add_option("--calib", a->calib, std::string("calibration text (default: ") + kDefaultCalibRelPath + " of the resource folder)");
  c->add_option("--calib-tokens", a->calib_tokens,
                "pre-tokenized calibration: one sample per line of whitespace-separated token ids (instead of --calib)");
  c->add_option("--calib-samples", a->calib_samples,
                "calibration samples (documents) read, as AutoAWQ's n_samples; longer ones than a block are skipped")
      ->check(CLI::PositiveNumber)->capture_default_str();
  c->add_option("--calib-len,--calib-seq-len", a->calib_len,
                "tokens per calibration block (samples are concatenated and cut into blocks, as AutoAWQ)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  c->add_option("--calib-blocks", a->calib_blocks, "blocks of random token ids (synthetic models without a tokenizer)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  c->add_option("--search-tokens", a->search_tokens,
                "scale search on the first blocks covering this many tokens (0: all, as AutoAWQ)")->capture_default_str();
  c->add_option("--clip-sample-tokens", a->clip_sample_tokens,
                "clip loss on every max(1, T/N)-th token (AutoAWQ's n_sample_token; 0: all)")->capture_default_str();
  c->add_flag("--rtn-candidate", a->rtn_candidate, "extra: plain RTN (scales 1) competes in the scale search");
  c->add_flag("--clip-include-max-shrink", a->clip_include_max_shrink,
              "extra: also try the clip ratio 1 - max_shrink (11 ratios down to 0.50 instead of 10 down to 0.55)");
  c->add_flag("--clip-codes", a->clip_codes,
              "extra: clip by shrinking min/max and clamping the codes instead of clamping the weights");

  c->add_option("--calib-seed", a->calib_seed, "seed of random calibration tokens (synthetic models without a tokenizer)");
  c->add_option("--tokenizer", a->tokenizer, "llama2.c tokenizer .bin or a Qwen2 tokenizer folder");
  c->add_option("--tile-rows", a->tile_rows, "MACRO tile: output rows per block (the PE array rows)");
  c->add_option("--beat-bytes", a->beat_bytes, "MACRO blocks are padded to this AXI beat (16 = 128-bit)");
  c->add_option("--out", a->out, "packed model file to write")->required();
  c->add_option("--autoawq-out", a->autoawq_out, "also write the model as an AutoAWQ GEMM checkpoint folder");
  c->callback([a] { run_quantize(*a); });
}

}  // namespace

FPGALLM_REGISTER_COMMAND("quantize", setup);
