#pragma once
#include <cstdint>

namespace fpgallm::gemm {

/**
 * Dense fp32 matrix products for the quantizer's searches (row-major, no aliasing). Products run
 * through Eigen with AVX-512 or AVX2 + FMA, whichever the CPU has (see isa()), and through plain
 * loops otherwise. Results are bit-identical run to run and independent of the thread count: the
 * output is cut into tiles fixed by the shape, each computed by one thread with a fixed blocking.
 * They differ between instruction sets (different blocking) and are NOT bit-identical with
 * kernels::linear_f32 (different summation order): the inference backends keep that one.
 */

/** Instruction set of the products: best the CPU has, or capped by the environment variable FPGALLM_GEMM. */
enum class Isa { Plain, Avx2, Avx512 };

/**
 * The path in use, chosen once per process: avx512 (AVX-512 F/DQ/VL), avx2 (AVX2 + FMA) or plain.
 * FPGALLM_GEMM=plain|avx2 caps it (e.g. to reproduce an AVX2 machine's bits); an unknown value or
 * an instruction set the CPU lacks throws fpgallm::Error.
 */
Isa isa();
const char* isa_name(Isa isa);

/** y[n, out] = x[n, in] · w[out, in]ᵀ (+ bias[out]); threaded over tiles fixed by the shape. */
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

}  // namespace fpgallm::gemm
