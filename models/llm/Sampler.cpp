#include "models/llm/Sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "models/core/Error.h"
#include "models/llm/Kernels.h"

namespace fpgallm {

Sampler::Sampler(float temperature, float top_p, uint64_t seed)
    : temperature_(temperature), top_p_(top_p), state_(seed ? seed : 0x9E3779B97F4A7C15ull) {
  if (!(temperature >= 0.0f)) fail("--temperature must be >= 0 (got {})", temperature);
  if (!(top_p > 0.0f && top_p <= 1.0f)) fail("--top-p must be in (0, 1] (got {})", top_p);
}

float Sampler::random_f32() {
  // xorshift64*: same sequence on every platform, unlike std::*_distribution.
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  const uint32_t r = static_cast<uint32_t>((state_ * 0x2545F4914F6CDD1Dull) >> 32);
  return static_cast<float>(r >> 8) / 16777216.0f;
}

int32_t Sampler::argmax(const float* x, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (x[i] > x[best]) best = i;
  return static_cast<int32_t>(best);
}

int32_t Sampler::sample(std::vector<float> logits) {
  const int64_t n = static_cast<int64_t>(logits.size());
  if (temperature_ == 0.0f) return argmax(logits.data(), n);
  for (auto& v : logits) v /= temperature_;
  kernels::softmax(logits.data(), n);
  const float coin = random_f32();
  if (top_p_ >= 1.0f) {
    float cdf = 0.0f;
    for (int64_t i = 0; i < n; ++i) {
      cdf += logits[i];
      if (coin < cdf) return static_cast<int32_t>(i);
    }
    return static_cast<int32_t>(n - 1);
  }
  // Nucleus: smallest set of tokens whose probability reaches top_p, sampled renormalised.
  std::vector<int32_t> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  float cum = 0.0f;
  size_t last = idx.size() - 1;
  for (size_t i = 0; i < idx.size(); ++i) {
    cum += logits[idx[i]];
    if (cum > top_p_) { last = i; break; }
  }
  const float r = coin * cum;
  float cdf = 0.0f;
  for (size_t i = 0; i <= last; ++i) {
    cdf += logits[idx[i]];
    if (r < cdf) return idx[i];
  }
  return idx[last];
}

}  // namespace fpgallm
