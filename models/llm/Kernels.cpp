#include "models/llm/Kernels.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace fpgallm::kernels {

float dot(const float* a, const float* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) acc[l] += a[i + l] * b[i + l];
  for (int l = 0; i < n; ++i, ++l) acc[l] += a[i] * b[i];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

namespace {
// Below this many MACs a second thread costs more than it saves (and stalls under load).
constexpr int64_t kParallelMinMacs = int64_t{1} << 18;
// From this many tokens on (prefill) the AVX2 tiles reuse each loaded weight across tokens and beat
// one dot() per (token, row) (bench_fp32_decode, docs/simulator.md); single-token decode streams
// the weights once either way and keeps the plain loop.
constexpr int64_t kTiledMinTokens = 2;
constexpr int64_t kTiledChunkRows = 64;  // rows per thread chunk: a multiple of the 4-row tile

bool cpu_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}
}  // namespace

namespace detail {
// KernelsAvx2.cpp: rows [o_begin, o_end) of y, bit-identical with dot() per (token, row).
void linear_f32_avx2(const float* x, int64_t n, const float* w, const float* bias, int64_t in, int64_t out,
                     int64_t o_begin, int64_t o_end, float* y);
}  // namespace detail

void linear_f32(const float* x, int64_t n_tokens, const float* w, const float* bias, int64_t in,
                int64_t out, float* y) {
  if (n_tokens >= kTiledMinTokens && cpu_has_avx2()) {
    // Fixed chunks of rows, each computed whole by one thread: the same bits for any thread count.
    const int64_t n_chunks = (out + kTiledChunkRows - 1) / kTiledChunkRows;
#pragma omp parallel for schedule(static) if (n_tokens * in * out >= kParallelMinMacs)
    for (int64_t c = 0; c < n_chunks; ++c)
      detail::linear_f32_avx2(x, n_tokens, w, bias, in, out, c * kTiledChunkRows,
                              std::min(out, (c + 1) * kTiledChunkRows), y);
    return;
  }
#pragma omp parallel for schedule(static) if (n_tokens * in * out >= kParallelMinMacs)
  for (int64_t o = 0; o < out; ++o) {
    const float* wr = w + o * in;
    const float b = bias ? bias[o] : 0.0f;
    for (int64_t t = 0; t < n_tokens; ++t) y[t * out + o] = dot(x + t * in, wr, in) + b;
  }
}

void rmsnorm(const float* x, const float* w, int64_t rows, int64_t dim, float eps, float* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    float ss = dot(xr, xr, dim) / static_cast<float>(dim) + eps;
    const float inv = 1.0f / std::sqrt(ss);
    float* orow = out + r * dim;
    for (int64_t i = 0; i < dim; ++i) orow[i] = w[i] * (inv * xr[i]);
  }
}

void rope(float* x, int64_t rows, int64_t n_heads, int64_t head_dim, int64_t pos0, double theta,
          RopeLayout layout) {
  const int64_t half = head_dim / 2;
  std::vector<float> cs(static_cast<size_t>(half)), sn(static_cast<size_t>(half));
  for (int64_t r = 0; r < rows; ++r) {
    const float pos = static_cast<float>(pos0 + r);
    for (int64_t p = 0; p < half; ++p) {
      const float inv_freq =
          1.0f / std::pow(static_cast<float>(theta), static_cast<float>(2 * p) / static_cast<float>(head_dim));
      const float ang = pos * inv_freq;
      cs[p] = std::cos(ang);
      sn[p] = std::sin(ang);
    }
    for (int64_t h = 0; h < n_heads; ++h) {
      float* v = x + (r * n_heads + h) * head_dim;
      for (int64_t p = 0; p < half; ++p) {
        const int64_t i0 = layout == RopeLayout::RotateHalf ? p : 2 * p;
        const int64_t i1 = layout == RopeLayout::RotateHalf ? p + half : 2 * p + 1;
        const float a = v[i0], b = v[i1];
        v[i0] = a * cs[p] - b * sn[p];
        v[i1] = a * sn[p] + b * cs[p];
      }
    }
  }
}

void softmax(float* row, int64_t len) {
  if (len <= 0) return;
  float mx = row[0];
  for (int64_t i = 1; i < len; ++i) mx = std::max(mx, row[i]);
  float sum = 0.0f;
  for (int64_t i = 0; i < len; ++i) {
    row[i] = std::exp(row[i] - mx);
    sum += row[i];
  }
  const float inv = 1.0f / sum;
  for (int64_t i = 0; i < len; ++i) row[i] *= inv;
}

void silu_mul(const float* gate, const float* up, int64_t count, float* out) {
  for (int64_t i = 0; i < count; ++i) {
    const float g = gate[i];
    out[i] = (g / (1.0f + std::exp(-g))) * up[i];
  }
}

void add(float* x, const float* y, int64_t count) {
  for (int64_t i = 0; i < count; ++i) x[i] += y[i];
}

void attn_scores(const AttnShape& s, const float* q, const float* k_cache, float* scores) {
  const int64_t group = s.n_heads / s.n_kv_heads;
  const int64_t kv_dim = s.n_kv_heads * s.head_dim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(s.head_dim));
  const int64_t L = s.ctx();
  for (int64_t t = 0; t < s.n_tokens; ++t)
    for (int64_t h = 0; h < s.n_heads; ++h) {
      const float* qh = q + (t * s.n_heads + h) * s.head_dim;
      const float* kb = k_cache + (h / group) * s.head_dim;
      float* row = scores + (t * s.n_heads + h) * L;
      const int64_t n = s.valid(t);
      for (int64_t j = 0; j < n; ++j) row[j] = dot(qh, kb + j * kv_dim, s.head_dim) * scale;
      for (int64_t j = n; j < L; ++j) row[j] = 0.0f;
    }
}

void attn_values(const AttnShape& s, const float* probs, const float* v_cache, float* out) {
  const int64_t group = s.n_heads / s.n_kv_heads;
  const int64_t kv_dim = s.n_kv_heads * s.head_dim;
  const int64_t L = s.ctx();
  for (int64_t t = 0; t < s.n_tokens; ++t)
    for (int64_t h = 0; h < s.n_heads; ++h) {
      const float* p = probs + (t * s.n_heads + h) * L;
      const float* vb = v_cache + (h / group) * s.head_dim;
      float* o = out + (t * s.n_heads + h) * s.head_dim;
      std::fill(o, o + s.head_dim, 0.0f);
      const int64_t n = s.valid(t);
      for (int64_t j = 0; j < n; ++j) {
        const float pj = p[j];
        const float* vj = vb + j * kv_dim;
        for (int64_t d = 0; d < s.head_dim; ++d) o[d] += pj * vj[d];
      }
    }
}

}  // namespace fpgallm::kernels
