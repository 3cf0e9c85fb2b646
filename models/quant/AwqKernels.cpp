#include "models/quant/AwqKernels.h"

#include "models/core/Dtype.h"
#include "models/core/Error.h"

#include <algorithm>
#include <cmath>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#include <cpuid.h>
#define FPGALLM_AWQ_X86 1
#endif

namespace fpgallm {

namespace {

// Below this many multiply-adds a parallel region costs more than it saves; the result does not
// depend on threading either way (each output is computed by one thread in a fixed order).
constexpr int64_t kAwqParallelMinMacs = int64_t{1} << 16;

// Same combination order as kernels::dot: ((0+4) + (1+5)) + ((2+6) + (3+7)).
inline float combine_lanes(const float* acc) {
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

// Every variant below computes, per lane l, acc[l] += (float)(code - zero) * x in IEEE single
// precision with a separate multiply and add (no FMA), over the same elements in the same order,
// then combines the lanes identically: their results are bit-identical. code - zero is an exact
// small integer, so subtracting in integers before converting changes nothing.

inline float tail_and_combine(float* acc, const uint8_t* codes, int zero, const float* x, int64_t i, int64_t len) {
  for (int l = 0; i < len; ++i, ++l) acc[l] += static_cast<float>(static_cast<int>(codes[i]) - zero) * x[i];
  return combine_lanes(acc);
}

inline float partial_scalar(const uint8_t* codes, int zero, const float* x, int64_t len) {
  float acc[kAwqPartialLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + kAwqPartialLanes <= len; i += kAwqPartialLanes)
    for (int l = 0; l < kAwqPartialLanes; ++l)
      acc[l] += static_cast<float>(static_cast<int>(codes[i + l]) - zero) * x[i + l];
  return tail_and_combine(acc, codes, zero, x, i, len);
}

#ifdef FPGALLM_AWQ_X86
// SSE2 is part of x86-64: lanes 0-3 and 4-7 in two registers.
inline float partial_sse2(const uint8_t* codes, int zero, const float* x, int64_t len) {
  __m128 lo = _mm_setzero_ps(), hi = _mm_setzero_ps();
  const __m128i z = _mm_set1_epi32(zero);
  const __m128i zero_bytes = _mm_setzero_si128();
  int64_t i = 0;
  for (; i + kAwqPartialLanes <= len; i += kAwqPartialLanes) {
    const __m128i c8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + i));
    const __m128i c16 = _mm_unpacklo_epi8(c8, zero_bytes);
    const __m128 d_lo = _mm_cvtepi32_ps(_mm_sub_epi32(_mm_unpacklo_epi16(c16, zero_bytes), z));
    const __m128 d_hi = _mm_cvtepi32_ps(_mm_sub_epi32(_mm_unpackhi_epi16(c16, zero_bytes), z));
    lo = _mm_add_ps(lo, _mm_mul_ps(d_lo, _mm_loadu_ps(x + i)));
    hi = _mm_add_ps(hi, _mm_mul_ps(d_hi, _mm_loadu_ps(x + i + 4)));
  }
  alignas(16) float acc[kAwqPartialLanes];
  _mm_store_ps(acc, lo);
  _mm_store_ps(acc + 4, hi);
  return tail_and_combine(acc, codes, zero, x, i, len);
}

// AVX2 (FMA not enabled, so nothing can be contracted): all 8 lanes in one register.
__attribute__((target("avx2,f16c"))) inline float partial_avx2(const uint8_t* codes, int zero, const float* x,
                                                          int64_t len) {
  __m256 acc8 = _mm256_setzero_ps();
  const __m256i z = _mm256_set1_epi32(zero);
  int64_t i = 0;
  for (; i + kAwqPartialLanes <= len; i += kAwqPartialLanes) {
    const __m256i c = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + i)));
    const __m256 d = _mm256_cvtepi32_ps(_mm256_sub_epi32(c, z));
    acc8 = _mm256_add_ps(acc8, _mm256_mul_ps(d, _mm256_loadu_ps(x + i)));
  }
  alignas(32) float acc[kAwqPartialLanes];
  _mm256_store_ps(acc, acc8);
  return tail_and_combine(acc, codes, zero, x, i, len);
}
#endif

