#pragma once
#include <cstdint>

#include "sim/axi/BurstSplit.h"
#include "sim/ddr/DdrConfig.h"
#include "sim/ddr/DdrTiming.h"

namespace fpgallm::sim {

/**
 * The data-bus time of one transfer in closed form: what the fast DDR model charges and the
 * analytic model predicts, following the cycle model's mechanisms (docs/simulator.md, "Fast and
 * analytic against cycle at the DDR limit"):
 *   - one BL8 access per DRAM line each AXI burst touches (BurstFootprint: an unaligned burst reads
 *     whole lines, its shared line twice);
 *   - per row opened beyond the first, the activation's share of the bus when banks work in
 *     parallel (tFAW/4, tRRD_S, tRC over all banks);
 *   - tCCD_L instead of tCCD_S before each access expected in the bank group of the access before
 *     it: inside a burst from the address map, at a burst that continues the same stream on its
 *     shared line always, after another stream's access with probability 1 / bank groups;
 *   - a write among reads: the bus idles tRTW before its data and tWTR + CL after it before the next
 *     read's data (tWTR_L when that read is in the write's bank group, probability 1 / bank groups);
 *   - refresh: precharge-all, tRFC and the row re-open take tRP + tRFC + tRCD of every tREFI.
 */
class FastBusCost {
 public:
  explicit FastBusCost(const DdrConfig& c);

  /**
   * Expected accesses that wait tCCD_L, for a transfer of footprint `f` while `streams`
   * transfers (this one included) take turns on the DRAM burst by burst.
   */
  double same_bank_group_accesses(const BurstFootprint& f, uint32_t streams) const;
  /** Bus clocks: `accesses` BL8 accesses, `extra_opens` row opens beyond the first, `same_bg` tCCD_L waits, refresh. */
  double bus_cycles(double accesses, double extra_opens, double same_bg) const;
  /** bus_cycles of footprint `f` among `streams`. */
  double bus_cycles(const BurstFootprint& f, double extra_opens, uint32_t streams) const {
    return bus_cycles(static_cast<double>(f.lines), extra_opens, same_bank_group_accesses(f, streams));
  }

  /** Idle bus clocks a write (or a run of writes) among reads costs: read->write plus write->read. */
  double turnaround_pair_cycles() const { return turnaround_pair_; }
  /** Bus clocks one activation adds beyond its burst. */
  double act_extra_cycles() const { return act_extra_; }
  /** Share of time refresh takes the bus. */
  double refresh_share() const { return refresh_share_; }
  /** tREFI in clocks (0: refresh off): refreshes fall at its multiples, as in the cycle model. */
  double refresh_interval_cycles() const { return refresh_interval_; }
  /**
   * Clocks from the last data before a refresh to the first after it (tRP + tRFC + tRCD + CL): a
   * stream paced by its port rather than by the DRAM loses this, less what its port's bursts in
   * flight cover, at every refresh it spans.
   */
  double refresh_pause_cycles() const { return refresh_pause_; }
  /** Fraction of consecutive lines of a sequential stream that share a bank group (address map). */
  double adjacent_same_bank_group() const { return adjacent_same_bg_; }
  /** Clocks an access in the previous access's bank group waits beyond the bus slot. */
  double bank_group_wait_cycles() const { return bg_wait_; }

 private:
  double burst_cycles_ = 0, act_extra_ = 0, refresh_share_ = 0, adjacent_same_bg_ = 0, bg_wait_ = 0, bank_groups_ = 1;
  double turnaround_pair_ = 0, refresh_interval_ = 0, refresh_pause_ = 0;
};

}  // namespace fpgallm::sim
