#pragma once
#include <cstdint>
#include <string>
#include <utility>
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
  /** What the simulated accelerator charged for the job: pe_array/unpacker/scale busy cycles, pipeline fill. */
  double pe_busy_cycles = 0, unpack_busy_cycles = 0, scale_busy_cycles = 0, pipeline_fill_cycles = 0;
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

/** The files write_vectors writes, as (name, bytes). */
std::vector<std::pair<std::string, std::string>> vector_files(const VectorSet& v);

/** Regions of a vector set's memory image start on the AXI 4 KiB boundary, as the PS driver places them. */
constexpr uint64_t kImageRegionAlignBytes = 4096;

/**
 * Where the testbench puts a set in each port's memory image: weights at 0, then bias, then
 * activations, then outputs, each region 4 KiB aligned (fpgallm_tb.cpp computes the same).
 */
struct ImageLayout {
  uint64_t weights = 0, bias = 0, act = 0, out = 0, end = 0;
  /** Beats of the image (the m_axi depth it needs), one spare as the testbench allocates. */
  uint64_t beats(int64_t beat_bytes) const { return end / static_cast<uint64_t>(beat_bytes) + 1; }
};
ImageLayout image_layout(const VectorSet& v);

}  // namespace fpgallm::hls
