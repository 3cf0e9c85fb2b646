#include "sim/ddr/DdrTiming.h"

#include <algorithm>
#include <cmath>

namespace fpgallm::sim {

namespace {
// JEDEC rounds a ns parameter up to whole clocks; the epsilon absorbs float noise (13.33/0.8333 = 15.996 is 16).
constexpr double kRoundingSlackCycles = 1e-6;
uint32_t to_cycles(double ns, double tck_ns, uint32_t floor_cycles = 0) {
  const auto c = uint32_t(std::ceil(ns / tck_ns - kRoundingSlackCycles));
  return std::max(c, floor_cycles);
}
}  // namespace

DdrCycles::DdrCycles(const DdrConfig& c) {
  const double tck = c.tCK_ns();
  CL = c.tCL_cycles;
  CWL = c.tCWL_cycles;
  burst = c.burst_length / 2;  // double data rate: two beats per clock
  RCD = to_cycles(c.tRCD_ns, tck);
  RP = to_cycles(c.tRP_ns, tck);
  RAS = to_cycles(c.tRAS_ns, tck);
  RRD_S = to_cycles(c.tRRD_S_ns, tck, jedec::kMinTrrdCycles);
  RRD_L = to_cycles(c.tRRD_L_ns, tck, jedec::kMinTrrdCycles);
  FAW = to_cycles(c.tFAW_ns, tck);
  CCD_S = c.tCCD_S_cycles;
  CCD_L = to_cycles(c.tCCD_L_ns, tck, jedec::kMinTccdLCycles);
  WR = to_cycles(c.tWR_ns, tck);
  WTR_S = to_cycles(c.tWTR_S_ns, tck, jedec::kMinTwtrSCycles);
  WTR_L = to_cycles(c.tWTR_L_ns, tck, jedec::kMinTwtrLCycles);
  RTP = to_cycles(c.tRTP_ns, tck, jedec::kMinTrtpCycles);
  RTW = c.tRTW_cycles;
  RFC = to_cycles(c.tRFC_ns, tck);
  REFI = to_cycles(c.tREFI_ns, tck);
}

DdrTiming::DdrTiming(const DdrConfig& c)
    : t_(c),
      bank_groups_(c.bank_groups),
      banks_per_group_(c.banks_per_group),
      refresh_(c.refresh),
      banks_(size_t(c.ranks) * c.banks()),
      ranks_(c.ranks) {
  for (auto& r : ranks_) {
    r.last_act_bg.assign(c.bank_groups, kNever);
    r.last_cas_bg.assign(c.bank_groups, kNever);
    r.last_wr_end_bg.assign(c.bank_groups, kNever);
    r.next_refresh = t_.REFI;
  }
}

void DdrTiming::catch_up_refresh(uint32_t rank, Cycle t) {
  Rank& rk = ranks_[rank];
  const size_t first = size_t(rank) * bank_groups_ * banks_per_group_;
  const size_t count = size_t(bank_groups_) * banks_per_group_;
  while (rk.next_refresh <= t) {
    // REF needs every bank precharged: precharge-all once tRAS/tRTP/tWR allow, then tRP.
    Cycle ref = rk.next_refresh;
    for (size_t i = first; i < first + count; ++i) {
      Bank& b = banks_[i];
      if (b.open_row >= 0) {
        ref = std::max(ref, b.next_pre + Cycle(t_.RP));
        ++n_.precharges;
      } else {
        ref = std::max(ref, b.next_act);
      }
    }
    const Cycle until = ref + t_.RFC;
    for (size_t i = first; i < first + count; ++i) {
      banks_[i].open_row = -1;
      banks_[i].next_act = std::max(banks_[i].next_act, until);
    }
    rk.refresh_until = until;
    rk.next_refresh += t_.REFI;
    ++n_.refreshes;
  }
}

AccessTiming DdrTiming::access(const DramCoord& at, bool write, Cycle ready_row, Cycle ready_cas,
                                bool auto_precharge) {
  Rank& rk = ranks_[at.rank];
  Bank& b = bank(at);
  const uint32_t bg = at.bank_group;
  if (refresh_) {
    if (rk.next_refresh <= ready_cas) catch_up_refresh(at.rank, ready_cas);  // rarely due: skip the call
    if (rk.refresh_until > ready_cas) n_.refresh_stall_cycles += uint64_t(rk.refresh_until - ready_cas);
  }
  AccessTiming r;
  if (b.open_row == int64_t(at.row)) {
    r.row = RowResult::Hit;
    ++n_.row_hits;
  } else {
    if (b.open_row >= 0) {
      r.row = RowResult::Conflict;
      ++n_.row_conflicts;
      const Cycle pre = std::max(ready_row, b.next_pre);
      b.next_act = std::max(b.next_act, pre + Cycle(t_.RP));
      ++n_.precharges;
    } else {
      r.row = RowResult::Miss;
      ++n_.row_misses;
    }
    Cycle act = std::max({ready_row, b.next_act, rk.last_act + Cycle(t_.RRD_S), rk.last_act_bg[bg] + Cycle(t_.RRD_L)});
    if (rk.faw_count == jedec::kActivatesPerTfaw) act = std::max(act, rk.faw[rk.faw_head] + Cycle(t_.FAW));
    if (rk.faw_count < jedec::kActivatesPerTfaw) {
      rk.faw[(rk.faw_head + rk.faw_count) % jedec::kActivatesPerTfaw] = act;
      ++rk.faw_count;
    } else {
      rk.faw[rk.faw_head] = act;
      rk.faw_head = (rk.faw_head + 1) % jedec::kActivatesPerTfaw;
    }
    rk.last_act = std::max(rk.last_act, act);
    rk.last_act_bg[bg] = std::max(rk.last_act_bg[bg], act);
    b.open_row = at.row;
    b.next_cas = act + t_.RCD;
    b.next_pre = std::max(b.next_pre, act + Cycle(t_.RAS));
    ++n_.activates;
  }

  const Cycle lat = write ? t_.CWL : t_.CL;
  if (rk.last_cas != kNever && rk.last_cas_bg[bg] == rk.last_cas) ++n_.same_bank_group_cas;
  Cycle cas = std::max({ready_cas, b.next_cas, rk.last_cas + Cycle(t_.CCD_S)});
  if (!write) cas = std::max({cas, rk.last_wr_end_bg[bg] + Cycle(t_.WTR_L), rk.last_wr_end + Cycle(t_.WTR_S)});
  Cycle min_start = data_free_;
  if (any_data_ && last_data_rank_ != at.rank) min_start += jedec::kRankSwitchCycles;
  if (write) min_start = std::max(min_start, last_read_end_ + Cycle(t_.RTW));
  cas = std::max(cas, min_start - lat);
  // tCCD_L last: the clocks it alone adds are the bank-group wait.
  const Cycle ccd_l = rk.last_cas_bg[bg] + Cycle(t_.CCD_L);
  if (ccd_l > cas) n_.bank_group_wait_cycles += uint64_t(ccd_l - cas), cas = ccd_l;
  if (any_data_ && last_was_write_ != write) ++n_.turnarounds;

  r.cas = cas;
  r.data_start = cas + lat;
  r.data_end = r.data_start + t_.burst;
  rk.last_cas = std::max(rk.last_cas, cas);
  rk.last_cas_bg[bg] = std::max(rk.last_cas_bg[bg], cas);
  data_free_ = std::max(data_free_, r.data_end);
  any_data_ = true;
  last_was_write_ = write;
  last_data_rank_ = at.rank;
  if (write) {
    rk.last_wr_end = std::max(rk.last_wr_end, r.data_end);
    rk.last_wr_end_bg[bg] = std::max(rk.last_wr_end_bg[bg], r.data_end);
    b.next_pre = std::max(b.next_pre, r.data_end + Cycle(t_.WR));
    ++n_.writes;
  } else {
    last_read_end_ = std::max(last_read_end_, r.data_end);
    b.next_pre = std::max(b.next_pre, cas + Cycle(t_.RTP));
    ++n_.reads;
  }
  n_.data_busy_cycles += t_.burst;
  if (auto_precharge) {
    // Auto-precharge: the row closes as soon as tRAS and tRTP/tWR allow.
    b.next_act = std::max(b.next_act, b.next_pre + Cycle(t_.RP));
    b.open_row = -1;
    ++n_.precharges;
  }
  return r;
}

}  // namespace fpgallm::sim
