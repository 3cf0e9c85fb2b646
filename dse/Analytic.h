#pragma once
#include <array>
#include <cstdint>

#include "models/llm/Backend.h"
#include "models/llm/ModelConfig.h"
#include "models/llm/OpTraffic.h"
#include "sim/accel/KernelPlan.h"
#include "sim/axi/BurstSplit.h"
#include "sim/ddr/DdrTiming.h"
#include "sim/ddr/FastBusCost.h"
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
  /** Share (0-1) of the PL's decode job time the DDR data bus is busy; 0 with nothing on the PL. */
  double decode_pl_ddr_busy = 0;
};

/**
 * Closed-form estimate of what the SystemC model charges in fast fidelity, from the same
 * component parameters: the PS cost model (cycles per element, GEMV rate, per-core stream rate,
 * 4 KiB traffic chunks through the PS port), the PL handshake (cache flush/invalidate, descriptor
 * writes, interrupt or polling), the accelerator (descriptor/completion cycles, token chunks set
 * by the activation/output buffers, DMA units, the kernel's stage pace and pass fill of sim::KernelPlan)
 * and the memory path (HP port beats at the PL clock, DDR bus time per transaction as the fast
 * DDR model counts it: sim::FastBusCost over the lines the AXI bursts read, row opens, tCCD_L
 * waits among the streaming channels, write turnarounds, refresh). Ops are those Qwen2Model issues, with
 * identical layers evaluated once. Constructing one precomputes the memory-path constants.
 */
class AnalyticModel {
 public:
  explicit AnalyticModel(const sim::SocConfig& soc);
  PerfFigures evaluate(const ModelConfig& m, const Workload& w) const;

  /** Time of one PS op (fast fidelity), as PsCore::run_op charges it. */
  double ps_op_ns(OpKind op, int64_t elements, int64_t bytes_read, int64_t bytes_written) const;
  /** The same for the traffic models/llm/OpTraffic.h gives the op (as SimBackend charges it). */
  double ps_op_ns(OpKind op, const OpTraffic& t) const {
    return ps_op_ns(op, t.elements, t.bytes_read, t.bytes_written);
  }
  /** One linear layer offloaded to the PL: PS data moves, handshake and the accelerator job. */
  double pl_linear_ns(int64_t in, int64_t out, int64_t n_tokens, bool bias) const;
  /** One linear layer on the PS (weights streamed in the configured format). */
  double ps_linear_ns(OpKind op, int64_t in, int64_t out, int64_t n_tokens) const;
  /** DDR bus time of `blocks` MACRO blocks of the weight stream read as one DMA unit among `streams` channels. */
  double weight_unit_bus_ns(int64_t blocks, uint32_t streams) const;

 private:
  double ps_transfer_ns(int64_t bytes, bool write) const;  // one blocking PS-port transaction
  /** A port's streaming time `busy_ns` of footprint `f` with the refresh stalls it spans. */
  double port_paced_ns(const sim::AxiPortConfig& p, double busy_ns, const sim::BurstFootprint& f, bool write) const;
  double ps_data_ns(int64_t bytes, bool write) const;      // PsCore::read_data/write_data
  /** An accelerator job or token pass: its time and the DDR data-bus time within it. */
  struct ChunkTime {
    double ns = 0, bus_ns = 0;
  };
  ChunkTime accel_job(int64_t in, int64_t out, int64_t n_tokens, bool bias) const;
  ChunkTime accel_chunk(int64_t in, int64_t out, int64_t ntok, bool bias) const;  // memoised
  ChunkTime time_chunk(int64_t in, int64_t out, int64_t ntok, bool bias) const;
  /** One token pass's constants: tiles, groups, DMA units and the memory-path times they share. */
  struct PassPlan;
  PassPlan plan_pass(int64_t in, int64_t out, int64_t ntok) const;
  /** The pass's DMA/compute pipeline unit by unit (the fast accelerator's): when its last unit is computed. */
  double pipeline_ns(const PassPlan& p, int64_t ntok) const;
  /** DDR data-bus time of the pass in closed form. */
  double pass_bus_ns(const PassPlan& p) const;
  double hp_transfer_latency_ns(int64_t bytes, bool write) const;  // one small HP transfer, idle system
  /** DDR bus time of one accelerator write of `bytes` among its channels' reads (lines and both turnarounds). */
  double accel_write_bus_ns(int64_t bytes) const;
  /** DDR bus time of one `bytes` transfer through the port `port` at `addr` among `streams`. */
  double transfer_bus_ns(const sim::AxiPortConfig& port, uint64_t addr, int64_t bytes, uint32_t streams) const;
  double linear_ns(OpKind op, int64_t in, int64_t out, int64_t n_tokens, bool bias) const;

  sim::SocConfig soc_;
  sim::KernelPlan plan_;  ///< the emitted kernel's schedule: PL compute cycles and token passes
  sim::DdrCycles t_;
  sim::FastBusCost cost_;
  /** Footprint of the weight stream's blocks over one alignment period (the cycle DMA's one transaction per block). */
  sim::BurstFootprint period_{};
  int64_t period_blocks_ = 0;
  mutable std::vector<std::pair<int64_t, double>> unit_opens_;  ///< extra row opens per unit size
  struct ChunkKey {
    int64_t in, out, ntok;
    bool bias;
    bool operator==(const ChunkKey&) const = default;
  };
  mutable std::vector<std::pair<ChunkKey, ChunkTime>> chunks_;  ///< accelerator chunks already timed (k/v, gate/up alike)
  /** Footprints of the PS port's transfers from its scratch buffer, up to one traffic chunk. */
  sim::BurstPrefix ps_bursts_;
  double tck_ns_ = 0;
  double ps_chunk_new_row_fraction_ = 0;  ///< PS chunks whose first access opens a row
  double row_stream_bytes_ = 0;           ///< sequential bytes per row open
};

}  // namespace fpgallm::dse
