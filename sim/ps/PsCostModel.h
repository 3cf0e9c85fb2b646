#pragma once
#include <array>
#include <cstdint>

#include "models/llm/Backend.h"
#include "sim/ps/DriverProtocol.h"
#include "sim/ps/PsConfig.h"

namespace fpgallm::sim {

/**
 * The PS cost model as pure functions of the config: no SystemC, so the DSE's analytic model and
 * the SystemC PsCore charge the very same numbers. PsCore adds what only a simulation knows: DDR
 * contention (its traffic goes through the interconnect and DDR models, and an op or copy takes
 * the longer of these bounds and the simulated transfers).
 */

/** The host software stack's costs, each a row of its own in the latency breakdown. */
enum class SwCost { ForwardOverhead, OpDispatch, DriverCall, BufferCopy, CacheMaintenance, Descriptor, Completion };
constexpr int kNumSwCosts = static_cast<int>(SwCost::Completion) + 1;
/** "host_loop", "op_dispatch", "driver_call", "buffer_copy", "cache_maint", "descriptor", "completion" */
const char* sw_cost_name(SwCost c);

/** Compute time (ns) of one PS op with `elements` elements (MACs for Gemv-class ops): element-wise
 *  classes on one core at cycles_per_element; Gemv-class ops over cores_used cores at
 *  gemv.macs_per_cycle_per_core x software.gemv_efficiency. */
double ps_compute_ns(const PsConfig& c, OpKind op, int64_t elements);

/** Cores whose load/store streams an op uses: cores_used for Gemv-class ops, else 1. */
double ps_stream_cores(const PsConfig& c, OpKind op);

/** Lower bound (ns) that the cores' load/store rate sets on moving `bytes`:
 *  bytes / (stream_gbps_per_core x ps_stream_cores). */
double ps_stream_ns(const PsConfig& c, OpKind op, int64_t bytes);

/** One PS op without DDR contention: software dispatch + max(compute, stream). */
double ps_op_ns(const PsConfig& c, OpKind op, int64_t elements, int64_t bytes);

/** Per forward pass (one prefill or one decode step): the host loop's fixed cost. */
double ps_forward_overhead_ns(const PsConfig& c);

/** The emitted driver's accesses per offloaded call (sim/ps/DriverProtocol.h) with the profile's
 *  completion mode and buffer mapping, for a kernel with `channels` m_axi bundles. Every profile
 *  drives the same kernel, so every profile pays its register protocol. */
DriverCallAccesses ps_driver_accesses(const PsConfig& c, int64_t channels);

/** Software-stack cost of one offloaded PL call, by mechanism (ns), before DDR contention.
 *  `in_bytes` are copied into the DMA buffer (and cleaned from the caches when the mapping is
 *  cached) before the job; `out_bytes` are invalidated (cached) and copied back after it. */
struct PlCallCost {
  std::array<double, kNumSwCosts> ns{};
  double total() const;
  double& operator[](SwCost c) { return ns[static_cast<int>(c)]; }
  double operator[](SwCost c) const { return ns[static_cast<int>(c)]; }
};
PlCallCost ps_pl_call_cost(const PsConfig& c, const DriverCallAccesses& a, int64_t in_bytes, int64_t out_bytes);

/** Parts of ps_pl_call_cost, as PsCore charges them at their place in the call. */
double ps_copy_in_ns(const PsConfig& c, int64_t bytes);   ///< model buffer -> DMA buffer (write-combine: stores capped)
double ps_copy_out_ns(const PsConfig& c, int64_t bytes);  ///< DMA buffer -> model buffer (write-combine: loads capped)
/** Cached mapping only: clean the lines the PL will read + the sync calls before the start. */
double ps_flush_ns(const PsConfig& c, const DriverCallAccesses& a, int64_t bytes);
/** Cached mapping only: invalidate the lines the PL wrote + the sync calls after ap_done. */
double ps_invalidate_ns(const PsConfig& c, const DriverCallAccesses& a, int64_t bytes);
double ps_register_write_ns(const PsConfig& c);  ///< bus time + the stack's cost of one register write
double ps_register_read_ns(const PsConfig& c);   ///< bus round trip + the stack's cost of one register read
/** Polling: mean delay from ap_done to the loop knowing it. ap_done rises at a uniform phase of the
 *  poll period P (one register read, ps_register_read_ns): half a period until a read samples it,
 *  then the return half of that read's bus round trip: (P + axilite_read_ns) / 2. */
double ps_poll_detection_ns(const PsConfig& c);
/** ap_idle check, descriptor and ap_start writes, interrupt re-enable, write barrier. */
double ps_descriptor_ns(const PsConfig& c, const DriverCallAccesses& a);
/** Detection (interrupt latency + the wait's system calls, or polling detection), the reads and
 *  writes after ap_done, read barrier. */
double ps_completion_ns(const PsConfig& c, const DriverCallAccesses& a);

}  // namespace fpgallm::sim
