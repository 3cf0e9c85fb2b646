#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "models/core/Error.h"
#include "models/llm/ModelConfig.h"

using namespace fpgallm;
namespace fs = std::filesystem;

namespace {

const fs::path kConfigs = fs::path(FPGALLM_SOURCE_DIR) / "configs" / "model";

void expect_same_config(const ModelConfig& a, const ModelConfig& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.hidden_size, b.hidden_size);
  EXPECT_EQ(a.intermediate_size, b.intermediate_size);
  EXPECT_EQ(a.num_layers, b.num_layers);
  EXPECT_EQ(a.num_heads, b.num_heads);
  EXPECT_EQ(a.num_kv_heads, b.num_kv_heads);
  EXPECT_EQ(a.head_dim, b.head_dim);
  EXPECT_EQ(a.vocab_size, b.vocab_size);
  EXPECT_EQ(a.max_context, b.max_context);
  EXPECT_EQ(a.rms_norm_eps, b.rms_norm_eps);
  EXPECT_EQ(a.rope_theta, b.rope_theta);
  EXPECT_EQ(a.rope_layout, b.rope_layout);
  EXPECT_EQ(a.qkv_bias, b.qkv_bias);
  EXPECT_EQ(a.tie_word_embeddings, b.tie_word_embeddings);
  EXPECT_EQ(a.bos_token_id, b.bos_token_id);
  EXPECT_EQ(a.eos_token_id, b.eos_token_id);
}

std::string write_temp(const std::string& name, const std::string& text) {
  const fs::path d = fs::path(FPGALLM_BINARY_DIR) / "test_tmp" / ("config_" + std::to_string(::getpid()));
  fs::create_directories(d);
  const fs::path p = d / name;
  std::ofstream(p) << text;
  return p.string();
}

void expect_error(const std::function<void()>& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "missing '" << p << "' in: " << msg;
  }
}

// Qwen/Qwen2.5-0.5B config.json as published on the HF hub (facts; keys we do not model included).
const char* kQwen25HfConfig = R"({
  "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
  "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 896, "initializer_range": 0.02,
  "intermediate_size": 4864, "max_position_embeddings": 32768, "max_window_layers": 24,
  "model_type": "qwen2", "num_attention_heads": 14, "num_hidden_layers": 24, "num_key_value_heads": 2,
  "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "sliding_window": 32768, "tie_word_embeddings": true,
  "torch_dtype": "bfloat16", "transformers_version": "4.40.1", "use_cache": true,
  "use_sliding_window": false, "vocab_size": 151936})";

const char* kTinyYaml = R"(
hidden_size: 64
intermediate_size: 176
num_hidden_layers: 2
num_attention_heads: 4
num_key_value_heads: 2
vocab_size: 384
max_position_embeddings: 256
)";

}  // namespace

TEST(ModelConfigYaml, ShippedQwenYamlEqualsPreset) {
  expect_same_config(load_model_config_yaml((kConfigs / "qwen2.5-0.5b.yaml").string()),
                     model_config_preset("qwen2.5-0.5b"));
}

TEST(ModelConfigYaml, ShippedTinyYamlEqualsPreset) {
  expect_same_config(load_model_config_yaml((kConfigs / "tiny.yaml").string()), model_config_preset("tiny"));
}

TEST(ModelConfigYaml, QwenPresetHasPublishedParameterCount) {
  EXPECT_EQ(model_config_preset("qwen2.5-0.5b").num_parameters(), 494032768);
}

TEST(ModelConfigYaml, OptionalFieldsTakeDefaults) {
  const auto c = load_model_config_yaml(write_temp("minimal.yaml", kTinyYaml));
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.rope_layout, RopeLayout::RotateHalf);
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_EQ(c.bos_token_id, -1);
}

TEST(ModelConfigYaml, UnknownKeyIsRejectedNamingKeyAndFile) {
  const auto path = write_temp("unknown.yaml", std::string(kTinyYaml) + "hidden_sise: 3\n");
  expect_error([&] { load_model_config_yaml(path); }, {path, "unknown key", "hidden_sise"});
}

TEST(ModelConfigYaml, NonScalarKeyIsAnErrorNotACrash) {
  const auto path = write_temp("seqkey.yaml", "? [1, 2]\n: 3\n");
  expect_error([&] { load_model_config_yaml(path); }, {path, "keys must be plain names"});
}

TEST(ModelConfigYaml, InvalidYamlIsRejectedNamingFile) {
  const auto path = write_temp("invalid.yaml", "hidden_size: [64\nvocab: {");
  expect_error([&] { load_model_config_yaml(path); }, {path, "invalid YAML"});
}

TEST(ModelConfigYaml, MissingFieldIsNamed) {
  const auto path = write_temp("missing.yaml", "hidden_size: 64\nintermediate_size: 176\n");
  expect_error([&] { load_model_config_yaml(path); }, {path, "missing required key", "num_hidden_layers"});
}

