// AVX2 (without FMA) per function, via target attributes rather than per-file flags so every build
// of these sources (fuzzers re-list them in another directory) compiles it the same way; called
// only after a CPU check in Kernels.cpp. With no FMA in the target the compiler cannot fuse the
// multiply and the add: each 8-float lane holds exactly the partial sum kernels::dot keeps in its
// acc[lane], so results are bit-identical with dot() whatever the number of tokens. Intrinsics and
// plain loops only (no std inline functions whose AVX copy the linker could pick for baseline code).
#include <immintrin.h>

#include <cstdint>

#define FPGALLM_AVX2 __attribute__((target("avx2")))

namespace fpgallm::kernels::detail {

namespace {

/** dot()'s tail and combination: lanes of acc, then the scalar tail from index i on into lanes 0, 1, ... */
FPGALLM_AVX2 inline float finish(__m256 acc, const float* a, const float* b, int64_t i, int64_t n) {
  alignas(32) float l[8];
  _mm256_store_ps(l, acc);
  for (int k = 0; i < n; ++i, ++k) l[k] += a[i] * b[i];
  return ((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7]));
}

/** A tokens x B rows of y: every x row loaded once per B weight rows and every weight row once per A tokens. */
template <int A, int B>
FPGALLM_AVX2 inline void tile(const float* x, int64_t t0, const float* w, const float* bias, int64_t in, int64_t out, int64_t o0,
                 float* y) {
  __m256 acc[A][B];
  for (int a = 0; a < A; ++a)
    for (int b = 0; b < B; ++b) acc[a][b] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= in; i += 8) {
    __m256 xv[A], wv[B];
    for (int a = 0; a < A; ++a) xv[a] = _mm256_loadu_ps(x + (t0 + a) * in + i);
    for (int b = 0; b < B; ++b) wv[b] = _mm256_loadu_ps(w + (o0 + b) * in + i);
    for (int a = 0; a < A; ++a)
      for (int b = 0; b < B; ++b) acc[a][b] = _mm256_add_ps(acc[a][b], _mm256_mul_ps(xv[a], wv[b]));
  }
  for (int a = 0; a < A; ++a)
    for (int b = 0; b < B; ++b) {
      const float v = finish(acc[a][b], x + (t0 + a) * in, w + (o0 + b) * in, i, in);
      y[(t0 + a) * out + o0 + b] = v + (bias ? bias[o0 + b] : 0.0f);
    }
}

constexpr int kTileTokens = 2;
constexpr int kTileRows = 4;  // 2 x 4 accumulators + 6 loads fit AVX2's 16 registers

template <int B>
FPGALLM_AVX2 void rows_block(const float* x, int64_t n, const float* w, const float* bias, int64_t in, int64_t out, int64_t o0,
                float* y) {
  int64_t t = 0;
  for (; t + kTileTokens <= n; t += kTileTokens) tile<kTileTokens, B>(x, t, w, bias, in, out, o0, y);
  for (; t < n; ++t) tile<1, B>(x, t, w, bias, in, out, o0, y);
}

}  // namespace

FPGALLM_AVX2 void linear_f32_avx2(const float* x, int64_t n, const float* w, const float* bias, int64_t in,
                                  int64_t out, int64_t o_begin, int64_t o_end, float* y) {
  int64_t o = o_begin;
  for (; o + kTileRows <= o_end; o += kTileRows) rows_block<kTileRows>(x, n, w, bias, in, out, o, y);
  for (; o < o_end; ++o) rows_block<1>(x, n, w, bias, in, out, o, y);
}

}  // namespace fpgallm::kernels::detail