/** acc over the groups of one row for one token: the part every variant must order identically. */
template <float (*Partial)(const uint8_t*, int, const float*, int64_t)>
inline float row_dot(const uint8_t* row, const uint16_t* srow, const uint8_t* zrow, const float* xt, int64_t in,
                     int64_t G, int64_t ng) {
  float acc = 0.0f;
  for (int64_t g = 0; g < ng; ++g) {
    const int64_t begin = g * G;
    const int64_t len = begin + G <= in ? G : in - begin;
    acc += Partial(row + begin, zrow[g], xt + begin, len) * f16_to_f32(srow[g]);
  }
  return acc;
}

template <float (*Partial)(const uint8_t*, int, const float*, int64_t)>
inline void linear_rows(const QuantLinear& q, const float* x, int64_t n_tokens, const float* bias, float* y) {
  const int64_t in = q.in_features, out = q.out_features, ng = q.n_groups();
#pragma omp parallel for schedule(static) if (out * in * n_tokens >= kAwqParallelMinMacs)
  for (int64_t o = 0; o < out; ++o)
    for (int64_t t = 0; t < n_tokens; ++t) {
      const float acc = row_dot<Partial>(q.q.data() + o * in, q.scales.data() + o * ng, q.zeros.data() + o * ng,
                                         x + t * in, in, q.group_size, ng);
      y[t * out + o] = bias ? acc + bias[o] : acc;
    }
}

#ifdef FPGALLM_AWQ_X86
// The AVX2 variant spells the row loop out inside target("avx2,f16c") functions: GCC inlines the
// AVX2 partial only into callers compiled for AVX2 (the template above would call it per group).

// One lane-sum of 8 fp32 lanes, combined like kernels::dot.
__attribute__((target("avx2,f16c"))) inline float combine_avx2(__m256 v) {
  alignas(32) float acc[kAwqPartialLanes];
  _mm256_store_ps(acc, v);
  return combine_lanes(acc);
}

/**
 * Partials of kGroupsInFlight whole groups at once: each group keeps its own accumulator (so its
 * arithmetic is exactly partial_avx2's), but the independent add chains overlap in the pipeline
 * instead of waiting on one register's add latency.
 */
constexpr int kGroupsInFlight = 4;
__attribute__((target("avx2,f16c"), always_inline)) inline void partials_in_flight_avx2(const uint8_t* codes, const uint8_t* zeros,
                                                                    const float* x, int64_t G, float* out) {
  __m256 acc[kGroupsInFlight];
  __m256i z[kGroupsInFlight];
  for (int j = 0; j < kGroupsInFlight; ++j) {
    acc[j] = _mm256_setzero_ps();
    z[j] = _mm256_set1_epi32(zeros[j]);
  }
  for (int64_t i = 0; i < G; i += kAwqPartialLanes)
    for (int j = 0; j < kGroupsInFlight; ++j) {
      const int64_t at = j * G + i;
      const __m256i c = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + at)));
      const __m256 d = _mm256_cvtepi32_ps(_mm256_sub_epi32(c, z[j]));
      acc[j] = _mm256_add_ps(acc[j], _mm256_mul_ps(d, _mm256_loadu_ps(x + at)));
    }
  for (int j = 0; j < kGroupsInFlight; ++j) out[j] = combine_avx2(acc[j]);
}

