#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dse/SweepSpec.h"
#include "sim/accel/AccelConfig.h"
#include "sim/accel/PlResources.h"

namespace fpgallm::dse {

/** LUT/FF (and DSP) of one operator. */
struct OpCost {
  int64_t dsp48e2 = 0, luts = 0, ffs = 0;
};

/** Per-operator costs (configs/dse/resource_costs.yaml, each value cited or marked assumed). */
struct ResourceCosts {
  std::string file;
  OpCost fp32_mul, fp32_add, pe_overhead, unpack_lane, dma_channel, control;
  int64_t bram36_bits = 36864;
  int64_t uram288_depth = 4096;
  int64_t uram288_data_bits = 64;
};
ResourceCosts load_resource_costs(const std::string& file);

/** One on-chip memory as the hardware builds it: depth x width bits, mapped to BRAM36 or URAM288. */
struct MemoryMap {
  std::string name;
  int64_t copies = 1;  ///< ping-pong halves are separate memories
  int64_t depth = 0, width_bits = 0;
  int64_t bram36 = 0, uram288 = 0;  ///< primitives for all copies, on the chosen kind
  bool in_uram = false;
};

/** The PL usage of an accelerator config and whether it fits the device within the margins. */
struct ResourceEstimate {
  int64_t luts = 0, ffs = 0, dsp48e2 = 0, bram36 = 0, uram288 = 0;
  std::vector<MemoryMap> memories;
  bool feasible = true;
  std::string reason;  ///< names the first resource over budget: "dsp48e2 1600 > 1248 (100% of xck26)"
  /** Largest used/available ratio over the five resources (the "resources" Pareto objective). */
  double max_utilisation = 0;
  nlohmann::json to_json() const;
};

/**
 * DSPs and LUT/FF per PE from the operand/accumulator types (fp32: one multiplier + one adder,
 * PG060), one extra MAC per PE row for the group scaling (as AccelConfig::dsp_used), unpacker
 * lanes, DMA channels and control; buffers packed into BRAM36 (UG573 aspect ratios) or URAM288
 * (4K x 64), whichever wastes less, moving the largest to URAM when BRAM runs out.
 */
ResourceEstimate estimate_resources(const sim::AccelConfig& a, const sim::PlResources& pl, const ResourceCosts& c,
                                    const ResourceMargins& m);

/** BRAM36 needed for a depth x width memory (best UG573 aspect ratio, cascading as needed). */
int64_t bram36_for(int64_t depth, int64_t width_bits, const ResourceCosts& c);
/** URAM288 needed for a depth x width memory (4K x 64 data bits each). */
int64_t uram288_for(int64_t depth, int64_t width_bits, const ResourceCosts& c);

}  // namespace fpgallm::dse
