#include "sim/axi/AxiInterconnect.h"

#include <algorithm>
#include <cmath>

#include "models/core/Error.h"
#include "sim/axi/BurstSplit.h"
#include "sim/ddr/DdrController.h"
#include "sim/tlm/Payload.h"

namespace fpgallm::sim {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

namespace {
constexpr double kNsPerUs = 1000.0;
}  // namespace

/** One caller transaction in flight: the caller waits on `done`. */
struct AxiInterconnect::Txn {
  sc_core::sc_event done;
  uint32_t remaining = 0;
  sc_time finish;
  tlm::tlm_response_status status = tlm::TLM_OK_RESPONSE;
};

/** One AXI burst; its payload's data pointer points into the caller's buffer. */
struct AxiInterconnect::Burst : tlm::tlm_generic_payload {
  Txn* txn = nullptr;
  uint32_t port = 0, beats = 0;
  sc_time want;  // when the port's address channel would issue it
};

AxiInterconnect::AxiInterconnect(sc_core::sc_module_name name, const AxiConfig& cfg, Fidelity fidelity)
    : sc_module(name), iSocket("iSocket"), cfg_(cfg), fidelity_(fidelity) {
  const uint32_t n = cfg_.ports + 1;  // HP ports + the PS port
  port_.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    Port& p = port_[i];
    p.cfg = i == ps_port() ? cfg_.ps_port : cfg_.hp_port();
    p.beat = sc_time(kNsPerUs / p.cfg.clock_mhz, sc_core::SC_NS);
    p.crossing = sc_time(p.cfg.crossing_latency_ns, sc_core::SC_NS);
    p.rd.limit = p.cfg.max_outstanding_reads;
    p.wr.limit = p.cfg.max_outstanding_writes;
    p.rd.free_at.assign(p.rd.limit, SC_ZERO_TIME);
    p.wr.free_at.assign(p.wr.limit, SC_ZERO_TIME);
    const std::string sock = i == ps_port() ? "ps_port" : "hp" + std::to_string(i);
    ports.push_back(std::make_unique<tlm_utils::simple_target_socket_tagged<AxiInterconnect>>(sock.c_str()));
    ports.back()->register_b_transport(this, &AxiInterconnect::b_transport, int(i));
    ports.back()->register_get_direct_mem_ptr(this, &AxiInterconnect::get_direct_mem_ptr, int(i));
  }
  arbiter_ = make_arbiter(cfg_.arbitration, n);
  // The shared request channel into the DDR controller accepts one burst per PL clock.
  channel_cycle_ = sc_time(kNsPerUs / cfg_.pl_clock_mhz, sc_core::SC_NS);
  iSocket.register_nb_transport_bw(this, &AxiInterconnect::nb_transport_bw);
  SC_METHOD(pump);
  sensitive << pump_ev_;
  dont_initialize();
}

AxiInterconnect::~AxiInterconnect() = default;

const AxiInterconnect::PortCounters& AxiInterconnect::port_counters(uint32_t port) const {
  if (port >= port_.size()) fail("axi: port {} does not exist ({} ports + PS port)", port, cfg_.ports);
  return port_[port].n;
}

AxiInterconnect::Burst* AxiInterconnect::alloc_burst() {
  if (free_.empty()) {
    pool_.push_back(std::make_unique<Burst>());
    free_.push_back(pool_.back().get());
  }
  Burst* b = free_.back();
  free_.pop_back();
  return b;
}

