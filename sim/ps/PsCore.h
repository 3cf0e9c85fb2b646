#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "models/llm/Backend.h"
#include "sim/ps/PsConfig.h"
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

  PsCore(sc_core::sc_module_name name, const PsConfig& cfg);

  /** Compute time alone: elements x cycles_per_element / clock (one core), or for Gemv-class ops
   *  elements (= MACs) / (macs_per_cycle_per_core x cores_used) / clock. */
  sc_core::sc_time compute_time(OpKind op, int64_t elements) const;

  /**
   * Charges one op: waits its compute time while issuing bytes_read + bytes_written of DDR
   * traffic (timing only, to the scratch region: the data itself lives host-side). Returns the
   * time it took. Call from an SC_THREAD.
   */
  sc_core::sc_time run_op(const OpContext& ctx, int64_t elements, int64_t bytes_read, int64_t bytes_written);

  /** Moves real bytes between the host and the DDR model through iSocket, with their timing. */
  sc_core::sc_time write_data(uint64_t addr, const void* src, int64_t bytes);
  sc_core::sc_time read_data(uint64_t addr, void* dst, int64_t bytes);

  /** Before a PL job: clean the job's input lines from the caches, then write its descriptor. */
  sc_core::sc_time pl_handshake_begin(int64_t bytes_to_flush);
  /** After the PL finished: completion detection (interrupt or polling), then invalidate the
   *  lines the PL wrote so the cores read them from DDR. */
  sc_core::sc_time pl_handshake_end(int64_t bytes_to_invalidate);

  const PsConfig& config() const { return cfg_; }
  void report_stats(stats::Group& g) const override;

 private:
  sc_core::sc_time transfer(tlm::tlm_command cmd, uint64_t addr, uint8_t* data, int64_t bytes);
  sc_core::sc_time cycles(double n) const { return sc_core::sc_time(n * cfg_.clock_period_ns(), sc_core::SC_NS); }
  int64_t lines(int64_t bytes) const { return (bytes + cfg_.cache_line_bytes - 1) / cfg_.cache_line_bytes; }

  PsConfig cfg_;
  std::vector<uint8_t> scratch_;  ///< payload of timing-only traffic
  uint64_t scratch_offset_ = 0;

  struct ClassCounters {
    int64_t calls = 0, elements = 0, bytes = 0;
    double compute_ns = 0, time_ns = 0;
  };
  std::array<ClassCounters, kNumPsCostClasses> by_class_{};
  int64_t handshakes_ = 0, data_bytes_read_ = 0, data_bytes_written_ = 0;
  double flush_ns_ = 0, invalidate_ns_ = 0, descriptor_ns_ = 0, completion_ns_ = 0, data_ns_ = 0;
};

}  // namespace fpgallm::sim
