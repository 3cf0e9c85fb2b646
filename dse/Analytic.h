#pragma once
#include <array>
#include <cstdint>

#include "models/llm/Backend.h"
#include "models/llm/ModelConfig.h"
#include "sim/accel/KernelPlan.h"
#include "sim/ddr/DdrTiming.h"
#include "sim/soc/SocConfig.h"
#include <utility>
#include <vector>

namespace fpgallm::dse {

/** What a point runs: a prompt prefilled in one pass, then `gen` decode steps. */
struct Workload {
  int64_t prompt_len = 64;
  int64_t gen = 32;
};

/** Simulated (or estimated) performance of one point. */
struct PerfFigures {
  double prefill_ns = 0;  ///< prompt pass incl. the first sampling
  double decode_ns = 0;   ///< all decode steps
  int64_t prefill_tokens = 0, decode_tokens = 0;
  double prefill_tokens_per_s() const { return prefill_ns > 0 ? prefill_tokens / (prefill_ns * 1e-9) : 0; }
  double decode_tokens_per_s() const { return decode_ns > 0 ? decode_tokens / (decode_ns * 1e-9) : 0; }
  /** Decode time per op kind (summed over steps and layers), for breakdowns. */
  std::array<double, kNumOpKinds> decode_ns_by_op{};
};

/**
 * Closed-form estimate of what the SystemC model charges in fast fidelity, from the same
 * component parameters: the PS cost model (cycles per element, GEMV rate, per-core stream rate,
 * 4 KiB traffic chunks through the PS port), the PL handshake (cache flush/invalidate, descriptor
 * writes, interrupt or polling), the accelerator (descriptor/completion cycles, token chunks set
 * by the activation/output buffers, DMA units, the kernel's stage pace and pass fill of sim::KernelPlan)
 * and the memory path (HP port beats at the PL clock, DDR bus time per transaction with row
 * opens and refresh as the fast DDR model counts them). Ops are those Qwen2Model issues, with
 * identical layers evaluated once. Constructing one precomputes the memory-path constants.
 */
class AnalyticModel {
 public:
  explicit AnalyticModel(const sim::SocConfig& soc);
  PerfFigures evaluate(const ModelConfig& m, const Workload& w) const;

  /** Time of one PS op (fast fidelity), as PsCore::run_op charges it. */
  double ps_op_ns(OpKind op, int64_t elements, int64_t bytes_read, int64_t bytes_written) const;
  /** One linear layer offloaded to the PL: PS data moves, handshake and the accelerator job. */
  double pl_linear_ns(int64_t in, int64_t out, int64_t n_tokens, bool bias) const;
  /** One linear layer on the PS (weights streamed in the configured format). */
  double ps_linear_ns(OpKind op, int64_t in, int64_t out, int64_t n_tokens) const;
  /** Sustained DDR bandwidth (bytes/ns) of a sequential stream cut into `txn_bytes` transactions. */
  double ddr_stream_gbps(int64_t txn_bytes) const;

 private:
  double ps_transfer_ns(int64_t bytes, bool write) const;  // one blocking PS-port transaction
  double ps_data_ns(int64_t bytes, bool write) const;      // PsCore::read_data/write_data
  double accel_job_ns(int64_t in, int64_t out, int64_t n_tokens, bool bias) const;
  double accel_chunk_ns(int64_t in, int64_t out, int64_t ntok, bool bias) const;  // memoised
  double time_chunk(int64_t in, int64_t out, int64_t ntok, bool bias) const;
  double hp_transfer_latency_ns(int64_t bytes, bool write) const;  // one small HP transfer, idle system
  double linear_ns(OpKind op, int64_t in, int64_t out, int64_t n_tokens, bool bias) const;

  sim::SocConfig soc_;
  sim::KernelPlan plan_;  ///< the emitted kernel's schedule: PL compute cycles and token passes
  sim::DdrCycles t_;
  mutable std::vector<std::pair<int64_t, double>> stream_gbps_;  ///< per transaction size, this model's
  struct ChunkKey {
    int64_t in, out, ntok;
    bool bias;
    bool operator==(const ChunkKey&) const = default;
  };
  mutable std::vector<std::pair<ChunkKey, double>> chunks_;  ///< accelerator chunks already timed (k/v, gate/up alike)
  double tck_ns_ = 0, refresh_share_ = 0, act_extra_cycles_ = 0;
  double ps_chunk_new_row_fraction_ = 0;  ///< PS chunks whose first access opens a row
  double row_stream_bytes_ = 0;           ///< sequential bytes per row open
};

}  // namespace fpgallm::dse
