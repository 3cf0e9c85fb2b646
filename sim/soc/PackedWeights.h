#pragma once
#include <map>
#include <memory>

#include "models/llm/Weights.h"
#include "models/quant/Macro.h"

namespace fpgallm::sim {

/**
 * A model's quantized linears packed once into MACRO streams for one accelerator layout, for
 * callers that simulate the same model many times (benchmarks, validation, sweeps): packing
 * Qwen2.5-0.5B costs about 0.4 s of host time per simulate() otherwise. Pass it in
 * SimRunOptions::packed; runs whose accelerator has another layout pack afresh. Holds the model,
 * so its keys (the QuantLinear objects) stay valid.
 */
class PackedWeights {
 public:
  /** Packs every quantized linear whose group size, bits and zero point match `layout`. */
  PackedWeights(std::shared_ptr<const ModelWeights> weights, const MacroLayout& layout);

  const ModelWeights& weights() const { return *weights_; }
  const MacroLayout& layout() const { return layout_; }
  /** The stream of `q` (one of weights()'s), or null when it was not packed (layout mismatch). */
  const MacroStream* find(const QuantLinear* q) const;
  int64_t bytes() const { return bytes_; }

 private:
  std::shared_ptr<const ModelWeights> weights_;
  MacroLayout layout_;
  std::map<const QuantLinear*, MacroStream> streams_;
  int64_t bytes_ = 0;
};

}  // namespace fpgallm::sim
