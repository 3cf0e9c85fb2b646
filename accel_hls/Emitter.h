#pragma once
#include <map>
#include <string>
#include <vector>

#include "models/core/Dtype.h"
#include "accel_hls/Vectors.h"
#include "dse/Resources.h"
#include "models/llm/ModelConfig.h"
#include "sim/accel/KernelRegisters.h"
#include "sim/soc/SocConfig.h"

namespace fpgallm::hls {

/** One file of an emitted project: path relative to the project folder, and its bytes. */
struct ProjectFile {
  std::string path;
  std::string text;
};

/** A rendered Vitis HLS project, not yet on disk (so a rejected config writes nothing). */
struct Project {
  std::vector<ProjectFile> files;
  const ProjectFile* find(const std::string& path) const;
};

/** The narrowest m_axi data width the kernel supports: one fp32 per beat. */
constexpr int64_t kMinKernelBeatBytes = kF32Bytes;
/** The kernel's s_axilite register map lives in sim/accel/KernelRegisters.h, shared with the PS
 *  cost model that charges the driver's accesses to it. */
using sim::register_layout;
using sim::RegisterLayout;

/** The kernel's control registers as the PS sees them: a 32-bit AXI4-Lite slave behind
 *  M_AXI_HPM0_FPD, which the block design and the overlay's AFI entry both configure to this width. */
constexpr int64_t kCtrlBusWidthBits = 32;
/** Address window of s_axi_control in the block design and the overlay's register node. */
constexpr uint64_t kCtrlRangeBytes = 0x10000;

/** Defaults of the board (Kria) files: app folder name, the model the DMA buffer is sized for,
 *  and the most tokens one driver call carries (a longer prompt is prefilled in pieces). */
constexpr const char* kDefaultAppName = "fpgallm";
constexpr const char* kDefaultDmaModel = "synthetic:qwen2.5-0.5b";
constexpr int64_t kDefaultDmaCallTokens = 1024;
/** Name of the u-dma-buf device (/dev/udmabuf0) the overlay creates and the driver opens. */
constexpr const char* kDmaDeviceName = "udmabuf0";
/** The DMA buffer is rounded up to whole MiB (CMA allocates in pages; a round size reads well). */
constexpr uint64_t kDmaBufferGranuleBytes = uint64_t{1} << 20;

/** The architecture of kDefaultDmaModel (a preset: reads no file). */
ModelConfig default_dma_model();

/** What the board files need beyond the accel and platform configs. */
struct BoardOptions {
  /** dfx-mgr app: /lib/firmware/xilinx/<app>/<app>.bit.bin, <app>.dtbo, shell.json. */
  std::string app = kDefaultAppName;
  /** The model whose offloaded linears the u-dma-buf must hold, as given (a model spec of the CLI)
   *  and as read (its architecture). */
  std::string dma_model_spec = kDefaultDmaModel;
  ModelConfig dma_model = default_dma_model();
  /** Most tokens of one Driver::linear call: sizes the activation/output scratch after the weights. */
  int64_t dma_call_tokens = kDefaultDmaCallTokens;
};

/**
 * Bytes of the u-dma-buf the emitted driver needs for `model` on `soc`, laid out as Driver::place
 * and Driver::linear do (templates/fpgallm_driver.cpp): one leading 4 KiB region, every offloaded
 * linear (q/k/v/o/gate/up/down of each layer, lm_head when accel.offload.lm_head) as its MACRO
 * stream and bias, each 4 KiB aligned, then the largest call's fp32 activations and outputs for
 * `call_tokens` tokens; rounded up to kDmaBufferGranuleBytes. Throws naming the bad input.
 */
uint64_t dma_buffer_bytes(const sim::SocConfig& soc, const ModelConfig& model, int64_t call_tokens);

/**
 * Throws fpgallm::Error naming the config field (and file) when the kernel cannot express
 * `soc`: AXI width not a power of two of at least 32 bits or wider than the HP port, tile rows
 * and beat that do not tile each other, buffers too small for the kernel or beyond the part's
 * BRAM/URAM, number types other than the kernel's, a platform without a part to build for or
 * without the `emitted_driver` software profile (the driver's mapping and completion come from it).
 */
void check_expressible(const sim::SocConfig& soc);

/** A vector set the project carries, under vectors/<name>/. */
struct NamedVectors {
  std::string name;
  VectorSet set;
};

/** The RTL co-simulation vector set (vectors/cosim/): small, simulated on the KV260 model. */
VectorSet cosim_vectors(const sim::SocConfig& soc);

/**
 * Renders the whole project (deterministic: same config and vectors, same bytes). Steps, in order:
 * config header, top function, kernel (its pragma literals from sim::KernelPlan), C-simulation
 * header, testbench, run_hls.tcl, schedule.json, block design, driver, README, resource estimate,
 * Kria overlay (overlay/<app>.dtsi, <app>.bif, shell.json), vector sets (the co-simulation set,
 * then `vectors`). Calls check_expressible first and rejects an app name that is not a plain file
 * name. The m_axi depth is the largest memory image of the vector sets. The resource estimate is
 * the explorer's (dse::estimate_resources with `costs`, configs/dse/resource_costs.yaml), so the
 * generated design reports the LUT/FF/DSP/BRAM/URAM figures its sweep point was judged on.
 */
Project render_project(const sim::SocConfig& soc, const dse::ResourceCosts& costs,
                       const std::vector<NamedVectors>& vectors = {}, const BoardOptions& board = {});

/** Writes every file under `dir` (created if needed); throws naming the file on an I/O error. */
void write_project(const Project& p, const std::string& dir);

/**
 * Fills the named insertion points `{{NAME}}` of template `name` (accel_hls/templates/). Every
 * point must be given and every given value used: a mismatch is an Error, never a silent gap.
 */
std::string fill_template(const std::string& name, const std::map<std::string, std::string>& values);

/** The raw text of template `name`, compiled into the library. */
const std::string& template_text(const std::string& name);

}  // namespace fpgallm::hls
