#pragma once
#include <memory>
#include <string>

#include "models/llm/Backend.h"
#include "models/quant/AwqKernels.h"

namespace fpgallm {

/**
 * Host backend for quantized models: linears with `quant` set run awq_linear (the canonical AWQ
 * arithmetic shared with the simulated PE array); the rest fall back to the fp32 reference.
 */
class AwqBackend : public ReferenceBackend {
 public:
  /** `accum`: the accelerator's accumulator (AccelConfig::awq_accum), so host and PE array agree bit for bit. */
  explicit AwqBackend(AwqAccum accum = {}) : accum_(accum) {}
  std::string name() const override { return "host-awq"; }
  void linear(const OpContext& ctx, const Linear& lin, const float* x, int64_t n, float* y) override;

 private:
  AwqAccum accum_;
};

/**
 * The host backend by name, the one choice every command makes: "fp32" (ReferenceBackend), "awq"
 * (AwqBackend: AWQ linears where `w` has them, fp32 elsewhere), "auto" (awq for a quantized model,
 * else fp32). fp32 of a quantized model (no fp32 weights) or another name is an error naming `what`.
 */
std::unique_ptr<Backend> make_host_backend(const std::string& name, const ModelWeights& w, const std::string& what);

}  // namespace fpgallm
