#pragma once
#include <cstdint>
#include <string>

#include "sim/ddr/AddressMapping.h"
#include "sim/ddr/Fidelity.h"

namespace fpgallm {
class YamlMap;
}

namespace fpgallm::sim {

enum class PagePolicy { Open, Closed };
enum class DdrScheduler { FrFcfs, Fcfs };

/** Named defaults: the KV260 DDR4-2400 (sources in configs/platform/kv260.yaml). */
namespace ddr_defaults {
inline constexpr uint32_t kDefaultDataRateMtps = 2400;
inline constexpr uint32_t kDefaultBusWidthBits = 64;
inline constexpr uint32_t kDefaultBurstLength = 8;
inline constexpr uint32_t kDefaultRanks = 1;
inline constexpr uint32_t kDefaultBankGroups = 2;
inline constexpr uint32_t kDefaultBanksPerGroup = 4;
inline constexpr uint32_t kDefaultRows = 65536;
inline constexpr uint32_t kDefaultColumns = 1024;
inline constexpr const char* DEFAULT_ADDRESS_MAPPING = "row_bank_col_bg";
inline constexpr uint32_t kDefaultTclCycles = 16;
inline constexpr uint32_t kDefaultTcwlCycles = 14;
inline constexpr uint32_t kDefaultTccdSCycles = 4;
inline constexpr uint32_t kDefaultTrtwCycles = 2;
inline constexpr double kDefaultTrcdNs = 13.33;
inline constexpr double kDefaultTrpNs = 13.33;
inline constexpr double kDefaultTrasNs = 33.0;
inline constexpr double kDefaultTrrdSNs = 5.3;
inline constexpr double kDefaultTrrdLNs = 6.4;
inline constexpr double kDefaultTfawNs = 30.0;
inline constexpr double kDefaultTccdLNs = 5.0;
inline constexpr double kDefaultTwrNs = 15.0;
inline constexpr double kDefaultTwtrSNs = 2.5;
inline constexpr double kDefaultTwtrLNs = 7.5;
inline constexpr double kDefaultTrtpNs = 7.5;
inline constexpr double kDefaultTrfcNs = 350.0;
inline constexpr double kDefaultTrefiNs = 7800.0;
inline constexpr PagePolicy kDefaultPagePolicy = PagePolicy::Open;
inline constexpr DdrScheduler kDefaultScheduler = DdrScheduler::FrFcfs;
inline constexpr uint32_t kDefaultQueueDepth = 32;
inline constexpr uint32_t kDefaultSchedulingChunkBytes = 256;
inline constexpr double kDefaultControllerLatencyNs = 20.0;
inline constexpr double kDefaultSchedulerLookaheadNs = 100.0;
inline constexpr bool kDefaultRefresh = true;
inline constexpr Fidelity kDefaultFidelity = Fidelity::Cycle;
}  // namespace ddr_defaults

/**
 * DDR4 channel: device organisation, JEDEC timings and controller policy. Timings the JEDEC
 * tables give in nanoseconds are kept in ns (`tRCD_ns`); those given in clocks are kept in cycles
 * (`tCL_cycles`). DdrTiming converts ns to whole clocks (ceil) and applies JEDEC clock floors.
 * Defaults are the KV260 (K26 SOM) DDR4-2400 part; configs/platform/kv260.yaml cites each value.
 */
struct DdrConfig {
  // Organisation.
  uint32_t data_rate_mtps = ddr_defaults::kDefaultDataRateMtps;
  uint32_t bus_width_bits = ddr_defaults::kDefaultBusWidthBits;
  uint32_t burst_length = ddr_defaults::kDefaultBurstLength;
  uint32_t ranks = ddr_defaults::kDefaultRanks;
  uint32_t bank_groups = ddr_defaults::kDefaultBankGroups;
  uint32_t banks_per_group = ddr_defaults::kDefaultBanksPerGroup;
  uint32_t rows = ddr_defaults::kDefaultRows;
  uint32_t columns = ddr_defaults::kDefaultColumns;  // per device row; row_bytes = columns * bus_width_bits / 8
  std::string address_mapping = ddr_defaults::DEFAULT_ADDRESS_MAPPING;

  // Timings (JEDEC names).
  uint32_t tCL_cycles = ddr_defaults::kDefaultTclCycles;
  uint32_t tCWL_cycles = ddr_defaults::kDefaultTcwlCycles;
  uint32_t tCCD_S_cycles = ddr_defaults::kDefaultTccdSCycles;
  uint32_t tRTW_cycles =
      ddr_defaults::kDefaultTrtwCycles;  // idle bus clocks between read data and write data (turnaround)
  double tRCD_ns = ddr_defaults::kDefaultTrcdNs;
  double tRP_ns = ddr_defaults::kDefaultTrpNs;
  double tRAS_ns = ddr_defaults::kDefaultTrasNs;
  double tRRD_S_ns = ddr_defaults::kDefaultTrrdSNs;
  double tRRD_L_ns = ddr_defaults::kDefaultTrrdLNs;
  double tFAW_ns = ddr_defaults::kDefaultTfawNs;
  double tCCD_L_ns = ddr_defaults::kDefaultTccdLNs;
  double tWR_ns = ddr_defaults::kDefaultTwrNs;
  double tWTR_S_ns = ddr_defaults::kDefaultTwtrSNs;
  double tWTR_L_ns = ddr_defaults::kDefaultTwtrLNs;
  double tRTP_ns = ddr_defaults::kDefaultTrtpNs;
  double tRFC_ns = ddr_defaults::kDefaultTrfcNs;
  double tREFI_ns = ddr_defaults::kDefaultTrefiNs;

  // Controller.
  PagePolicy page_policy = ddr_defaults::kDefaultPagePolicy;
  DdrScheduler scheduler = ddr_defaults::kDefaultScheduler;
  uint32_t queue_depth = ddr_defaults::kDefaultQueueDepth;            // requests the scheduler can see and reorder
  uint32_t scheduling_chunk_bytes =
      ddr_defaults::kDefaultSchedulingChunkBytes;  // a long request competes at this granularity
  double controller_latency_ns =
      ddr_defaults::kDefaultControllerLatencyNs;  // request path through the controller and PHY
  double scheduler_lookahead_ns =
      ddr_defaults::kDefaultSchedulerLookaheadNs;  // how far ahead of simulated time commands are committed
  bool refresh = ddr_defaults::kDefaultRefresh;
  Fidelity fidelity = ddr_defaults::kDefaultFidelity;

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
