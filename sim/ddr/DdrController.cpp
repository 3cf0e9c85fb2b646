#include "sim/ddr/DdrController.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "models/core/Error.h"
#include "sim/axi/BurstSplit.h"
#include "sim/tlm/Payload.h"

namespace fpgallm::sim {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

namespace {
constexpr double kPsPerNs = 1000.0;
constexpr double kPercent = 100.0;
}  // namespace

struct DdrController::Request {
  tlm::tlm_generic_payload* gp = nullptr;
  sc_core::sc_event* done = nullptr;  // blocking caller's event; null for nb requests
  uint64_t addr = 0, end = 0, next = 0;  // access-aligned byte range and the next byte to schedule
  DramCoord next_at;                     // map(next), kept with it: select() asks for it every decision
  bool write = false;
  Cycle arrival = 0, finish = 0;
  uint64_t seq = 0;
  sc_time start;  // when the caller issued it (for latency)
};

DdrController::DdrController(sc_core::sc_module_name name, const DdrConfig& cfg)
    : sc_module(name),
      tSocket("tSocket"),
      cfg_(cfg),
      map_(cfg.mapping()),
      timing_(cfg),
      tck_ps_(cfg.tCK_ns() * kPsPerNs),
      ps_per_tick_(sc_core::sc_get_time_resolution().to_seconds() * 1e12),
      controller_latency_(cfg.controller_latency_ns, sc_core::SC_NS),
      capacity_(cfg.capacity_bytes()),
      pages_((cfg.capacity_bytes() + kPageBytes - 1) / kPageBytes),
      fast_cost_(cfg),
      fast_open_row_(size_t(cfg.ranks) * cfg.banks(), -1),
      fast_bank_busy_(size_t(cfg.ranks) * cfg.banks(), SC_ZERO_TIME) {
  // The requests the scheduler can hold ahead of a new one: queue_depth chunks of BL8 accesses.
  fast_window_cycles_ = double(uint64_t(cfg.queue_depth) * (cfg.scheduling_chunk_bytes / cfg.access_bytes()) *
                               timing_.cycles().burst);
  tSocket.register_b_transport(this, &DdrController::b_transport);
  tSocket.register_nb_transport_fw(this, &DdrController::nb_transport_fw);
  tSocket.register_transport_dbg(this, &DdrController::transport_dbg);
  tSocket.register_get_direct_mem_ptr(this, &DdrController::get_direct_mem_ptr);
  if (cfg_.fidelity == Fidelity::Cycle) {
    lookahead_ = cycle_ceil(sc_time(cfg_.scheduler_lookahead_ns, sc_core::SC_NS));
    SC_METHOD(scheduler);  // runs once at start: empty queue, waits for the first arrival
    sensitive << arrival_ev_;  // an activation that sets no next_trigger waits for this
  }
}

DdrController::~DdrController() = default;

uint8_t* DdrController::page(uint64_t index, bool create) const {
  auto& p = pages_[index];
  if (!p && create) p = std::make_unique<uint8_t[]>(kPageBytes);  // value-initialised: zeros
  return p.get();
}

void DdrController::write_backdoor(uint64_t addr, const void* src, size_t n) {
  if (addr > capacity_ || n > capacity_ - addr)
    fail("ddr: backdoor write of {} bytes at 0x{:x} is outside the {} byte memory", n, addr, capacity_);
  auto* s = static_cast<const uint8_t*>(src);
  while (n) {
    const uint64_t off = addr % kPageBytes;
    const size_t take = size_t(std::min<uint64_t>(n, kPageBytes - off));
    std::memcpy(page(addr / kPageBytes, true) + off, s, take);
    addr += take, s += take, n -= take;
  }
}

void DdrController::read_backdoor(uint64_t addr, void* dst, size_t n) const {
  if (addr > capacity_ || n > capacity_ - addr)
    fail("ddr: backdoor read of {} bytes at 0x{:x} is outside the {} byte memory", n, addr, capacity_);
  auto* d = static_cast<uint8_t*>(dst);
  while (n) {
    const uint64_t off = addr % kPageBytes;
    const size_t take = size_t(std::min<uint64_t>(n, kPageBytes - off));
    if (const uint8_t* p = page(addr / kPageBytes, false)) std::memcpy(d, p + off, take);
    else std::memset(d, 0, take);
    addr += take, d += take, n -= take;
  }
}

bool DdrController::move_data(tlm::tlm_generic_payload& gp) {
  const uint64_t addr = gp.get_address();
  const uint64_t len = gp.get_data_length();
  if (addr > capacity_ || len > capacity_ - addr) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  if (gp.get_byte_enable_ptr()) {
    gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return false;
  }
  const bool timing_only = gp.get_extension<TimingOnlyExt>() != nullptr;
  if (gp.is_write()) {
    if (!timing_only) write_backdoor(addr, gp.get_data_ptr(), len);
  } else if (gp.is_read()) {
    if (!timing_only) read_backdoor(addr, gp.get_data_ptr(), len);
  } else {
    gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return false;
  }
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
  return true;
}

unsigned DdrController::transport_dbg(tlm::tlm_generic_payload& gp) {
  return move_data(gp) ? gp.get_data_length() : 0;
}

bool DdrController::get_direct_mem_ptr(tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi) {
  const uint64_t addr = gp.get_address();
  if (addr >= capacity_) return false;
  const uint64_t base = addr / kPageBytes * kPageBytes;
  dmi.set_dmi_ptr(page(addr / kPageBytes, true));
  dmi.set_start_address(base);
  dmi.set_end_address(std::min(base + kPageBytes, capacity_) - 1);
  dmi.allow_read_write();
  // DMI bypasses the scheduler; charge an open-row access as the nominal latency.
  const sc_time hit = cycle_time(timing_.cycles().CL + timing_.cycles().burst);
  dmi.set_read_latency(hit);
  dmi.set_write_latency(hit);
  return true;
}

void DdrController::note_request(const sc_time& start, const sc_time& finish, uint64_t bytes, bool write) {
  ++tot_.requests;
  (write ? tot_.bytes_written : tot_.bytes_read) += bytes;
  const double lat = tc_.ns(finish - start);
  tot_.latency_sum_ns += lat;
  tot_.latency_max_ns = std::max(tot_.latency_max_ns, lat);
  if (!tot_.any || start < tot_.first_start) tot_.first_start = start;
  tot_.last_finish = std::max(tot_.last_finish, finish);
  tot_.any = true;
}

// ---------------------------------------------------------------------------------------------
// Cycle-approximate path.

DdrController::Request* DdrController::enqueue(tlm::tlm_generic_payload& gp, const sc_time& delay,
                                               sc_core::sc_event* done) {
  if (free_.empty()) {
    pool_.push_back(std::make_unique<Request>());
    free_.push_back(pool_.back().get());
  }
  Request* r = free_.back();
  free_.pop_back();
  const uint64_t ab = cfg_.access_bytes();
  r->gp = &gp;
  r->done = done;
  r->addr = gp.get_address() / ab * ab;
  r->end = std::max<uint64_t>((gp.get_address() + gp.get_data_length() + ab - 1) / ab * ab, r->addr + ab);
  r->next = r->addr;
  r->next_at = map_.map(r->next);
  r->write = gp.is_write();
  r->start = sc_core::sc_time_stamp() + delay;
  r->arrival = cycle_ceil(r->start + controller_latency_);
  r->finish = 0;
  r->seq = seq_++;
  queue_.push_back(r);
  arrival_ev_.notify();
  return r;
}

void DdrController::b_transport(tlm::tlm_generic_payload& gp, sc_time& delay) {
  if (!move_data(gp)) return;
  if (cfg_.fidelity == Fidelity::Fast) {
    delay = fast_transaction(gp, delay);
    return;
  }
  sc_core::sc_event done;
  enqueue(gp, delay, &done);
  wait(done);
  delay = SC_ZERO_TIME;
}

tlm::tlm_sync_enum DdrController::nb_transport_fw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase,
                                                  sc_time& delay) {
  if (phase != tlm::BEGIN_REQ) return tlm::TLM_COMPLETED;  // END_RESP: nothing left to do
  if (!move_data(gp)) return tlm::TLM_COMPLETED;
  if (cfg_.fidelity == Fidelity::Fast) {
    delay = fast_transaction(gp, delay);
    return tlm::TLM_COMPLETED;
  }
  enqueue(gp, delay, nullptr);
  phase = tlm::END_REQ;  // the queue always accepts; queue_depth limits what the scheduler sees
  return tlm::TLM_UPDATED;
}

