#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "dse/SweepSpec.h"

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
 * Accuracy per quantization setting, measured once and kept in `cache_dir` (one JSON file per
 * setting and measurement recipe), so reruns and other sweeps reuse it. The synthetic model is the
 * reduced Qwen2-structured outlier model of the quantization table (awq_table_synthetic_config),
 * compared with its fp32 self on seeded random tokens; stories260K perplexity when configured.
 */
class AccuracyCache {
 public:
  AccuracyCache(std::string cache_dir, AccuracyOptions opt);
  AccuracyFigures get(const QuantSetting& s);
  /** Measurements actually run (not read from disk) by this object. */
  int64_t computed() const { return computed_; }

 private:
  std::string dir_;
  AccuracyOptions opt_;
  int64_t computed_ = 0;
};

}  // namespace fpgallm::dse
