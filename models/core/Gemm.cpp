#include "models/core/Gemm.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "models/core/Error.h"

namespace fpgallm::gemm {

// One set of entry points per instruction set (GemmEigenImpl.inc, compiled twice).
#define FPGALLM_GEMM_DECLARE(ns)                                                                                    \
  namespace detail::ns {                                                                                            \
  void xwt(const float* x, int64_t ldx, int64_t n, const float* w, int64_t in, int64_t out, float* y, int64_t ldy); \
  void ata(const float* a, int64_t n, int64_t k, int64_t lda, float* g);                                            \
  void ab(const float* a, int64_t m, int64_t k, const float* b, int64_t n, float* c);                               \
  void abt_strided(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t m, int64_t n, int64_t k,       \
                   float* c, int64_t ldc);                                                                           \
  void ab_strided(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t m, int64_t k, int64_t n,        \
                  float* c, int64_t ldc);                                                                            \
  }
FPGALLM_GEMM_DECLARE(avx2)
FPGALLM_GEMM_DECLARE(avx512)
#undef FPGALLM_GEMM_DECLARE

namespace {

// xwt's output is cut into a grid of tiles that depends on the shape alone (one thread computes a
// tile, with Eigen's fixed blocking), so the result does not depend on how many threads share
// them. Up to kTiles tiles; columns split first (at least kMinTileCols per tile: narrower tiles
// re-pack x once more each and lose ~15 % on the quantizer's shapes), then token rows.
constexpr int64_t kTiles = 8;
constexpr int64_t kMinTileCols = 256;
constexpr int64_t kMinTileRows = 256;
constexpr int64_t kTileAlign = 16;  // one AVX-512 register of floats
// Below this many multiply-adds a parallel region costs more than it saves.
constexpr int64_t kParallelMinMacs = int64_t{1} << 24;

Isa detect_isa() {
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                      __builtin_cpu_supports("avx512vl");
  const Isa best = avx512 ? Isa::Avx512 : avx2 ? Isa::Avx2 : Isa::Plain;
  const char* env = std::getenv("FPGALLM_GEMM");
  if (!env || !*env) return best;
  const std::string want = env;
  const Isa asked = want == "plain" ? Isa::Plain : want == "avx2" ? Isa::Avx2 : want == "avx512" ? Isa::Avx512 : best;
  if (want != "plain" && want != "avx2" && want != "avx512")
    fail("FPGALLM_GEMM must be plain, avx2 or avx512 (got '{}')", want);
  if (static_cast<int>(asked) > static_cast<int>(best))
    fail("FPGALLM_GEMM={}: this CPU lacks the instructions (best available: {})", want, isa_name(best));
  return asked;
}

void xwt_plain(const float* x, int64_t ldx, int64_t n, const float* w, int64_t in, int64_t out, float* y,
               int64_t ldy) {
  for (int64_t t = 0; t < n; ++t)
    for (int64_t o = 0; o < out; ++o) {
      float acc = 0.0f;
      for (int64_t i = 0; i < in; ++i) acc += x[t * ldx + i] * w[o * in + i];
      y[t * ldy + o] = acc;
    }
}

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Plain: return "plain loops";
    case Isa::Avx2: return "Eigen (AVX2+FMA)";
    case Isa::Avx512: return "Eigen (AVX-512)";
  }
  return "?";
}

Isa isa() {
  static const Isa chosen = detect_isa();
  return chosen;
}

void xwt(const float* x, int64_t n, const float* w, const float* bias, int64_t in, int64_t out, float* y) {
  const Isa path = isa();
  const int64_t col_parts = std::clamp<int64_t>(out / kMinTileCols, 1, kTiles);
  const int64_t row_parts = std::clamp<int64_t>(n / kMinTileRows, 1, kTiles / col_parts);
  const int64_t tile_cols = round_up((out + col_parts - 1) / col_parts, kTileAlign);
  const int64_t tile_rows = (n + row_parts - 1) / row_parts;
#pragma omp parallel for schedule(static) if (n * in * out >= kParallelMinMacs)
  for (int64_t tile = 0; tile < col_parts * row_parts; ++tile) {
    const int64_t o0 = (tile % col_parts) * tile_cols, t0 = (tile / col_parts) * tile_rows;
    const int64_t cols = std::min(tile_cols, out - o0), rows = std::min(tile_rows, n - t0);
    if (cols <= 0 || rows <= 0) continue;
    const float* xt = x + t0 * in;
    float* yt = y + t0 * out + o0;
    switch (path) {
      case Isa::Avx512: detail::avx512::xwt(xt, in, rows, w + o0 * in, in, cols, yt, out); break;
      case Isa::Avx2: detail::avx2::xwt(xt, in, rows, w + o0 * in, in, cols, yt, out); break;
      case Isa::Plain: xwt_plain(xt, in, rows, w + o0 * in, in, cols, yt, out); break;
    }
    if (bias)
      for (int64_t t = 0; t < rows; ++t)
        for (int64_t o = 0; o < cols; ++o) yt[t * out + o] += bias[o0 + o];
  }
}

void ata(const float* a, int64_t n, int64_t k, int64_t lda, float* g) {
  switch (isa()) {
    case Isa::Avx512: return detail::avx512::ata(a, n, k, lda, g);
    case Isa::Avx2: return detail::avx2::ata(a, n, k, lda, g);
    case Isa::Plain: break;
  }
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j) {
      float acc = 0.0f;
      for (int64_t t = 0; t < n; ++t) acc += a[t * lda + i] * a[t * lda + j];
      g[i * k + j] = acc;
    }
}

namespace {

/** C = A·B without vector code (FPGALLM_GEMM=plain or a CPU without AVX2): one sum per element, p ascending. */
void plain_ab_strided(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t m, int64_t k, int64_t n,
                      float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (int64_t p = 0; p < k; ++p) acc += a[i * lda + p] * b[p * ldb + j];
      c[i * ldc + j] = acc;
    }
}

}  // namespace

void ab(const float* a, int64_t m, int64_t k, const float* b, int64_t n, float* c) {
  switch (isa()) {
    case Isa::Avx512: return detail::avx512::ab(a, m, k, b, n, c);
    case Isa::Avx2: return detail::avx2::ab(a, m, k, b, n, c);
    case Isa::Plain: break;
  }
  plain_ab_strided(a, k, b, n, m, k, n, c, n);  // the plain loop with dense strides: the same sums in the same order
}

void abt_strided(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t m, int64_t n, int64_t k, float* c,
                 int64_t ldc) {
  switch (isa()) {
    case Isa::Avx512: return detail::avx512::abt_strided(a, lda, b, ldb, m, n, k, c, ldc);
    case Isa::Avx2: return detail::avx2::abt_strided(a, lda, b, ldb, m, n, k, c, ldc);
    case Isa::Plain: break;
  }
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (int64_t p = 0; p < k; ++p) acc += a[i * lda + p] * b[j * ldb + p];
      c[i * ldc + j] = acc;
    }
}

void ab_strided(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t m, int64_t k, int64_t n, float* c,
                int64_t ldc) {
  switch (isa()) {
    case Isa::Avx512: return detail::avx512::ab_strided(a, lda, b, ldb, m, k, n, c, ldc);
    case Isa::Avx2: return detail::avx2::ab_strided(a, lda, b, ldb, m, k, n, c, ldc);
    case Isa::Plain: break;
  }
  plain_ab_strided(a, lda, b, ldb, m, k, n, c, ldc);
}

}  // namespace fpgallm::gemm