DdrController::Request* DdrController::select(Cycle decision) const {
  Request* best = nullptr;
  bool best_hit = false;
  const size_t window = std::min<size_t>(queue_.size(), cfg_.queue_depth);
  const bool frfcfs = cfg_.scheduler == DdrScheduler::FrFcfs;
  for (size_t i = 0; i < window; ++i) {
    Request* r = queue_[i];
    if (r->arrival > decision) continue;
    const bool hit = frfcfs && timing_.row_open(r->next_at);
    if (!best || (hit && !best_hit) ||
        (hit == best_hit && (r->arrival < best->arrival || (r->arrival == best->arrival && r->seq < best->seq)))) {
      best = r;
      best_hit = hit;
    }
  }
  return best;
}

Cycle DdrController::schedule_chunk(Request& r, Cycle decision) {
  const uint64_t chunk = cfg_.scheduling_chunk_bytes;
  const uint64_t stop = std::min(r.end, (r.next / chunk + 1) * chunk);
  const uint64_t ab = cfg_.access_bytes();
  const bool closed = cfg_.page_policy == PagePolicy::Closed;
  Cycle last_cas = decision;
  DramCoord at = r.next_at;
  for (uint64_t a = r.next; a < stop; a += ab) {
    const bool more = a + ab < r.end;
    const DramCoord next_at = more ? map_.map(a + ab) : at;
    const bool last_in_row = !more || next_at.row != at.row || next_at.bank != at.bank ||
                             next_at.bank_group != at.bank_group || next_at.rank != at.rank;
    // Row commands may go as soon as the request is queued (bank-level parallelism); column
    // commands follow the scheduler's decision order.
    const AccessTiming t = timing_.access(at, r.write, r.arrival, decision, closed && last_in_row);
    r.finish = std::max(r.finish, t.data_end);
    last_cas = std::max(last_cas, t.cas);
    at = next_at;
  }
  r.next = stop;
  if (stop < r.end) r.next_at = at;  // `at` has moved on to map(stop)
  return last_cas;
}