__attribute__((target("avx2,f16c"))) inline float row_dot_avx2(const uint8_t* row, const uint16_t* srow,
                                                          const uint8_t* zrow, const float* xt, int64_t in,
                                                          int64_t G, int64_t ng) {
  float acc = 0.0f;
  int64_t g = 0;
  // Whole groups with no lane tail go kGroupsInFlight at a time; acc still adds them in order.
  const int64_t full_groups = G % kAwqPartialLanes == 0 ? in / G : 0;
  for (; g + kGroupsInFlight <= full_groups; g += kGroupsInFlight) {
    float p[kGroupsInFlight];
    partials_in_flight_avx2(row + g * G, zrow + g, xt + g * G, G, p);
    for (int j = 0; j < kGroupsInFlight; ++j) acc += p[j] * _cvtsh_ss(srow[g + j]);
  }
  for (; g < ng; ++g) {
    const int64_t begin = g * G;
    const int64_t len = begin + G <= in ? G : in - begin;
    acc += partial_avx2(row + begin, zrow[g], xt + begin, len) * _cvtsh_ss(srow[g]);
  }
  return acc;
}

__attribute__((target("avx2,f16c"))) void linear_avx2(const QuantLinear& q, const float* x, int64_t n_tokens,
                                                 const float* bias, float* y) {
  const int64_t in = q.in_features, out = q.out_features, ng = q.n_groups();
#pragma omp parallel for schedule(static) if (out * in * n_tokens >= kAwqParallelMinMacs)
  for (int64_t o = 0; o < out; ++o)
    for (int64_t t = 0; t < n_tokens; ++t) {
      const float acc = row_dot_avx2(q.q.data() + o * in, q.scales.data() + o * ng, q.zeros.data() + o * ng,
                                     x + t * in, in, q.group_size, ng);
      y[t * out + o] = bias ? acc + bias[o] : acc;
    }
}

/** Partials of kGroupsInFlight rows of one block against the same activations (full lanes only). */
__attribute__((target("avx2,f16c"), always_inline)) inline void rows_in_flight_avx2(const uint8_t* codes,
                                                                                 int64_t stride,
                                                                                 const uint8_t* zeros,
                                                                                 const float* x, int64_t len,
                                                                                 float* out) {
  __m256 acc[kGroupsInFlight];
  __m256i z[kGroupsInFlight];
  for (int j = 0; j < kGroupsInFlight; ++j) {
    acc[j] = _mm256_setzero_ps();
    z[j] = _mm256_set1_epi32(zeros[j]);
  }
  for (int64_t i = 0; i < len; i += kAwqPartialLanes) {
    const __m256 xv = _mm256_loadu_ps(x + i);
    for (int j = 0; j < kGroupsInFlight; ++j) {
      const __m256i c = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + j * stride + i)));
      acc[j] = _mm256_add_ps(acc[j], _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(c, z[j])), xv));
    }
  }
  for (int j = 0; j < kGroupsInFlight; ++j) out[j] = combine_avx2(acc[j]);
}

__attribute__((target("avx2,f16c"))) void block_accumulate_avx2(const uint8_t* codes, int64_t stride,
                                                            const uint8_t* zeros, const uint16_t* scales,
                                                            int64_t rows, const float* x, int64_t x_stride,
                                                            int64_t n_tokens, int64_t len, float* acc) {
  const bool full = len % kAwqPartialLanes == 0;
  for (int64_t t = 0; t < n_tokens; ++t) {
    const float* xt = x + t * x_stride;
    int64_t r = 0;
    if (full)
      for (; r + kGroupsInFlight <= rows; r += kGroupsInFlight) {
        float p[kGroupsInFlight];
        rows_in_flight_avx2(codes + r * stride, stride, zeros + r, xt, len, p);
        for (int j = 0; j < kGroupsInFlight; ++j) acc[(r + j) * n_tokens + t] += p[j] * _cvtsh_ss(scales[r + j]);
      }
    for (; r < rows; ++r)
      acc[r * n_tokens + t] += partial_avx2(codes + r * stride, zeros[r], xt, len) * _cvtsh_ss(scales[r]);
  }
}

bool cpu_has_avx2() {
  // F16C widens the fp16 scales in one instruction (exactly, like f16_to_f32); every AVX2 CPU has it.
  // F16C is read from CPUID leaf 1 (ECX bit 29) because clang's __builtin_cpu_supports has no "f16c".
  static const bool has = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    const bool f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
    return __builtin_cpu_supports("avx2") && f16c;
  }();
  return has;
}
#endif

}  // namespace

