#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "sim/ddr/DdrConfig.h"

namespace fpgallm::sim {

/** Time in DRAM clock cycles (tCK) since simulation start. */
using Cycle = int64_t;
inline constexpr Cycle kNever = -(Cycle(1) << 40);  // "no such command yet": far enough back to satisfy any spacing

/** JEDEC DDR4 lower bounds in clocks that apply whatever the ns value (JESD79-4 timing tables). */
namespace jedec {
inline constexpr uint32_t kMinTrrdCycles = 4;
inline constexpr uint32_t kMinTccdLCycles = 5;
inline constexpr uint32_t kMinTwtrSCycles = 2;
inline constexpr uint32_t kMinTwtrLCycles = 4;
inline constexpr uint32_t kMinTrtpCycles = 4;
inline constexpr uint32_t kActivatesPerTfaw = 4;
inline constexpr uint32_t kRankSwitchCycles = 2;  // tRTRS: data-bus gap when the rank changes
}  // namespace jedec

/** All timings of a DdrConfig in whole clocks. */
struct DdrCycles {
  explicit DdrCycles(const DdrConfig& c);
  uint32_t CL, CWL, burst, RCD, RP, RAS, RRD_S, RRD_L, FAW, CCD_S, CCD_L, WR, WTR_S, WTR_L, RTP, RTW, RFC, REFI;
};

enum class RowResult : uint8_t { Hit, Miss, Conflict };

/** Outcome of one 64-byte access. */
struct AccessTiming {
  Cycle cas = 0, data_start = 0, data_end = 0;
  RowResult row = RowResult::Hit;
};

/**
 * The DRAM devices and the data bus of one channel as timing state: per-bank open row and the
 * earliest next ACT/PRE/CAS, per-rank activate window (tRRD_S/L, tFAW) and refresh, per-bank-group
 * CAS spacing (tCCD_S/L), write→read (tWTR) and read→write (tRTW) turnaround. Each access gets its
 * command times computed in closed form; nothing here advances simulated time. The command bus
 * itself is not a resource (one command per clock is far below what BL8 bursts need).
 */
class DdrTiming {
 public:
  explicit DdrTiming(const DdrConfig& c);

  /**
   * Schedules one BL8 access: row commands (PRE/ACT) no earlier than `ready_row`, the column
   * command no earlier than `ready_cas`. `auto_precharge` closes the row afterwards (closed page).
   */
  AccessTiming access(const DramCoord& at, bool write, Cycle ready_row, Cycle ready_cas, bool auto_precharge);
  /** True when `at`'s row is open in its bank (what FR-FCFS prefers). */
  bool row_open(const DramCoord& at) const { return bank(at).open_row == int64_t(at.row); }

  const DdrCycles& cycles() const { return t_; }

  struct Counters {
    uint64_t reads = 0, writes = 0, row_hits = 0, row_misses = 0, row_conflicts = 0;
    uint64_t activates = 0, precharges = 0, refreshes = 0, turnarounds = 0;
    uint64_t refresh_stall_cycles = 0, data_busy_cycles = 0;
    uint64_t same_bank_group_cas = 0;  ///< CAS to the bank group of the rank's previous CAS (tCCD_L applies)
    uint64_t bank_group_wait_cycles = 0;  ///< clocks CAS commands waited for tCCD_L alone
  };
  const Counters& counters() const { return n_; }

 private:
  struct Bank {
    int64_t open_row = -1;
    Cycle next_act = 0, next_pre = 0, next_cas = 0;
  };
  struct Rank {
    Cycle last_act = kNever, last_cas = kNever, last_wr_end = kNever;
    std::vector<Cycle> last_act_bg, last_cas_bg, last_wr_end_bg;
    std::array<Cycle, jedec::kActivatesPerTfaw> faw{};  // ring of the last activates, oldest at faw_head
    uint32_t faw_count = 0, faw_head = 0;
    Cycle next_refresh = 0, refresh_until = 0;
  };
  Bank& bank(const DramCoord& a) { return banks_[(size_t(a.rank) * bank_groups_ + a.bank_group) * banks_per_group_ + a.bank]; }
  const Bank& bank(const DramCoord& a) const {
    return banks_[(size_t(a.rank) * bank_groups_ + a.bank_group) * banks_per_group_ + a.bank];
  }
  /** Runs every refresh of `rank` due by `t` (all-bank REF after precharging all banks). */
  void catch_up_refresh(uint32_t rank, Cycle t);

  DdrCycles t_;
  uint32_t bank_groups_, banks_per_group_;
  bool refresh_;
  std::vector<Bank> banks_;
  std::vector<Rank> ranks_;
  Cycle data_free_ = 0, last_read_end_ = kNever;
  bool last_was_write_ = false, any_data_ = false;
  uint32_t last_data_rank_ = 0;
  Counters n_;
};

}  // namespace fpgallm::sim