void DdrController::complete(Request& r) {
  const sc_time now = sc_core::sc_time_stamp();
  sc_time finish = cycle_time(r.finish);
  if (finish < now) finish = now;
  note_request(r.start, finish, r.gp->get_data_length(), r.write);
  if (r.done) {
    r.done->notify(finish - now);
  } else {
    tlm::tlm_phase phase = tlm::BEGIN_RESP;
    sc_time delay = finish - now;
    tSocket->nb_transport_bw(*r.gp, phase, delay);
  }
  queue_.erase(std::find(queue_.begin(), queue_.end(), &r));
  free_.push_back(&r);
}

sc_time DdrController::until(Cycle c) const {
  const sc_time now = sc_core::sc_time_stamp();
  const sc_time t = cycle_time(c);
  return t > now ? t - now : cycle_time(1);  // always advance, never spin in delta cycles
}

void DdrController::scheduler() {
  // A method, not a thread: it runs as a function call per activation, and every wait of the
  // loop below becomes a next_trigger on the same events (no coroutine switch per request).
  // Time stands still within one activation.
  const sc_time now = sc_core::sc_time_stamp();
  const Cycle now_c = cycle_floor(now);
  for (;;) {
    if (queue_.empty()) return;  // static sensitivity: the next arrival (no dynamic set-up each time)
    Cycle decision = std::max(committed_, now_c);
    if (decision > now_c + lookahead_) {
      next_trigger(until(decision - lookahead_));
      return;
    }
    Request* r = select(decision);
    if (!r) {
      Cycle next = queue_.front()->arrival;
      const size_t window = std::min<size_t>(queue_.size(), cfg_.queue_depth);
      for (size_t i = 0; i < window; ++i) next = std::min(next, queue_[i]->arrival);
      if (next > now_c + lookahead_) {
        next_trigger(until(next - lookahead_), arrival_ev_);
        return;
      }
      decision = next;
      r = select(decision);
    }
    committed_ = std::max(committed_, schedule_chunk(*r, decision));
    if (r->next >= r->end) complete(*r);
  }
}

