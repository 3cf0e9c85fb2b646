#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "models/llm/Backend.h"
#include "models/core/YamlConfig.h"

namespace fpgallm::sim {

/** How the PS learns that a PL job finished. */
enum class CompletionMode { Interrupt, Polling };

/** How the driver maps the DMA buffer the PL reaches through the (non-coherent) HP ports. */
enum class BufferMapping {
  Cached,        ///< cacheable; the driver cleans lines the PL will read and invalidates lines it wrote
  WriteCombine,  ///< Normal non-cacheable: no maintenance; stores combine, loads go to DDR one by one
};

/** Cost classes of the PS cost model; every OpKind maps to one (ps_cost_class). */
enum class PsCostClass { Embedding, RmsNorm, Rope, Softmax, SiluMul, ResidualAdd, Sampling, Gemv };
constexpr int kNumPsCostClasses = static_cast<int>(PsCostClass::Gemv) + 1;
const char* ps_cost_class_name(PsCostClass c);
/** Norms -> RmsNorm, linears and attention products -> Gemv (elements = MACs), and so on. */
PsCostClass ps_cost_class(OpKind op);

/**
 * The host software stack that drives the SoC (the `ps.software:` section): the language and driver
 * the deployment's host loop runs in. Its costs come on top of the hardware's (cache lines, bus
 * writes, interrupt latency): they are what a Python loop over a PYNQ driver pays and bare metal
 * does not. sim/ps/PsCostModel.h turns these numbers into time.
 */
struct PsSoftwareProfile {
  std::string name;
  /** Fraction of the native NEON GEMV rate (gemv.macs_per_cycle_per_core) the stack's GEMV reaches
   *  (framework dispatch, 16-bit -> fp32 widening, temporaries). Scales Gemv-class compute only. */
  double gemv_efficiency = 1.0;
  double op_dispatch_ns = 0;       ///< per PS op: the host loop calling into its kernel library
  double forward_overhead_ns = 0;  ///< per forward pass (token step): loop, sampling glue, bookkeeping
  double driver_call_ns = 0;       ///< per offloaded call: driver entry + exit (argument marshalling, checks)
  double register_write_ns = 0;    ///< software cost per register write, on top of handshake.axilite_write_ns
  double register_read_ns = 0;     ///< software cost per register read, on top of handshake.axilite_read_ns
  double syscall_ns = 0;           ///< per system call of the driver (UIO interrupt enable/wait, cache sync)
  /** Model buffer <-> DMA buffer copy rate on cacheable memory; 0 = zero-copy (the model's buffers
   *  are the DMA buffers). A write-combine mapping caps it at ps.noncached's rates. */
  double copy_gbps = 0;
  BufferMapping mapping = BufferMapping::Cached;
  CompletionMode completion = CompletionMode::Interrupt;
};

/**
 * The Cortex-A53 side of the platform (the `ps:` section of a platform YAML). Each number carries
 * its source or the estimate behind it in configs/platform/kv260.yaml.
 */
struct PsConfig {
  std::string file;
  double clock_mhz = 1333.0;
  int64_t cores = 4;
  int64_t cores_used = 4;      ///< cores sharing a GEMV / attention product (others run on one core)
  int64_t cache_line_bytes = 64;

  /** Cycles per element on one core for the element-wise classes (Gemv is not used here). */
  std::array<double, kNumPsCostClasses> cycles_per_element{};
  double gemv_macs_per_cycle_per_core = 2.0;  ///< NEON fp32 FMA throughput incl. operand loads
  double stream_gbps_per_core = 2.5;          ///< what one core's loads/stores sustain from DDR

  double flush_cycles_per_line = 20.0;       ///< DC CVAC/CIVAC per line before a PL job reads
  double invalidate_cycles_per_line = 20.0;  ///< DC IVAC per line after a PL job wrote
  /** Loads and stores of a write-combine (Normal non-cacheable) mapping. */
  double write_combine_store_gbps = 1.65; ///< stores, merged by the write buffer
  double noncached_load_gbps = 0.125;     ///< loads: each one a DDR access, no line fill

  double axilite_write_ns = 125.0;        ///< one register write through M_AXI_HPM0_FPD (bus time)
  double axilite_read_ns = 250.0;         ///< one register read round trip (bus time)
  double barrier_ns = 40.0;               ///< one DSB/DMB of the driver
  double interrupt_latency_ns = 10000.0;  ///< PL IRQ to the waiting thread running again

  int64_t traffic_chunk_bytes = 4096;  ///< DDR traffic of an op is issued in chunks of this size
  /** Per op and direction, this much timing-only traffic is simulated chunk by chunk; the rest of a
   *  longer stream (the lm_head's 272 MB) is charged at the rate measured over it. 0: no limit. */
  int64_t traffic_detailed_bytes = 0;
  uint64_t scratch_addr = 0x70000000;  ///< timing-only traffic of run_op goes here (data stays host-side)
  int64_t scratch_bytes = 16 << 20;

  PsSoftwareProfile software;  ///< the profile `ps.software.profile` selects
  std::vector<PsSoftwareProfile> profiles;  ///< every listed profile, validated (the emitter reads emitted_driver)

  /** The listed profile `name`, or nullptr. */
  const PsSoftwareProfile* find_profile(const std::string& name) const;

  double clock_period_ns() const { return 1000.0 / clock_mhz; }
};

/** "interrupt" | "polling" */
const char* completion_mode_name(CompletionMode m);
/** "cached" | "write_combine" */
const char* buffer_mapping_name(BufferMapping m);

/** The profile the emitted A53 driver (fpgallm emit-hls, driver/) is modelled by. */
constexpr const char* kEmittedDriverProfile = "emitted_driver";

/** Reads `ps:` (a child map of the platform YAML), rejecting unknown keys. */
PsConfig parse_ps_config(YamlMap& ps);

}  // namespace fpgallm::sim