void AxiInterconnect::b_transport(int id, tlm::tlm_generic_payload& gp, sc_time& delay) {
  Port& p = port_[size_t(id)];
  if (gp.get_byte_enable_ptr() || (!gp.is_read() && !gp.is_write())) {
    gp.set_response_status(gp.get_byte_enable_ptr() ? tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE
                                                    : tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  ++p.n.transactions;
  if (fidelity_ == Fidelity::Fast) {
    fast_transaction(p, gp, delay);
    return;
  }
  const sc_time now = sc_core::sc_time_stamp();
  const sc_time start = now + delay;
  if (p.active++ == 0) p.active_since = start;

  // Pooled: a fresh sc_event per transaction would allocate its waiter list every time.
  if (txn_free_.empty()) {
    txn_pool_.push_back(std::make_unique<Txn>());
    txn_free_.push_back(txn_pool_.back().get());
  }
  Txn& txn = *txn_free_.back();
  txn_free_.pop_back();
  txn.remaining = 0;
  txn.finish = SC_ZERO_TIME;
  txn.status = tlm::TLM_OK_RESPONSE;
  const bool write = gp.is_write();
  const uint64_t bpb = p.cfg.bytes_per_beat();
  const uint64_t max_burst = p.cfg.max_burst_bytes();
  uint64_t addr = gp.get_address();
  uint64_t left = gp.get_data_length();
  unsigned char* data = gp.get_data_ptr();
  TimingOnlyExt* timing_only = gp.get_extension<TimingOnlyExt>();  // bursts carry it to the DDR
  std::vector<Burst*>& bursts = split_;  // reused: filled and handed out before this thread yields
  bursts.clear();
  while (left > 0) {
    const uint64_t take = axi_burst_bytes(addr, left, bpb, max_burst);
    Burst* b = alloc_burst();
    b->set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    b->set_address(addr);
    b->set_data_ptr(data);
    b->set_data_length(unsigned(take));
    b->set_streaming_width(unsigned(take));
    b->set_byte_enable_ptr(nullptr);
    b->set_dmi_allowed(false);
    b->set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    if (timing_only) b->set_extension(timing_only);
    b->txn = &txn;
    b->port = uint32_t(id);
    b->beats = uint32_t(axi_burst_beats(addr, take, bpb));
    // The address channel issues one burst per port clock.
    b->want = std::max(start, p.addr_free);
    p.addr_free = b->want + p.beat;
    bursts.push_back(b);
    addr += take, data += take, left -= take;
  }
  txn.remaining = uint32_t(bursts.size());
  p.n.bursts += bursts.size();
  (write ? p.n.bytes_written : p.n.bytes_read) += gp.get_data_length();
  if (bursts.empty()) {
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
    --p.active;
    txn_free_.push_back(&txn);
    return;
  }
  for (Burst* b : bursts) acquire(p, b);
  wait(txn.done);
  delay = SC_ZERO_TIME;
  if (--p.active == 0) p.n.active_ns += tc_.ns(sc_core::sc_time_stamp() - p.active_since);
  gp.set_response_status(txn.status);
  txn_free_.push_back(&txn);
}

void AxiInterconnect::acquire(Port& p, Burst* b) {
  Slots& s = b->is_write() ? p.wr : p.rd;
  if (s.free_at.empty()) {
    s.waiting.push_back(b);
    return;
  }
  const auto it = std::min_element(s.free_at.begin(), s.free_at.end());
  const sc_time slot = *it;
  s.free_at.erase(it);
  note_stall(p, b->want, slot);
  make_ready(p, b, std::max(slot, b->want));
}

void AxiInterconnect::release(Port& p, bool write, const sc_time& at) {
  Slots& s = write ? p.wr : p.rd;
  if (s.waiting.empty()) {
    s.free_at.push_back(at);
    return;
  }
  Burst* b = s.waiting.front();
  s.waiting.pop_front();
  note_stall(p, b->want, at);
  make_ready(p, b, std::max(at, b->want));
}

void AxiInterconnect::note_stall(Port& p, const sc_time& want, const sc_time& granted) {
  // Count wall time with some burst waiting, not the sum over bursts (they wait together).
  const sc_time from = std::max(want, p.stall_mark);
  if (granted > from) p.n.slot_stall_ns += tc_.ns(granted - from);
  p.stall_mark = std::max(p.stall_mark, granted);
}

void AxiInterconnect::make_ready(Port& p, Burst* b, const sc_time& issue) {
  b->want = issue;
  p.ready.push_back(b);
  const sc_time now = sc_core::sc_time_stamp();
  pump_ev_.notify(issue > now ? issue - now : SC_ZERO_TIME);
}

void AxiInterconnect::pump() {
  const sc_time now = sc_core::sc_time_stamp();
  for (;;) {
    uint64_t requesting = 0;
    for (size_t i = 0; i < port_.size(); ++i)
      if (!port_[i].ready.empty() && port_[i].ready.front()->want <= now) requesting |= uint64_t(1) << i;
    if (!requesting) break;
    Port& p = port_[arbiter_->grant(requesting)];
    Burst* b = p.ready.front();
    p.ready.pop_front();
    send(b);
  }
  sc_time next = sc_core::SC_ZERO_TIME;
  bool any = false;
  for (const Port& p : port_)
    if (!p.ready.empty() && (!any || p.ready.front()->want < next)) next = p.ready.front()->want, any = true;
  if (any) pump_ev_.notify(next - now);
}

void AxiInterconnect::send(Burst* b) {
  Port& p = port_[b->port];
  const sc_time now = sc_core::sc_time_stamp();
  const sc_time granted = std::max(now, channel_free_);
  channel_free_ = granted + channel_cycle_;
  sc_time at_ddr = granted;
  if (b->is_write()) {
    // Write data crosses the port's data channel before the DDR can take the burst.
    const sc_time w_start = std::max(granted, p.w_free);
    p.w_free = w_start + p.beat * double(b->beats);
    p.n.busy_ns += tc_.ns(p.beat * double(b->beats));
    at_ddr = p.w_free;
  }
  tlm::tlm_phase phase = tlm::BEGIN_REQ;
  sc_time delay = at_ddr - now + p.crossing;
  const tlm::tlm_sync_enum r = iSocket->nb_transport_fw(*b, phase, delay);
  if (r == tlm::TLM_COMPLETED) on_response(b, now + delay);  // a target that answers at once
}

bool AxiInterconnect::get_direct_mem_ptr(int, tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi) {
  return iSocket->get_direct_mem_ptr(gp, dmi);
}

tlm::tlm_sync_enum AxiInterconnect::nb_transport_bw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase,
                                                    sc_time& delay) {
  if (phase == tlm::BEGIN_RESP) {
    on_response(static_cast<Burst*>(&gp), sc_core::sc_time_stamp() + delay);
    return tlm::TLM_COMPLETED;
  }
  return tlm::TLM_ACCEPTED;  // END_REQ: the request channel is modelled here, nothing to do
}

void AxiInterconnect::on_response(Burst* b, const sc_time& ddr_done) {
  Port& p = port_[b->port];
  const bool write = b->is_write();
  sc_time slot_free;
  if (write) {
    slot_free = ddr_done + p.crossing;  // write response back across the boundary
  } else {
    const sc_time beats = p.beat * double(b->beats);
    const sc_time ret = std::max(ddr_done + p.crossing, p.r_free);
    p.r_free = ret + beats;
    p.n.busy_ns += tc_.ns(beats);
    slot_free = p.r_free;
  }
  Txn& t = *b->txn;
  if (b->get_response_status() != tlm::TLM_OK_RESPONSE) t.status = b->get_response_status();
  t.finish = std::max(t.finish, slot_free);
  release(p, write, slot_free);
  if (b->get_extension<TimingOnlyExt>()) b->clear_extension<TimingOnlyExt>();  // the caller owns it
  free_.push_back(b);
  if (--t.remaining == 0) {
    const sc_time now = sc_core::sc_time_stamp();
    t.done.notify(t.finish > now ? t.finish - now : SC_ZERO_TIME);
  }
}

void AxiInterconnect::fast_transaction(Port& p, tlm::tlm_generic_payload& gp, sc_time& delay) {
  const sc_time now = sc_core::sc_time_stamp();
  const sc_time start = now + delay;
  const uint64_t bpb = p.cfg.bytes_per_beat();
  const uint64_t max_burst = p.cfg.max_burst_bytes();
  // The cycle path's split (for a transfer standing for one transaction per piece, piece by piece).
  const TransferShapeExt* shape = gp.get_extension<TransferShapeExt>();
  const BurstFootprint f = pieces_footprint(gp.get_address(), gp.get_data_length(), shape ? shape->piece_bytes : 0, bpb,
                                            max_burst, bpb);
  const uint64_t beats = f.beats, bursts = f.bursts;
  p.n.bursts += bursts;
  (gp.is_write() ? p.n.bytes_written : p.n.bytes_read) += gp.get_data_length();
  // Ask the DDR when the first beat moves so the port stream starts after one round trip.
  DdrTimingExt ext;
  DdrTimingExt* old = gp.get_extension<DdrTimingExt>();
  if (!old) gp.set_extension(&ext);
  DdrTimingExt& geometry = old ? *old : ext;  // the DDR charges the lines these bursts read
  geometry.beat_bytes = bpb, geometry.max_burst_bytes = max_burst;
  geometry.max_outstanding = gp.is_write() ? p.cfg.max_outstanding_writes : p.cfg.max_outstanding_reads;
  sc_time ddr_delay = start - now + p.crossing;
  iSocket->b_transport(gp, ddr_delay);
  const DdrTimingExt ddr = geometry;
  const sc_time first_data = ddr.first_data;
  if (!old) gp.clear_extension(&ext);
  const sc_time after = sc_core::sc_time_stamp();  // a cycle-mode DDR would have waited
  const sc_time ddr_done = after + ddr_delay;
  // The port's data channel is a server: this transaction's beats follow the previous ones and
  // cannot end before the last burst has come back across the boundary.
  const sc_time busy = p.beat * double(beats);
  const sc_time last_burst = p.beat * double(std::min<uint64_t>(beats, p.cfg.max_burst_beats));
  sc_time& chan_free = gp.is_write() ? p.fast_w_free : p.fast_r_free;
  const sc_time chan_start = std::max(first_data + p.crossing, chan_free);
  // A refresh stops the data for refresh_pause; the port drains its bursts in flight meanwhile and
  // then waits (the DDR side already charges refresh where the DRAM is the limit).
  sc_time port_end = chan_start + busy;
  if (ddr.refresh_interval_ns > 0) {
    const double stall_ns =
        refresh_port_stall_ns(ddr.refresh_pause_ns, std::min<uint64_t>(ddr.max_outstanding, bursts), beats, bursts, tc_.ns(p.beat));
    const double t0 = tc_.ns(chan_start), t1 = tc_.ns(port_end);
    const double n = std::floor(t1 / ddr.refresh_interval_ns) - std::floor(t0 / ddr.refresh_interval_ns);
    if (n > 0 && stall_ns > 0) port_end += sc_time(n * stall_ns, sc_core::SC_NS);
  }
  const sc_time finish = std::max(port_end, ddr_done + p.crossing + last_burst);
  chan_free = finish;
  p.n.busy_ns += tc_.ns(busy);
  p.n.active_ns += tc_.ns(finish - start);
  delay = finish - after;
}

void AxiInterconnect::report_stats(stats::Group& g) const {
  g.set("arbitration", double(cfg_.arbitration == AxiArbitration::RoundRobin ? 0 : 1), stats::Quantity::Enum,
        "0 = round_robin, 1 = fixed_priority");
  for (uint32_t i = 0; i < port_.size(); ++i) {
    const Port& p = port_[i];
    stats::Group& c = g.child(i == ps_port() ? "ps" : "port" + std::to_string(i));
    const double bytes = double(p.n.bytes_read + p.n.bytes_written);
    c.set("transactions", double(p.n.transactions), stats::Quantity::Count, "transactions through the port");
    c.set("bursts", double(p.n.bursts), stats::Quantity::Count, "AXI bursts after 4 KB / max-beat splitting");
    c.set("bytes_read", double(p.n.bytes_read), stats::Quantity::Bytes, "bytes read through the port");
    c.set("bytes_written", double(p.n.bytes_written), stats::Quantity::Bytes, "bytes written through the port");
    c.set("busy", p.n.busy_ns, stats::Quantity::Ns, "data channel carrying beats");
    c.set("active", p.n.active_ns, stats::Quantity::Ns, "time with a transaction in progress");
    c.set("achieved_bandwidth", p.n.active_ns > 0 ? bytes / p.n.active_ns : 0.0, stats::Quantity::GBps,
          "bytes / active time");
    c.set("peak_bandwidth", p.cfg.peak_gbps(), stats::Quantity::GBps, "bytes per beat x port clock");
    c.set("slot_stall", p.n.slot_stall_ns, stats::Quantity::Ns, "time with a burst waiting for an outstanding slot");
  }
}

}  // namespace fpgallm::sim
