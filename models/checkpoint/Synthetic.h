#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "models/llm/Weights.h"

namespace fpgallm {

/** Seed used by "synthetic:<preset>" when none is given. */
constexpr uint64_t kDefaultSyntheticSeed = 0;

/**
 * Deterministic synthetic weights with the statistics of a trained LLM (same bytes for the same
 * config and seed on every run, thread count and platform: integer PRNG, no libm in the path):
 *  - linear weights ~ N(0, (0.6/sqrt(in))^2), i.e. std 0.02 at Qwen2.5-0.5B's width; q/k/v biases small;
 *  - embeddings ~ N(0, 0.02^2);
 *  - RMSNorm weights ~ 1, except a few residual channels (about 1% of hidden, at least one, the
 *    same channels in every layer, chosen by seed) whose norm weights are 10-100x larger, so the
 *    activations entering q/k/v and gate/up carry per-input-channel outliers as real models do;
 *  - the final norm is scaled so logits have a spread like a trained model's (not uniform, not one-hot).
 * Every row has its own random stream derived from (seed, tensor name, row), so generation runs
 * in parallel without changing a single bit.
 */
std::shared_ptr<ModelWeights> make_synthetic_weights(const ModelConfig& config, uint64_t seed);

/** The residual channels that get outlier norm weights, ascending. */
std::vector<int64_t> synthetic_outlier_channels(const ModelConfig& config, uint64_t seed);

}  // namespace fpgallm
