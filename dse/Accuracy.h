#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "dse/SweepSpec.h"
#include "models/tokenizer/Tokenizer.h"

namespace fpgallm::dse {

/** The quantization a design implies: what the accuracy axis measures. */
struct QuantSetting {
  bool quantized = true;  ///< false: nothing offloaded, the unquantized model runs on the PS
  int64_t group_size = 64;
  int bits = 4;
  bool zero_point = true;
  bool lm_head = false;  ///< lm_head quantized (it runs on the PL)
  std::string key() const;
};
QuantSetting quant_setting(const sim::AccelConfig& a);

/** Measured quality of one setting against the fp32 model. */
struct AccuracyFigures {
  double top1 = 1.0;     ///< synthetic model: fraction of positions whose argmax matches fp32
  double kl = 0.0;       ///< synthetic model: mean KL(p_fp32 || p_quant), nats
  double ppl = 0.0;      ///< stories260K perplexity (0: not measured)
  double ppl_fp32 = 0.0;
  nlohmann::json to_json() const;
};

/**
 * The stories260K measurement's calibration blocks: the text's documents, skipped when longer
 * than AutoAWQ's default max_seq_len (512, capped at the model's context) and concatenated, cut
 * into blocks of `eval_seq_len` tokens (AutoAWQ's rule with its skip threshold kept at 512 while
 * the block is the sweep's shorter context; docs/quantization.md). Throws naming the spec field.
 */
std::vector<std::vector<int32_t>> stories_calibration(const AccuracyOptions& o, const Tokenizer& tok,
                                                      int64_t model_context, const std::string& spec_file);

/**
 * Everything the accuracy measurement needs, checked before a sweep starts (cheap: the stories
 * files are read and the calibration built, no model runs): the evaluation length fits the
 * synthetic model's context, the stories files load and, for AWQ, the calibration holds a block.
 * Errors name the spec file and the field to change.
 */
void check_accuracy_inputs(const AccuracyOptions& o, const std::string& spec_file);

/**
 * Accuracy per quantization setting, measured once and kept in `cache_dir` (one JSON file per
 * setting and measurement recipe), so reruns and other sweeps reuse it. The synthetic model is the
 * reduced Qwen2-structured outlier model of the quantization table (awq_table_synthetic_config),
 * compared with its fp32 self on seeded random tokens; stories260K perplexity when configured.
 */
class AccuracyCache {
 public:
  /**
   * Checks the measurement's inputs at once (check_accuracy_inputs), so a setting that cannot be
   * measured fails before any point is evaluated; `spec_file` names the sweep spec in errors.
   */
  AccuracyCache(std::string cache_dir, AccuracyOptions opt, std::string spec_file);
  AccuracyFigures get(const QuantSetting& s);
  /** Measurements actually run (not read from disk) by this object. */
  int64_t computed() const { return computed_; }

 private:
  std::string dir_;
  AccuracyOptions opt_;
  std::string spec_file_;
  int64_t computed_ = 0;
};

}  // namespace fpgallm::dse
