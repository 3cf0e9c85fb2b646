#pragma once
#include <cstdint>
#include <random>
#include <vector>

#include "models/core/Dtype.h"
#include "models/quant/QuantLinear.h"

namespace fpgallm::test {

/** A random `bits`-bit layer: codes and zeros uniform in [0, 2^bits - 1], fp16 scales in [0.001, 0.05]. */
inline QuantLinear random_quant(int64_t in, int64_t out, int64_t G, uint32_t seed, int bits = 4) {
  std::mt19937 rng(seed);
  QuantLinear q;
  q.in_features = in;
  q.out_features = out;
  q.group_size = G;
  q.bits = bits;
  q.q.resize(static_cast<size_t>(in * out));
  q.scales.resize(static_cast<size_t>(out * q.n_groups()));
  q.zeros.resize(static_cast<size_t>(out * q.n_groups()));
  std::uniform_int_distribution<int> code(0, (1 << bits) - 1);
  std::uniform_real_distribution<float> sc(0.001f, 0.05f);
  for (auto& v : q.q) v = static_cast<uint8_t>(code(rng));
  for (auto& v : q.zeros) v = static_cast<uint8_t>(code(rng));
  for (auto& v : q.scales) v = f32_to_f16(sc(rng));
  return q;
}

/** n standard-normal floats. */
inline std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

}  // namespace fpgallm::test
