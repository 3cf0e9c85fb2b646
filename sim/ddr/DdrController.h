#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "sim/ddr/AddressMapping.h"
#include "sim/ddr/DdrConfig.h"
#include "sim/ddr/DdrTiming.h"
#include "sim/ddr/FastBusCost.h"
#include "sim/stats/Stats.h"
#include "sim/tlm/TimeConv.h"

namespace fpgallm::sim {

/**
 * Optional extension the fast AXI model attaches: it learns when the first data beat of its
 * transaction moved on the DRAM bus (to start its port stream), and tells the port's burst
 * geometry so the fast DDR model charges the lines those bursts read (0: not through a port).
 */
struct DdrTimingExt : tlm::tlm_extension<DdrTimingExt> {
  sc_core::sc_time first_data;
  uint64_t beat_bytes = 0, max_burst_bytes = 0;
  uint32_t max_outstanding = 0;  ///< bursts a port keeps in flight (what other streams queue ahead)
  double refresh_interval_ns = 0, refresh_pause_ns = 0;  ///< set by the DDR: FastBusCost's refresh figures
  tlm::tlm_extension_base* clone() const override { return new DdrTimingExt(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override { *this = static_cast<const DdrTimingExt&>(e); }
};

/**
 * DDR4 memory controller + devices behind one TLM-2.0 target socket, holding real data.
 *
 * Data: a sparse store of the whole capacity in 1 MiB pages allocated on first write; reads of
 * never-written memory return zeros. Data moves when a request is accepted (program order).
 *
 * Timing (fidelity cycle): b_transport and nb_transport_fw(BEGIN_REQ) put a request into the
 * controller queue; one scheduler (a method process) picks among the oldest `queue_depth` requests by FR-FCFS
 * (open-row hits first, then oldest) and schedules one `scheduling_chunk_bytes` chunk of it at a
 * time as BL8 accesses against DdrTiming, so concurrent initiators interleave at chunk
 * granularity. Command times are computed in closed form and committed up to
 * `scheduler_lookahead_ns` ahead of simulated time; the thread only wakes when it runs out of
 * work or gets too far ahead. b_transport callers block until their last data beat; nb callers get
 * BEGIN_RESP on the backward path annotated with the completion time (END_REQ is immediate).
 *
 * Timing (fidelity fast): no queue; a transaction occupies the data bus for the closed-form time of
 * FastBusCost (the lines its AXI bursts read, row opens, expected tCCD_L waits, refresh) after the
 * bus frees up, plus a first-access latency; b_transport returns with the delay annotated and
 * never waits.
 */
class DdrController : public sc_core::sc_module, public stats::Reporter {
 public:
  tlm_utils::simple_target_socket<DdrController> tSocket;

  SC_HAS_PROCESS(DdrController);
  DdrController(sc_core::sc_module_name name, const DdrConfig& cfg);
  ~DdrController() override;

  /** Preload/inspect memory without simulated time (weights, results). Out-of-range is an Error. */
  void write_backdoor(uint64_t addr, const void* src, size_t n);
  void read_backdoor(uint64_t addr, void* dst, size_t n) const;

  void report_stats(stats::Group& g) const override;
  const DdrConfig& config() const { return cfg_; }
  const DdrTiming::Counters& counters() const { return timing_.counters(); }
  /** Bytes a 1 MiB backing page holds; DMI regions are one page. */
  static constexpr uint64_t kPageBytes = uint64_t(1) << 20;

 private:
  struct Request;
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& gp);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi);
  void scheduler();

  /** Checks range, moves the data; false (with the response status set) when out of range. */
  bool move_data(tlm::tlm_generic_payload& gp);
  Request* enqueue(tlm::tlm_generic_payload& gp, const sc_core::sc_time& delay, sc_core::sc_event* done);
  Request* select(Cycle decision) const;
  /** Schedules the next chunk of `r` no earlier than `decision`; returns its last CAS cycle. */
  Cycle schedule_chunk(Request& r, Cycle decision);
  void complete(Request& r);
  sc_core::sc_time fast_transaction(tlm::tlm_generic_payload& gp, const sc_core::sc_time& delay);
  void note_request(const sc_core::sc_time& start, const sc_core::sc_time& finish, uint64_t bytes, bool write);

  sc_core::sc_time cycle_time(Cycle c) const { return tc_.from_ps(double(c) * tck_ps_); }
  // Slack when turning a time into clocks: sc_time rounds c x tCK to whole ps (<= 0.5 ps, i.e.
  // 6e-4 clocks at 2400 MT/s), which must not push a time into the neighbouring clock.
  static constexpr double kCycleSlack = 1e-3;
  // value() x resolution, not to_seconds(): the same figure without a lookup per call (hot path).
  // Times are >= 0, so the clock counts are > -1: truncation is floor there, and ceil is truncation
  // plus one when a fraction is left (no libm call; -march is not set, so no SSE4.1 rounding).
  Cycle cycle_ceil(const sc_core::sc_time& t) const {
    const double x = double(t.value()) * ps_per_tick_ / tck_ps_ - kCycleSlack;
    const Cycle c = Cycle(x);
    return c + (double(c) < x ? 1 : 0);
  }
  Cycle cycle_floor(const sc_core::sc_time& t) const {
    return Cycle(double(t.value()) * ps_per_tick_ / tck_ps_ + kCycleSlack);
  }
  /** Wait time from now to clock `c` (at least one clock). */
  sc_core::sc_time until(Cycle c) const;
  uint8_t* page(uint64_t index, bool create) const;

  DdrConfig cfg_;
  AddressMapping map_;
  DdrTiming timing_;
  TimeConv tc_;
  double tck_ps_;
  double ps_per_tick_;  // simulation time resolution in ps
  sc_core::sc_time controller_latency_;
  uint64_t capacity_;
  mutable std::vector<std::unique_ptr<uint8_t[]>> pages_;

  // Cycle-mode queue (insertion order ≈ arrival order) and a pool of request records.
  std::vector<Request*> queue_;
  std::vector<std::unique_ptr<Request>> pool_;
  std::vector<Request*> free_;
  sc_core::sc_event arrival_ev_;
  Cycle committed_ = 0;  // the last CAS the scheduler has decided
  Cycle lookahead_ = 0;  // scheduler_lookahead_ns in clocks
  uint64_t seq_ = 0;

  // Fast-mode state: the bus cost formula; when the data bus frees up; open row and last use per bank.
  FastBusCost fast_cost_;
  double fast_window_cycles_ = 0;  // bus clocks of the scheduler window (queue_depth x scheduling chunk)
  bool fast_any_ = false, fast_last_write_ = false;  // direction of the last transaction (turnarounds)
  sc_core::sc_time fast_bus_free_;
  std::vector<int64_t> fast_open_row_;
  std::vector<sc_core::sc_time> fast_bank_busy_;
  std::vector<size_t> fast_touched_;

  // Plain counters, copied into the stats tree by report_stats.
  struct Totals {
    uint64_t requests = 0, bytes_read = 0, bytes_written = 0, fast_row_opens = 0, fast_accesses = 0;
    double fast_same_bg = 0;
    uint64_t fast_turnarounds = 0;
    double latency_sum_ns = 0, latency_max_ns = 0;
    sc_core::sc_time first_start = sc_core::SC_ZERO_TIME, last_finish = sc_core::SC_ZERO_TIME;
    bool any = false;
  } tot_;
};

}  // namespace fpgallm::sim
