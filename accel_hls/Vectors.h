#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/quant/QuantLinear.h"
#include "sim/soc/SocConfig.h"

namespace fpgallm::hls {

/** One linear job for the HLS testbench: the layer, its inputs and the simulator's outputs. */
struct VectorSet {
  QuantLinear weights;
  std::vector<float> bias;      ///< [out] or empty
  std::vector<float> act;       ///< [n_tokens, in]
  int64_t n_tokens = 0;
  std::vector<uint8_t> macro;   ///< the MACRO stream the simulated DMA fetched
  std::vector<float> expected;  ///< [n_tokens, out]: the simulated PE array's results
};

/**
 * Runs the job on the simulated KV260 (MACRO stream and activations placed in the simulated DDR,
 * one descriptor to the accelerator, outputs read back) and fills `macro` and `expected`. Throws
 * if the host AWQ kernel disagrees with the simulator by a single bit (they share one arithmetic).
 */
void simulate_vectors(const sim::SocConfig& soc, VectorSet& v);

/**
 * A deterministic random layer (codes, zeros, fp16 scales, activations, optional bias) of the
 * config's MACRO layout; same seed, same bytes.
 */
VectorSet random_vectors(const sim::SocConfig& soc, int64_t in, int64_t out, int64_t n_tokens, bool bias,
                         uint64_t seed);

/** Writes job.txt, weights.bin, act.bin, bias.bin (if any) and expected.bin under `dir`. */
void write_vectors(const VectorSet& v, const std::string& dir);

}  // namespace fpgallm::hls
