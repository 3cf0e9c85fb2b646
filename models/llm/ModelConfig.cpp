#include "models/llm/ModelConfig.h"

#include <fstream>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "models/core/Error.h"
#include "models/core/YamlConfig.h"

namespace fpgallm {

int64_t ModelConfig::num_parameters() const {
  const int64_t h = hidden_size;
  int64_t per_layer = 2 * h;                                       // two norms
  per_layer += h * q_dim() + 2 * h * kv_dim() + q_dim() * h;       // q,k,v,o
  if (qkv_bias) per_layer += q_dim() + 2 * kv_dim();
  per_layer += 3 * h * intermediate_size;                          // gate, up, down
  int64_t n = num_layers * per_layer + vocab_size * h + h;         // + embeddings + final norm
  if (!tie_word_embeddings) n += vocab_size * h;
  return n;
}

void ModelConfig::validate(const std::string& where) const {
  auto positive = [&](const char* field, int64_t v) {
    if (v <= 0) fail("{}: {} must be > 0 (got {})", where, field, v);
  };
  positive("hidden_size", hidden_size);
  positive("intermediate_size", intermediate_size);
  positive("num_hidden_layers", num_layers);
  positive("num_attention_heads", num_heads);
  positive("num_key_value_heads", num_kv_heads);
  positive("head_dim", head_dim);
  positive("vocab_size", vocab_size);
  positive("max_position_embeddings", max_context);
  if (num_heads % num_kv_heads != 0)
    fail("{}: num_attention_heads ({}) must be a multiple of num_key_value_heads ({})", where,
         num_heads, num_kv_heads);
  if (head_dim % 2 != 0) fail("{}: head_dim must be even for RoPE (got {})", where, head_dim);
  if (!(rms_norm_eps > 0.0)) fail("{}: rms_norm_eps must be > 0 (got {})", where, rms_norm_eps);
  if (!(rope_theta > 0.0)) fail("{}: rope_theta must be > 0 (got {})", where, rope_theta);
}

std::string rope_layout_name(RopeLayout l) {
  return l == RopeLayout::RotateHalf ? "rotate_half" : "adjacent_pairs";
}

static RopeLayout parse_rope_layout(const std::string& s, const std::string& where) {
  if (s == "rotate_half") return RopeLayout::RotateHalf;
  if (s == "adjacent_pairs") return RopeLayout::AdjacentPairs;
  fail("{}: rope_layout must be rotate_half or adjacent_pairs (got '{}')", where, s);
}

ModelConfig model_config_from_yaml(const YAML::Node& node, const std::string& where) {
  if (!node.IsMap()) fail("{}: model config must be a mapping", where);
  YamlMap(node, "model", where);  // rejects duplicate keys
  static const std::set<std::string> kKnown = {
      "name", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
      "num_key_value_heads", "head_dim", "vocab_size", "max_position_embeddings", "rms_norm_eps",
      "rope_theta", "rope_layout", "qkv_bias", "tie_word_embeddings", "bos_token_id",
      "eos_token_id"};
  for (const auto& kv : node) {
    // as<std::string>() throws a non-fpgallm exception for a sequence/map key (found by fuzzing).
    if (!kv.first.IsScalar()) fail("{}: model config keys must be plain names", where);
    const auto key = kv.first.as<std::string>();
    if (!kKnown.count(key)) fail("{}: unknown key '{}' in model config", where, key);
  }
  ModelConfig c;
  try {
    auto get_i = [&](const char* k, int64_t& dst, bool required) {
      if (node[k]) dst = node[k].as<int64_t>();
      else if (required) fail("{}: missing required key '{}'", where, k);
    };
    if (node["name"]) c.name = node["name"].as<std::string>();
    get_i("hidden_size", c.hidden_size, true);
    get_i("intermediate_size", c.intermediate_size, true);
    get_i("num_hidden_layers", c.num_layers, true);
    get_i("num_attention_heads", c.num_heads, true);
    c.num_kv_heads = c.num_heads;
    get_i("num_key_value_heads", c.num_kv_heads, false);
    get_i("vocab_size", c.vocab_size, true);
    get_i("max_position_embeddings", c.max_context, true);
    if (c.num_heads > 0) c.head_dim = c.hidden_size / c.num_heads;
    get_i("head_dim", c.head_dim, false);
    get_i("bos_token_id", c.bos_token_id, false);
    get_i("eos_token_id", c.eos_token_id, false);
    if (node["rms_norm_eps"]) c.rms_norm_eps = node["rms_norm_eps"].as<double>();
    if (node["rope_theta"]) c.rope_theta = node["rope_theta"].as<double>();
    if (node["rope_layout"]) c.rope_layout = parse_rope_layout(node["rope_layout"].as<std::string>(), where);
    if (node["qkv_bias"]) c.qkv_bias = node["qkv_bias"].as<bool>();
    if (node["tie_word_embeddings"]) c.tie_word_embeddings = node["tie_word_embeddings"].as<bool>();
  } catch (const YAML::Exception& e) {
    fail("{}: bad value in model config: {}", where, e.what());
  }
  c.validate(where);
  return c;
}

YAML::Node model_config_to_yaml(const ModelConfig& c) {
  YAML::Node n(YAML::NodeType::Map);
  n["name"] = c.name;
  n["hidden_size"] = c.hidden_size;
  n["intermediate_size"] = c.intermediate_size;
  n["num_hidden_layers"] = c.num_layers;
  n["num_attention_heads"] = c.num_heads;
  n["num_key_value_heads"] = c.num_kv_heads;
  n["head_dim"] = c.head_dim;
  n["vocab_size"] = c.vocab_size;
  n["max_position_embeddings"] = c.max_context;
  n["rms_norm_eps"] = c.rms_norm_eps;
  n["rope_theta"] = c.rope_theta;
  n["rope_layout"] = rope_layout_name(c.rope_layout);
  n["qkv_bias"] = c.qkv_bias;
  n["tie_word_embeddings"] = c.tie_word_embeddings;
  n["bos_token_id"] = c.bos_token_id;
  n["eos_token_id"] = c.eos_token_id;
  return n;
}

ModelConfig load_model_config_yaml(const std::string& path) {
  YAML::Node root = read_yaml_file(path, "model config");
  // Files may wrap the fields under a top-level `model:` key.
  if (root.IsMap() && root["model"] && root.size() == 1) root = root["model"];
  return model_config_from_yaml(root, path);
}

ModelConfig model_config_from_hf_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) fail("{}: config.json must be a JSON object", where);
  ModelConfig c;
  auto req = [&](const char* k) -> const nlohmann::json& {
    if (!j.contains(k)) fail("{}: missing required key '{}'", where, k);
    if (!j[k].is_number()) fail("{}: '{}' must be a number", where, k);
    return j[k];
  };
  // Integer fields: a float (4.4e104) or an unsigned past int64 must not be converted unchecked.
  auto as_int = [&](const nlohmann::json& v, const char* k) -> int64_t {
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      fail("{}: '{}' is too large ({})", where, k, v.dump());
    if (v.is_number_integer()) return v.get<int64_t>();
    fail("{}: '{}' must be an integer (got {})", where, k, v.dump());
  };
  try {
    const std::string type = j.value("model_type", std::string("qwen2"));
    if (type != "qwen2" && type != "llama")
      fail("{}: model_type '{}' is not supported (qwen2 or llama)", where, type);
    c.name = type;
    c.hidden_size = as_int(req("hidden_size"), "hidden_size");
    c.intermediate_size = as_int(req("intermediate_size"), "intermediate_size");
    c.num_layers = as_int(req("num_hidden_layers"), "num_hidden_layers");
    c.num_heads = as_int(req("num_attention_heads"), "num_attention_heads");
    c.num_kv_heads = j.contains("num_key_value_heads") ? as_int(j["num_key_value_heads"], "num_key_value_heads") : c.num_heads;
    c.head_dim = c.num_heads > 0 ? c.hidden_size / c.num_heads : 0;
    if (j.contains("head_dim") && j["head_dim"].is_number()) c.head_dim = as_int(j["head_dim"], "head_dim");
    c.vocab_size = as_int(req("vocab_size"), "vocab_size");
    c.max_context = as_int(req("max_position_embeddings"), "max_position_embeddings");
    c.rms_norm_eps = j.value("rms_norm_eps", 1e-6);
    c.rope_theta = j.value("rope_theta", 10000.0);
    c.qkv_bias = type == "qwen2" ? true : j.value("attention_bias", false);
    // Qwen2Config and LlamaConfig both default to separate heads when the key is absent.
    c.tie_word_embeddings = j.value("tie_word_embeddings", false);
    if (j.contains("bos_token_id") && j["bos_token_id"].is_number()) c.bos_token_id = as_int(j["bos_token_id"], "bos_token_id");
    if (j.contains("eos_token_id") && j["eos_token_id"].is_number()) c.eos_token_id = as_int(j["eos_token_id"], "eos_token_id");
    // Project extension so llama2.c-derived checkpoints round-trip; HF files never carry it.
    if (j.contains("fpgallm_rope_layout")) c.rope_layout = parse_rope_layout(j["fpgallm_rope_layout"].get<std::string>(), where);
    if (j.contains("fpgallm_qkv_bias")) c.qkv_bias = j["fpgallm_qkv_bias"].get<bool>();
  } catch (const nlohmann::json::exception& e) {
    fail("{}: bad value in config.json: {}", where, e.what());
  }
  c.validate(where);
  return c;
}

