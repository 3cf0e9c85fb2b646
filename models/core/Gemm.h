#pragma once
#include <cstdint>

namespace fpgallm::gemm {

/**
 * Dense fp32 matrix products for the quantizer's searches (row-major, no aliasing). Products run
 * through Eigen (AVX2 + FMA) when the CPU has both and through plain loops otherwise. Results are
 * bit-identical run to run and independent of the thread count: the output is cut into fixed
 * chunks, each computed by one thread with a fixed blocking. They are NOT bit-identical with
 * kernels::linear_f32 (different summation order): the inference backends keep that one.
 */

/** y[n, out] = x[n, in] · w[out, in]ᵀ (+ bias[out]); threaded over fixed chunks of `out`. */
void xwt(const float* x, int64_t n, const float* w, const float* bias, int64_t in, int64_t out, float* y);

/** g[k, k] = aᵀa for a [n, k] with row stride lda (single thread: call it from parallel loops). */
void ata(const float* a, int64_t n, int64_t k, int64_t lda, float* g);

/** c[m, n] = a[m, k] · b[k, n] (single thread: call it from parallel loops). */
void ab(const float* a, int64_t m, int64_t k, const float* b, int64_t n, float* c);

/** c[m, n] = a[m, k] · b[n, k]ᵀ with row strides lda, ldb, ldc (single thread). */
void abt_strided(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t m, int64_t n, int64_t k, float* c,
                 int64_t ldc);

/** c[m, n] = a[m, k] · b[k, n] with row strides lda, ldb, ldc (single thread). */
void ab_strided(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t m, int64_t k, int64_t n, float* c,
                int64_t ldc);

/** True when the Eigen AVX2 + FMA path runs on this CPU. */
bool uses_eigen();

}  // namespace fpgallm::gemm
