#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace YAML { class Node; }

namespace fpgallm {

/** How RoPE pairs dimensions inside a head. */
enum class RopeLayout {
  RotateHalf,     ///< HF Qwen2/Llama: pairs (i, i + d/2)
  AdjacentPairs,  ///< llama2.c: pairs (2i, 2i + 1)
};

/** Architecture of a Qwen2-family decoder. Units are elements unless named otherwise. */
struct ModelConfig {
  std::string name = "qwen2";
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;  ///< hidden_size / num_heads unless given
  int64_t vocab_size = 0;
  int64_t max_context = 0;  ///< positions the KV cache holds (max_position_embeddings)
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeLayout rope_layout = RopeLayout::RotateHalf;
  bool qkv_bias = true;
  bool tie_word_embeddings = true;
  int64_t bos_token_id = -1;  ///< -1: none
  int64_t eos_token_id = -1;

  int64_t q_dim() const { return num_heads * head_dim; }
  int64_t kv_dim() const { return num_kv_heads * head_dim; }
  /** Bytes of the KV cache for `positions`: K and V of every layer, fp32 as Qwen2Model keeps them. */
  int64_t kv_cache_bytes(int64_t positions) const {
    return 2 * num_layers * positions * kv_dim() * static_cast<int64_t>(sizeof(float));
  }
  /** Parameter count, embeddings counted once when tied. */
  int64_t num_parameters() const;

  /** Throws fpgallm::Error naming `where` and the field when inconsistent. */
  void validate(const std::string& where) const;
};

/** Reads a configs/model YAML file: every key optional except the shapes; unknown keys are rejected. */
ModelConfig load_model_config_yaml(const std::string& path);
ModelConfig model_config_from_yaml(const YAML::Node& node, const std::string& where);
/** The model config YAML of `c` (every field, the keys model_config_from_yaml reads): loads back to `c`. */
YAML::Node model_config_to_yaml(const ModelConfig& c);

/** Reads a HF config.json (model_type qwen2 or llama); unknown keys are ignored as HF has many. */
ModelConfig load_model_config_hf(const std::string& path);
ModelConfig model_config_from_hf_json(const nlohmann::json& j, const std::string& where);
nlohmann::json model_config_to_hf_json(const ModelConfig& c);

/** Named presets: "tiny" (tests) and "qwen2.5-0.5b" (real shapes). */
ModelConfig model_config_preset(const std::string& name);

std::string rope_layout_name(RopeLayout l);

}  // namespace fpgallm
