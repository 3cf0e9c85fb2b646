#pragma once
#include <cstdint>
#include <string>

#include "sim/ddr/AddressMapping.h"
#include "sim/ddr/Fidelity.h"

namespace fpgallm {
class YamlMap;
}

namespace fpgallm::sim {

enum class PagePolicy { open, closed };
enum class DdrScheduler { frfcfs, fcfs };

/** Named defaults: the KV260 DDR4-2400 (sources in configs/platform/kv260.yaml). */
namespace ddr_defaults {
inline constexpr uint32_t DEFAULT_DATA_RATE_MTPS = 2400;
inline constexpr uint32_t DEFAULT_BUS_WIDTH_BITS = 64;
inline constexpr uint32_t DEFAULT_BURST_LENGTH = 8;
inline constexpr uint32_t DEFAULT_RANKS = 1;
inline constexpr uint32_t DEFAULT_BANK_GROUPS = 2;
inline constexpr uint32_t DEFAULT_BANKS_PER_GROUP = 4;
inline constexpr uint32_t DEFAULT_ROWS = 65536;
inline constexpr uint32_t DEFAULT_COLUMNS = 1024;
inline constexpr const char* DEFAULT_ADDRESS_MAPPING = "row_bank_col_bg";
inline constexpr uint32_t DEFAULT_TCL_CYCLES = 16;
inline constexpr uint32_t DEFAULT_TCWL_CYCLES = 14;
inline constexpr uint32_t DEFAULT_TCCD_S_CYCLES = 4;
inline constexpr uint32_t DEFAULT_TRTW_CYCLES = 2;
inline constexpr double DEFAULT_TRCD_NS = 13.33;
inline constexpr double DEFAULT_TRP_NS = 13.33;
inline constexpr double DEFAULT_TRAS_NS = 33.0;
inline constexpr double DEFAULT_TRRD_S_NS = 5.3;
inline constexpr double DEFAULT_TRRD_L_NS = 6.4;
inline constexpr double DEFAULT_TFAW_NS = 30.0;
inline constexpr double DEFAULT_TCCD_L_NS = 5.0;
inline constexpr double DEFAULT_TWR_NS = 15.0;
inline constexpr double DEFAULT_TWTR_S_NS = 2.5;
inline constexpr double DEFAULT_TWTR_L_NS = 7.5;
inline constexpr double DEFAULT_TRTP_NS = 7.5;
inline constexpr double DEFAULT_TRFC_NS = 350.0;
inline constexpr double DEFAULT_TREFI_NS = 7800.0;
inline constexpr PagePolicy DEFAULT_PAGE_POLICY = PagePolicy::open;
inline constexpr DdrScheduler DEFAULT_SCHEDULER = DdrScheduler::frfcfs;
inline constexpr uint32_t DEFAULT_QUEUE_DEPTH = 32;
inline constexpr uint32_t DEFAULT_SCHEDULING_CHUNK_BYTES = 256;
inline constexpr double DEFAULT_CONTROLLER_LATENCY_NS = 20.0;
inline constexpr double DEFAULT_SCHEDULER_LOOKAHEAD_NS = 100.0;
inline constexpr bool DEFAULT_REFRESH = true;
inline constexpr Fidelity DEFAULT_FIDELITY = Fidelity::cycle;
}  // namespace ddr_defaults

/**
 * DDR4 channel: device organisation, JEDEC timings and controller policy. Timings the JEDEC
 * tables give in nanoseconds are kept in ns (`tRCD_ns`); those given in clocks are kept in cycles
 * (`tCL_cycles`). DdrTiming converts ns to whole clocks (ceil) and applies JEDEC clock floors.
 * Defaults are the KV260 (K26 SOM) DDR4-2400 part; configs/platform/kv260.yaml cites each value.
 */
struct DdrConfig {
  // Organisation.
  uint32_t data_rate_mtps = ddr_defaults::DEFAULT_DATA_RATE_MTPS;
  uint32_t bus_width_bits = ddr_defaults::DEFAULT_BUS_WIDTH_BITS;
  uint32_t burst_length = ddr_defaults::DEFAULT_BURST_LENGTH;
  uint32_t ranks = ddr_defaults::DEFAULT_RANKS;
  uint32_t bank_groups = ddr_defaults::DEFAULT_BANK_GROUPS;
  uint32_t banks_per_group = ddr_defaults::DEFAULT_BANKS_PER_GROUP;
  uint32_t rows = ddr_defaults::DEFAULT_ROWS;
  uint32_t columns = ddr_defaults::DEFAULT_COLUMNS;  // per device row; row_bytes = columns * bus_width_bits / 8
  std::string address_mapping = ddr_defaults::DEFAULT_ADDRESS_MAPPING;

