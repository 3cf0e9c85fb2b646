#include "sim/tlm/Payload.h"
#include "sim/ps/PsCore.h"

#include <algorithm>

#include <fmt/format.h>

#include "models/core/Error.h"

namespace fpgallm::sim {

using sc_core::sc_time;
using sc_core::sc_time_stamp;
using sc_core::SC_NS;
using sc_core::SC_ZERO_TIME;

namespace {
double ns(sc_time t) { return t.to_seconds() * 1e9; }
}  // namespace

PsCore::PsCore(sc_core::sc_module_name name, const PsConfig& cfg, int64_t kernel_channels)
    : sc_module(name),
      iSocket("iSocket"),
      cfg_(cfg),
      accesses_(ps_driver_accesses(cfg, kernel_channels)),
      scratch_(static_cast<size_t>(cfg.traffic_chunk_bytes), 0) {}

sc_time PsCore::compute_time(OpKind op, int64_t elements) const {
  return sc_time(ps_compute_ns(cfg_, op, elements), SC_NS);
}

sc_time PsCore::transfer(tlm::tlm_command cmd, uint64_t addr, uint8_t* data, int64_t bytes, bool timing_only) {
  tlm::tlm_generic_payload p;
  init_payload(p, cmd, addr, data, bytes);
  TimingOnlyExt timing_ext;  // run_op's traffic: the data lives host-side, nothing to copy
  if (timing_only) p.set_extension(&timing_ext);
  const sc_time t0 = sc_time_stamp();
  sc_time delay = SC_ZERO_TIME;
  iSocket->b_transport(p, delay);
  if (timing_only) p.clear_extension(&timing_ext);
  if (delay > SC_ZERO_TIME) wait(delay);
  if (p.is_response_error())
    fail("{}: PS {} of {} bytes at 0x{:x} failed: {}", name(), cmd == tlm::TLM_READ_COMMAND ? "read" : "write", bytes,
         addr, p.get_response_string());
  return sc_time_stamp() - t0;
}

sc_time PsCore::run_op(const OpContext& ctx, int64_t elements, int64_t bytes_read, int64_t bytes_written) {
  const PsCostClass cls = ps_cost_class(ctx.op);
  const sc_time t0 = sc_time_stamp();
  const sc_time compute = compute_time(ctx.op, elements);
  const int64_t total = bytes_read + bytes_written;
  if (total <= 0) {
    wait(compute);
  } else {
    // Multi-core ops stream with every core they use; the others with one.
    const double stream_gbps = cfg_.stream_gbps_per_core * ps_stream_cores(cfg_, ctx.op);
    const double compute_ns_per_byte = ns(compute) / static_cast<double>(total);
    sc_time dir_start = t0;  // start of the current direction's stream (reads, then writes)
    for (int64_t done = 0; done < total;) {
      const bool is_read = done < bytes_read;
      const int64_t dir_done = is_read ? done : done - bytes_read, dir_end = is_read ? bytes_read : total;
      if (cfg_.traffic_detailed_bytes > 0 && dir_done >= cfg_.traffic_detailed_bytes) {
        // Steady state: the rest of this direction's stream at the rate measured over its first part.
        const int64_t rest = dir_end - done;
        wait(sc_time(ns(sc_time_stamp() - dir_start) / static_cast<double>(dir_done) * static_cast<double>(rest), SC_NS));
        by_class_[static_cast<int>(cls)].extrapolated_bytes += rest;
        done = dir_end;
        dir_start = sc_time_stamp();
        continue;
      }
      const int64_t n = std::min(cfg_.traffic_chunk_bytes, total - done);
      const int64_t len = is_read ? std::min(n, bytes_read - done) : n;
      if (scratch_offset_ + static_cast<uint64_t>(len) > static_cast<uint64_t>(cfg_.scratch_bytes)) scratch_offset_ = 0;
      const sc_time spent = transfer(is_read ? tlm::TLM_READ_COMMAND : tlm::TLM_WRITE_COMMAND,
                                     cfg_.scratch_addr + scratch_offset_, scratch_.data(), len, true);
      scratch_offset_ += static_cast<uint64_t>(len);
      // The chunk takes as long as the slowest of: the DDR path, the cores' load/store rate, the math.
      const double target_ns = std::max(static_cast<double>(len) / stream_gbps, compute_ns_per_byte * len);
      if (ns(spent) < target_ns) wait(sc_time(target_ns - ns(spent), SC_NS));
      done += len;
      if (done == bytes_read) dir_start = sc_time_stamp();
    }
  }
  const sc_time took = sc_time_stamp() - t0;
  auto& c = by_class_[static_cast<int>(cls)];
  ++c.calls;
  c.elements += elements;
  c.bytes += total;
  c.compute_ns += ns(compute);
  c.time_ns += ns(took);
  return took;
}

sc_time PsCore::write_data(uint64_t addr, const void* src, int64_t bytes) {
  const sc_time t0 = sc_time_stamp();
  auto* p = static_cast<uint8_t*>(const_cast<void*>(src));  // TLM payloads take non-const data
  for (int64_t off = 0; off < bytes; off += cfg_.traffic_chunk_bytes)
    transfer(tlm::TLM_WRITE_COMMAND, addr + static_cast<uint64_t>(off), p + off,
             std::min(cfg_.traffic_chunk_bytes, bytes - off));
  data_bytes_written_ += bytes;
  data_ns_ += ns(sc_time_stamp() - t0);
  return sc_time_stamp() - t0;
}

sc_time PsCore::read_data(uint64_t addr, void* dst, int64_t bytes) {
  const sc_time t0 = sc_time_stamp();
  auto* p = static_cast<uint8_t*>(dst);
  for (int64_t off = 0; off < bytes; off += cfg_.traffic_chunk_bytes)
    transfer(tlm::TLM_READ_COMMAND, addr + static_cast<uint64_t>(off), p + off,
             std::min(cfg_.traffic_chunk_bytes, bytes - off));
  data_bytes_read_ += bytes;
  data_ns_ += ns(sc_time_stamp() - t0);
  return sc_time_stamp() - t0;
}

sc_time PsCore::spend(double t_ns, double& acc) {
  const sc_time t(t_ns, SC_NS);
  if (t > SC_ZERO_TIME) wait(t);
  acc += t_ns;
  return t;
}

void PsCore::stretch(sc_time t0, double at_least_ns) {
  const double spent = ns(sc_time_stamp() - t0);
  if (spent < at_least_ns) wait(sc_time(at_least_ns - spent, SC_NS));
}

sc_time PsCore::forward_overhead() {
  ++forward_passes_;
  return spend(ps_forward_overhead_ns(cfg_), forward_ns_);
}

sc_time PsCore::dispatch_op() {
  ++dispatches_;
  return spend(cfg_.software.op_dispatch_ns, dispatch_ns_);
}

sc_time PsCore::driver_call() {
  ++driver_calls_;
  return spend(cfg_.software.driver_call_ns, driver_ns_);
}

sc_time PsCore::copy_to_dma(uint64_t addr, const void* src, int64_t bytes) {
  const sc_time t0 = sc_time_stamp();
  write_data(addr, src, bytes);
  stretch(t0, ps_copy_in_ns(cfg_, bytes));
  copy_ns_ += ns(sc_time_stamp() - t0);
  return sc_time_stamp() - t0;
}

sc_time PsCore::copy_from_dma(uint64_t addr, void* dst, int64_t bytes) {
  const sc_time t0 = sc_time_stamp();
  read_data(addr, dst, bytes);
  stretch(t0, ps_copy_out_ns(cfg_, bytes));
  copy_ns_ += ns(sc_time_stamp() - t0);
  return sc_time_stamp() - t0;
}

sc_time PsCore::cache_flush(int64_t bytes) { return spend(ps_flush_ns(cfg_, accesses_, bytes), flush_ns_); }

sc_time PsCore::write_descriptor() {
  ++handshakes_;
  return spend(ps_descriptor_ns(cfg_, accesses_), descriptor_ns_);
}

sc_time PsCore::await_completion() { return spend(ps_completion_ns(cfg_, accesses_), completion_ns_); }

sc_time PsCore::cache_invalidate(int64_t bytes) {
  return spend(ps_invalidate_ns(cfg_, accesses_, bytes), invalidate_ns_);
}

void PsCore::report_stats(stats::Group& g) const {
  auto& ops = g.child("ops");
  for (int k = 0; k < kNumPsCostClasses; ++k) {
    const auto& c = by_class_[k];
    if (!c.calls) continue;
    auto& x = ops.child(ps_cost_class_name(static_cast<PsCostClass>(k)));
    x.set("calls", static_cast<double>(c.calls), stats::Quantity::Count, "calls charged to this cost class");
    x.set("elements", static_cast<double>(c.elements), stats::Quantity::Count, "elements (MACs for gemv)");
    x.set("bytes", static_cast<double>(c.bytes), stats::Quantity::Bytes, "DDR traffic charged");
    x.set("compute_time", c.compute_ns, stats::Quantity::Ns, "cycles per element / clock, before overlap with traffic");
    x.set("time", c.time_ns, stats::Quantity::Ns, "charged time: max(compute, traffic) per chunk");
    x.set("bandwidth", c.time_ns > 0 ? static_cast<double>(c.bytes) / c.time_ns : 0.0, stats::Quantity::GBps,
          "DDR traffic charged / charged time");
    if (c.extrapolated_bytes)  // only streams longer than traffic.detailed_bytes
      x.set("extrapolated_bytes", static_cast<double>(c.extrapolated_bytes), stats::Quantity::Bytes,
            "charged at the rate measured over the simulated part (not in the DDR/AXI stats)");
  }
  auto& h = g.child("pl_handshake");
  h.set("count", static_cast<double>(handshakes_), stats::Quantity::Count, "PL jobs launched");
  h.set("cache_flush_time", flush_ns_, stats::Quantity::Ns,
        "cleaning the activations from the caches before each PL job");
  h.set("descriptor_time", descriptor_ns_, stats::Quantity::Ns, "writing each PL job's descriptor registers");
  h.set("completion_time", completion_ns_, stats::Quantity::Ns,
        cfg_.software.completion == CompletionMode::Interrupt ? "interrupt latency" : "polling latency");
  h.set("cache_invalidate_time", invalidate_ns_, stats::Quantity::Ns,
        "invalidating the output lines after each PL job");
  const auto jobs = static_cast<double>(handshakes_);
  h.set("register_writes", jobs * static_cast<double>(accesses_.register_writes()), stats::Quantity::Count,
        "driver register writes charged (sim/ps/DriverProtocol.h)");
  h.set("register_reads", jobs * static_cast<double>(accesses_.register_reads(1)), stats::Quantity::Count,
        "driver register reads charged, the poll that sees ap_done included");
  h.set("syscalls", jobs * static_cast<double>(accesses_.syscalls()), stats::Quantity::Count,
        "driver system calls charged (UIO interrupt, cache sync)");
  auto& d = g.child("data");
  d.set("bytes_written", static_cast<double>(data_bytes_written_), stats::Quantity::Bytes,
        "real data the PS put in DDR");
  d.set("bytes_read", static_cast<double>(data_bytes_read_), stats::Quantity::Bytes, "real data the PS read from DDR");
  d.set("time", data_ns_, stats::Quantity::Ns, "time the PS spent moving real data to and from DDR");
  auto& sw = g.child("software");
  sw.set("forward_passes", static_cast<double>(forward_passes_), stats::Quantity::Count,
         "host-loop iterations (forward passes)");
  sw.set("host_loop_time", forward_ns_, stats::Quantity::Ns, "per-forward-pass cost of the host loop");
  sw.set("op_dispatches", static_cast<double>(dispatches_), stats::Quantity::Count, "PS kernels the host loop called");
  sw.set("op_dispatch_time", dispatch_ns_, stats::Quantity::Ns, "host loop calling PS kernels");
  sw.set("driver_calls", static_cast<double>(driver_calls_), stats::Quantity::Count,
         "offloaded calls through the driver");
  sw.set("driver_call_time", driver_ns_, stats::Quantity::Ns, "driver entry and exit");
  sw.set("buffer_copy_time", copy_ns_, stats::Quantity::Ns, "model buffers <-> DMA buffers");
}

}  // namespace fpgallm::sim
