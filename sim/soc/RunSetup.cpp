#include "sim/soc/RunSetup.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "models/core/Error.h"
#include "models/quant/PackedModel.h"
#include "models/quant/Quantizer.h"
#include "models/tokenizer/Tokenizer.h"

namespace fpgallm::sim {

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
  std::vector<int32_t> ids;
  if (s.byte_prompt) {
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

QuantOptions run_quant_options(const SocConfig& soc, const RunSetup& s) {
  QuantOptions o;
  o.method = s.quant;
  o.group_size = soc.accel.macro.group_size;
  o.bits = soc.accel.macro.bits;
  o.zero_point = soc.accel.macro.zero_point;
  o.quantize_lm_head = soc.accel.offload_lm_head;
  return o;
}

std::shared_ptr<const ModelWeights> prepare_run_weights(std::shared_ptr<ModelWeights> w, const SocConfig& soc,
                                                        const RunSetup& s) {
  bool quantized = false;
  for (const auto& L : w->layers) quantized = quantized || L.q.quant;
  // Nothing offloaded: the unaccelerated deployment runs the unquantized model on the PS.
  if (quantized || !soc.accel.offload_linear) return w;
  QuantOptions o = run_quant_options(soc, s);
  o.progress = s.progress;
  std::vector<std::vector<int32_t>> calib;
  if (o.method == "awq") {
    o.calib_seq_len = std::min(o.calib_seq_len, w->config.max_context);  // small test models
    // The calibration text through the prompt's tokenizer; seeded random ids for byte prompts.
    if (s.byte_prompt)
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

Footprint run_footprint(const SocConfig& soc, const ModelConfig& mc) {
  return estimate_footprint(mc, soc.accel.macro.group_size, soc.accel.macro.bits, soc.accel.macro.zero_point,
                            soc.accel.offload_lm_head, soc.accel.macro);
}

int64_t deployed_model_bytes(const SocConfig& soc, const Footprint& fp) {
  return soc.accel.offload_linear ? fp.model_bytes() : fp.fp16_baseline_bytes;
}

void write_run_outputs(const SimRunResult& r, const std::string& dir) {
  fs::create_directories(dir);
  std::ofstream(fs::path(dir) / "stats.json") << r.stats.to_json().dump(2) << "\n";
  std::ofstream csv(fs::path(dir) / "stats.csv");
  r.stats.write_csv(csv);
  if (r.trace) {
    std::ofstream trace(fs::path(dir) / "trace.json");
    r.trace->write_chrome_json(trace);
  }
}

Fidelity parse_fidelity(const std::string& name, const std::string& what) {
  if (name == "cycle") return Fidelity::cycle;
  if (name == "fast") return Fidelity::fast;
  fail("{} must be cycle or fast (got '{}')", what, name);
}

}  // namespace fpgallm::sim
