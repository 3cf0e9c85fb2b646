#include "models/AwqKernels.h"

#include "models/Dtype.h"

namespace fpgallm {

namespace {

// Below this many multiply-adds a parallel region costs more than it saves; the result does not
// depend on threading either way (each output is computed by one thread in a fixed order).
constexpr int64_t kAwqParallelMinMacs = int64_t{1} << 16;

// Same combination order as kernels::dot: ((0+4) + (1+5)) + ((2+6) + (3+7)).
inline float combine_lanes(const float* acc) {
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

inline float group_partial_inline(const uint8_t* codes, float zero, const float* x, int64_t len) {
  float acc[kAwqPartialLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  // (float)code - (float)zero is exact for codes < 2^24, so this equals (float)(code - zero).
  for (; i + kAwqPartialLanes <= len; i += kAwqPartialLanes)
    for (int l = 0; l < kAwqPartialLanes; ++l)
      acc[l] += (static_cast<float>(codes[i + l]) - zero) * x[i + l];
  for (int l = 0; i < len; ++i, ++l) acc[l] += (static_cast<float>(codes[i]) - zero) * x[i];
  return combine_lanes(acc);
}

}  // namespace

float awq_group_partial(const uint8_t* codes, int zero, const float* x, int64_t len) {
  return group_partial_inline(codes, static_cast<float>(zero), x, len);
}

void awq_linear(const QuantLinear& q, const float* x, int64_t n_tokens, const float* bias, float* y) {
  const int64_t in = q.in_features, out = q.out_features, G = q.group_size, ng = q.n_groups();
  const uint8_t* codes = q.q.data();
  const uint16_t* scales = q.scales.data();
  const uint8_t* zeros = q.zeros.data();
#pragma omp parallel for schedule(static) if (out * in * n_tokens >= kAwqParallelMinMacs)
  for (int64_t o = 0; o < out; ++o) {
    const uint8_t* row = codes + o * in;
    const uint16_t* srow = scales + o * ng;
    const uint8_t* zrow = zeros + o * ng;
    for (int64_t t = 0; t < n_tokens; ++t) {
      const float* xt = x + t * in;
      float acc = 0.0f;
      for (int64_t g = 0; g < ng; ++g) {
        const int64_t begin = g * G;
        const int64_t len = begin + G <= in ? G : in - begin;
        acc += group_partial_inline(row + begin, static_cast<float>(zrow[g]), xt + begin, len) *
               f16_to_f32(srow[g]);
      }
      y[t * out + o] = bias ? acc + bias[o] : acc;
    }
  }
}

}  // namespace fpgallm
