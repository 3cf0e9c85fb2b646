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

}  // namespace

std::shared_ptr<ModelWeights> load_model(const std::string& spec) {
  if (spec.starts_with(kSyntheticPrefix)) return load_synthetic(spec);
  if (looks_like_packed_model(spec)) return load_packed_model(spec).weights;  // by magic, before *.bin
  if (looks_like_llama2c(spec)) return load_llama2c(spec);
  if (!std::filesystem::exists(spec)) fail("{}: no such model file or folder", spec);
  if (looks_like_autoawq(spec)) return load_autoawq(spec);  // HF folder with quantization_config
  if (std::filesystem::is_directory(spec)) return load_hf_checkpoint(spec);
  fail("{}: not a recognised model (expected a llama2.c .bin, a HF folder or synthetic:<preset>)", spec);
}

}  // namespace fpgallm
