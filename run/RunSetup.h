#pragma once
// Run preparation, once for every caller (`fpgallm run`, `fpgallm.run()`, the explorer's SystemC
// evaluator): model spec -> weights (loaded, synthetic or shapes only) -> quantization settings from
// the accelerator config -> the cached packed model -> the prompt's token ids.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/llm/Weights.h"
#include "models/quant/Quantizer.h"
#include "sim/soc/Simulation.h"
#include "sim/soc/SocConfig.h"

namespace fpgallm::run {

/** Seed of the random AWQ calibration ids used when the prompt has no tokenizer (byte prompts). */
constexpr uint64_t kRandomCalibSeed = 0;
/**
 * RTN for unquantized models unless asked otherwise: AWQ of the full-size model takes minutes on a
 * laptop-class host (docs/quantization.md, bench_awq_search), and the simulated timing and
 * footprint do not depend on the quantizer.
 */
constexpr const char* kDefaultRunQuant = "rtn";

/**
 * What a run needs besides the SoC: how to turn the prompt text into ids and how to quantize an
 * unquantized model for the accelerator.
 */
struct RunSetup {
  std::string prompt;          ///< prompt text
  std::string tokenizer;       ///< tokenizer folder or llama2.c tok*.bin (unused with byte_prompt)
  bool byte_prompt = false;    ///< the prompt's bytes are the token ids (no tokenizer)
  std::vector<int32_t> prompt_ids;  ///< set: the prompt's token ids as given (no text, no tokenizer)
  int64_t prompt_len = 0;      ///< repeat the prompt's tokens to exactly this many (0: as encoded)
  std::string quant = kDefaultRunQuant;  ///< how to quantize an unquantized model: rtn | awq
  bool quant_given = false;    ///< the user chose `quant` (else the run says why the default ran)
  std::string calib_file;      ///< AWQ calibration text (unused for rtn or byte prompts)
  /** Called per quantized layer: layer, layers, what. */
  std::function<void(int64_t layer, int64_t n_layers, const std::string& what)> progress;

  /** Throws fpgallm::Error naming the bad field (quant, prompt_len). */
  void validate() const;
  /** The prompt goes through `tokenizer` (else its ids are bytes or given, and AWQ calibrates on random ids). */
  bool uses_tokenizer() const { return !byte_prompt && prompt_ids.empty(); }
};

/** Where a run's weights come from and where quantized models are cached. */
struct ModelRequest {
  /** synthetic:<preset>[:seed], a model config YAML, HF folder, llama2.c .bin or packed AWQ file. */
  std::string spec;
  /** Set: synthetic weights of this shape with `seed` (`spec` then only labels it). */
  std::optional<ModelConfig> synthetic;
  uint64_t seed = 0;
  bool timing_only = false;  ///< shapes only: nothing is loaded, generated or quantized
  std::string cache_dir;     ///< empty: default_cache_dir()
  bool no_cache = false;     ///< quantize afresh and write nothing
  /** One line per step taken (loading, quantizer and why, cache hit/store); may be empty. */
  std::function<void(const std::string& line)> note;
};

/** The weights a run simulates and its prompt's token ids. */
struct PreparedRun {
  std::shared_ptr<const ModelWeights> weights;
  std::vector<int32_t> prompt;
};

/**
 * Prepares `m` for `soc`: shapes only, an already quantized model or the unquantized one when
 * nothing is offloaded as they are; otherwise from the cache of quantized models, or quantized with
 * sim::deployed_quant_options (RTN or AWQ per `s`), its unquantized tensors rounded to fp16 as a
 * packed file holds them (so a run from the cache computes the same), and stored there. The prompt
 * is encoded before anything is quantized, so a bad tokenizer fails at once.
 */
PreparedRun prepare_run(const ModelRequest& m, const sim::SocConfig& soc, const RunSetup& s);

/** The prompt's token ids (see RunSetup); errors say how to fix a missing or mismatched tokenizer. */
std::vector<int32_t> make_run_prompt(const RunSetup& s, const ModelConfig& mc);

/** What a run ran, recorded beside its statistics. */
struct RunRecord {
  const sim::SocConfig& soc;
  const ModelConfig& model;     ///< the shape the weights have
  std::string model_spec;       ///< where the weights came from (ModelRequest::spec)
  std::vector<int32_t> prompt;  ///< the prompt's token ids
  int64_t decode_steps = 0;
  std::string quant;            ///< the quantizer asked for an unquantized model
};

/**
 * Writes `dir`/stats.json, stats.csv and (when recorded) trace.json of a run, creating `dir`, and
 * what ran: platform.yaml and accel.yaml (sim::*_yaml_as_run: a rerun from them with the same
 * model, prompt and steps gives the same stats.json), model.yaml (the model's shape) and run.yaml
 * (model source, prompt ids, decode steps, quantizer).
 */
void write_run_outputs(const sim::SimRunResult& r, const std::string& dir, const RunRecord& ran);

}  // namespace fpgallm::run
