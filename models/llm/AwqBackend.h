#pragma once
#include <string>

#include "models/llm/Backend.h"

namespace fpgallm {

/**
 * Host backend for quantized models: linears with `quant` set run awq_linear (the canonical AWQ
 * arithmetic shared with the simulated PE array); the rest fall back to the fp32 reference.
 */
class AwqBackend : public ReferenceBackend {
 public:
  std::string name() const override { return "host-awq"; }
  void linear(const OpContext& ctx, const Linear& lin, const float* x, int64_t n, float* y) override;
};

}  // namespace fpgallm