// ---------------------------------------------------------------------------------------------
// Fast (transaction-level) path.

sc_time DdrController::fast_transaction(tlm::tlm_generic_payload& gp, const sc_time& delay) {
  const DdrCycles& t = timing_.cycles();
  const uint64_t ab = cfg_.access_bytes();
  const uint64_t first = gp.get_address() / ab * ab;
  const uint64_t end = std::max<uint64_t>((gp.get_address() + gp.get_data_length() + ab - 1) / ab * ab, first + ab);
  // Row opens decide the cost: track the open row per bank and when each bank was last busy.
  const sc_time now = sc_core::sc_time_stamp();
  const sc_time issued = now + delay;
  const sc_time at_bus = issued + sc_time(cfg_.controller_latency_ns, sc_core::SC_NS);
  uint64_t opens = 0;
  RowResult first_row = RowResult::Hit;
  sc_time bank_ready = SC_ZERO_TIME;
  std::vector<size_t>& touched = fast_touched_;
  touched.clear();
  size_t last_bank = SIZE_MAX;
  // One access against the open-row table, as the DRAM would see it.
  auto visit = [&](uint64_t a) {
    const DramCoord c = map_.map(a);
    const size_t bank = (size_t(c.rank) * cfg_.bank_groups + c.bank_group) * cfg_.banks_per_group + c.bank;
    if (bank != last_bank) touched.push_back(bank), last_bank = bank;
    int64_t& open = fast_open_row_[bank];
    if (open != int64_t(c.row)) {
      if (a == first) {
        first_row = open < 0 ? RowResult::Miss : RowResult::Conflict;
        // Another row of a bank still in use: its last read must finish (tRTP), then PRE and ACT.
        if (first_row == RowResult::Conflict)
          bank_ready = fast_bank_busy_[bank] + cycle_time(t.RTP + t.RP + t.RCD - t.burst);
      }
      open = c.row;
      ++opens;
    }
  };
  uint32_t low_bits = 0, col_bits = 0;
  if (map_.column_run(low_bits, col_bits)) {
    // Exact shortcut: within one sweep of the column bits, accesses sharing the low (bank-selecting)
    // bits hit the same bank and row, and different low bits are different banks; so only the first
    // access of each low value per sweep can open a row. Visiting those in sweep order gives the
    // same opens, first-access result and touched banks as visiting every access.
    const uint64_t a0 = first / ab, a1 = end / ab;
    const uint64_t lows = uint64_t(1) << low_bits, span = uint64_t(1) << (low_bits + col_bits);
    for (uint64_t s0 = a0; s0 < a1;) {
      const uint64_t s1 = std::min(a1, (s0 / span + 1) * span);
      const uint64_t n = std::min(s1 - s0, lows);
      for (uint64_t k = 0; k < n; ++k) visit((s0 + k) * ab);
      s0 = s1;
    }
  } else {
    for (uint64_t a = first; a < end; a += ab) visit(a);
  }
  // Through an AXI port the transfer is the bursts that port splits it into (and, for a transfer
  // standing for one transaction per piece, those pieces' bursts): an unaligned burst reads its
  // first and last lines whole, shared lines twice, and other streams' bursts come in between.
  DdrTimingExt* port = gp.get_extension<DdrTimingExt>();
  const TransferShapeExt* shape = gp.get_extension<TransferShapeExt>();
  BurstFootprint f;
  if (port && port->beat_bytes > 0) {
    f = pieces_footprint(gp.get_address(), gp.get_data_length(), shape ? shape->piece_bytes : 0, port->beat_bytes,
                         port->max_burst_bytes, ab);
  } else {
    f.transactions = f.bursts = 1;
    f.lines = (end - first) / ab;
  }
  const uint32_t streams = shape ? shape->streams : 1;
  const double same_bg = fast_cost_.same_bank_group_accesses(f, streams);
  tot_.fast_accesses += f.lines;
  tot_.fast_row_opens += opens;
  tot_.fast_same_bg += same_bg;
  double bus_cycles = fast_cost_.bus_cycles(static_cast<double>(f.lines), opens > 1 ? double(opens - 1) : 0.0, same_bg);
  // A write after reads, or among other streams' reads (the accelerator's output lines): both
  // turnarounds; a run of writes alone pays once.
  if (gp.is_write() && ((fast_any_ && !fast_last_write_) || streams > 1))
    bus_cycles += fast_cost_.turnaround_pair_cycles(), ++tot_.fast_turnarounds;
  fast_any_ = true;
  fast_last_write_ = gp.is_write();
  const Cycle first_latency = (first_row == RowResult::Hit ? 0 : t.RCD) +
                              (first_row == RowResult::Conflict ? t.RP : 0) + (gp.is_write() ? t.CWL : t.CL) + t.burst;
  // First beat: when an idle channel would deliver it, after the data bus frees, after the bank can
  // switch rows. A DMA stream's unit (piece_bytes > 0) queues behind the bus time booked before it:
  // the fast DMA books whole units, so that is its stream's own pacing. Any other transaction (an
  // output line, a bias read, PS traffic) the controller would interleave by arrival: ahead of it
  // wait at most the bursts the other streams' ports keep in flight (within the scheduler's
  // window), and its bus time pushes the booked streams back. A transaction without that shape (a
  // bare initiator, the PS) says nothing of other streams, so it queues in arrival order.
  const sc_time own = sc_time(bus_cycles * tck_ps_, sc_core::SC_PS);
  sc_time bus_free = fast_bus_free_;
  if (port && shape && shape->piece_bytes == 0) {
    const double others = double(streams - 1) * port->max_outstanding * double(port->max_burst_bytes / ab) * t.burst;
    bus_free = std::min(bus_free, at_bus + sc_time(std::min(others, fast_window_cycles_) * tck_ps_, sc_core::SC_PS));
  }
  const sc_time data_start = std::max({at_bus + cycle_time(first_latency - t.burst), bus_free, bank_ready});
  const sc_time finish = data_start + own;
  fast_bus_free_ = std::max(finish, fast_bus_free_ + (data_start < fast_bus_free_ ? own : SC_ZERO_TIME));
  for (size_t bank : touched) fast_bank_busy_[bank] = finish;
  if (port) {
    port->first_data = data_start;
    port->refresh_interval_ns = fast_cost_.refresh_interval_cycles() * cfg_.tCK_ns();
    port->refresh_pause_ns = fast_cost_.refresh_pause_cycles() * cfg_.tCK_ns();
  }
  note_request(issued, finish, gp.get_data_length(), gp.is_write());
  return finish - now;
}

