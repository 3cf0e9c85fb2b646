#include "models/core/Gemm.h"

#include <algorithm>

namespace fpgallm::gemm {

namespace detail {
void xwt_eigen(const float* x, int64_t n, const float* w, int64_t in, int64_t out, float* y, int64_t ldy);
void ata_eigen(const float* a, int64_t n, int64_t k, int64_t lda, float* g);
void ab_eigen(const float* a, int64_t m, int64_t k, const float* b, int64_t n, float* c);
void abt_strided_eigen(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t m, int64_t n, int64_t k,
                       float* c, int64_t ldc);
void ab_strided_eigen(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t m, int64_t k, int64_t n,
                      float* c, int64_t ldc);
}  // namespace detail

namespace {

// Output columns per chunk of xwt: one thread computes a chunk, so the result does not depend on
// how many threads share the chunks. 256 keeps a chunk's weights (256 x in floats) in L2.
constexpr int64_t kChunkCols = 256;
// Below this many multiply-adds a parallel region costs more than it saves.
constexpr int64_t kParallelMinMacs = int64_t{1} << 24;

bool cpu_has_avx2_fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

void xwt_plain(const float* x, int64_t n, const float* w, int64_t in, int64_t out, float* y, int64_t ldy) {
  for (int64_t t = 0; t < n; ++t)
    for (int64_t o = 0; o < out; ++o) {
      float acc = 0.0f;
      for (int64_t i = 0; i < in; ++i) acc += x[t * in + i] * w[o * in + i];
      y[t * ldy + o] = acc;
    }
}

}  // namespace

bool uses_eigen() { return cpu_has_avx2_fma(); }

void xwt(const float* x, int64_t n, const float* w, const float* bias, int64_t in, int64_t out, float* y) {
  const int64_t n_chunks = (out + kChunkCols - 1) / kChunkCols;
  const bool eigen = cpu_has_avx2_fma();
#pragma omp parallel for schedule(static) if (n * in * out >= kParallelMinMacs)
  for (int64_t c = 0; c < n_chunks; ++c) {
    const int64_t o0 = c * kChunkCols, cols = std::min(kChunkCols, out - o0);
    if (eigen) detail::xwt_eigen(x, n, w + o0 * in, in, cols, y + o0, out);
    else xwt_plain(x, n, w + o0 * in, in, cols, y + o0, out);
    if (bias)
      for (int64_t t = 0; t < n; ++t)
        for (int64_t o = o0; o < o0 + cols; ++o) y[t * out + o] += bias[o];
  }
}

void ata(const float* a, int64_t n, int64_t k, int64_t lda, float* g) {
  if (cpu_has_avx2_fma()) return detail::ata_eigen(a, n, k, lda, g);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j) {
      float acc = 0.0f;
      for (int64_t t = 0; t < n; ++t) acc += a[t * lda + i] * a[t * lda + j];
      g[i * k + j] = acc;
    }
}

void ab(const float* a, int64_t m, int64_t k, const float* b, int64_t n, float* c) {
  if (cpu_has_avx2_fma()) return detail::ab_eigen(a, m, k, b, n, c);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (int64_t p = 0; p < k; ++p) acc += a[i * k + p] * b[p * n + j];
      c[i * n + j] = acc;
    }
}

void abt_strided(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t m, int64_t n, int64_t k, float* c,
                 int64_t ldc) {
  if (cpu_has_avx2_fma()) return detail::abt_strided_eigen(a, lda, b, ldb, m, n, k, c, ldc);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (int64_t p = 0; p < k; ++p) acc += a[i * lda + p] * b[j * ldb + p];
      c[i * ldc + j] = acc;
    }
}

void ab_strided(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t m, int64_t k, int64_t n, float* c,
                int64_t ldc) {
  if (cpu_has_avx2_fma()) return detail::ab_strided_eigen(a, lda, b, ldb, m, k, n, c, ldc);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (int64_t p = 0; p < k; ++p) acc += a[i * lda + p] * b[p * ldb + j];
      c[i * ldc + j] = acc;
    }
}

}  // namespace fpgallm::gemm
