#pragma once
#include <cstdint>

#include "models/quant/AwqFixedPoint.h"
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

/**
 * The PE array's accumulator format. Fp32 is the arithmetic above. Fixed64: every product
 * (float)(code - zero) * x (fp32) is rounded to a signed 64-bit fixed-point value with
 * `frac_bits` fractional bits (awq_fixed_from_float), a group's products are summed exactly in
 * integers (so the order no longer matters), the sum is scaled by the fp16 scale exactly and
 * rounded back to frac_bits (awq_fixed_scale), groups are summed in integers, and the row's
 * result is converted to fp32 once (awq_fixed_to_float), then + bias in fp32. All integer steps
 * saturate at +-kAwqFixedLimit instead of overflowing.
 */
enum class AwqAccumKind { Fp32, Fixed64 };
struct AwqAccum {
  AwqAccumKind kind = AwqAccumKind::Fp32;
  int frac_bits = 0;  ///< Fixed64 only, in [kAwqFixedMinFracBits, kAwqFixedMaxFracBits]
  bool operator==(const AwqAccum&) const = default;
};
constexpr int kAwqFixedMinFracBits = 1;
/** Keeps |partial| * an 11-bit fp16 significand inside int64 for |product| < 2^(51 - frac_bits). */
constexpr int kAwqFixedMaxFracBits = 40;
constexpr int64_t kAwqFixedLimit = fpgallm_fixed::kLimit;

/** The fixed64 steps (models/quant/AwqFixedPoint.h, shared verbatim with the emitted HLS kernel). */
inline int64_t awq_fixed_from_float(float v, int frac_bits) { return fpgallm_fixed::from_float(v, frac_bits); }
inline int64_t awq_fixed_scale(int64_t partial, uint16_t scale_f16) { return fpgallm_fixed::scale(partial, scale_f16); }
inline int64_t awq_fixed_add(int64_t a, int64_t b) { return fpgallm_fixed::add(a, b); }
inline float awq_fixed_to_float(int64_t acc, int frac_bits) { return fpgallm_fixed::to_float(acc, frac_bits); }
/** Sum of awq_fixed_from_float((float)(codes[i] - zero) * x[i]) over `len` inputs. */
int64_t awq_group_partial_fixed(const uint8_t* codes, int zero, const float* x, int64_t len, int frac_bits);

/** awq_linear with the given accumulator (Fp32: exactly awq_linear). */
void awq_linear_accum(const QuantLinear& q, const float* x, int64_t n_tokens, const float* bias, float* y,
                      const AwqAccum& accum);


/**
 * W4A8 (the arithmetic of a future accel.pe_array.operand_type: int8; not yet selectable: the
 * simulator, the resource model and the HLS kernel do not implement it). Activations are
 * quantized per token, symmetrically, by the PS before the job (awq_quantize_act_int8); the PE
 * array multiplies (code - zero) by the int8 activation and sums a group exactly in integers (so
 * the order does not matter); each group is dequantised once with its fp16 scale in fp32; the
 * row is multiplied by the token's activation scale last. docs/formats.md states the rules.
 */
constexpr int kAwqInt8Max = 127;
/**
 * One token's activations to int8: absmax = max |x[i]|, q[i] = clamp(round_even(x[i] * inv),
 * -127, 127) with inv = 127 / absmax (one fp32 division), returned scale = absmax / 127 (fp32). An
 * all-zero row gives q = 0 and scale 0. Throws fpgallm::Error on a non-finite activation.
 */
float awq_quantize_act_int8(const float* x, int64_t len, int8_t* q);
/** Exact sum of (codes[i] - zero) * q[i] (|term| <= 255 * 127, so int32 holds any group). */
int32_t awq_group_partial_int8(const uint8_t* codes, int zero, const int8_t* q, int64_t len);
/**
 * y[t, o] = (sum over groups g in increasing order, in fp32 from 0, of
 * (float)awq_group_partial_int8(...) * f16_to_f32(scale[o, g])) * act_scale[t], then + bias[o];
 * every multiply and add a separate fp32 rounding. x is [n_tokens, in] fp32 (quantized here).
 */
void awq_linear_int8(const QuantLinear& q, const float* x, int64_t n_tokens, const float* bias, float* y);

}  // namespace fpgallm