TEST(ModelConfigYaml, BadValuesAreNamed) {
  const auto p1 = write_temp("badint.yaml", std::string(kTinyYaml) + "head_dim: sixteen\n");
  expect_error([&] { load_model_config_yaml(p1); }, {p1, "bad value"});
  const auto p2 = write_temp("zero.yaml", "hidden_size: 0\nintermediate_size: 1\nnum_hidden_layers: 1\n"
                                          "num_attention_heads: 1\nvocab_size: 4\nmax_position_embeddings: 8\n");
  expect_error([&] { load_model_config_yaml(p2); }, {p2, "hidden_size must be > 0"});
  const auto p3 = write_temp("gqa.yaml", "hidden_size: 64\nintermediate_size: 176\nnum_hidden_layers: 2\n"
                                         "num_attention_heads: 4\nnum_key_value_heads: 3\nvocab_size: 384\n"
                                         "max_position_embeddings: 256\n");
  expect_error([&] { load_model_config_yaml(p3); }, {p3, "multiple of num_key_value_heads"});
  expect_error([&] { load_model_config_yaml("/nonexistent/model.yaml"); }, {"/nonexistent/model.yaml"});
}

TEST(ModelConfigHf, PublishedQwenConfigJsonEqualsPreset) {
  const auto path = write_temp("config.json", kQwen25HfConfig);
  expect_same_config(load_model_config_hf(path), model_config_preset("qwen2.5-0.5b"));
}

TEST(ModelConfigHf, ToJsonRoundTrips) {
  for (bool tied : {true, false})
    for (bool bias : {true, false}) {
      ModelConfig c = model_config_preset("tiny");
      c.tie_word_embeddings = tied;
      c.qkv_bias = bias;
      expect_same_config(model_config_from_hf_json(model_config_to_hf_json(c), "rt"), c);
    }
}

TEST(ModelConfigHf, MissingFieldAndInvalidJsonAreNamed) {
  auto j = nlohmann::json::parse(kQwen25HfConfig);
  j.erase("vocab_size");
  const auto p1 = write_temp("missing_config.json", j.dump());
  expect_error([&] { load_model_config_hf(p1); }, {p1, "missing required key", "vocab_size"});
  const auto p2 = write_temp("invalid_config.json", "{\"hidden_size\": 896,");
  expect_error([&] { load_model_config_hf(p2); }, {p2, "invalid JSON"});
  j = nlohmann::json::parse(kQwen25HfConfig);
  j["model_type"] = "gpt2";
  const auto p3 = write_temp("gpt2_config.json", j.dump());
  expect_error([&] { load_model_config_hf(p3); }, {p3, "gpt2", "not supported"});
}

// The YAML fuzz seed corpus (and crashers found later) must parse or fail with fpgallm::Error.
TEST(ModelConfigYaml, FuzzCorpusParsesOrFailsWithError) {
  const fs::path dir = fs::path(FPGALLM_SOURCE_DIR) / "tests" / "fuzz" / "corpus" / "yaml_config";
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    ++files;
    try {
      load_model_config_yaml(e.path().string());
    } catch (const Error&) {
    }
  }
  EXPECT_GE(files, 3);
}

TEST(ModelConfigHf, AbsentTieKeyMeansSeparateHeadAsInTransformers) {
  nlohmann::json j = {{"model_type", "qwen2"},       {"hidden_size", 64},        {"intermediate_size", 128},
                      {"num_hidden_layers", 1},      {"num_attention_heads", 4}, {"num_key_value_heads", 2},
                      {"vocab_size", 100},           {"max_position_embeddings", 64}};
  EXPECT_FALSE(model_config_from_hf_json(j, "config.json").tie_word_embeddings);
  j["tie_word_embeddings"] = true;
  EXPECT_TRUE(model_config_from_hf_json(j, "config.json").tie_word_embeddings);
}

TEST(ModelConfigHf, NonIntegerOrHugeShapeIsAnErrorNamingTheKey) {
  // Found by fuzz_hf_checkpoint: 4.4e104 was converted to int64 (undefined behaviour).
  nlohmann::json j = {{"model_type", "qwen2"},       {"hidden_size", 64},        {"intermediate_size", 128},
                      {"num_hidden_layers", 1},      {"num_attention_heads", 4}, {"num_key_value_heads", 2},
                      {"vocab_size", 100},           {"max_position_embeddings", 64}};
  auto with = [&](const char* key, const nlohmann::json& v) {
    nlohmann::json k = j;
    k[key] = v;
    return k;
  };
  expect_error([&] { model_config_from_hf_json(with("hidden_size", 4.44444e104), "config.json"); },
               {"config.json", "hidden_size", "must be an integer"});
  expect_error([&] { model_config_from_hf_json(with("num_key_value_heads", 2.5), "config.json"); },
               {"num_key_value_heads", "must be an integer"});
  expect_error([&] { model_config_from_hf_json(with("vocab_size", UINT64_MAX), "config.json"); },
               {"vocab_size", "too large"});
  EXPECT_EQ(model_config_from_hf_json(j, "config.json").hidden_size, 64);
}
