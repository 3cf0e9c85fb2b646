#include <chrono>
#include <filesystem>
#include <memory>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "apps/fpgallm/Command.h"
#include "apps/fpgallm/Resources.h"
#include "models/core/Error.h"
#include "models/checkpoint/AutoAwq.h"
#include "models/quant/Footprint.h"
#include "models/checkpoint/ModelLoader.h"
#include "models/quant/PackedModel.h"
#include "models/quant/Quantizer.h"
#include "models/tokenizer/Tokenizer.h"

namespace fs = std::filesystem;

namespace {

constexpr const char* kSyntheticPrefix = "synthetic:";
/** Seed of the random calibration tokens used for synthetic models without a tokenizer. */
constexpr uint64_t kDefaultRandomCalibSeed = 1234;
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
  uint64_t calib_seed = kDefaultRandomCalibSeed;
  int64_t tile_rows = fpgallm::MacroLayout{}.tile_rows;
  int64_t beat_bytes = fpgallm::MacroLayout{}.beat_bytes;
};

/** The shipped calibration text, wherever the resources are (cli::resource_root). */
std::string default_calib_path() { return fpgallm::cli::resource_path(kDefaultCalibRelPath); }

/** A tokenizer next to the model: a HF folder's vocab.json + merges.txt, or a llama2.c tokenizer .bin. */
std::string find_model_tokenizer(const std::string& model) {
  std::error_code ec;
  const fs::path p(model);
  const fs::path dir = fs::is_directory(p, ec) ? p : p.parent_path();
  if (dir.empty() || !fs::is_directory(dir, ec)) return {};
  if (fs::is_regular_file(dir / "vocab.json", ec) && fs::is_regular_file(dir / "merges.txt", ec)) return dir.string();
  if (fs::is_regular_file(dir / "tokenizer.bin", ec)) return (dir / "tokenizer.bin").string();
  // llama2.c releases ship tok<vocab>.bin beside the model (stories260K: tok512.bin).
  std::vector<fs::path> toks;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.starts_with("tok") && e.path().extension() == ".bin" && e.path() != p)
      toks.push_back(e.path());
  }
  if (toks.size() == 1) return toks.front().string();
  return {};
}

void run_quantize(const QuantizeArgs& a) {
  using namespace fpgallm;
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };

  QuantOptions o;
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
  o.validate();
  MacroLayout layout;
  layout.tile_rows = a.tile_rows;
  layout.beat_bytes = a.beat_bytes;
  layout.group_size = a.group_size;
  layout.bits = a.bits;
  layout.zero_point = o.zero_point;
  layout.validate("--tile-rows/--beat-bytes/--group-size/--bits");  // before the slow part

  auto fp = load_model(a.model);
  const ModelConfig& c = fp->config;
  for (const auto& l : fp->layers)
    if (l.q.quant) fail("{}: already quantized; quantize an fp checkpoint", a.model);
  fmt::print(stderr, "model {}: {} layers, hidden {}, {} parameters; {} G={} {}-bit{}\n", a.model, c.num_layers,
             c.hidden_size, c.num_parameters(), o.method, o.group_size, o.bits, o.zero_point ? "" : " symmetric");

  nlohmann::json record = {{"method", o.method},
                           {"source_model", a.model},
                           {"search_scale", o.search_scale},
                           {"search_clip", o.search_clip},
                           {"search_tokens", o.search_tokens},
                           {"clip_sample_tokens", o.clip_sample_tokens},
                           {"rtn_candidate", o.rtn_candidate},
                           {"clip_include_max_shrink", o.clip_include_max_shrink},
                           {"clip_codes", o.clip_codes}};
  std::vector<std::vector<int32_t>> calib;
  if (o.method == "rtn" && (!a.calib.empty() || !a.tokenizer.empty()))
    fmt::print(stderr, "note: rtn needs no calibration; --calib and --tokenizer are ignored\n");
  if (o.method == "awq") {
    std::string tok_path = a.tokenizer.empty() ? find_model_tokenizer(a.model) : a.tokenizer;
    record["calib_samples"] = o.calib_samples;
    record["calib_seq_len"] = o.calib_seq_len;
    if (!a.calib_tokens.empty()) {
      calib = make_calibration_blocks(read_token_samples(a.calib_tokens), o.calib_samples, o.calib_seq_len);
      record["calib_tokens_file"] = a.calib_tokens;
      fmt::print(stderr, "calibration: {} blocks x {} tokens from the token-id samples of {}\n", calib.size(),
                 o.calib_seq_len, a.calib_tokens);
    } else if (!tok_path.empty()) {
      const std::string calib_path = a.calib.empty() ? default_calib_path() : a.calib;
      auto tok = load_tokenizer(tok_path, c.vocab_size);
      if (tok->vocab_size() > c.vocab_size)
        fail("{}: tokenizer has {} tokens but the model's vocabulary is {}", tok_path, tok->vocab_size(), c.vocab_size);
      calib = make_calibration_sequences(*tok, read_text_file(calib_path), o.calib_samples, o.calib_seq_len);
      record["calib_file"] = calib_path;
      record["tokenizer"] = tok_path;
      fmt::print(stderr, "calibration: {} blocks x {} tokens from up to {} documents of {} (tokenizer {})\n",
                 calib.size(), o.calib_seq_len, o.calib_samples, calib_path, tok_path);
    } else if (a.model.starts_with(kSyntheticPrefix)) {
      calib = make_random_sequences(c.vocab_size, a.calib_blocks, o.calib_seq_len, a.calib_seed);
      record["calib_random_seed"] = a.calib_seed;
      record["calib_random_blocks"] = a.calib_blocks;
      fmt::print(stderr, "calibration: {} blocks x {} random token ids (seed {}; synthetic model without --tokenizer)\n",
                 a.calib_blocks, o.calib_seq_len, a.calib_seed);
    } else {
      fail("{}: no tokenizer found next to the model (vocab.json + merges.txt, tokenizer.bin or tok*.bin); give "
           "--tokenizer PATH for AWQ calibration", a.model);
    }
  }

  o.progress = [&](int64_t layer, int64_t n_layers, const std::string& what) {
    if (layer >= n_layers) fmt::print(stderr, "[{:7.1f} s] {}\n", elapsed(), what);
    else fmt::print(stderr, "[{:7.1f} s] layer {}/{}: {}\n", elapsed(), layer + 1, n_layers, what);
  };
  auto q = quantize_model(*fp, o, calib);
  fp.reset();  // the fp32 weights are no longer needed while packing

  save_packed_model(*q, layout, a.out, record);
  if (!a.autoawq_out.empty()) {
    save_autoawq(*q, a.autoawq_out);
    fmt::print(stderr, "[{:7.1f} s] wrote AutoAWQ GEMM folder {}\n", elapsed(), a.autoawq_out);
  }
  const PackedModel written = load_packed_model(a.out, /*read_data=*/false);
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
