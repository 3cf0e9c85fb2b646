#pragma once
#include <cstdint>

#include "models/quant/QuantLinear.h"

namespace fpgallm {

/**
 * The single definition of AWQ arithmetic. The host backend and the simulated PE array both call
 * these, so their logits are bit-identical.
 */

/** Lanes of interleaved partial sums, as in kernels::dot. */
constexpr int kAwqPartialLanes = 8;

/**
 * Fixed-order dot of (float)(codes[i] - zero) with x[i] over `len` inputs: 8 interleaved fp32
 * partial sums combined exactly like kernels::dot.
 */
float awq_group_partial(const uint8_t* codes, int zero, const float* x, int64_t len);

/** The portable scalar form of awq_group_partial (the SIMD forms must equal it bit for bit). */
float awq_group_partial_scalar(const uint8_t* codes, int zero, const float* x, int64_t len);

/**
 * y[t, o] = sum over groups g in increasing order of awq_group_partial(row o of g) * scale[o, g]
 * (fp16 -> fp32), accumulated in fp32 from 0, then + bias[o] when bias is non-null.
 * Uses AVX2 when the CPU has it, SSE2 otherwise; both are bit-identical to the scalar form.
 * x is [n_tokens, in], y is [n_tokens, out]; output rows split across threads (deterministic).
 */
void awq_linear(const QuantLinear& q, const float* x, int64_t n_tokens, const float* bias, float* y);

}  // namespace fpgallm
