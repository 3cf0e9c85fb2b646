#include "models/llm/Weights.h"

#include <fmt/format.h>

#include "models/core/Error.h"

namespace fpgallm {

static void expect_shape(const std::string& where, const std::string& name, const Tensor* t,
                         const std::vector<int64_t>& want, bool shape_only = false) {
  if (!t) fail("{}: tensor '{}' is missing", where, name);
  if (t->shape != want)
    fail("{}: tensor '{}' has shape {} but the config implies {}", where, name, shape_str(t->shape),
         shape_str(want));
  if (!shape_only && t->numel() != Tensor::numel_of(want))
    fail("{}: tensor '{}' holds {} values for shape {}", where, name, t->numel(), shape_str(want));
}

static void expect_linear(const std::string& where, const std::string& name, const Linear& l,
                          int64_t out, int64_t in, bool bias, bool shape_only) {
  if (l.out_features != out || l.in_features != in)
    fail("{}: linear '{}' is [{}, {}] but the config implies [{}, {}]", where, name,
         l.out_features, l.in_features, out, in);
  if (!shape_only && !l.weight && !l.quant) fail("{}: tensor '{}.weight' is missing", where, name);
  if (l.weight) expect_shape(where, name + ".weight", l.weight.get(), {out, in});
  if (bias) expect_shape(where, name + ".bias", l.bias.get(), {out});
  else if (l.bias) fail("{}: '{}.bias' present but the config has no bias there", where, name);
}

void ModelWeights::validate(const std::string& where) const {
  const auto& c = config;
  c.validate(where);
  expect_shape(where, "model.embed_tokens.weight", embed.get(), {c.vocab_size, c.hidden_size}, shapes_only);
  if (static_cast<int64_t>(layers.size()) != c.num_layers)
    fail("{}: {} layers present but config has num_hidden_layers = {}", where, layers.size(),
         c.num_layers);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const auto& L = layers[static_cast<size_t>(i)];
    const auto p = fmt::format("model.layers.{}.", i);
    expect_shape(where, p + "input_layernorm.weight", &L.attn_norm, {c.hidden_size});
    expect_shape(where, p + "post_attention_layernorm.weight", &L.mlp_norm, {c.hidden_size});
    expect_linear(where, hf_linear_name(i, "q_proj"), L.q, c.q_dim(), c.hidden_size, c.qkv_bias, shapes_only);
    expect_linear(where, hf_linear_name(i, "k_proj"), L.k, c.kv_dim(), c.hidden_size, c.qkv_bias, shapes_only);
    expect_linear(where, hf_linear_name(i, "v_proj"), L.v, c.kv_dim(), c.hidden_size, c.qkv_bias, shapes_only);
    expect_linear(where, hf_linear_name(i, "o_proj"), L.o, c.hidden_size, c.q_dim(), false, shapes_only);
    expect_linear(where, hf_linear_name(i, "gate_proj"), L.gate, c.intermediate_size, c.hidden_size, false, shapes_only);
    expect_linear(where, hf_linear_name(i, "up_proj"), L.up, c.intermediate_size, c.hidden_size, false, shapes_only);
    expect_linear(where, hf_linear_name(i, "down_proj"), L.down, c.hidden_size, c.intermediate_size, false, shapes_only);
  }
  expect_shape(where, "model.norm.weight", &final_norm, {c.hidden_size});
  expect_linear(where, "lm_head", lm_head, c.vocab_size, c.hidden_size, false, shapes_only);
}

std::shared_ptr<ModelWeights> make_shape_only_weights(const ModelConfig& c) {
  c.validate("model config");
  auto w = std::make_shared<ModelWeights>();
  w->config = c;
  w->shapes_only = true;
  auto embed = std::make_shared<Tensor>();
  embed->shape = {c.vocab_size, c.hidden_size};  // no values: never materialised
  w->embed = embed;
  auto ones = [](int64_t n) { return Tensor({n}, std::vector<float>(static_cast<size_t>(n), 1.0f)); };
  auto linear = [](int64_t out, int64_t in, bool bias) {
    Linear l;
    l.out_features = out;
    l.in_features = in;
    if (bias) l.bias = std::make_shared<Tensor>(std::vector<int64_t>{out});
    return l;
  };
  for (int64_t i = 0; i < c.num_layers; ++i) {
    LayerWeights L;
    L.attn_norm = ones(c.hidden_size);
    L.mlp_norm = ones(c.hidden_size);
    L.q = linear(c.q_dim(), c.hidden_size, c.qkv_bias);
    L.k = linear(c.kv_dim(), c.hidden_size, c.qkv_bias);
    L.v = linear(c.kv_dim(), c.hidden_size, c.qkv_bias);
    L.o = linear(c.hidden_size, c.q_dim(), false);
    L.gate = linear(c.intermediate_size, c.hidden_size, false);
    L.up = linear(c.intermediate_size, c.hidden_size, false);
    L.down = linear(c.hidden_size, c.intermediate_size, false);
    w->layers.push_back(std::move(L));
  }
  w->final_norm = ones(c.hidden_size);
  w->lm_head = linear(c.vocab_size, c.hidden_size, false);
  return w;
}

std::string hf_linear_name(int64_t layer, const char* which) {
  const std::string w = which;
  const bool attn = w == "q_proj" || w == "k_proj" || w == "v_proj" || w == "o_proj";
  return fmt::format("model.layers.{}.{}.{}", layer, attn ? "self_attn" : "mlp", w);
}

bool is_quantized(const ModelWeights& w) {
  for (const auto& L : w.layers)
    if (L.q.quant) return true;
  return false;
}

}  // namespace fpgallm
