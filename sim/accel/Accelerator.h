#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "models/llm/Backend.h"
#include "models/quant/Macro.h"
#include "sim/accel/AccelConfig.h"
#include "sim/accel/KernelPlan.h"
#include "sim/stats/Stats.h"
#include "sim/tlm/TimeConv.h"

namespace fpgallm::sim {

/** One offloaded linear layer, as the PS describes it in a descriptor. All addresses are DDR. */
struct LinearJob {
  OpContext ctx;
  uint64_t weight_addr = 0;  ///< MacroStream bytes (tile-major, group-minor blocks)
  MacroLayout layout;        ///< must equal the accelerator's accel.macro
  int64_t in_features = 0;
  int64_t out_features = 0;
  int64_t n_tokens = 0;
  uint64_t act_addr = 0;   ///< fp32 [n_tokens, in]
  uint64_t out_addr = 0;   ///< fp32 [n_tokens, out]
  uint64_t bias_addr = 0;  ///< fp32 [out], or 0 for none
  /** false: timing only — every transfer and cycle as usual, but no unpacking or MACs on the
   *  fetched bytes (the outputs written are zeros). */
  bool numerics = true;
};

/** What one job cost (the accelerator's own stats accumulate the same figures). */
struct LinearJobResult {
  sc_core::sc_time time = sc_core::SC_ZERO_TIME;  ///< descriptor fetch to completion signal
  int64_t bytes_read = 0;                         ///< weights + activations + bias
  int64_t bytes_written = 0;
  int64_t pe_busy_cycles = 0;
  int64_t useful_macs = 0;
  int64_t token_chunks = 0;
};

/**
 * The PL accelerator of the published design: a controller takes a LinearJob (the descriptor),
 * DMA engines on `n_channels` AXI ports stream MACRO blocks into a (double-)buffered weight
 * buffer and activations into the activation buffer; the unpacking unit decodes each block
 * (codes, fp16 scales, zeros) at `unpack_codes_per_cycle` while streaming it into the R x C PE
 * array, which accumulates every tile's outputs over its groups; finished tiles go through the
 * output buffer to the write-back DMA. Stages run as separate SystemC threads joined by bounded
 * buffers, so a full buffer back-pressures its producer.
 *
 * Numerics: per output row and token, acc = 0.0f, then for groups in increasing order
 * acc += awq_group_partial(codes, zero, x, len) * f16_to_f32(scale), then acc + bias: exactly
 * awq_linear's order, so outputs are bit-identical to the host AWQ backend. With fixed64
 * accumulators (accel.pe_array.accum_type) the same steps use awq_linear_accum's fixed-point
 * arithmetic (awq_group_partial_fixed, awq_fixed_scale, awq_fixed_to_float).
 *
 * Channel policy: the weight stream is cut into units (one MACRO block in cycle fidelity, a
 * chunk of >= fast.chunk_bytes in fast fidelity); unit u goes on channel u mod n_channels, each
 * channel keeping up to outstanding_per_channel transfers in flight. Activation loads are split
 * evenly across the channels; output batch b (and its bias) goes on channel b mod n_channels.
 */
class Accelerator : public sc_core::sc_module, public stats::Reporter {
 public:
  using DmaSocket = tlm_utils::simple_initiator_socket<Accelerator>;
  /** One initiator per DMA channel; bind dma[c] to an AXI HP target port. */
  std::vector<std::unique_ptr<DmaSocket>> dma;

  /** Observer for timelines (track, what, start, duration); never called when unset. */
  using ActivityHook = std::function<void(const std::string& track, const char* what, sc_core::sc_time start,
                                          sc_core::sc_time duration)>;

  Accelerator(sc_core::sc_module_name name, const AccelConfig& cfg);
  ~Accelerator() override;

  /**
   * Runs one linear layer: blocks the calling SC_THREAD from descriptor fetch until the completion
   * signal (the PS-side interrupt/polling latency is PsCore's). Reads the weights, activations and
   * bias from DDR through the DMA sockets and writes fp32 outputs to job.out_addr. Throws
   * fpgallm::Error for a job the hardware cannot run (layout mismatch, activation row larger than
   * the activation buffer, DMA error response).
   */
  LinearJobResult run_linear(const LinearJob& job);

  const AccelConfig& config() const { return cfg_; }
  void set_activity_hook(ActivityHook h) { hook_ = std::move(h); }

  /** The emitted kernel's schedule, which every PL compute cycle charged here comes from. */
  const KernelPlan& plan() const { return plan_; }

  void report_stats(stats::Group& g) const override;

 private:
  struct Chunk;
  struct Counters;
  void loader_thread(int channel, int slot);
  void compute_thread();
  void writer_thread(int channel);
  /** One DMA transfer on `channel` through the calling thread's payload `p` (reused: a payload
   *  allocates its extension array when built); returns its completion time (may lie ahead in
   *  fast fidelity). `piece_bytes` > 0: the transfer stands for back-to-back transactions of
   *  that size (sim::TransferShapeExt), as the kernel issues one per MACRO block. */
  sc_core::sc_time transfer(tlm::tlm_generic_payload& p, int channel, tlm::tlm_command cmd, uint64_t addr, uint8_t* data, int64_t bytes,
                            tlm_utils::tlm_quantumkeeper* qk, bool timing_only = false, int64_t piece_bytes = 0);
  /** The DMI region holding `addr` (granted through dma[0] once, then cached), or null. */
  const tlm::tlm_dmi* dmi_region(uint64_t addr);
  bool weights_reachable_by_dmi(uint64_t addr, int64_t bytes);
  /** Pointers to each tile's blocks of the job's weight stream, read through DMI. */
  const uint8_t* const* tile_pointers(const LinearJob& job, int64_t n_tiles, int64_t tile_bytes);
  void wait_until(sc_core::sc_time t);
  sc_core::sc_time cycles(int64_t n) const { return clock_period_ * static_cast<double>(n); }
  void run_chunk(const LinearJob& job, int64_t tok0, int64_t ntok, LinearJobResult& res);
  void notify_activity(const std::string& track, const char* what, sc_core::sc_time start, sc_core::sc_time end);
  /** Wakes the one loader waiting for the unit next in stream order (the only one that can go on). */
  void wake_next_loader();

  AccelConfig cfg_;
  KernelPlan plan_;
  sc_core::sc_time clock_period_;
  TimeConv tc_;
  std::unique_ptr<Chunk> chunk_;
  std::unique_ptr<Counters> ctr_;
  uint64_t generation_ = 0;
  sc_core::sc_event start_ev_, loaded_ev_, act_ev_, out_free_ev_, done_ev_;
  std::vector<std::unique_ptr<sc_core::sc_event>> store_ready_ev_;  ///< per channel: a batch for its store
  std::vector<std::string> dma_track_;
  // One wake-up event per loader thread (channel x outstanding slot) and the unit it waits for
  // (-1: not waiting): a shared event would wake every loader for each slot change.
  std::vector<std::unique_ptr<sc_core::sc_event>> loader_ev_;
  std::vector<int64_t> loader_wants_;
  int64_t compute_waits_for_ = -1;  // unit the compute stage is blocked on, or -1
  ActivityHook hook_;
  // DMI regions granted so far, by end address (the DDR model hands out 1 MiB pages and never
  // revokes them).
  std::map<uint64_t, tlm::tlm_dmi> dmi_;
  std::vector<const uint8_t*> tile_ptrs_;
  std::vector<uint8_t> straddle_;  // tiles that cross a region boundary, gathered
};

}  // namespace fpgallm::sim
