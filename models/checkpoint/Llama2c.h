#pragma once
#include <memory>
#include <string>

#include "models/llm/Weights.h"

namespace fpgallm {

/** Loads a llama2.c checkpoint (format in data/README.md) as a Llama-architecture model:
 *  no q/k/v bias, adjacent-pair RoPE with theta 10000, RMSNorm eps 1e-5. */
std::shared_ptr<ModelWeights> load_llama2c(const std::string& path);

/** True when the file starts like a llama2.c checkpoint (used to pick the loader). */
bool looks_like_llama2c(const std::string& path);

}  // namespace fpgallm
