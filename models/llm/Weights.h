#pragma once
#include <memory>
#include <vector>

#include "models/llm/ModelConfig.h"
#include "models/core/Tensor.h"

namespace fpgallm {

struct QuantLinear;  // models/quant/QuantLinear.h: packed AWQ weights of one linear layer

/** One linear layer y = x W^T + b with W [out, in]. Either fp32 weights or AWQ weights (or both). */
struct Linear {
  int64_t in_features = 0;
  int64_t out_features = 0;
  TensorPtr weight;                          ///< fp32 [out, in]; may be shared (tied lm_head)
  TensorPtr bias;                            ///< fp32 [out] or null
  std::shared_ptr<const QuantLinear> quant;  ///< set once quantized
};

struct LayerWeights {
  Tensor attn_norm;  ///< input_layernorm [hidden]
  Linear q, k, v, o;
  Tensor mlp_norm;   ///< post_attention_layernorm [hidden]
  Linear gate, up, down;
};

struct ModelWeights {
  ModelConfig config;
  TensorPtr embed;  ///< [vocab, hidden]
  std::vector<LayerWeights> layers;
  Tensor final_norm;  ///< [hidden]
  Linear lm_head;     ///< weight == embed when tied
  /** Timing-only: the embedding and the linears have shapes but no values (norms and biases are
   *  small and present). Only a timing backend (Backend::runs_without_weights) can run these. */
  bool shapes_only = false;

  /** Checks every shape against config; throws naming the tensor. */
  void validate(const std::string& where) const;
};

/** Some decoder linear carries AWQ weights (a packed file, an AutoAWQ folder, a quantized model). */
bool is_quantized(const ModelWeights& w);

/**
 * Weights of `config`'s shapes without the large tensors: embedding [vocab, hidden] and every
 * linear are shape-only, norms are ones and biases zeros. A 7B-class model costs kilobytes.
 */
std::shared_ptr<ModelWeights> make_shape_only_weights(const ModelConfig& config);

/** HF tensor name of a layer's linear ("model.layers.3.self_attn.q_proj"), without ".weight". */
std::string hf_linear_name(int64_t layer, const char* which);

}  // namespace fpgallm
