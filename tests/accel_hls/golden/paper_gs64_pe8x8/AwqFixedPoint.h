#pragma once
// The fixed64 PE accumulator arithmetic (accel.pe_array.accum_type: fixed64), defined once. It
// depends on nothing but the C++17 standard library because `fpgallm emit-hls` copies this file
// unchanged into every HLS project: the host AWQ backend, the simulated PE array and the emitted
// kernel run these same functions. Right shifts of negative values are arithmetic (C++20
// guarantees it; g++ and Vitis HLS do it in C++17 too).
#include <cstdint>
#include <cstring>

namespace fpgallm_fixed {

/** Saturation bound: 2^62 - 1, so the sum of two bounded values still fits int64. */
constexpr int64_t kLimit = (int64_t{1} << 62) - 1;
/** Largest |partial| scaled: times an 11-bit fp16 significand it stays inside int64. */
constexpr int64_t kPartialLimit = (int64_t{1} << 51) - 1;

/** a + b saturated to +-kLimit (|a|, |b| <= kLimit). */
inline int64_t add(int64_t a, int64_t b) {
  const int64_t s = a + b;
  return s > kLimit ? kLimit : s < -kLimit ? -kLimit : s;
}

/** round(v * 2^frac_bits), ties to even, saturated to +-kLimit; NaN -> 0. Integer code only. */
inline int64_t from_float(float v, int frac_bits) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  const bool neg = (u >> 31) != 0;
  const int e = static_cast<int>((u >> 23) & 0xffu);
  const uint32_t m = u & 0x7fffffu;
  if (e == 0xff) return m ? 0 : (neg ? -kLimit : kLimit);
  // v = mant * 2^(exponent), mant < 2^24.
  const uint64_t mant = e ? (m | 0x800000u) : m;
  const int shift = (e ? e - 150 : -149) + frac_bits;
  uint64_t mag;
  if (shift >= 0) {
    mag = shift > 38 || (mant << shift) > static_cast<uint64_t>(kLimit) ? static_cast<uint64_t>(kLimit) : mant << shift;
  } else if (-shift > 25) {
    mag = 0;  // below half an LSB
  } else {
    const int r = -shift;
    const uint64_t q = mant >> r, rem = mant & ((uint64_t{1} << r) - 1), half = uint64_t{1} << (r - 1);
    mag = q + ((rem > half || (rem == half && (q & 1))) ? 1 : 0);
  }
  return neg ? -static_cast<int64_t>(mag) : static_cast<int64_t>(mag);
}

/** round(partial * scale) in the same format; scale is fp16 bits (finite), exact product, ties up. */
inline int64_t scale(int64_t partial, uint16_t scale_f16) {
  const bool neg = (scale_f16 & 0x8000u) != 0;
  const int e = (scale_f16 >> 10) & 0x1f;
  const int64_t sig = e ? ((scale_f16 & 0x3ff) | 0x400) : (scale_f16 & 0x3ff);  // scale = sig * 2^sh
  const int sh = e ? e - 25 : -24;
  const int64_t p = partial > kPartialLimit ? kPartialLimit : partial < -kPartialLimit ? -kPartialLimit : partial;
  int64_t prod = p * sig;
  if (sh >= 0) {
    const int64_t lim = kLimit >> sh;
    prod = prod > lim ? kLimit : prod < -lim ? -kLimit : prod * (int64_t{1} << sh);
  } else {
    prod = (prod + (int64_t{1} << (-sh - 1))) >> -sh;
  }
  return neg ? -prod : prod;
}

/** (float)acc * 2^-frac_bits: one rounding (to nearest even), the power of two is exact. */
inline float to_float(int64_t acc, int frac_bits) {
  const uint32_t u = static_cast<uint32_t>(127 - frac_bits) << 23;
  float step;
  std::memcpy(&step, &u, sizeof step);
  return static_cast<float>(acc) * step;
}

}  // namespace fpgallm_fixed
