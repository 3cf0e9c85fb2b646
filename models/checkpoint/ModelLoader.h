#pragma once
#include <memory>
#include <string>

#include "models/llm/Weights.h"

namespace fpgallm {

/**
 * Opens a model from any source the CLI accepts:
 *  - a llama2.c checkpoint (*.bin)
 *  - a HF folder (config.json + model.safetensors or a sharded index)
 *  - "synthetic:<preset>[:seed]" for deterministic synthetic weights of a preset's exact shapes
 *  - a model config YAML (as in configs/model/): synthetic weights (seed 0) of its shapes
 */
std::shared_ptr<ModelWeights> load_model(const std::string& spec);

/** Only the architecture of `spec` (same sources as load_model); reads no weights for a preset,
 *  a config YAML or a HF folder, so it works for models larger than host memory. */
ModelConfig load_model_config_only(const std::string& spec);

}  // namespace fpgallm