float awq_group_partial(const uint8_t* codes, int zero, const float* x, int64_t len) {
#ifdef FPGALLM_AWQ_X86
  return partial_sse2(codes, zero, x, len);
#else
  return partial_scalar(codes, zero, x, len);
#endif
}

float awq_group_partial_scalar(const uint8_t* codes, int zero, const float* x, int64_t len) {
  return partial_scalar(codes, zero, x, len);
}

int64_t awq_group_partial_fixed(const uint8_t* codes, int zero, const float* x, int64_t len, int frac_bits) {
  int64_t sum = 0;
  for (int64_t i = 0; i < len; ++i)
    sum = awq_fixed_add(sum, awq_fixed_from_float(static_cast<float>(static_cast<int>(codes[i]) - zero) * x[i],
                                                  frac_bits));
  return sum;
}

namespace {

/**
 * The scalar reference walk of the non-fp32 arithmetics: for every output row o (rows in
 * parallel) and token t, acc = Acc{} and for groups in increasing order acc = step(acc, t, group
 * codes, zero, begin, len, fp16 scale); then y[t * out + o] = finish(acc, t) (+ bias[o] in fp32).
 * A missing zero point is 2^(bits - 1); the last group may be short.
 */
template <class Acc, class Step, class Finish>
void linear_by_groups(const QuantLinear& q, int64_t n_tokens, const float* bias, float* y, Step step, Finish finish) {
  const int64_t in = q.in_features, out = q.out_features, ng = q.n_groups(), G = q.group_size;
  const int implicit_zero = 1 << (q.bits - 1);
#pragma omp parallel for schedule(static) if (out * in * n_tokens >= kAwqParallelMinMacs)
  for (int64_t o = 0; o < out; ++o)
    for (int64_t t = 0; t < n_tokens; ++t) {
      Acc acc{};
      for (int64_t g = 0; g < ng; ++g) {
        const int64_t begin = g * G, len = begin + G <= in ? G : in - begin;
        acc = step(acc, t, q.q.data() + o * in + begin, q.zeros.empty() ? implicit_zero : q.zeros[o * ng + g], begin,
                   len, q.scales[o * ng + g]);
      }
      const float v = finish(acc, t);
      y[t * out + o] = bias ? v + bias[o] : v;
    }
}

}  // namespace

void awq_linear_accum(const QuantLinear& q, const float* x, int64_t n_tokens, const float* bias, float* y,
                      const AwqAccum& accum) {
  if (accum.kind == AwqAccumKind::Fp32) return awq_linear(q, x, n_tokens, bias, y);
  const int64_t in = q.in_features;
  const int F = accum.frac_bits;
  linear_by_groups<int64_t>(
      q, n_tokens, bias, y,
      [&](int64_t acc, int64_t t, const uint8_t* codes, int zero, int64_t begin, int64_t len, uint16_t scale) {
        return awq_fixed_add(acc, awq_fixed_scale(awq_group_partial_fixed(codes, zero, x + t * in + begin, len, F), scale));
      },
      [&](int64_t acc, int64_t) { return awq_fixed_to_float(acc, F); });
}

float awq_quantize_act_int8(const float* x, int64_t len, int8_t* q) {
  float absmax = 0.0f;
  for (int64_t i = 0; i < len; ++i) {
    if (!std::isfinite(x[i])) fail("int8 activation quantization: activation {} of the row is {}", i, x[i]);
    absmax = std::max(absmax, std::fabs(x[i]));
  }
  if (absmax == 0.0f) {
    std::fill(q, q + len, int8_t{0});
    return 0.0f;
  }
  const float inv = static_cast<float>(kAwqInt8Max) / absmax;
  for (int64_t i = 0; i < len; ++i) {
    const float r = std::nearbyint(x[i] * inv);  // the default rounding mode: to nearest, ties to even
    q[i] = static_cast<int8_t>(std::clamp(r, static_cast<float>(-kAwqInt8Max), static_cast<float>(kAwqInt8Max)));
  }
  return absmax / static_cast<float>(kAwqInt8Max);
}

