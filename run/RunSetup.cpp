#include "run/RunSetup.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include <fmt/core.h>

#include "models/checkpoint/ModelLoader.h"
#include "models/checkpoint/Synthetic.h"
#include "models/core/Error.h"
#include "models/quant/PackedModel.h"
#include "models/quant/Quantizer.h"
#include "models/tokenizer/Tokenizer.h"
#include "run/QuantCache.h"
#include "sim/accel/Deployment.h"

namespace fpgallm::run {

namespace fs = std::filesystem;

void RunSetup::validate() const {
  if (quant != "rtn" && quant != "awq") fail("quant must be rtn or awq (got '{}')", quant);
  if (prompt_len < 0) fail("prompt_len must be >= 0 (got {})", prompt_len);
}

namespace {

/** The prompt's tokenizer; a missing or mismatched one is an error that says how to fix it. */
std::unique_ptr<Tokenizer> prompt_tokenizer(const RunSetup& s, const ModelConfig& mc) {
  if (!fs::exists(s.tokenizer))
    fail("{}: tokenizer not found; give one (--tokenizer PATH / tokenizer=: a folder with vocab.json + merges.txt, "
         "or a llama2.c tok*.bin), or use the prompt's bytes as token ids (--byte-prompt / byte_prompt=True)",
         s.tokenizer);
  auto tok = load_tokenizer(s.tokenizer, mc.vocab_size);
  if (tok->vocab_size() > mc.vocab_size)
    fail("{}: tokenizer has {} tokens but the model's vocabulary is {}; give the model's own tokenizer, or use "
         "the prompt's bytes as token ids (--byte-prompt / byte_prompt=True)", s.tokenizer, tok->vocab_size(),
         mc.vocab_size);
  return tok;
}

}  // namespace

std::vector<int32_t> make_run_prompt(const RunSetup& s, const ModelConfig& mc) {
  std::vector<int32_t> ids = s.prompt_ids;
  if (!s.prompt_ids.empty()) {
    for (int32_t id : ids)
      if (id < 0 || id >= mc.vocab_size) fail("prompt token id {} is outside the vocabulary of {}", id, mc.vocab_size);
  } else if (s.byte_prompt) {
    for (unsigned char ch : s.prompt) ids.push_back(static_cast<int32_t>(ch % mc.vocab_size));
  } else {
    ids = prompt_tokenizer(s, mc)->encode(s.prompt, true);
  }
  if (ids.empty()) fail("the prompt encodes to no tokens");
  if (s.prompt_len > 0) {
    // Repeat the real prompt to the requested length, so timing runs keep real token statistics.
    std::vector<int32_t> out;
    for (int64_t i = 0; i < s.prompt_len; ++i) out.push_back(ids[static_cast<size_t>(i) % ids.size()]);
    ids = std::move(out);
  }
  return ids;
}

void write_run_outputs(const sim::SimRunResult& r, const std::string& dir, const RunRecord& ran) {
  fs::create_directories(dir);
  std::ofstream(fs::path(dir) / "platform.yaml") << sim::platform_yaml_as_run(ran.soc);
  std::ofstream(fs::path(dir) / "accel.yaml") << sim::accel_yaml_as_run(ran.soc);
  YAML::Node model(YAML::NodeType::Map);
  model["model"] = model_config_to_yaml(ran.model);
  std::ofstream(fs::path(dir) / "model.yaml") << "# The model's shape as run (weights: " << ran.model_spec << ").\n"
                                              << YAML::Dump(model) << "\n";
  YAML::Node run(YAML::NodeType::Map);
  run["model"] = ran.model_spec;
  run["prompt_ids"] = ran.prompt;
  run["prompt_ids"].SetStyle(YAML::EmitterStyle::Flow);
  run["decode_steps"] = ran.decode_steps;
  run["quant"] = ran.quant;
  std::ofstream(fs::path(dir) / "run.yaml") << "# What `fpgallm run` ran (configs in platform.yaml, accel.yaml).\n"
                                            << YAML::Dump(run) << "\n";
  std::ofstream(fs::path(dir) / "stats.json") << r.stats.to_json().dump(2) << "\n";
  std::ofstream csv(fs::path(dir) / "stats.csv");
  r.stats.write_csv(csv);
  if (r.trace) {
    std::ofstream trace(fs::path(dir) / "trace.json");
    r.trace->write_chrome_json(trace);
  }
}

namespace {

/** Why the default quantizer (kDefaultRunQuant) ran, as the run says it. */
constexpr const char* kDefaultQuantWhy =
    "the default: simulated timing and footprint do not depend on the quantizer, and AWQ of a full-size model "
    "takes minutes; --quant awq runs AutoAWQ's search (cached afterwards)";

/** The cache key of `m` quantized for `soc` per `s`: everything the packed file depends on. */
nlohmann::json cache_key(const ModelRequest& m, const sim::SocConfig& soc, const RunSetup& s, const QuantOptions& o) {
  // The calibration source is part of the key; the tokens themselves are made only on a miss.
  nlohmann::json calib_id = nullptr;
  if (o.method == "awq") {
    if (!s.uses_tokenizer()) calib_id = {{"random_blocks", kDefaultRandomCalibBlocks}, {"seed", kRandomCalibSeed}};
    else calib_id = {{"text", file_identity(s.calib_file)}, {"tokenizer", model_identity(s.tokenizer)}};
  }
  const auto& macro = soc.accel.macro;
  nlohmann::json model = model_identity(m.spec);
  if (m.synthetic) model = {{"synthetic_config", model_config_to_hf_json(*m.synthetic)}, {"seed", m.seed}};
  return {{"model", model}, {"method", o.method}, {"bits", o.bits}, {"group_size", o.group_size},
          {"zero_point", o.zero_point}, {"lm_head", o.quantize_lm_head}, {"scale_grid", o.scale_grid},
          {"clip_grid", o.clip_grid}, {"max_shrink", o.max_shrink}, {"clip_sample_tokens", o.clip_sample_tokens},
          {"calib_samples", o.calib_samples}, {"calib_seq_len", o.calib_seq_len}, {"search_tokens", o.search_tokens},
          {"calibration", calib_id},
          {"macro", {{"tile_rows", macro.tile_rows}, {"group_size", macro.group_size}, {"bits", macro.bits},
                     {"beat_bytes", macro.beat_bytes}, {"zero_point", macro.zero_point}}}};
}

/**
 * `w` (unquantized) quantized for `soc` (RTN or AWQ per `s`), its unquantized tensors rounded to fp16
 * as a packed model file holds them, so a run from a cached packed file computes the same.
 */
std::shared_ptr<const ModelWeights> quantize_for(std::shared_ptr<ModelWeights> w, const sim::SocConfig& soc,
                                                 const RunSetup& s) {
  QuantOptions o = sim::deployed_quant_options(soc.accel, s.quant);
  o.progress = s.progress;
  std::vector<std::vector<int32_t>> calib;
  if (o.method == "awq") {
    o.calib_seq_len = std::min(o.calib_seq_len, w->config.max_context);  // small test models
    // The calibration text through the prompt's tokenizer; seeded random ids for byte or given-id prompts.
    if (!s.uses_tokenizer())
      calib = make_random_sequences(w->config.vocab_size, kDefaultRandomCalibBlocks, o.calib_seq_len, kRandomCalibSeed);
    else
      calib = make_calibration_sequences(*prompt_tokenizer(s, w->config), read_text_file(s.calib_file),
                                         o.calib_samples, o.calib_seq_len);
  }
  auto q = quantize_model(*w, o, calib);
  w.reset();
  round_unquantized_to_fp16(*q);
  return q;
}

std::shared_ptr<ModelWeights> load_weights(const ModelRequest& m) {
  return m.synthetic ? make_synthetic_weights(*m.synthetic, m.seed) : load_model(m.spec);
}

}  // namespace

PreparedRun prepare_run(const ModelRequest& m, const sim::SocConfig& soc, const RunSetup& s) {
  s.validate();
  const auto t0 = std::chrono::steady_clock::now();
  auto since = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  auto note = [&](const std::string& line) {
    if (m.note) m.note(line);
  };
  PreparedRun out;
  if (m.timing_only) {
    // Shapes only: nothing is loaded, generated or quantized, so any size fits.
    note(fmt::format("timing-only: shapes of {} (no weights)", m.spec));
    out.weights = make_shape_only_weights(m.synthetic ? *m.synthetic : load_model_config_only(m.spec));
    out.prompt = make_run_prompt(s, out.weights->config);
    return out;
  }
  // Nothing offloaded (the unaccelerated deployment runs the unquantized model on the PS) or an
  // already quantized model: no quantizer, no cache.
  const bool packed = !m.synthetic && fs::is_regular_file(m.spec) && looks_like_packed_model(m.spec);
  if (!soc.accel.offload_linear || packed) {
    note(fmt::format("loading model {} ...", m.spec));
    auto w = load_weights(m);
    out.prompt = make_run_prompt(s, w->config);
    out.weights = std::move(w);
    return out;
  }
  const QuantOptions o = sim::deployed_quant_options(soc.accel, s.quant);
  const fs::path dir = m.no_cache ? fs::path() : (m.cache_dir.empty() ? default_cache_dir() : fs::path(m.cache_dir));
  const QuantCache cache(dir, cache_key(m, soc, s, o), fmt::format("{}-{}-g{}", m.spec, o.method, o.group_size));
  note(fmt::format("quantizer: {} G={} ({})", o.method, o.group_size, s.quant_given ? "--quant" : kDefaultQuantWhy));
  if (auto hit = cache.load()) {
    out.prompt = make_run_prompt(s, hit->config);
    note(fmt::format("loaded quantized model from cache {} in {:.1f} s", cache.path().string(), since()));
    out.weights = std::move(hit);
    return out;
  }
  note(fmt::format("loading model {} ...", m.spec));
  std::shared_ptr<ModelWeights> w = load_weights(m);
  out.prompt = make_run_prompt(s, w->config);
  if (is_quantized(*w)) {  // an AutoAWQ checkpoint: quantized already
    out.weights = std::move(w);
    return out;
  }
  out.weights = quantize_for(std::move(w), soc, s);
  note(fmt::format("quantized {} with {} G={} in {:.1f} s", m.spec, o.method, o.group_size, since()));
  if (cache.enabled()) {
    cache.store(*out.weights, soc.accel.macro, {{"method", o.method}, {"source_model", m.spec}});
    note(fmt::format("cached as {} ({:.1f} s so far)", cache.path().string(), since()));
  }
  return out;
}

}  // namespace fpgallm::run
