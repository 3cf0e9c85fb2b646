#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "models/llm/Backend.h"
#include "sim/ps/PsConfig.h"
#include "sim/ps/PsCostModel.h"
#include "sim/stats/Stats.h"

namespace fpgallm::sim {

/**
 * The Cortex-A53 cluster as a cost model. The SimBackend executes each PS op's arithmetic with
 * the fp32 kernels on the host and calls these methods from its SC_THREAD to charge the time:
 * compute from cycles per element at the PS clock, plus the op's DDR traffic issued through
 * iSocket (bound to the interconnect's PS port). Compute and traffic overlap chunk by chunk, so an
 * op takes about max(compute, traffic) — the A53's loads stream while NEON works.
 */
class PsCore : public sc_core::sc_module, public stats::Reporter {
 public:
  tlm_utils::simple_initiator_socket<PsCore> iSocket;

  /** `kernel_channels`: m_axi bundles of the PL kernel, which set the driver's register accesses per
   *  offloaded call (sim/ps/DriverProtocol.h). */
  PsCore(sc_core::sc_module_name name, const PsConfig& cfg, int64_t kernel_channels);

  /** Compute time alone (ps_compute_ns: cycles per element, or MACs over the cores at the
   *  software stack's GEMV efficiency). */
  sc_core::sc_time compute_time(OpKind op, int64_t elements) const;

  /**
   * Charges one op's kernel: waits its compute time while issuing bytes_read + bytes_written of DDR
   * traffic (timing only, to the scratch region: the data itself lives host-side). Returns the
   * time it took. The software's dispatch is charged apart (dispatch_op). Call from an SC_THREAD.
   */
  sc_core::sc_time run_op(const OpContext& ctx, int64_t elements, int64_t bytes_read, int64_t bytes_written);

  /** Moves real bytes between the host and the DDR model through iSocket, with their timing. */
  sc_core::sc_time write_data(uint64_t addr, const void* src, int64_t bytes);
  sc_core::sc_time read_data(uint64_t addr, void* dst, int64_t bytes);

  // The host software stack (ps.software), one method per row of the breakdown. Each waits and
  // returns the time charged; the amounts are sim/ps/PsCostModel.h's.
  sc_core::sc_time forward_overhead();  ///< the host loop, once per forward pass
  sc_core::sc_time dispatch_op();       ///< the host loop calling one PS kernel
  sc_core::sc_time driver_call();       ///< entry + exit of one offloaded call's driver
  /** Copies between a model buffer and the DMA buffer at addr: the DDR traffic of the copy, at
   *  least ps_copy_in_ns / ps_copy_out_ns. */
  sc_core::sc_time copy_to_dma(uint64_t addr, const void* src, int64_t bytes);
  sc_core::sc_time copy_from_dma(uint64_t addr, void* dst, int64_t bytes);
  sc_core::sc_time cache_flush(int64_t bytes);       ///< clean the job's input lines before the PL reads
  sc_core::sc_time write_descriptor();               ///< ap_idle check, descriptor, ap_start (ps_descriptor_ns)
  sc_core::sc_time await_completion();               ///< interrupt or polling, then status (ps_completion_ns)
  sc_core::sc_time cache_invalidate(int64_t bytes);  ///< drop stale lines of what the PL wrote

  const PsConfig& config() const { return cfg_; }
  const DriverCallAccesses& driver_accesses() const { return accesses_; }
  void report_stats(stats::Group& g) const override;

 private:
  sc_core::sc_time transfer(tlm::tlm_command cmd, uint64_t addr, uint8_t* data, int64_t bytes,
                            bool timing_only = false);
  /** Waits `ns` (as a software cost) and adds it to `acc`. */
  sc_core::sc_time spend(double ns, double& acc);
  /** Waits until `at_least_ns` have passed since t0 (a rate bound on work whose traffic took less). */
  void stretch(sc_core::sc_time t0, double at_least_ns);

  PsConfig cfg_;
  DriverCallAccesses accesses_;
  std::vector<uint8_t> scratch_;  ///< payload of timing-only traffic
  uint64_t scratch_offset_ = 0;

  struct ClassCounters {
    int64_t calls = 0, elements = 0, bytes = 0, extrapolated_bytes = 0;
    double compute_ns = 0, time_ns = 0;
  };
  std::array<ClassCounters, kNumPsCostClasses> by_class_{};
  int64_t handshakes_ = 0, data_bytes_read_ = 0, data_bytes_written_ = 0;
  double flush_ns_ = 0, invalidate_ns_ = 0, descriptor_ns_ = 0, completion_ns_ = 0, data_ns_ = 0;
  int64_t forward_passes_ = 0, dispatches_ = 0, driver_calls_ = 0;
  double forward_ns_ = 0, dispatch_ns_ = 0, driver_ns_ = 0, copy_ns_ = 0;
};

}  // namespace fpgallm::sim
