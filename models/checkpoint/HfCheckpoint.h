#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/core/Dtype.h"
#include "models/llm/Weights.h"

namespace fpgallm {

constexpr const char* kHfConfigFile = "config.json";
constexpr const char* kHfSingleFile = "model.safetensors";
constexpr const char* kHfIndexFile = "model.safetensors.index.json";

/**
 * Loads a HF Qwen2/Llama folder: config.json plus model.safetensors or a sharded
 * model.safetensors.index.json. Tensors named as in shared/design.md; F32/F16/BF16 are read into
 * fp32. `lm_head.weight` is optional when embeddings are tied (ignored if present) and required
 * when untied; `*.rotary_emb.inv_freq` buffers are ignored; any other unknown tensor, a missing
 * tensor or a shape disagreeing with config.json throws fpgallm::Error naming file and tensor.
 */
std::shared_ptr<ModelWeights> load_hf_checkpoint(const std::string& dir);

/**
 * Writes config.json and the tensors (F32, F16 or BF16) to `dir` (created if needed). With
 * `max_shard_bytes` > 0 and more data than that, tensors are split over
 * model-0000i-of-0000n.safetensors files (sorted names, each shard up to the limit unless a single
 * tensor is larger) plus model.safetensors.index.json; otherwise one model.safetensors.
 */
void save_hf_checkpoint(const ModelWeights& w, const std::string& dir, DType dtype = DType::BF16,
                        int64_t max_shard_bytes = 0);

/** One shard of a HF folder: file name (relative to the folder) and the tensors it holds. */
struct HfShard {
  std::string file;
  std::vector<std::string> tensors;
};

/**
 * The safetensors files of a HF folder and which tensor lives where, read from the index (or the
 * single file), validated: every mapped file exists and no path escapes the folder.
 */
std::vector<HfShard> hf_checkpoint_shards(const std::string& dir);

}  // namespace fpgallm
