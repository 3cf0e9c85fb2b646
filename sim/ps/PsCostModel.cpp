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

double ps_copy_ns(const PsConfig& c, int64_t bytes) {
  return c.software.copy_gbps > 0 ? static_cast<double>(bytes) / c.software.copy_gbps : 0.0;
}

namespace {
double lines(const PsConfig& c, int64_t bytes) {
  return static_cast<double>((bytes + c.cache_line_bytes - 1) / c.cache_line_bytes);
}
}  // namespace

double ps_flush_ns(const PsConfig& c, int64_t bytes) {
  return c.software.cache_maintenance ? lines(c, bytes) * c.flush_cycles_per_line * c.clock_period_ns() : 0.0;
}

double ps_invalidate_ns(const PsConfig& c, int64_t bytes) {
  return c.software.cache_maintenance ? lines(c, bytes) * c.invalidate_cycles_per_line * c.clock_period_ns() : 0.0;
}

double ps_descriptor_ns(const PsConfig& c) {
  return c.descriptor_write_ns + static_cast<double>(c.descriptor_registers) * c.software.register_write_ns;
}

double ps_completion_ns(const PsConfig& c) {
  return c.software.completion == CompletionMode::Interrupt ? c.interrupt_latency_ns : c.polling_latency_ns;
}

double PlCallCost::total() const {
  double t = 0;
  for (double x : ns) t += x;
  return t;
}

PlCallCost ps_pl_call_cost(const PsConfig& c, int64_t in_bytes, int64_t out_bytes) {
  PlCallCost k;
  k[SwCost::DriverCall] = c.software.driver_call_ns;
  k[SwCost::BufferCopy] = ps_copy_ns(c, in_bytes) + ps_copy_ns(c, out_bytes);
  k[SwCost::CacheMaintenance] = ps_flush_ns(c, in_bytes) + ps_invalidate_ns(c, out_bytes);
  k[SwCost::Descriptor] = ps_descriptor_ns(c);
  k[SwCost::Completion] = ps_completion_ns(c);
  return k;
}

}  // namespace fpgallm::sim
