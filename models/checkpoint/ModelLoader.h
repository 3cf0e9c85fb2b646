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
 */
std::shared_ptr<ModelWeights> load_model(const std::string& spec);

}  // namespace fpgallm
