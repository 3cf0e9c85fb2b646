#pragma once
#include <cstdint>
#include <vector>

namespace fpgallm {

/** Greedy (temperature 0) or temperature + nucleus (top-p) sampling with a seeded, portable RNG. */
class Sampler {
 public:
  Sampler(float temperature, float top_p, uint64_t seed);
  int32_t sample(std::vector<float> logits);
  static int32_t argmax(const float* x, int64_t n);

 private:
  float random_f32();
  float temperature_, top_p_;
  uint64_t state_;
};

}  // namespace fpgallm