ModelConfig load_model_config_hf(const std::string& path) {
  std::ifstream f(path);
  if (!f) fail("{}: cannot open config.json", path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: invalid JSON: {}", path, e.what());
  }
  return model_config_from_hf_json(j, path);
}

nlohmann::json model_config_to_hf_json(const ModelConfig& c) {
  nlohmann::json j;
  j["architectures"] = {c.name == "llama" ? "LlamaForCausalLM" : "Qwen2ForCausalLM"};
  j["model_type"] = c.name == "llama" ? "llama" : "qwen2";
  j["hidden_size"] = c.hidden_size;
  j["intermediate_size"] = c.intermediate_size;
  j["num_hidden_layers"] = c.num_layers;
  j["num_attention_heads"] = c.num_heads;
  j["num_key_value_heads"] = c.num_kv_heads;
  if (c.head_dim != c.hidden_size / c.num_heads) j["head_dim"] = c.head_dim;
  j["vocab_size"] = c.vocab_size;
  j["max_position_embeddings"] = c.max_context;
  j["rms_norm_eps"] = c.rms_norm_eps;
  j["rope_theta"] = c.rope_theta;
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  j["hidden_act"] = "silu";
  j["torch_dtype"] = "bfloat16";
  if (c.bos_token_id >= 0) j["bos_token_id"] = c.bos_token_id;
  if (c.eos_token_id >= 0) j["eos_token_id"] = c.eos_token_id;
  if (c.rope_layout != RopeLayout::RotateHalf) j["fpgallm_rope_layout"] = rope_layout_name(c.rope_layout);
  if (c.name == "llama") j["attention_bias"] = c.qkv_bias;
  else if (!c.qkv_bias) j["fpgallm_qkv_bias"] = false;
  return j;
}

