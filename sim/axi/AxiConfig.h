#pragma once
#include <cstdint>
#include <string>

namespace fpgallm {
class YamlMap;
}

namespace fpgallm::sim {

enum class AxiArbitration { round_robin, fixed_priority };

/** Named defaults: Zynq UltraScale+ S_AXI_HPn_FPD ports (sources in configs/platform/kv260.yaml). */
namespace axi_defaults {
inline constexpr uint32_t DEFAULT_PORTS = 4;
inline constexpr uint32_t DEFAULT_DATA_WIDTH_BITS = 128;
inline constexpr double DEFAULT_PL_CLOCK_MHZ = 300.0;
inline constexpr uint32_t DEFAULT_MAX_BURST_BEATS = 16;
inline constexpr uint32_t DEFAULT_MAX_OUTSTANDING_READS = 8;
inline constexpr uint32_t DEFAULT_MAX_OUTSTANDING_WRITES = 8;
inline constexpr double DEFAULT_PS_PL_CROSSING_LATENCY_NS = 15.0;
inline constexpr AxiArbitration DEFAULT_ARBITRATION = AxiArbitration::round_robin;
inline constexpr uint32_t DEFAULT_PS_DATA_WIDTH_BITS = 128;
inline constexpr double DEFAULT_PS_CLOCK_MHZ = 533.333;
inline constexpr uint32_t DEFAULT_PS_MAX_BURST_BEATS = 4;
inline constexpr uint32_t DEFAULT_PS_MAX_OUTSTANDING = 8;
/** AXI never lets a burst cross a 4 KB address boundary (AMBA AXI spec, A3.4.1). */
inline constexpr uint64_t BURST_BOUNDARY_BYTES = 4096;
/** AXI4 INCR bursts carry at most 256 beats (AWLEN/ARLEN are 8 bits). */
inline constexpr uint32_t AXI4_MAX_BURST_BEATS = 256;
/** Narrowest AXI data bus. */
inline constexpr uint32_t MIN_DATA_WIDTH_BITS = 32;
/** Port count is held in a 64-bit request mask by the arbiters. */
inline constexpr uint32_t MAX_PORTS = 63;
}  // namespace axi_defaults

/** One AXI slave port into the DDR: its width, clock, burst and outstanding limits. */
struct AxiPortConfig {
  uint32_t data_width_bits = axi_defaults::DEFAULT_DATA_WIDTH_BITS;
  double clock_mhz = axi_defaults::DEFAULT_PL_CLOCK_MHZ;
  uint32_t max_burst_beats = axi_defaults::DEFAULT_MAX_BURST_BEATS;
  uint32_t max_outstanding_reads = axi_defaults::DEFAULT_MAX_OUTSTANDING_READS;
  uint32_t max_outstanding_writes = axi_defaults::DEFAULT_MAX_OUTSTANDING_WRITES;
  double crossing_latency_ns = axi_defaults::DEFAULT_PS_PL_CROSSING_LATENCY_NS;  // each way

  uint32_t bytes_per_beat() const { return data_width_bits / 8; }
  uint32_t max_burst_bytes() const { return max_burst_beats * bytes_per_beat(); }
  double peak_gbps() const { return bytes_per_beat() * clock_mhz / 1000.0; }
};

/**
 * The PS–PL memory path: `ports` identical HP ports (S_AXI_HP0..3_FPD) from the PL plus one PS
 * port for CPU traffic that reaches the DDR through the cache-coherent interconnect, not an HP port.
 */
struct AxiConfig {
  uint32_t ports = axi_defaults::DEFAULT_PORTS;
  uint32_t data_width_bits = axi_defaults::DEFAULT_DATA_WIDTH_BITS;
  double pl_clock_mhz = axi_defaults::DEFAULT_PL_CLOCK_MHZ;
  uint32_t max_burst_beats = axi_defaults::DEFAULT_MAX_BURST_BEATS;
  uint32_t max_outstanding_reads = axi_defaults::DEFAULT_MAX_OUTSTANDING_READS;
  uint32_t max_outstanding_writes = axi_defaults::DEFAULT_MAX_OUTSTANDING_WRITES;
  double ps_pl_crossing_latency_ns = axi_defaults::DEFAULT_PS_PL_CROSSING_LATENCY_NS;
  AxiArbitration arbitration = axi_defaults::DEFAULT_ARBITRATION;
  AxiPortConfig ps_port{axi_defaults::DEFAULT_PS_DATA_WIDTH_BITS, axi_defaults::DEFAULT_PS_CLOCK_MHZ,
                        axi_defaults::DEFAULT_PS_MAX_BURST_BEATS,  axi_defaults::DEFAULT_PS_MAX_OUTSTANDING,
                        axi_defaults::DEFAULT_PS_MAX_OUTSTANDING,  0.0};

  /** The settings of HP port `i` (all HP ports are alike). */
  AxiPortConfig hp_port() const {
    return AxiPortConfig{data_width_bits,        pl_clock_mhz,           max_burst_beats,
                         max_outstanding_reads,  max_outstanding_writes, ps_pl_crossing_latency_ns};
  }
};

/** Reads the `axi:` mapping (fields optional, unknown keys rejected); bad values name the field. */
AxiConfig parse_axi_config(YamlMap& m);
const char* to_string(AxiArbitration a);

}  // namespace fpgallm::sim
