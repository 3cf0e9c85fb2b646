#include "models/llm/AwqBackend.h"

#include "models/quant/AwqKernels.h"
#include "models/core/Error.h"

namespace fpgallm {

void AwqBackend::linear(const OpContext& ctx, const Linear& lin, const float* x, int64_t n, float* y) {
  if (!lin.quant) {
    ReferenceBackend::linear(ctx, lin, x, n, y);
    return;
  }
  const QuantLinear& q = *lin.quant;
  if (q.in_features != lin.in_features || q.out_features != lin.out_features)
    fail("{} backend: layer {} {} has quantized weights [{}, {}] for a [{}, {}] linear", name(), ctx.layer,
         op_name(ctx.op), q.out_features, q.in_features, lin.out_features, lin.in_features);
  awq_linear_accum(q, x, n, lin.bias ? lin.bias->ptr() : nullptr, y, accum_);
}

}  // namespace fpgallm
