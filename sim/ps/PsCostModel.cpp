#include "sim/ps/PsCostModel.h"

#include <algorithm>

namespace fpgallm::sim {

const char* sw_cost_name(SwCost c) {
  static const char* kNames[kNumSwCosts] = {"host_loop",   "op_dispatch", "driver_call", "buffer_copy",
                                            "cache_maint", "descriptor",  "completion"};
  return kNames[static_cast<int>(c)];
}

double ps_compute_ns(const PsConfig& c, OpKind op, int64_t elements) {
  const PsCostClass cls = ps_cost_class(op);
  const double n = static_cast<double>(elements);
  if (cls == PsCostClass::Gemv)
    return n / (c.gemv_macs_per_cycle_per_core * c.software.gemv_efficiency * static_cast<double>(c.cores_used)) *
           c.clock_period_ns();
  return n * c.cycles_per_element[static_cast<int>(cls)] * c.clock_period_ns();
}

double ps_stream_cores(const PsConfig& c, OpKind op) {
  return ps_cost_class(op) == PsCostClass::Gemv ? static_cast<double>(c.cores_used) : 1.0;
}

double ps_stream_ns(const PsConfig& c, OpKind op, int64_t bytes) {
  return static_cast<double>(bytes) / (c.stream_gbps_per_core * ps_stream_cores(c, op));
}

double ps_op_ns(const PsConfig& c, OpKind op, int64_t elements, int64_t bytes) {
  return c.software.op_dispatch_ns + std::max(ps_compute_ns(c, op, elements), ps_stream_ns(c, op, bytes));
}

double ps_forward_overhead_ns(const PsConfig& c) { return c.software.forward_overhead_ns; }

namespace {
double lines(const PsConfig& c, int64_t bytes) {
  return static_cast<double>((bytes + c.cache_line_bytes - 1) / c.cache_line_bytes);
}
bool cached(const PsConfig& c) { return c.software.mapping == BufferMapping::Cached; }
double copy_ns(double gbps, int64_t bytes) { return gbps > 0 ? static_cast<double>(bytes) / gbps : 0.0; }
}  // namespace

DriverCallAccesses ps_driver_accesses(const PsConfig& c, int64_t channels) {
  return driver_call_accesses(channels, c.software.completion, c.software.mapping);
}

double ps_copy_in_ns(const PsConfig& c, int64_t bytes) {
  const double g = c.software.copy_gbps;
  return copy_ns(cached(c) ? g : std::min(g, c.write_combine_store_gbps), bytes);
}

double ps_copy_out_ns(const PsConfig& c, int64_t bytes) {
  const double g = c.software.copy_gbps;
  return copy_ns(cached(c) ? g : std::min(g, c.noncached_load_gbps), bytes);
}

double ps_flush_ns(const PsConfig& c, const DriverCallAccesses& a, int64_t bytes) {
  if (!cached(c)) return 0.0;
  return lines(c, bytes) * c.flush_cycles_per_line * c.clock_period_ns() +
         static_cast<double>(a.syncs_before_start * kSyscallsPerCacheSync) * c.software.syscall_ns;
}

double ps_invalidate_ns(const PsConfig& c, const DriverCallAccesses& a, int64_t bytes) {
  if (!cached(c)) return 0.0;
  return lines(c, bytes) * c.invalidate_cycles_per_line * c.clock_period_ns() +
         static_cast<double>(a.syncs_after_done * kSyscallsPerCacheSync) * c.software.syscall_ns;
}

double ps_register_write_ns(const PsConfig& c) { return c.axilite_write_ns + c.software.register_write_ns; }

double ps_register_read_ns(const PsConfig& c) { return c.axilite_read_ns + c.software.register_read_ns; }

double ps_poll_detection_ns(const PsConfig& c) { return (ps_register_read_ns(c) + c.axilite_read_ns) / 2.0; }

double ps_descriptor_ns(const PsConfig& c, const DriverCallAccesses& a) {
  return static_cast<double>(a.reads_before_start) * ps_register_read_ns(c) +
         static_cast<double>(a.writes_before_start) * ps_register_write_ns(c) +
         static_cast<double>(a.irq_enables * kSyscallsPerIrqEnable) * c.software.syscall_ns +
         static_cast<double>(a.barriers_before_start) * c.barrier_ns;
}

double ps_completion_ns(const PsConfig& c, const DriverCallAccesses& a) {
  const double detect = a.irq_waits ? static_cast<double>(a.irq_waits) * c.interrupt_latency_ns +
                                          static_cast<double>(a.irq_waits * kSyscallsPerIrqWait) * c.software.syscall_ns
                                    : ps_poll_detection_ns(c);
  return detect + static_cast<double>(a.reads_after_done) * ps_register_read_ns(c) +
         static_cast<double>(a.writes_after_done) * ps_register_write_ns(c) +
         static_cast<double>(a.barriers_after_done) * c.barrier_ns;
}

double PlCallCost::total() const {
  double t = 0;
  for (double x : ns) t += x;
  return t;
}

PlCallCost ps_pl_call_cost(const PsConfig& c, const DriverCallAccesses& a, int64_t in_bytes, int64_t out_bytes) {
  PlCallCost k;
  k[SwCost::DriverCall] = c.software.driver_call_ns;
  k[SwCost::BufferCopy] = ps_copy_in_ns(c, in_bytes) + ps_copy_out_ns(c, out_bytes);
  k[SwCost::CacheMaintenance] = ps_flush_ns(c, a, in_bytes) + ps_invalidate_ns(c, a, out_bytes);
  k[SwCost::Descriptor] = ps_descriptor_ns(c, a);
  k[SwCost::Completion] = ps_completion_ns(c, a);
  return k;
}

}  // namespace fpgallm::sim
