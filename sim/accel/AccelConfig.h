#pragma once
#include <cstdint>
#include <string>

#include "models/core/Dtype.h"
#include "models/llm/Backend.h"
#include "models/quant/AwqKernels.h"
#include "models/quant/Macro.h"
#include "models/core/YamlConfig.h"
#include "sim/accel/PlResources.h"
#include "sim/ddr/Fidelity.h"

namespace fpgallm::sim {

/** Number formats of the PE operands/accumulators (fixed64: the AwqAccumKind::Fixed64 arithmetic
 *  of models/quant/AwqKernels.h, accumulators only). */
enum class PeNumType { Fp32, Fixed64 };
const char* pe_num_type_name(PeNumType t);

/** What the PS reads for the linear layers it runs itself (not offloaded): sets their traffic. */
enum class PsWeightFormat { AwqMacro, Bf16, Fp16, Fp32 };
const char* ps_weight_format_name(PsWeightFormat f);
/** Bytes the PS streams per weight of a linear it runs (AWQ: the MACRO block bytes per weight). */
double ps_weight_bytes_per_param(PsWeightFormat f, const MacroLayout& layout);

/**
 * DSP48E2 slices of one fp32 MAC with Xilinx's Floating-Point Operator in "full DSP usage"
 * (PG060, UltraScale): a single-precision multiplier takes 3 and an adder 2. Vitis HLS maps
 * fmul/fadd to the same cores by default.
 */
constexpr int64_t kDspPerFp32Mul = 3;
constexpr int64_t kDspPerFp32Add = 2;
constexpr int64_t kDspPerFp32Mac = kDspPerFp32Mul + kDspPerFp32Add;
/** Assumed: a 64-bit integer accumulator is built from CLB carry chains (CARRY8, UG574), not DSPs;
 *  the fp32 -> fixed conversion is shifts and a rounding add in LUTs. */
constexpr int64_t kDspPerFixed64Add = 0;
constexpr int64_t kDspPerFp32MulFixed64Acc = kDspPerFp32Mul + kDspPerFixed64Add;
/** Assumed default for fixed64 accumulators: 2^-24 resolution for products, range +-2^38. */
constexpr int kDefaultAccumFracBits = 24;

/** Named defaults of the `accel:` section (the published design where it states them). */
constexpr double kDefaultAccelClockMhz = 250.0;
constexpr int64_t kDefaultPeRows = 8;
constexpr int64_t kDefaultPeCols = 8;
/**
 * Latencies of the fp32 cores the kernel binds (BIND_OP ... latency=N, so Vitis HLS uses these):
 * assumed, the cores Vitis HLS picks for fp32 at 100-300 MHz on UltraScale+ in public
 * Vitis-generated designs (fadd_32ns_32ns_32_5_full_dsp: LATENCY 4; fmul_32ns_32ns_32_4_max_dsp:
 * LATENCY 3); a faster clock target needs more (fadd LATENCY 8-9 at ~500 MHz).
 */
constexpr int64_t kDefaultFaddLatencyCycles = 4;
constexpr int64_t kDefaultFmulLatencyCycles = 3;
/** Assumed: tokens one pass of the kernel holds (its lane sums and accumulators are sized for
 *  them); 64 KiB of activations hold 18 tokens of an 896-wide row. */
constexpr int64_t kDefaultMaxChunkTokens = 16;
constexpr int64_t kDefaultUnpackCodesPerCycle = 64;
constexpr int64_t kDefaultDmaChannels = 4;
constexpr int64_t kDefaultDmaOutstanding = 4;
constexpr int64_t kDefaultWeightBufferBytes = 64 * 1024;
constexpr int64_t kDefaultActBufferBytes = 64 * 1024;
constexpr int64_t kDefaultOutBufferBytes = 16 * 1024;
constexpr int64_t kDefaultDescriptorCycles = 32;
constexpr int64_t kDefaultCompletionCycles = 4;
constexpr int64_t kDefaultFastChunkBytes = 64 * 1024;
constexpr double kDefaultFastQuantumNs = 1000.0;

/**
 * The PL accelerator of an accel config YAML in configs/accel/ (runtime struct: defaults applied, fields
 * validated by parse_accel_config, board limits by check_against_resources).
 */
struct AccelConfig {
  std::string name;
  std::string file;  ///< YAML it came from, for error messages
  double clock_mhz = kDefaultAccelClockMhz;
  /** cycle: one DMA transaction and pipeline step per MACRO block, synchronised every step.
   *  fast: coarse DMA units, pipeline per unit, temporal decoupling. Numerics are identical. */
  Fidelity fidelity = Fidelity::Cycle;

