#include "models/checkpoint/Synthetic.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "models/core/Error.h"

namespace fpgallm {

namespace {

/** Linear weight std = gain / sqrt(in_features): 0.02 at hidden 896, as HF's initializer_range. */
constexpr double kLinearGain = 0.6;
constexpr double kEmbedStd = 0.02;
constexpr double kBiasStd = 0.02;
/** Spread of ordinary RMSNorm weights around 1. */
constexpr double kNormJitterStd = 0.05;
/** Share of residual channels that carry activation outliers (LLM.int8/AWQ observe ~0.1-1%). */
constexpr double kOutlierFraction = 0.01;
constexpr double kOutlierMinGain = 10.0;
constexpr double kOutlierMaxGain = 100.0;
/** Std of logits the final norm aims for: softmax clearly peaked yet far from one-hot. */
constexpr double kTargetLogitStd = 3.0;
/** Tensors smaller than this are generated on one thread (a parallel region costs more). */
constexpr int64_t kParallelMinElems = 1 << 16;

// Irwin-Hall approximation of N(0, 1): sum of 8 uniform 16-bit integers (two 64-bit draws),
// centred and scaled. Integer sums and two multiplies keep it bit-exact everywhere.
constexpr int kIrwinHallTerms = 8;
constexpr double kU16Levels = 65536.0;
constexpr int64_t kU16Max = 65535;

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : s) h = (h ^ ch) * 0x100000001b3ull;
  return h;
}

/** Independent stream per (seed, tensor, row): rows can be generated in any order or thread. */
struct Rng {
  uint64_t state;
  Rng(uint64_t seed, const std::string& tensor, uint64_t row) {
    uint64_t s = seed;
    uint64_t a = splitmix64(s) ^ fnv1a(tensor);
    uint64_t b = splitmix64(a) ^ row;
    state = splitmix64(b);
  }
  uint64_t next() { return splitmix64(state); }
  /** Uniform in [0, 1) with 53 bits. */
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /** 2 * (Irwin-Hall sum) - terms * max: an integer with mean 0. */
  int64_t centred_sum2() {
    int64_t sum = 0;
    for (int d = 0; d < kIrwinHallTerms / 4; ++d) {
      const uint64_t r = next();
      for (int k = 0; k < 4; ++k) sum += static_cast<int64_t>((r >> (16 * k)) & 0xffffu);
    }
    return 2 * sum - kIrwinHallTerms * kU16Max;
  }
};

/** Multiplier turning centred_sum2() into a sample with standard deviation `std`. */
double normal_scale(double std) {
  const double var_u16 = (kU16Levels * kU16Levels - 1.0) / 12.0;
  return std / (2.0 * std::sqrt(kIrwinHallTerms * var_u16));
}

/** Fills row-major [rows, cols] with N(0, std^2); rows in parallel, each from its own stream. */
Tensor normal_tensor(const std::string& name, std::vector<int64_t> shape, double std, uint64_t seed) {
  Tensor t(std::move(shape));
  const int64_t rows = t.shape.size() == 2 ? t.shape[0] : 1;
  const int64_t cols = t.numel() / std::max<int64_t>(rows, 1);
  const double k = normal_scale(std);
  float* p = t.ptr();
#pragma omp parallel for schedule(static) if (t.numel() >= kParallelMinElems)
  for (int64_t r = 0; r < rows; ++r) {
    Rng rng(seed, name, static_cast<uint64_t>(r));
    float* row = p + r * cols;
    for (int64_t c = 0; c < cols; ++c) row[c] = static_cast<float>(static_cast<double>(rng.centred_sum2()) * k);
  }
  return t;
}

Linear make_linear(const std::string& base, int64_t out, int64_t in, bool bias, uint64_t seed) {
  Linear l;
  l.in_features = in;
  l.out_features = out;
  l.weight = std::make_shared<Tensor>(
      normal_tensor(base + ".weight", {out, in}, kLinearGain / std::sqrt(static_cast<double>(in)), seed));
  if (bias) l.bias = std::make_shared<Tensor>(normal_tensor(base + ".bias", {out}, kBiasStd, seed));
  return l;
}

