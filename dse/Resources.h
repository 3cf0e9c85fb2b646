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
  int64_t lutram_bits_per_lut = 32;  ///< distributed RAM with one write and one read port
  int64_t fifo_control = 0;          ///< LUTs of one FIFO's pointers and flags (either kind)
};
ResourceCosts load_resource_costs(const std::string& file);

/**
 * One array or stream of the emitted kernel (sim::KernelPlan::arrays) as the hardware builds it:
 * `banks` x `copies` memories of depth x width bits, in BRAM36 or URAM288 (block RAM), LUTRAM or
 * registers, as the kernel's BIND_STORAGE pragmas place it.
 */
struct MemoryMap {
  std::string name;
  std::string kind;     ///< bram36 | uram288 | lutram | registers (FIFOs: the storage of their buffer)
  int64_t copies = 1;   ///< instances (per channel or lane)
  int64_t banks = 1;    ///< partitions
  int64_t depth = 0, width_bits = 0;
  int64_t bram36 = 0, uram288 = 0;  ///< block-RAM primitives for all banks and copies, on the chosen kind
  int64_t luts = 0, ffs = 0;        ///< LUTRAM / register cost
  bool in_uram = false;
  bool block_ram = false;           ///< bram36 or uram288 (the kind may move to URAM when BRAM runs out)
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
 * The PL usage of the kernel sim::KernelPlan describes for `a`: DSPs as KernelPlan::dsp48e2 (PE
 * array, scale stage, bias adds; PG060 cores), LUT/FF of those operators, the unpack lanes, DMA
 * channels and control; every array and stream the kernel declares, block-RAM ones in BRAM36
 * (UG573 aspect ratios) or URAM288 (4K x 64), whichever wastes less, moving the largest to URAM
 * when BRAM runs out, LUTRAM ones in LUTs, register ones in FFs.
 */
ResourceEstimate estimate_resources(const sim::AccelConfig& a, const sim::PlResources& pl, const ResourceCosts& c,
                                    const ResourceMargins& m);

/** A memory's JSON record (resource_estimate.json, sweep rows): kind, shape and its primitives. */
nlohmann::json memory_json(const MemoryMap& m);

/** BRAM36 needed for a depth x width memory (best UG573 aspect ratio, cascading as needed). */
int64_t bram36_for(int64_t depth, int64_t width_bits, const ResourceCosts& c);
/** URAM288 needed for a depth x width memory (4K x 64 data bits each). */
int64_t uram288_for(int64_t depth, int64_t width_bits, const ResourceCosts& c);

}  // namespace fpgallm::dse
