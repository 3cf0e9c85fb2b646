#include "models/llm/Weights.h"

#include <fmt/format.h>

#include "models/core/Error.h"

namespace fpgallm {

static void expect_shape(const std::string& where, const std::string& name, const Tensor* t,
                         const std::vector<int64_t>& want) {
  if (!t) fail("{}: tensor '{}' is missing", where, name);
  if (t->shape != want)
    fail("{}: tensor '{}' has shape {} but the config implies {}", where, name, shape_str(t->shape),
         shape_str(want));
  if (t->numel() != Tensor::numel_of(want))
    fail("{}: tensor '{}' holds {} values for shape {}", where, name, t->numel(), shape_str(want));
}

static void expect_linear(const std::string& where, const std::string& name, const Linear& l,
                          int64_t out, int64_t in, bool bias) {
  if (l.out_features != out || l.in_features != in)
    fail("{}: linear '{}' is [{}, {}] but the config implies [{}, {}]", where, name,
         l.out_features, l.in_features, out, in);
  if (!l.weight && !l.quant) fail("{}: tensor '{}.weight' is missing", where, name);
  if (l.weight) expect_shape(where, name + ".weight", l.weight.get(), {out, in});
  if (bias) expect_shape(where, name + ".bias", l.bias.get(), {out});
  else if (l.bias) fail("{}: '{}.bias' present but the config has no bias there", where, name);
}

void ModelWeights::validate(const std::string& where) const {
  const auto& c = config;
  c.validate(where);
  expect_shape(where, "model.embed_tokens.weight", embed.get(), {c.vocab_size, c.hidden_size});
  if (static_cast<int64_t>(layers.size()) != c.num_layers)
    fail("{}: {} layers present but config has num_hidden_layers = {}", where, layers.size(),
         c.num_layers);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const auto& L = layers[static_cast<size_t>(i)];
    const auto p = fmt::format("model.layers.{}.", i);
    expect_shape(where, p + "input_layernorm.weight", &L.attn_norm, {c.hidden_size});
    expect_shape(where, p + "post_attention_layernorm.weight", &L.mlp_norm, {c.hidden_size});
    expect_linear(where, hf_linear_name(i, "q_proj"), L.q, c.q_dim(), c.hidden_size, c.qkv_bias);
    expect_linear(where, hf_linear_name(i, "k_proj"), L.k, c.kv_dim(), c.hidden_size, c.qkv_bias);
    expect_linear(where, hf_linear_name(i, "v_proj"), L.v, c.kv_dim(), c.hidden_size, c.qkv_bias);
    expect_linear(where, hf_linear_name(i, "o_proj"), L.o, c.hidden_size, c.q_dim(), false);
    expect_linear(where, hf_linear_name(i, "gate_proj"), L.gate, c.intermediate_size, c.hidden_size, false);
    expect_linear(where, hf_linear_name(i, "up_proj"), L.up, c.intermediate_size, c.hidden_size, false);
    expect_linear(where, hf_linear_name(i, "down_proj"), L.down, c.hidden_size, c.intermediate_size, false);
  }
  expect_shape(where, "model.norm.weight", &final_norm, {c.hidden_size});
  expect_linear(where, "lm_head", lm_head, c.vocab_size, c.hidden_size, false);
}

std::string hf_linear_name(int64_t layer, const char* which) {
  const std::string w = which;
  const bool attn = w == "q_proj" || w == "k_proj" || w == "v_proj" || w == "o_proj";
  return fmt::format("model.layers.{}.{}.{}", layer, attn ? "self_attn" : "mlp", w);
}

}  // namespace fpgallm