/** RMSNorm weight: gain * (1 + small jitter), times the outlier gain on outlier channels. */
Tensor norm_weight(const std::string& name, int64_t hidden, double gain, const std::vector<double>& channel_gain,
                   uint64_t seed) {
  Tensor t = normal_tensor(name, {hidden}, kNormJitterStd, seed);
  for (int64_t c = 0; c < hidden; ++c) {
    const double g = channel_gain.empty() ? 1.0 : channel_gain[static_cast<size_t>(c)];
    t.data[static_cast<size_t>(c)] = static_cast<float>((1.0 + t.data[static_cast<size_t>(c)]) * gain * g);
  }
  return t;
}

}  // namespace

std::vector<int64_t> synthetic_outlier_channels(const ModelConfig& c, uint64_t seed) {
  const int64_t h = c.hidden_size;
  const int64_t n = std::clamp<int64_t>(std::llround(kOutlierFraction * static_cast<double>(h)), 1, h);
  std::vector<int64_t> perm(static_cast<size_t>(h));
  for (int64_t i = 0; i < h; ++i) perm[static_cast<size_t>(i)] = i;
  Rng rng(seed, "outlier_channels", 0);
  for (int64_t i = 0; i < n; ++i) {  // partial Fisher-Yates
    const int64_t j = i + static_cast<int64_t>(rng.next() % static_cast<uint64_t>(h - i));
    std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(j)]);
  }
  std::vector<int64_t> out(perm.begin(), perm.begin() + n);
  std::sort(out.begin(), out.end());
  return out;
}

std::shared_ptr<ModelWeights> make_synthetic_weights(const ModelConfig& config, uint64_t seed) {
  config.validate("synthetic weights config");
  auto w = std::make_shared<ModelWeights>();
  w->config = config;
  const ModelConfig& c = w->config;
  const int64_t h = c.hidden_size;

  std::vector<double> channel_gain(static_cast<size_t>(h), 1.0);
  for (int64_t ch : synthetic_outlier_channels(c, seed)) {
    Rng rng(seed, "outlier_gain", static_cast<uint64_t>(ch));
    channel_gain[static_cast<size_t>(ch)] = kOutlierMinGain + rng.uniform() * (kOutlierMaxGain - kOutlierMinGain);
  }

  w->embed = std::make_shared<Tensor>(normal_tensor("model.embed_tokens.weight", {c.vocab_size, h}, kEmbedStd, seed));
  w->layers.resize(static_cast<size_t>(c.num_layers));
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& L = w->layers[static_cast<size_t>(i)];
    const auto p = fmt::format("model.layers.{}.", i);
    L.attn_norm = norm_weight(p + "input_layernorm.weight", h, 1.0, channel_gain, seed);
    L.mlp_norm = norm_weight(p + "post_attention_layernorm.weight", h, 1.0, channel_gain, seed);
    L.q = make_linear(hf_linear_name(i, "q_proj"), c.q_dim(), h, c.qkv_bias, seed);
    L.k = make_linear(hf_linear_name(i, "k_proj"), c.kv_dim(), h, c.qkv_bias, seed);
    L.v = make_linear(hf_linear_name(i, "v_proj"), c.kv_dim(), h, c.qkv_bias, seed);
    L.o = make_linear(hf_linear_name(i, "o_proj"), h, c.q_dim(), false, seed);
    L.gate = make_linear(hf_linear_name(i, "gate_proj"), c.intermediate_size, h, false, seed);
    L.up = make_linear(hf_linear_name(i, "up_proj"), c.intermediate_size, h, false, seed);
    L.down = make_linear(hf_linear_name(i, "down_proj"), h, c.intermediate_size, false, seed);
  }
  // Final hidden state has unit RMS after the norm; logits = head . h have std head_std*sqrt(h)*gain.
  const double head_std = kEmbedStd;
  const double final_gain = kTargetLogitStd / (head_std * std::sqrt(static_cast<double>(h)));
  w->final_norm = norm_weight("model.norm.weight", h, final_gain, {}, seed);
  w->lm_head.in_features = h;
  w->lm_head.out_features = c.vocab_size;
  w->lm_head.weight = c.tie_word_embeddings
                          ? w->embed
                          : std::make_shared<Tensor>(normal_tensor("lm_head.weight", {c.vocab_size, h}, head_std, seed));
  w->validate("synthetic:" + c.name);
  return w;
}

}  // namespace fpgallm