ModelConfig model_config_preset(const std::string& name) {
  ModelConfig c;
  if (name == "qwen2.5-0.5b") {
    c.name = "qwen2";
    c.hidden_size = 896;
    c.intermediate_size = 4864;
    c.num_layers = 24;
    c.num_heads = 14;
    c.num_kv_heads = 2;
    c.head_dim = 64;
    c.vocab_size = 151936;
    c.max_context = 32768;
    c.rms_norm_eps = 1e-6;
    c.rope_theta = 1000000.0;
    c.qkv_bias = true;
    c.tie_word_embeddings = true;
    c.bos_token_id = 151643;
    c.eos_token_id = 151643;
  } else if (name == "tiny") {
    // Small but with every Qwen2 feature: GQA (4 q heads / 2 kv heads), bias, tied head.
    c.name = "qwen2";
    c.hidden_size = 64;
    c.intermediate_size = 176;
    c.num_layers = 2;
    c.num_heads = 4;
    c.num_kv_heads = 2;
    c.head_dim = 16;
    c.vocab_size = 384;
    c.max_context = 256;
    c.rms_norm_eps = 1e-6;
    c.rope_theta = 1000000.0;
    c.qkv_bias = true;
    c.tie_word_embeddings = true;
  } else {
    fail("unknown model preset '{}' (known: tiny, qwen2.5-0.5b)", name);
  }
  c.validate("preset " + name);
  return c;
}

}  // namespace fpgallm