  // PE array: rows map to output rows of a tile, columns to input channels of a group.
  int64_t pe_rows = kDefaultPeRows;
  int64_t pe_cols = kDefaultPeCols;
  PeNumType pe_operand_type = PeNumType::Fp32;
  PeNumType pe_accum_type = PeNumType::Fp32;
  int accum_frac_bits = kDefaultAccumFracBits;  ///< fixed64 accumulators only
  int64_t dsp_per_pe = kDspPerFp32Mac;  ///< from the types unless overridden
  int64_t fadd_latency_cycles = kDefaultFaddLatencyCycles;  ///< fp32 adder the kernel binds
  int64_t fmul_latency_cycles = kDefaultFmulLatencyCycles;  ///< fp32 multiplier the kernel binds

  int64_t unpack_codes_per_cycle = kDefaultUnpackCodesPerCycle;

  int64_t n_channels = kDefaultDmaChannels;              ///< AXI HP ports used by the DMA
  int64_t dma_outstanding_per_channel = kDefaultDmaOutstanding;

  int64_t weight_buffer_bytes = kDefaultWeightBufferBytes;
  bool weight_double_buffered = true;
  int64_t act_buffer_bytes = kDefaultActBufferBytes;
  int64_t out_buffer_bytes = kDefaultOutBufferBytes;
  int64_t max_chunk_tokens = kDefaultMaxChunkTokens;  ///< tokens per pass of the kernel, at most

  int64_t descriptor_cycles = kDefaultDescriptorCycles;  ///< controller fetch+decode of a job
  int64_t completion_cycles = kDefaultCompletionCycles;  ///< raise done/IRQ after the last write

  bool offload_linear = true;     ///< q/k/v/o and MLP projections
  bool offload_lm_head = true;
  bool offload_attention = false;  ///< not modelled: the published design keeps attention on the PS
  PsWeightFormat ps_linear_weights = PsWeightFormat::AwqMacro;

  MacroLayout macro;  ///< the block layout the unpacker is built for

  int64_t fast_chunk_bytes = kDefaultFastChunkBytes;
  double fast_quantum_ns = kDefaultFastQuantumNs;

  double clock_period_ns() const { return 1000.0 / clock_mhz; }
  /** DSP48E2 slices of the emitted kernel's operators (KernelPlan::dsp48e2: PE array, scale stage, bias adds). */
  int64_t dsp_used() const;
  /** On-chip buffer bytes (weights, activations, outputs). */
  int64_t buffer_bytes() const { return weight_buffer_bytes + act_buffer_bytes + out_buffer_bytes; }
  /** MACRO blocks the weight buffer holds. */
  int64_t weight_buffer_blocks() const { return weight_buffer_bytes / macro.block_bytes(); }
  /**
   * MACRO blocks per DMA unit of a fast-fidelity job of `n_blocks` (one transaction each, unit u on
   * channel u % n_channels; cycle fidelity streams block by block). The fast SystemC model and the
   * analytic model cut jobs with this one rule.
   */
  int64_t fast_unit_blocks(int64_t n_blocks) const;
  /** The PE array's accumulator arithmetic (shared with the host: awq_linear_accum). */
  AwqAccum awq_accum() const {
    return pe_accum_type == PeNumType::Fixed64 ? AwqAccum{AwqAccumKind::Fixed64, accum_frac_bits} : AwqAccum{};
  }
  /** Whether the accelerator executes this op (else the PS does). */
  bool offloads(OpKind op) const;

  /** Throws fpgallm::Error naming the field, the reason and both files when the board cannot host this. */
  void check_against_resources(const PlResources& pl) const;
};

/** Reads the `accel:` mapping of `root` (the file's root map) and rejects unknown keys. */
AccelConfig parse_accel_config(YamlMap& root);
/** YamlMap::load + parse_accel_config. */
AccelConfig load_accel_config(const std::string& file);

}  // namespace fpgallm::sim
