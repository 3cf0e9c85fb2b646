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

std::unique_ptr<Backend> make_host_backend(const std::string& name, const ModelWeights& w, const std::string& what) {
  const bool quantized = is_quantized(w);
  const std::string which = name == "auto" ? (quantized ? "awq" : "fp32") : name;
  if (which == "awq") return std::make_unique<AwqBackend>();
  if (which != "fp32") fail("{} must be auto, fp32 or awq (got '{}')", what, name);
  if (quantized) fail("{} fp32: the model is quantized (no fp32 weights); use {} awq or auto", what, what);
  return std::make_unique<ReferenceBackend>();
}

}  // namespace fpgallm