int32_t awq_group_partial_int8(const uint8_t* codes, int zero, const int8_t* q, int64_t len) {
  int32_t sum = 0;
  for (int64_t i = 0; i < len; ++i) sum += (static_cast<int32_t>(codes[i]) - zero) * static_cast<int32_t>(q[i]);
  return sum;
}

void awq_linear_int8(const QuantLinear& q, const float* x, int64_t n_tokens, const float* bias, float* y) {
  const int64_t in = q.in_features;
  std::vector<int8_t> xq(static_cast<size_t>(n_tokens * in));
  std::vector<float> xs(static_cast<size_t>(n_tokens));
  for (int64_t t = 0; t < n_tokens; ++t) xs[t] = awq_quantize_act_int8(x + t * in, in, xq.data() + t * in);
  linear_by_groups<float>(
      q, n_tokens, bias, y,
      [&](float acc, int64_t t, const uint8_t* codes, int zero, int64_t begin, int64_t len, uint16_t scale) {
        const int32_t partial = awq_group_partial_int8(codes, zero, xq.data() + t * in + begin, len);
        const float scaled = static_cast<float>(partial) * f16_to_f32(scale);
        return acc + scaled;
      },
      [&](float acc, int64_t t) { return acc * xs[t]; });
}

void awq_block_accumulate(const uint8_t* codes, int64_t code_stride, const uint8_t* zeros, const uint16_t* scales,
                          int64_t rows, const float* x, int64_t x_stride, int64_t n_tokens, int64_t len, float* acc) {
#ifdef FPGALLM_AWQ_X86
  if (cpu_has_avx2())
    return block_accumulate_avx2(codes, code_stride, zeros, scales, rows, x, x_stride, n_tokens, len, acc);
#endif
  for (int64_t r = 0; r < rows; ++r) {
    const float scale = f16_to_f32(scales[r]);
    for (int64_t t = 0; t < n_tokens; ++t)
      acc[r * n_tokens + t] += awq_group_partial(codes + r * code_stride, zeros[r], x + t * x_stride, len) * scale;
  }
}

void awq_macro_tiles(const uint8_t* const* tiles, const MacroLayout& L, int64_t in, int64_t out, const float* x,
                     int64_t n_tokens, float* acc_out) {
  const int64_t T = L.tile_rows, G = L.group_size, bb = L.block_bytes();
  const int64_t n_tiles = MacroLayout::ceil_div(out, T), ng = MacroLayout::ceil_div(in, G);
#pragma omp parallel if (out * in * n_tokens >= kAwqParallelMinMacs)
  {
    std::vector<uint8_t> codes(static_cast<size_t>(T * G)), zeros(static_cast<size_t>(T));
    std::vector<uint16_t> scales(static_cast<size_t>(T));
    std::vector<float> acc(static_cast<size_t>(T * n_tokens));
#pragma omp for schedule(static)
    for (int64_t i = 0; i < n_tiles; ++i) {
      const int64_t rows = std::min(T, out - i * T);
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (int64_t g = 0; g < ng; ++g) {
        unpack_macro_block(tiles[i] + g * bb, L, codes.data(), scales.data(), zeros.data());
        const int64_t begin = g * G;
        awq_block_accumulate(codes.data(), G, zeros.data(), scales.data(), rows, x + begin, in, n_tokens,
                             std::min(G, in - begin), acc.data());
      }
      std::copy(acc.begin(), acc.begin() + rows * n_tokens, acc_out + i * T * n_tokens);
    }
  }
}

void awq_linear(const QuantLinear& q, const float* x, int64_t n_tokens, const float* bias, float* y) {
#ifdef FPGALLM_AWQ_X86
  if (cpu_has_avx2()) return linear_avx2(q, x, n_tokens, bias, y);
  linear_rows<partial_sse2>(q, x, n_tokens, bias, y);
#else
  linear_rows<partial_scalar>(q, x, n_tokens, bias, y);
#endif
}

}  // namespace fpgallm