// ---------------------------------------------------------------------------------------------

void DdrController::report_stats(stats::Group& g) const {
  const auto& n = timing_.counters();
  const double tck_ns = cfg_.tCK_ns();
  g.set("requests", double(tot_.requests), stats::Quantity::Count, "transactions served");
  g.set("bytes_read", double(tot_.bytes_read), stats::Quantity::Bytes, "bytes read from the DDR");
  g.set("bytes_written", double(tot_.bytes_written), stats::Quantity::Bytes, "bytes written to the DDR");
  const double span_ns = tot_.any ? (tot_.last_finish - tot_.first_start).to_seconds() * 1e9 : 0.0;
  const double bytes = double(tot_.bytes_read + tot_.bytes_written);
  g.set("achieved_bandwidth", span_ns > 0 ? bytes / span_ns : 0.0, stats::Quantity::GBps,
        "bytes / (last finish - first issue)");
  g.set("peak_bandwidth", cfg_.peak_gbps(), stats::Quantity::GBps, "data rate x bus width");
  g.set("avg_latency", tot_.requests ? tot_.latency_sum_ns / double(tot_.requests) : 0.0, stats::Quantity::Ns,
        "issue to last data beat, per transaction");
  g.set("max_latency", tot_.latency_max_ns, stats::Quantity::Ns,
        "longest issue-to-last-data-beat time of a transaction");
  if (cfg_.fidelity == Fidelity::Cycle) {
    const double accesses = double(n.row_hits + n.row_misses + n.row_conflicts);
    g.set("row_hits", double(n.row_hits), stats::Quantity::Count, "BL8 accesses to an open row");
    g.set("row_misses", double(n.row_misses), stats::Quantity::Count, "BL8 accesses to a closed bank (ACT)");
    g.set("row_conflicts", double(n.row_conflicts), stats::Quantity::Count,
          "BL8 accesses to another open row (PRE+ACT)");
    g.set("row_hit_rate", accesses > 0 ? kPercent * double(n.row_hits) / accesses : 0.0, stats::Quantity::Percent,
          "accesses to an already open row, % of BL8 accesses");
    g.set("activates", double(n.activates), stats::Quantity::Count, "ACT commands issued");
    g.set("precharges", double(n.precharges), stats::Quantity::Count, "PRE commands issued");
    g.set("refreshes", double(n.refreshes), stats::Quantity::Count,
          "REF commands (fast mode: tREFI periods elapsed when refresh is on)");
    g.set("refresh_stall", double(n.refresh_stall_cycles) * tck_ns, stats::Quantity::Ns,
          "access delay caused by refresh");
    g.set("turnarounds", double(n.turnarounds), stats::Quantity::Count, "read<->write data-bus direction changes");
    g.set("same_bank_group_cas", double(n.same_bank_group_cas), stats::Quantity::Count,
          "accesses to the bank group of the previous access: tCCD_L instead of tCCD_S apart");
    g.set("bank_group_wait", double(n.bank_group_wait_cycles) * tck_ns, stats::Quantity::Ns,
          "time column commands waited for tCCD_L alone");
    g.set("data_bus_busy", double(n.data_busy_cycles) * tck_ns, stats::Quantity::Ns, "time the data bus carried beats");
    g.set("data_bus_utilization", span_ns > 0 ? kPercent * double(n.data_busy_cycles) * tck_ns / span_ns : 0.0,
          stats::Quantity::Percent, "data bus busy / (last finish - first issue)");
  } else {
    const double acc = double(tot_.fast_accesses);
    g.set("row_opens", double(tot_.fast_row_opens), stats::Quantity::Count, "estimated activations (fast mode)");
    g.set("row_hit_rate", acc > 0 ? kPercent * (1.0 - double(tot_.fast_row_opens) / acc) : 0.0,
          stats::Quantity::Percent, "accesses to an already open row, % of BL8 accesses");
    g.set("refreshes", cfg_.refresh ? std::floor(tot_.last_finish.to_seconds() * 1e9 / cfg_.tREFI_ns) : 0.0,
          stats::Quantity::Count, "REF commands (fast mode: tREFI periods elapsed when refresh is on)");
    g.set("accesses", acc, stats::Quantity::Count, "BL8 accesses the transactions' AXI bursts read (fast mode)");
    g.set("same_bank_group_cas", tot_.fast_same_bg, stats::Quantity::Count,
          "expected accesses waiting tCCD_L (fast mode)");
    g.set("turnarounds", 2.0 * double(tot_.fast_turnarounds), stats::Quantity::Count,
          "read<->write data-bus direction changes (fast mode)");
  }
}

}  // namespace fpgallm::sim
