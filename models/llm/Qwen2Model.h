#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "models/llm/Backend.h"
#include "models/llm/Weights.h"

namespace fpgallm {

/** Per-layer K and V for every position seen so far; grows with the sequence. */
class KVCache {
 public:
  KVCache(int64_t n_layers, int64_t kv_dim) : kv_dim_(kv_dim), k_(n_layers), v_(n_layers) {}
  void ensure(int64_t positions);
  float* k(int64_t layer, int64_t pos) { return k_[layer].data() + pos * kv_dim_; }
  float* v(int64_t layer, int64_t pos) { return v_[layer].data() + pos * kv_dim_; }
  void clear();

 private:
  int64_t kv_dim_;
  std::vector<std::vector<float>> k_, v_;
};

/**
 * Qwen2-family decoder. Owns the activations and KV cache, issues every op through a Backend and
 * never computes anything itself, so the same model runs on fp32, AWQ or simulated hardware.
 */
class Qwen2Model {
 public:
  Qwen2Model(std::shared_ptr<const ModelWeights> weights, Backend& backend);

  const ModelConfig& config() const { return w_->config; }
  const ModelWeights& weights() const { return *w_; }
  Backend& backend() { return backend_; }

  /** Runs `tokens` at positions position()..; returns logits [n, vocab] or only the last row. */
  std::vector<float> forward(const std::vector<int32_t>& tokens, Phase phase, bool all_logits = false);

  /** Prefill of a whole prompt; returns logits of its last token. */
  std::vector<float> prefill(const std::vector<int32_t>& prompt) { return forward(prompt, Phase::Prefill); }
  /** One decode step; returns that token's logits. */
  std::vector<float> decode(int32_t token) { return forward({token}, Phase::Decode); }

  /** Optional hook after each layer's hidden state is final (calibration capture, progress). */
  using LayerHook = std::function<void(int64_t layer, int64_t n_tokens)>;
  void set_layer_hook(LayerHook h) { layer_hook_ = std::move(h); }

  int64_t position() const { return pos_; }
  void reset();

 private:
  std::shared_ptr<const ModelWeights> w_;
  Backend& backend_;
  KVCache kv_;
  int64_t pos_ = 0;
  LayerHook layer_hook_;
};

}  // namespace fpgallm
