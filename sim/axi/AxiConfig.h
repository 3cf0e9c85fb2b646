#pragma once
#include <cstdint>
#include <string>

namespace fpgallm {
class YamlMap;
}

namespace fpgallm::sim {

enum class AxiArbitration { RoundRobin, FixedPriority };

/** Named defaults: Zynq UltraScale+ S_AXI_HPn_FPD ports (sources in configs/platform/kv260.yaml). */
namespace axi_defaults {
inline constexpr uint32_t kDefaultPorts = 4;
inline constexpr uint32_t kDefaultDataWidthBits = 128;
inline constexpr double kDefaultPlClockMhz = 300.0;
inline constexpr uint32_t kDefaultMaxBurstBeats = 16;
inline constexpr uint32_t kDefaultMaxOutstandingReads = 8;
inline constexpr uint32_t kDefaultMaxOutstandingWrites = 8;
inline constexpr double kDefaultPsPlCrossingLatencyNs = 15.0;
inline constexpr AxiArbitration kDefaultArbitration = AxiArbitration::RoundRobin;
inline constexpr uint32_t kDefaultPsDataWidthBits = 128;
inline constexpr double kDefaultPsClockMhz = 533.333;
inline constexpr uint32_t kDefaultPsMaxBurstBeats = 4;
inline constexpr uint32_t kDefaultPsMaxOutstanding = 8;
/** AXI never lets a burst cross a 4 KB address boundary (AMBA AXI spec, A3.4.1). */
inline constexpr uint64_t kBurstBoundaryBytes = 4096;
/** AXI4 INCR bursts carry at most 256 beats (AWLEN/ARLEN are 8 bits). */
inline constexpr uint32_t kAxi4MaxBurstBeats = 256;
/** Narrowest AXI data bus. */
inline constexpr uint32_t kMinDataWidthBits = 32;
/** Port count is held in a 64-bit request mask by the arbiters. */
inline constexpr uint32_t kMaxPorts = 63;
}  // namespace axi_defaults

/** One AXI slave port into the DDR: its width, clock, burst and outstanding limits. */
struct AxiPortConfig {
  uint32_t data_width_bits = axi_defaults::kDefaultDataWidthBits;
  double clock_mhz = axi_defaults::kDefaultPlClockMhz;
  uint32_t max_burst_beats = axi_defaults::kDefaultMaxBurstBeats;
  uint32_t max_outstanding_reads = axi_defaults::kDefaultMaxOutstandingReads;
  uint32_t max_outstanding_writes = axi_defaults::kDefaultMaxOutstandingWrites;
  double crossing_latency_ns = axi_defaults::kDefaultPsPlCrossingLatencyNs;  // each way

  uint32_t bytes_per_beat() const { return data_width_bits / 8; }
  uint32_t max_burst_bytes() const { return max_burst_beats * bytes_per_beat(); }
  double peak_gbps() const { return bytes_per_beat() * clock_mhz / 1000.0; }
};

/**
 * The PS–PL memory path: `ports` identical HP ports (S_AXI_HP0..3_FPD) from the PL plus one PS
 * port for CPU traffic that reaches the DDR through the cache-coherent interconnect, not an HP port.
 */
struct AxiConfig {
  uint32_t ports = axi_defaults::kDefaultPorts;
  uint32_t data_width_bits = axi_defaults::kDefaultDataWidthBits;
  double pl_clock_mhz = axi_defaults::kDefaultPlClockMhz;
  uint32_t max_burst_beats = axi_defaults::kDefaultMaxBurstBeats;
  uint32_t max_outstanding_reads = axi_defaults::kDefaultMaxOutstandingReads;
  uint32_t max_outstanding_writes = axi_defaults::kDefaultMaxOutstandingWrites;
  double ps_pl_crossing_latency_ns = axi_defaults::kDefaultPsPlCrossingLatencyNs;
  AxiArbitration arbitration = axi_defaults::kDefaultArbitration;
  AxiPortConfig ps_port{axi_defaults::kDefaultPsDataWidthBits, axi_defaults::kDefaultPsClockMhz,
                        axi_defaults::kDefaultPsMaxBurstBeats,  axi_defaults::kDefaultPsMaxOutstanding,
                        axi_defaults::kDefaultPsMaxOutstanding,  0.0};

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
