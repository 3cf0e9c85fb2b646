#pragma once
// What each op of a Qwen2 forward pass computes and moves on the PS: elements, bytes read, bytes
// written. The one description both SimBackend (which runs the ops one by one) and
// dse::AnalyticModel (which replays a pass's ops in closed form) charge from.
#include <cstdint>

#include "models/core/Dtype.h"
#include "models/llm/Kernels.h"

namespace fpgallm {

struct OpTraffic {
  int64_t elements = 0, bytes_read = 0, bytes_written = 0;
};

/** Embedding rows: fp16 table rows in, fp32 activations out. */
inline OpTraffic embed_traffic(int64_t rows, int64_t dim) {
  const int64_t e = rows * dim;
  return {e, e * kF16Bytes, e * kF32Bytes};
}

/** RMSNorm of `rows` rows of `dim`: the activations and the fp16 weight in, the activations out. */
inline OpTraffic rmsnorm_traffic(int64_t rows, int64_t dim) {
  const int64_t e = rows * dim;
  return {e, e * kF32Bytes + dim * kF16Bytes, e * kF32Bytes};
}

/** RoPE in place on `rows` x `heads` x `head_dim`. */
inline OpTraffic rope_traffic(int64_t rows, int64_t heads, int64_t head_dim) {
  const int64_t e = rows * heads * head_dim;
  return {e, e * kF32Bytes, e * kF32Bytes};
}

/** q . k over the causal pairs: K of every visible position read once per op, q in, one score per pair and head out. */
inline OpTraffic attn_scores_traffic(const kernels::AttnShape& s) {
  const int64_t pairs = s.causal_pairs(), kv_dim = s.n_kv_heads * s.head_dim;
  return {pairs * s.n_heads * s.head_dim,
          s.ctx() * kv_dim * kF32Bytes + s.n_tokens * s.n_heads * s.head_dim * kF32Bytes,
          pairs * s.n_heads * kF32Bytes};
}

/** Softmax over the scores of every causal pair and head. */
inline OpTraffic softmax_traffic(const kernels::AttnShape& s) {
  const int64_t e = s.causal_pairs() * s.n_heads;
  return {e, e * kF32Bytes, e * kF32Bytes};
}

/** probabilities . V: V of every visible position and the probabilities in, one head vector per token out. */
inline OpTraffic attn_values_traffic(const kernels::AttnShape& s) {
  const int64_t pairs = s.causal_pairs(), kv_dim = s.n_kv_heads * s.head_dim;
  return {pairs * s.n_heads * s.head_dim, s.ctx() * kv_dim * kF32Bytes + pairs * s.n_heads * kF32Bytes,
          s.n_tokens * s.n_heads * s.head_dim * kF32Bytes};
}

/** Two operands in, one out (SiLU-mul, the residual add). */
inline OpTraffic binary_elementwise_traffic(int64_t count) { return {count, 2 * count * kF32Bytes, count * kF32Bytes}; }

/** Greedy sampling over the vocabulary's logits. */
inline OpTraffic sampling_traffic(int64_t vocab) { return {vocab, vocab * kF32Bytes, 0}; }

/** A linear layer on the PS: its weights streamed at `weight_bytes_per_param`, the activations in and out. */
inline OpTraffic ps_linear_traffic(int64_t in, int64_t out, int64_t n_tokens, double weight_bytes_per_param) {
  const int64_t params = in * out;
  return {n_tokens * params,
          static_cast<int64_t>(weight_bytes_per_param * static_cast<double>(params)) + n_tokens * in * kF32Bytes,
          n_tokens * out * kF32Bytes};
}

}  // namespace fpgallm
