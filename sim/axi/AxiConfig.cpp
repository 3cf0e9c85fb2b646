#include "sim/axi/AxiConfig.h"

#include <bit>

#include "models/core/YamlConfig.h"

namespace fpgallm::sim {

const char* to_string(AxiArbitration a) { return a == AxiArbitration::RoundRobin ? "round_robin" : "fixed_priority"; }

namespace {

void read_width(YamlMap& m, const std::string& key, uint32_t& v) {
  v = m.get<uint32_t>(key, v);
  if (v < axi_defaults::kMinDataWidthBits || !std::has_single_bit(v))
    m.error(key, fmt::format("must be a power of two >= {} (got {})", axi_defaults::kMinDataWidthBits, v));
}
void read_beats(YamlMap& m, const std::string& key, uint32_t& v) {
  v = m.get<uint32_t>(key, v);
  m.check_range<uint32_t>(key, v, 1, axi_defaults::kAxi4MaxBurstBeats);
}
template <typename T>
void read_positive(YamlMap& m, const std::string& key, T& v) {
  v = m.get<T>(key, v);
  m.check_positive(key, v);
}
void read_non_negative(YamlMap& m, const std::string& key, double& v) {
  v = m.get<double>(key, v);
  if (v < 0) m.error(key, fmt::format("must be >= 0 (got {})", v));
}

}  // namespace

AxiConfig parse_axi_config(YamlMap& m) {
  AxiConfig c;
  c.ports = m.get<uint32_t>("ports", c.ports);
  m.check_range<uint32_t>("ports", c.ports, 1, axi_defaults::kMaxPorts);
  read_width(m, "data_width_bits", c.data_width_bits);
  read_positive(m, "pl_clock_mhz", c.pl_clock_mhz);
  read_beats(m, "max_burst_beats", c.max_burst_beats);
  read_positive(m, "max_outstanding_reads", c.max_outstanding_reads);
  read_positive(m, "max_outstanding_writes", c.max_outstanding_writes);
  read_non_negative(m, "ps_pl_crossing_latency_ns", c.ps_pl_crossing_latency_ns);
  const auto arb = m.get<std::string>("arbitration", "round_robin");
  if (arb == "round_robin") c.arbitration = AxiArbitration::RoundRobin;
  else if (arb == "fixed_priority") c.arbitration = AxiArbitration::FixedPriority;
  else m.error("arbitration", fmt::format("must be round_robin or fixed_priority (got '{}')", arb));
  if (c.max_burst_beats * (c.data_width_bits / 8) > axi_defaults::kBurstBoundaryBytes)
    m.error("max_burst_beats",
            fmt::format("x data_width_bits/8 must fit in a {} byte boundary (got {} beats of {} bytes)",
                        axi_defaults::kBurstBoundaryBytes, c.max_burst_beats, c.data_width_bits / 8));

  YamlMap ps = m.child("ps_port");
  read_width(ps, "data_width_bits", c.ps_port.data_width_bits);
  read_positive(ps, "clock_mhz", c.ps_port.clock_mhz);
  read_beats(ps, "max_burst_beats", c.ps_port.max_burst_beats);
  read_positive(ps, "max_outstanding_reads", c.ps_port.max_outstanding_reads);
  read_positive(ps, "max_outstanding_writes", c.ps_port.max_outstanding_writes);
  read_non_negative(ps, "crossing_latency_ns", c.ps_port.crossing_latency_ns);
  ps.finish();
  m.finish();
  return c;
}

}  // namespace fpgallm::sim
