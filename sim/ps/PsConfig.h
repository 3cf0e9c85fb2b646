#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "models/llm/Backend.h"
#include "models/core/YamlConfig.h"

namespace fpgallm::sim {

/** How the PS learns that a PL job finished. */
enum class CompletionMode { Interrupt, Polling };

/** Cost classes of the PS cost model; every OpKind maps to one (ps_cost_class). */
enum class PsCostClass { Embedding, RmsNorm, Rope, Softmax, SiluMul, ResidualAdd, Sampling, Gemv };
constexpr int kNumPsCostClasses = static_cast<int>(PsCostClass::Gemv) + 1;
const char* ps_cost_class_name(PsCostClass c);
/** Norms -> RmsNorm, linears and attention products -> Gemv (elements = MACs), and so on. */
PsCostClass ps_cost_class(OpKind op);

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
  double descriptor_write_ns = 1000.0;       ///< register writes of one job descriptor over AXI-Lite
  CompletionMode completion = CompletionMode::Interrupt;
  double interrupt_latency_ns = 10000.0;  ///< PL IRQ to the waiting thread running again
  double polling_latency_ns = 500.0;      ///< status register poll loop: mean detection delay

  int64_t traffic_chunk_bytes = 4096;  ///< DDR traffic of an op is issued in chunks of this size
  uint64_t scratch_addr = 0x70000000;  ///< timing-only traffic of run_op goes here (data stays host-side)
  int64_t scratch_bytes = 16 << 20;

  double clock_period_ns() const { return 1000.0 / clock_mhz; }
};

/** Reads `ps:` (a child map of the platform YAML), rejecting unknown keys. */
PsConfig parse_ps_config(YamlMap& ps);

}  // namespace fpgallm::sim
