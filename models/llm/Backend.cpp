#include "models/llm/Backend.h"

#include <cstring>

#include "models/core/Error.h"

namespace fpgallm {

const char* op_name(OpKind k) {
  static const char* kNames[kNumOpKinds] = {
      "embedding", "attn_norm", "q_proj",   "k_proj",    "v_proj",    "rope",     "attn_score",
      "softmax",   "attn_value", "o_proj",  "residual_add", "mlp_norm", "gate_proj", "up_proj",
      "silu_mul",  "down_proj", "final_norm", "lm_head", "sampling"};
  return kNames[static_cast<int>(k)];
}

const char* phase_name(Phase p) { return p == Phase::Prefill ? "prefill" : "decode"; }

bool op_is_linear(OpKind k) {
  switch (k) {
    case OpKind::QProj: case OpKind::KProj: case OpKind::VProj: case OpKind::OProj:
    case OpKind::GateProj: case OpKind::UpProj: case OpKind::DownProj: case OpKind::LmHead:
      return true;
    default:
      return false;
  }
}

void Backend::embed(const OpContext&, const Tensor& table, const int32_t* tokens, int64_t n, float* out) {
  const int64_t vocab = table.dim(0), dim = table.dim(1);
  for (int64_t t = 0; t < n; ++t) {
    if (tokens[t] < 0 || tokens[t] >= vocab) fail("token id {} is outside the vocabulary [0, {})", tokens[t], vocab);
    std::memcpy(out + t * dim, table.ptr() + static_cast<int64_t>(tokens[t]) * dim, sizeof(float) * dim);
  }
}

void Backend::rmsnorm(const OpContext&, const float* x, const Tensor& w, int64_t rows, float eps, float* out) {
  kernels::rmsnorm(x, w.ptr(), rows, w.numel(), eps, out);
}

void Backend::rope(const OpContext& ctx, float* x, int64_t rows, int64_t n_heads, int64_t head_dim,
                   double theta, RopeLayout layout) {
  kernels::rope(x, rows, n_heads, head_dim, ctx.pos0, theta, layout);
}

void Backend::attn_scores(const OpContext&, const kernels::AttnShape& s, const float* q,
                          const float* k_cache, float* scores) {
  kernels::attn_scores(s, q, k_cache, scores);
}

void Backend::softmax(const OpContext&, const kernels::AttnShape& s, float* scores) {
  const int64_t L = s.ctx();
  for (int64_t t = 0; t < s.n_tokens; ++t)
    for (int64_t h = 0; h < s.n_heads; ++h) kernels::softmax(scores + (t * s.n_heads + h) * L, s.valid(t));
}

void Backend::attn_values(const OpContext&, const kernels::AttnShape& s, const float* probs,
                          const float* v_cache, float* out) {
  kernels::attn_values(s, probs, v_cache, out);
}

void Backend::silu_mul(const OpContext&, const float* gate, const float* up, int64_t count, float* out) {
  kernels::silu_mul(gate, up, count, out);
}

void Backend::add(const OpContext&, float* x, const float* y, int64_t count) { kernels::add(x, y, count); }

void ReferenceBackend::linear(const OpContext& ctx, const Linear& lin, const float* x, int64_t n, float* y) {
  if (!lin.weight)
    fail("{} backend: layer {} {} has no fp32 weights (quantized model? use the awq backend)", name(),
         ctx.layer, op_name(ctx.op));
  kernels::linear_f32(x, n, lin.weight->ptr(), lin.bias ? lin.bias->ptr() : nullptr, lin.in_features,
                      lin.out_features, y);
}

}  // namespace fpgallm
