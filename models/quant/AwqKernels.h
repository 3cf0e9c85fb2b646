#pragma once
#include <cstdint>

#include "models/quant/Macro.h"
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
 * One tile_rows x group block as the simulated PE array consumes it: for r < rows, t < n_tokens,
 * acc[r * n_tokens + t] += awq_group_partial(codes + r * code_stride, zeros[r], x + t * x_stride, len)
 *                          * f16_to_f32(scales[r]).
 * codes are unpacked (one per byte). Bit-identical to that loop (and so to awq_linear's order when
 * called for groups in increasing order); AVX2 works on several rows at once when the CPU has it.
 */
void awq_block_accumulate(const uint8_t* codes, int64_t code_stride, const uint8_t* zeros, const uint16_t* scales,
                          int64_t rows, const float* x, int64_t x_stride, int64_t n_tokens, int64_t len, float* acc);

/**
 * A whole linear job on MACRO blocks, as the PE array computes it tile by tile: tiles[i] points at
 * tile i's n_groups consecutive blocks (layout L, the bytes as fetched from memory). For every
 * output row o < out and token t < n_tokens: acc = 0, then for groups in increasing order
 * awq_block_accumulate, written to acc_out[o * n_tokens + t] (no bias). Tiles run in parallel
 * (each computed by one thread in the canonical order, so the result does not depend on threads).
 */
void awq_macro_tiles(const uint8_t* const* tiles, const MacroLayout& L, int64_t in, int64_t out, const float* x,
                     int64_t n_tokens, float* acc_out);

/**
 * y[t, o] = sum over groups g in increasing order of awq_group_partial(row o of g) * scale[o, g]
 * (fp16 -> fp32), accumulated in fp32 from 0, then + bias[o] when bias is non-null.
 * Uses AVX2 when the CPU has it, SSE2 otherwise; both are bit-identical to the scalar form.
 * x is [n_tokens, in], y is [n_tokens, out]; output rows split across threads (deterministic).
 */
void awq_linear(const QuantLinear& q, const float* x, int64_t n_tokens, const float* bias, float* y);

}  // namespace fpgallm
