#pragma once
#include <cstdint>

#include "models/llm/ModelConfig.h"

namespace fpgallm::kernels {

/**
 * fp32 reference kernels: the single definition of each op's arithmetic. Every backend (host,
 * AWQ, simulated PS) calls these so that their results are bit-identical; summation order is fixed
 * (dot: 8 interleaved partial sums, combined pairwise) and independent of threading.
 */
float dot(const float* a, const float* b, int64_t n);

/**
 * y[t, o] = dot(x[t], w[o]) (+ bias[o]), rows of w split across threads. Two or more tokens
 * (prefill) on an AVX2 CPU run register tiles of 2 tokens x 4 rows that keep dot()'s eight
 * partial sums lane for lane: bit-identical with one dot() per (token, row), so a row's result
 * never depends on how many tokens share the call. Host and simulated PS share it.
 */
void linear_f32(const float* x, int64_t n_tokens, const float* w, const float* bias, int64_t in,
                int64_t out, float* y);

/** out = w * x / sqrt(mean(x^2) + eps), per row of `dim`. */
void rmsnorm(const float* x, const float* w, int64_t rows, int64_t dim, float eps, float* out);

/** Rotates each head of rows at positions pos0, pos0+1, ... in place. */
void rope(float* x, int64_t rows, int64_t n_heads, int64_t head_dim, int64_t pos0, double theta,
          RopeLayout layout);

/** In-place softmax over the first `len` entries of a row (max-subtracted, expf). */
void softmax(float* row, int64_t len);

/** out = silu(gate) * up, elementwise. */
void silu_mul(const float* gate, const float* up, int64_t count, float* out);

/** x += y, elementwise. */
void add(float* x, const float* y, int64_t count);

/** Shape of one layer's attention for `n` new tokens at positions pos0..pos0+n-1. */
struct AttnShape {
  int64_t n_tokens = 0;
  int64_t pos0 = 0;
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t ctx() const { return pos0 + n_tokens; }          ///< keys visible to the last token
  int64_t valid(int64_t t) const { return pos0 + t + 1; }  ///< keys visible to token t (causal)
  /** Query-key pairs under the causal mask: the sum of valid(t) over the new tokens. */
  int64_t causal_pairs() const { return n_tokens * pos0 + n_tokens * (n_tokens + 1) / 2; }
};

/** scores[t][h][j] = q[t,h] . k[j, h/group] / sqrt(head_dim) for j < valid(t); row stride ctx(). */
void attn_scores(const AttnShape& s, const float* q, const float* k_cache, float* scores);

/** out[t,h] = sum_{j<valid(t)} p[t][h][j] * v[j, h/group]. */
void attn_values(const AttnShape& s, const float* probs, const float* v_cache, float* out);

}  // namespace fpgallm::kernels