  // Timings (JEDEC names).
  uint32_t tCL_cycles = ddr_defaults::DEFAULT_TCL_CYCLES;
  uint32_t tCWL_cycles = ddr_defaults::DEFAULT_TCWL_CYCLES;
  uint32_t tCCD_S_cycles = ddr_defaults::DEFAULT_TCCD_S_CYCLES;
  uint32_t tRTW_cycles = ddr_defaults::DEFAULT_TRTW_CYCLES;  // idle bus clocks between read data and write data (turnaround)
  double tRCD_ns = ddr_defaults::DEFAULT_TRCD_NS;
  double tRP_ns = ddr_defaults::DEFAULT_TRP_NS;
  double tRAS_ns = ddr_defaults::DEFAULT_TRAS_NS;
  double tRRD_S_ns = ddr_defaults::DEFAULT_TRRD_S_NS;
  double tRRD_L_ns = ddr_defaults::DEFAULT_TRRD_L_NS;
  double tFAW_ns = ddr_defaults::DEFAULT_TFAW_NS;
  double tCCD_L_ns = ddr_defaults::DEFAULT_TCCD_L_NS;
  double tWR_ns = ddr_defaults::DEFAULT_TWR_NS;
  double tWTR_S_ns = ddr_defaults::DEFAULT_TWTR_S_NS;
  double tWTR_L_ns = ddr_defaults::DEFAULT_TWTR_L_NS;
  double tRTP_ns = ddr_defaults::DEFAULT_TRTP_NS;
  double tRFC_ns = ddr_defaults::DEFAULT_TRFC_NS;
  double tREFI_ns = ddr_defaults::DEFAULT_TREFI_NS;

  // Controller.
  PagePolicy page_policy = ddr_defaults::DEFAULT_PAGE_POLICY;
  DdrScheduler scheduler = ddr_defaults::DEFAULT_SCHEDULER;
  uint32_t queue_depth = ddr_defaults::DEFAULT_QUEUE_DEPTH;            // requests the scheduler can see and reorder
  uint32_t scheduling_chunk_bytes = ddr_defaults::DEFAULT_SCHEDULING_CHUNK_BYTES;  // a long request competes at this granularity
  double controller_latency_ns = ddr_defaults::DEFAULT_CONTROLLER_LATENCY_NS;  // request path through the controller and PHY
  double scheduler_lookahead_ns = ddr_defaults::DEFAULT_SCHEDULER_LOOKAHEAD_NS;  // how far ahead of simulated time commands are committed
  bool refresh = ddr_defaults::DEFAULT_REFRESH;
  Fidelity fidelity = ddr_defaults::DEFAULT_FIDELITY;

  // Derived.
  double tCK_ns() const { return 2000.0 / data_rate_mtps; }
  uint32_t access_bytes() const { return bus_width_bits / 8 * burst_length; }
  uint64_t row_bytes() const { return uint64_t(columns) * bus_width_bits / 8; }
  uint32_t banks() const { return bank_groups * banks_per_group; }
  uint64_t capacity_bytes() const { return uint64_t(ranks) * banks() * rows * row_bytes(); }
  double peak_gbps() const { return double(data_rate_mtps) * bus_width_bits / 8 / 1000.0; }
  AddressMapping mapping() const;
};

/** Reads the `ddr:` mapping; every field optional (defaults above); bad values name the field. */
DdrConfig parse_ddr_config(YamlMap& m);

}  // namespace fpgallm::sim
