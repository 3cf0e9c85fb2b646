#include "sim/ddr/FastBusCost.h"

#include <algorithm>

#include "sim/ddr/AddressMapping.h"

namespace fpgallm::sim {

namespace {
// Lines over which the share of consecutive lines in one bank group is counted: many rows of every bank.
constexpr uint64_t kAdjacencyLines = uint64_t(1) << 16;
}  // namespace

FastBusCost::FastBusCost(const DdrConfig& c) {
  const DdrCycles t(c);
  const double act = std::max({static_cast<double>(t.FAW) / jedec::kActivatesPerTfaw, static_cast<double>(t.RRD_S),
                               static_cast<double>(t.RAS + t.RP) / (c.ranks * c.banks())});
  burst_cycles_ = t.burst;
  act_extra_ = std::max(0.0, act - t.burst);
  refresh_share_ = c.refresh ? static_cast<double>(t.RP + t.RFC + t.RCD) / t.REFI : 0.0;
  refresh_interval_ = c.refresh ? static_cast<double>(t.REFI) : 0.0;
  refresh_pause_ = c.refresh ? static_cast<double>(t.RP + t.RFC + t.RCD + t.CL) : 0.0;
  bg_wait_ = std::max(0.0, static_cast<double>(t.CCD_L) - std::max<double>(t.CCD_S, t.burst));
  bank_groups_ = static_cast<double>(c.bank_groups);
  turnaround_pair_ = static_cast<double>(t.RTW) + t.CL + t.WTR_S + static_cast<double>(t.WTR_L - t.WTR_S) / bank_groups_;
  // Lines i-1 and i differ in access-index bits 0..ctz(i) only (the map permutes bits), so they share
  // rank and bank group iff ctz(i) is below the lowest rank/bg bit b: all i in 1..lines-1 but the
  // (lines-1) >> b multiples of 2^b. The same count as walking the lines through map(), in O(1).
  const AddressMapping map = c.mapping();
  const uint64_t lines = std::min<uint64_t>(kAdjacencyLines, c.capacity_bytes() / c.access_bytes());
  const uint32_t b = std::min(map.lowest_bit(AddressMapping::RANK), map.lowest_bit(AddressMapping::BG));
  const uint64_t pairs = lines > 1 ? lines - 1 : 0;
  const uint64_t same = pairs - (b < 64 ? pairs >> b : 0);
  adjacent_same_bg_ = lines > 1 ? static_cast<double>(same) / static_cast<double>(lines - 1) : 0.0;
}

double FastBusCost::same_bank_group_accesses(const BurstFootprint& f, uint32_t streams) const {
  if (f.lines == 0) return 0.0;
  const double adj = adjacent_same_bg_, other = 1.0 / bank_groups_;
  const double n = std::max<uint32_t>(1, streams), mine = 1.0 / n;
  const double T = static_cast<double>(f.transactions), B = static_cast<double>(f.bursts);
  const double S = static_cast<double>(f.shared_starts), SP = static_cast<double>(f.shared_piece_starts);
  // Inside each burst the controller serves the lines back to back: the address map decides.
  double e = (static_cast<double>(f.lines) - B) * adj;
  // Where a later burst of a transaction starts: the same stream's previous line (its shared line,
  // or the next line) with probability 1/n, another stream's access otherwise.
  const double inner = B - T;
  e += mine * (S + (inner - S) * adj) + (1.0 - mine) * inner * other;
  // Where a transaction starts: alone on the DRAM it follows its predecessor piece; among other
  // streams the cycle DMA's previous block on that channel lies n blocks back, unrelated.
  e += n > 1 ? T * other : other + SP + std::max(0.0, T - 1.0 - SP) * adj;
  return e;
}

double FastBusCost::bus_cycles(double accesses, double extra_opens, double same_bg) const {
  return (accesses * burst_cycles_ + extra_opens * act_extra_ + same_bg * bg_wait_) / (1.0 - refresh_share_);
}

}  // namespace fpgallm::sim
