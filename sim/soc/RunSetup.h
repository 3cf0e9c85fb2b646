#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/llm/Weights.h"
#include "models/quant/Footprint.h"
#include "models/quant/Quantizer.h"
#include "sim/soc/Simulation.h"
#include "sim/soc/SocConfig.h"

namespace fpgallm::sim {

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
 * unquantized model for the accelerator. Shared by `fpgallm run` and the Python bindings so both
 * simulate exactly the same thing for the same arguments.
 */
struct RunSetup {
  std::string prompt;          ///< prompt text
  std::string tokenizer;       ///< tokenizer folder or llama2.c tok*.bin (unused with byte_prompt)
  bool byte_prompt = false;    ///< the prompt's bytes are the token ids (no tokenizer)
  int64_t prompt_len = 0;      ///< repeat the prompt's tokens to exactly this many (0: as encoded)
  std::string quant = kDefaultRunQuant;  ///< how to quantize an unquantized model: rtn | awq
  std::string calib_file;      ///< AWQ calibration text (unused for rtn or byte prompts)
  /** Called per quantized layer: layer, layers, what. */
  std::function<void(int64_t layer, int64_t n_layers, const std::string& what)> progress;

  /** Throws fpgallm::Error naming the bad field (quant, prompt_len). */
  void validate() const;
};

/** The prompt's token ids (see RunSetup); errors say how to fix a missing or mismatched tokenizer. */
std::vector<int32_t> make_run_prompt(const RunSetup& s, const ModelConfig& mc);

/** How an unquantized model is quantized for `soc`: the MACRO's group size, bits and zero point, lm_head as offloaded. */
QuantOptions run_quant_options(const SocConfig& soc, const RunSetup& s);

/**
 * The weights the SoC runs: an already quantized model, or an unquantized one when nothing is
 * offloaded (the unaccelerated deployment runs the fp model on the PS), as is; otherwise `w`
 * quantized with run_quant_options (RTN or AWQ per `s`), its unquantized tensors rounded to fp16
 * as a packed model file holds them (so a run from a cached packed file computes the same).
 */
std::shared_ptr<const ModelWeights> prepare_run_weights(std::shared_ptr<ModelWeights> w, const SocConfig& soc,
                                                        const RunSetup& s);

/** Footprint of the model as the SoC deploys it (the accelerator's MACRO layout, lm_head as offloaded). */
Footprint run_footprint(const SocConfig& soc, const ModelConfig& mc);
/** Bytes of the deployed weights: AWQ when the PL streams MACRO blocks, the fp16 model when nothing is offloaded. */
int64_t deployed_model_bytes(const SocConfig& soc, const Footprint& fp);

/** Writes `dir`/stats.json, stats.csv and (when recorded) trace.json of a run, creating `dir`. */
void write_run_outputs(const SimRunResult& r, const std::string& dir);

/** Parses "cycle" | "fast"; `what` names the option in the error. */
Fidelity parse_fidelity(const std::string& name, const std::string& what);

}  // namespace fpgallm::sim
