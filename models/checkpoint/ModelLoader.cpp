#include "models/checkpoint/ModelLoader.h"

#include <charconv>
#include <filesystem>

#include "models/checkpoint/AutoAwq.h"
#include "models/core/Error.h"
#include "models/checkpoint/HfCheckpoint.h"
#include "models/checkpoint/Llama2c.h"
#include "models/quant/PackedModel.h"
#include "models/checkpoint/Synthetic.h"

namespace fpgallm {

namespace {

constexpr std::string_view kSyntheticPrefix = "synthetic:";

/** "synthetic:<preset>[:seed]" -> synthetic weights of that preset, generated in memory. */
std::shared_ptr<ModelWeights> load_synthetic(const std::string& spec) {
  std::string rest = spec.substr(kSyntheticPrefix.size());
  uint64_t seed = kDefaultSyntheticSeed;
  const auto colon = rest.find(':');
  if (colon != std::string::npos) {
    const std::string s = rest.substr(colon + 1);
    const auto r = std::from_chars(s.data(), s.data() + s.size(), seed);
    if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
      fail("{}: seed '{}' is not a non-negative integer", spec, s);
    rest = rest.substr(0, colon);
  }
  return make_synthetic_weights(model_config_preset(rest), seed);
}

bool is_yaml(const std::string& spec) { return spec.ends_with(".yaml") || spec.ends_with(".yml"); }

}  // namespace

std::shared_ptr<ModelWeights> load_model(const std::string& spec) {
  if (spec.starts_with(kSyntheticPrefix)) return load_synthetic(spec);
  // A model config YAML: deterministic synthetic weights of its shapes (seed 0).
  if (is_yaml(spec)) return make_synthetic_weights(load_model_config_yaml(spec), kDefaultSyntheticSeed);
  if (looks_like_packed_model(spec)) return load_packed_model(spec).weights;  // by magic, before *.bin
  if (looks_like_llama2c(spec)) return load_llama2c(spec);
  if (!std::filesystem::exists(spec)) fail("{}: no such model file or folder", spec);
  if (looks_like_autoawq(spec)) return load_autoawq(spec);  // HF folder with quantization_config
  if (std::filesystem::is_directory(spec)) return load_hf_checkpoint(spec);
  fail("{}: not a recognised model (expected a llama2.c .bin, a HF folder, a model config .yaml or "
       "synthetic:<preset>)", spec);
}

ModelConfig load_model_config_only(const std::string& spec) {
  if (spec.starts_with(kSyntheticPrefix)) {
    std::string rest = spec.substr(kSyntheticPrefix.size());
    return model_config_preset(rest.substr(0, rest.find(':')));
  }
  if (is_yaml(spec)) return load_model_config_yaml(spec);
  if (std::filesystem::is_directory(spec) && std::filesystem::exists(std::filesystem::path(spec) / "config.json"))
    return load_model_config_hf((std::filesystem::path(spec) / "config.json").string());
  if (!std::filesystem::exists(spec)) fail("{}: no such model file or folder", spec);
  // Other sources (llama2.c, packed files) carry their shapes inside the weights.
  return load_model(spec)->config;
}

}  // namespace fpgallm
