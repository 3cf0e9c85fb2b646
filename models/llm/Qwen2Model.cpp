#include "models/llm/Qwen2Model.h"

#include <algorithm>
#include <cstring>

#include "models/core/Error.h"

namespace fpgallm {

void KVCache::ensure(int64_t positions) {
  for (size_t l = 0; l < k_.size(); ++l) {
    const auto need = static_cast<size_t>(positions * kv_dim_);
    if (k_[l].size() < need) {
      // Grow geometrically so a long decode does not reallocate every token.
      const size_t cap = std::max(need, k_[l].size() * 2);
      k_[l].resize(cap);
      v_[l].resize(cap);
    }
  }
}

void KVCache::clear() {
  for (auto& x : k_) std::vector<float>().swap(x);
  for (auto& x : v_) std::vector<float>().swap(x);
}

Qwen2Model::Qwen2Model(std::shared_ptr<const ModelWeights> weights, Backend& backend)
    : w_(std::move(weights)), backend_(backend), kv_(w_->config.num_layers, w_->config.kv_dim()) {
  w_->validate("model");
  if (w_->shapes_only && !backend_.runs_without_weights())
    fail("the {} backend computes, but the model has shapes only (timing-only weights)", backend_.name());
}

void Qwen2Model::reset() {
  pos_ = 0;
  kv_.clear();
}

std::vector<float> Qwen2Model::forward(const std::vector<int32_t>& tokens, Phase phase, bool all_logits) {
  const auto& c = w_->config;
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n == 0) fail("forward: no tokens given");
  if (pos_ + n > c.max_context)
    fail("sequence of {} tokens (position {} + {}) exceeds the context of {} (max_position_embeddings)",
         pos_ + n, pos_, n, c.max_context);
  const int64_t H = c.hidden_size, I = c.intermediate_size, Q = c.q_dim(), KV = c.kv_dim();
  const float eps = static_cast<float>(c.rms_norm_eps);
  kv_.ensure(pos_ + n);

  auto ctx = [&](OpKind op, int64_t layer) { return OpContext{op, layer, phase, n, pos_}; };
  std::vector<float> x(n * H), xn(n * H), q(n * Q), k(n * KV), v(n * KV), att(n * Q), tmp(n * H);
  std::vector<float> g(n * I), u(n * I);
  const kernels::AttnShape shape{n, pos_, c.num_heads, c.num_kv_heads, c.head_dim};
  std::vector<float> scores(static_cast<size_t>(n * c.num_heads * shape.ctx()));

  backend_.embed(ctx(OpKind::Embedding, -1), *w_->embed, tokens.data(), n, x.data());
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const auto& L = w_->layers[static_cast<size_t>(l)];
    backend_.rmsnorm(ctx(OpKind::AttnNorm, l), x.data(), L.attn_norm, n, eps, xn.data());
    backend_.linear(ctx(OpKind::QProj, l), L.q, xn.data(), n, q.data());
    backend_.linear(ctx(OpKind::KProj, l), L.k, xn.data(), n, k.data());
    backend_.linear(ctx(OpKind::VProj, l), L.v, xn.data(), n, v.data());
    backend_.rope(ctx(OpKind::Rope, l), q.data(), n, c.num_heads, c.head_dim, c.rope_theta, c.rope_layout);
    backend_.rope(ctx(OpKind::Rope, l), k.data(), n, c.num_kv_heads, c.head_dim, c.rope_theta, c.rope_layout);
    std::memcpy(kv_.k(l, pos_), k.data(), sizeof(float) * n * KV);
    std::memcpy(kv_.v(l, pos_), v.data(), sizeof(float) * n * KV);
    backend_.attn_scores(ctx(OpKind::AttnScore, l), shape, q.data(), kv_.k(l, 0), scores.data());
    backend_.softmax(ctx(OpKind::Softmax, l), shape, scores.data());
    backend_.attn_values(ctx(OpKind::AttnValue, l), shape, scores.data(), kv_.v(l, 0), att.data());
    backend_.linear(ctx(OpKind::OProj, l), L.o, att.data(), n, tmp.data());
    backend_.add(ctx(OpKind::ResidualAdd, l), x.data(), tmp.data(), n * H);

    backend_.rmsnorm(ctx(OpKind::MlpNorm, l), x.data(), L.mlp_norm, n, eps, xn.data());
    backend_.linear(ctx(OpKind::GateProj, l), L.gate, xn.data(), n, g.data());
    backend_.linear(ctx(OpKind::UpProj, l), L.up, xn.data(), n, u.data());
    backend_.silu_mul(ctx(OpKind::SiluMul, l), g.data(), u.data(), n * I, g.data());
    backend_.linear(ctx(OpKind::DownProj, l), L.down, g.data(), n, tmp.data());
    backend_.add(ctx(OpKind::ResidualAdd, l), x.data(), tmp.data(), n * H);
    if (layer_hook_) layer_hook_(l, n);
  }

  // Only the rows whose logits are wanted go through the final norm and the (large) lm_head.
  const int64_t first = all_logits ? 0 : n - 1;
  const int64_t rows = n - first;
  backend_.rmsnorm(ctx(OpKind::FinalNorm, -1), x.data() + first * H, w_->final_norm, rows, eps, xn.data());
  std::vector<float> logits(static_cast<size_t>(rows * c.vocab_size));
  backend_.linear(ctx(OpKind::LmHead, -1), w_->lm_head, xn.data(), rows, logits.data());
  pos_ += n;
  return logits;
}

}  // namespace fpgallm
