#include "sim/soc/SocParams.h"

#include <cmath>
#include <type_traits>
#include <utility>

namespace fpgallm::sim {

namespace {

/** A parameter reached through `ref`, a function returning the field in a SocConfig. */
template <typename F>
SocParam param(std::string path, std::string unit, F ref) {
  using V = std::remove_reference_t<decltype(ref(std::declval<SocConfig&>()))>;
  SocParam p;
  p.path = std::move(path);
  p.unit = std::move(unit);
  p.get = [ref](const SocConfig& c) { return static_cast<double>(ref(const_cast<SocConfig&>(c))); };
  p.set = [ref](SocConfig& c, double v) {
    if constexpr (std::is_integral_v<V>) ref(c) = static_cast<V>(std::llround(v));
    else ref(c) = static_cast<V>(v);
  };
  return p;
}

}  // namespace

std::vector<SocParam> platform_parameters(const SocConfig& c) {
  std::vector<SocParam> v;
  v.push_back(param("ddr.data_rate_mtps", "MT/s", [](SocConfig& s) -> auto& { return s.ddr.data_rate_mtps; }));
  v.push_back(param("ddr.tCL_cycles", "cycles", [](SocConfig& s) -> auto& { return s.ddr.tCL_cycles; }));
  v.push_back(param("ddr.tRCD_ns", "ns", [](SocConfig& s) -> auto& { return s.ddr.tRCD_ns; }));
  v.push_back(param("ddr.tRP_ns", "ns", [](SocConfig& s) -> auto& { return s.ddr.tRP_ns; }));
  v.push_back(param("ddr.controller_latency_ns", "ns", [](SocConfig& s) -> auto& { return s.ddr.controller_latency_ns; }));
  v.push_back(param("axi.pl_clock_mhz", "MHz", [](SocConfig& s) -> auto& { return s.axi.pl_clock_mhz; }));
  v.push_back(param("axi.ps_pl_crossing_latency_ns", "ns", [](SocConfig& s) -> auto& { return s.axi.ps_pl_crossing_latency_ns; }));
  v.push_back(param("axi.ps_port.clock_mhz", "MHz", [](SocConfig& s) -> auto& { return s.axi.ps_port.clock_mhz; }));
  v.push_back(param("ps.clock_mhz", "MHz", [](SocConfig& s) -> auto& { return s.ps.clock_mhz; }));
  for (int k = 0; k < kNumPsCostClasses; ++k) {
    if (static_cast<PsCostClass>(k) == PsCostClass::Gemv) continue;
    v.push_back(param(std::string("ps.cycles_per_element.") + ps_cost_class_name(static_cast<PsCostClass>(k)),
                      "cycles", [k](SocConfig& s) -> auto& { return s.ps.cycles_per_element[static_cast<size_t>(k)]; }));
  }
  v.push_back(param("ps.gemv.macs_per_cycle_per_core", "MAC/cycle",
                    [](SocConfig& s) -> auto& { return s.ps.gemv_macs_per_cycle_per_core; }));
  v.push_back(param("ps.stream_gbps_per_core", "GB/s", [](SocConfig& s) -> auto& { return s.ps.stream_gbps_per_core; }));
  v.push_back(param("ps.cache_maintenance.flush_cycles_per_line", "cycles",
                    [](SocConfig& s) -> auto& { return s.ps.flush_cycles_per_line; }));
  v.push_back(param("ps.cache_maintenance.invalidate_cycles_per_line", "cycles",
                    [](SocConfig& s) -> auto& { return s.ps.invalidate_cycles_per_line; }));
  v.push_back(param("ps.noncached.write_combine_store_gbps", "GB/s",
                    [](SocConfig& s) -> auto& { return s.ps.write_combine_store_gbps; }));
  v.push_back(param("ps.noncached.load_gbps", "GB/s", [](SocConfig& s) -> auto& { return s.ps.noncached_load_gbps; }));
  v.push_back(param("ps.handshake.axilite_write_ns", "ns", [](SocConfig& s) -> auto& { return s.ps.axilite_write_ns; }));
  v.push_back(param("ps.handshake.axilite_read_ns", "ns", [](SocConfig& s) -> auto& { return s.ps.axilite_read_ns; }));
  v.push_back(param("ps.handshake.barrier_ns", "ns", [](SocConfig& s) -> auto& { return s.ps.barrier_ns; }));
  v.push_back(param("ps.handshake.interrupt_latency_ns", "ns", [](SocConfig& s) -> auto& { return s.ps.interrupt_latency_ns; }));
  const std::string sw = "ps.software.profiles." + c.ps.software.name + ".";
  v.push_back(param(sw + "gemv_efficiency", "fraction", [](SocConfig& s) -> auto& { return s.ps.software.gemv_efficiency; }));
  v.push_back(param(sw + "op_dispatch_ns", "ns", [](SocConfig& s) -> auto& { return s.ps.software.op_dispatch_ns; }));
  v.push_back(param(sw + "forward_overhead_ns", "ns", [](SocConfig& s) -> auto& { return s.ps.software.forward_overhead_ns; }));
  v.push_back(param(sw + "driver_call_ns", "ns", [](SocConfig& s) -> auto& { return s.ps.software.driver_call_ns; }));
  v.push_back(param(sw + "register_write_ns", "ns", [](SocConfig& s) -> auto& { return s.ps.software.register_write_ns; }));
  v.push_back(param(sw + "register_read_ns", "ns", [](SocConfig& s) -> auto& { return s.ps.software.register_read_ns; }));
  v.push_back(param(sw + "syscall_ns", "ns", [](SocConfig& s) -> auto& { return s.ps.software.syscall_ns; }));
  v.push_back(param(sw + "copy_gbps", "GB/s", [](SocConfig& s) -> auto& { return s.ps.software.copy_gbps; }));
  return v;
}

const SocParam* find_parameter(const std::vector<SocParam>& params, const std::string& path) {
  for (const auto& p : params)
    if (p.path == path) return &p;
  return nullptr;
}

}  // namespace fpgallm::sim
