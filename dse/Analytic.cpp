#include "dse/Analytic.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <numeric>
#include <tuple>

#include "models/core/Dtype.h"
#include "models/core/Error.h"
#include "sim/ddr/DdrTiming.h"
#include "sim/ps/PsCostModel.h"

namespace fpgallm::dse {

namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/**
 * Row opens of a sequential stream cut into `txn` byte transactions, counted as the fast DDR
 * model does (an access whose bank has another row open opens it): the mean of max(opens - 1, 0)
 * per transaction (the first open overlaps the previous transaction's data) and the fraction of
 * transactions whose first access opens a row. Walks the address map once per geometry and size.
 */
struct StreamRows {
  double extra_opens_per_txn = 0;
  double first_open_fraction = 0;
};

StreamRows walk_stream(const sim::DdrConfig& d, uint64_t start, int64_t txn) {
  using Key = std::tuple<std::string, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint64_t, int64_t>;
  static std::mutex mu;
  static std::map<Key, StreamRows> cache;
  const Key key{d.address_mapping, d.ranks, d.bank_groups, d.banks_per_group, d.rows, d.columns, d.bus_width_bits,
                start, txn};
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  const sim::AddressMapping map = d.mapping();
  const uint64_t ab = d.access_bytes();
  // Enough transactions to cover many row switches; at least 1 MiB of stream.
  const int64_t n_txn = std::max<int64_t>(64, ceil_div(int64_t{1} << 20, txn));
  std::vector<int64_t> open(static_cast<size_t>(d.ranks) * d.banks(), -2);  // -2: some other row
  double extra = 0, first_opens = 0;
  uint64_t a = start;
  for (int64_t t = 0; t < n_txn; ++t) {
    const uint64_t end = a + static_cast<uint64_t>(std::max<int64_t>(txn, static_cast<int64_t>(ab)));
    int64_t opens = 0;
    for (uint64_t x = a; x < end; x += ab) {
      const sim::DramCoord c = map.map(x);
      int64_t& o = open[(static_cast<size_t>(c.rank) * d.bank_groups + c.bank_group) * d.banks_per_group + c.bank];
      if (o != static_cast<int64_t>(c.row)) {
        if (x == a) first_opens += 1;
        o = c.row;
        ++opens;
      }
    }
    extra += static_cast<double>(std::max<int64_t>(opens - 1, 0));
    a = end;
  }
  StreamRows r{extra / static_cast<double>(n_txn), first_opens / static_cast<double>(n_txn)};
  cache.emplace(key, r);
  return r;
}

}  // namespace

AnalyticModel::AnalyticModel(const sim::SocConfig& soc) : soc_(soc), plan_(soc.accel), t_(soc.ddr), cost_(soc.ddr) {
  tck_ns_ = soc_.ddr.tCK_ns();
  const sim::AxiPortConfig& ps_port = soc_.axi.ps_port;
  ps_bursts_ = sim::BurstPrefix(soc_.ps.scratch_addr, static_cast<uint64_t>(soc_.ps.traffic_chunk_bytes),
                                ps_port.bytes_per_beat(), ps_port.max_burst_bytes(), soc_.ddr.access_bytes());
  ps_chunk_new_row_fraction_ =
      walk_stream(soc_.ddr, soc_.ps.scratch_addr, soc_.ps.traffic_chunk_bytes).first_open_fraction;
  // Sequential bytes per row open, from a long stream walk.
  constexpr int64_t kLongTxn = int64_t{1} << 20;
  const StreamRows r = walk_stream(soc_.ddr, 0, kLongTxn);
  row_stream_bytes_ = static_cast<double>(kLongTxn) / std::max(1.0, r.extra_opens_per_txn + r.first_open_fraction);
  // The weight stream as the cycle DMA reads it, one transaction per block: block starts repeat
  // their offset within a 4 KB page (and so within a DRAM line) every 4096 / gcd(block, 4096) blocks.
  const int64_t bb = soc_.accel.macro.block_bytes();
  period_blocks_ =
      sim::axi_defaults::kBurstBoundaryBytes / std::gcd<int64_t>(bb, sim::axi_defaults::kBurstBoundaryBytes);
  const sim::AxiPortConfig hp = soc_.axi.hp_port();
  period_ = sim::pieces_footprint(soc_.weights_base, static_cast<uint64_t>(period_blocks_ * bb), static_cast<uint64_t>(bb),
                                  hp.bytes_per_beat(), hp.max_burst_bytes(), soc_.ddr.access_bytes());
}

double AnalyticModel::weight_unit_bus_ns(int64_t blocks, uint32_t streams) const {
  double extra_opens = -1;
  for (const auto& [n, opens] : unit_opens_)
    if (n == blocks) extra_opens = opens;
  if (extra_opens < 0) {
    extra_opens = walk_stream(soc_.ddr, soc_.weights_base, blocks * soc_.accel.macro.block_bytes()).extra_opens_per_txn;
    unit_opens_.emplace_back(blocks, extra_opens);
  }
  // The period's per-block footprint, scaled to the unit.
  const double k = static_cast<double>(blocks) / static_cast<double>(period_blocks_);
  const double lines = k * static_cast<double>(period_.lines);
  const double same_bg = k * cost_.same_bank_group_accesses(period_, streams);
  return cost_.bus_cycles(lines, extra_opens, same_bg) * tck_ns_;
}

double AnalyticModel::transfer_bus_ns(const sim::AxiPortConfig& port, uint64_t addr, int64_t bytes, uint32_t streams) const {
  const sim::BurstFootprint f = sim::burst_footprint(addr, static_cast<uint64_t>(bytes), port.bytes_per_beat(),
                                                     port.max_burst_bytes(), soc_.ddr.access_bytes());
  return cost_.bus_cycles(f, 0.0, streams) * tck_ns_;
}

double AnalyticModel::ps_transfer_ns(int64_t bytes, bool write) const {
  // The PS port's fast path: DDR first data after the controller and CAS (plus a row open for the
  // share of chunks that start one), the port streams its beats, the last burst crosses back.
  const sim::DdrCycles& t = t_;
  const sim::AxiPortConfig& p = soc_.axi.ps_port;
  const double beat_ns = 1000.0 / p.clock_mhz;
  const double row_open = ps_chunk_new_row_fraction_ * (t.RCD + t.RP);
  const double first = p.crossing_latency_ns + soc_.ddr.controller_latency_ns + ((write ? t.CWL : t.CL) + row_open) * tck_ns_;
  const double extra = std::max(0.0, static_cast<double>(bytes) / row_stream_bytes_ - 1.0);
  const sim::BurstFootprint f = ps_bursts_(static_cast<uint64_t>(bytes));
  const double bus = cost_.bus_cycles(f, extra, 1) * tck_ns_;
  const double beats = static_cast<double>(f.beats);
  const double busy = port_paced_ns(p, beats * beat_ns, f, write), last = std::min<double>(beats, p.max_burst_beats) * beat_ns;
  return std::max(first + p.crossing_latency_ns + busy, first + bus + p.crossing_latency_ns + last);
}

double AnalyticModel::port_paced_ns(const sim::AxiPortConfig& p, double busy_ns, const sim::BurstFootprint& f,
                                    bool write) const {
  // The refreshes a port-paced stream spans, each costing the pause its bursts in flight do not
  // cover (the fast AXI model counts them at the multiples of tREFI; here their expected number).
  if (cost_.refresh_interval_cycles() <= 0 || f.bursts == 0) return busy_ns;
  const uint64_t outstanding = write ? p.max_outstanding_writes : p.max_outstanding_reads;
  const double stall = sim::refresh_port_stall_ns(cost_.refresh_pause_cycles() * tck_ns_, std::min<uint64_t>(outstanding, f.bursts),
                                                  f.beats, f.bursts, 1000.0 / p.clock_mhz);
  return busy_ns * (1.0 + stall / (cost_.refresh_interval_cycles() * tck_ns_));
}

double AnalyticModel::ps_data_ns(int64_t bytes, bool write) const {
  const int64_t c = soc_.ps.traffic_chunk_bytes;
  const int64_t full = bytes / c, rest = bytes % c;
  return static_cast<double>(full) * ps_transfer_ns(c, write) + (rest ? ps_transfer_ns(rest, write) : 0.0);
}

double AnalyticModel::ps_op_ns(OpKind op, int64_t elements, int64_t bytes_read, int64_t bytes_written) const {
  const sim::PsConfig& ps = soc_.ps;
  // Compute, stream rate and the software's dispatch come from the shared PS cost functions
  // (sim/ps/PsCostModel.h), the very numbers PsCore charges.
  const double dispatch = ps.software.op_dispatch_ns;
  const double compute = sim::ps_compute_ns(ps, op, elements);
  const int64_t total = bytes_read + bytes_written;
  if (total <= 0) return dispatch + compute;
  const double stream = ps.stream_gbps_per_core * sim::ps_stream_cores(ps, op);
  const double per_byte = compute / static_cast<double>(total);
  // Each chunk takes the slowest of the PS-port transfer, the cores' stream rate and the math.
  auto chunk = [&](int64_t len, bool write) {
    const double l = static_cast<double>(len);
    return std::max({ps_transfer_ns(len, write), l / stream, per_byte * l});
  };
  const int64_t c = ps.traffic_chunk_bytes;
  // Reads come first in 4 KiB chunks; a partial last read chunk is issued alone (PsCore never
  // mixes reads and writes in a chunk), then the writes.
  const int64_t rd_full = bytes_read / c, rd_rest = bytes_read % c;
  double t = dispatch + static_cast<double>(rd_full) * chunk(c, false);
  if (rd_rest) t += chunk(rd_rest, false);
  const int64_t wr_full = bytes_written / c, wr_rest = bytes_written % c;
  t += static_cast<double>(wr_full) * chunk(c, true) + (wr_rest ? chunk(wr_rest, true) : 0.0);
  return t;
}

double AnalyticModel::hp_transfer_latency_ns(int64_t bytes, bool write) const {
  const sim::DdrCycles& t = t_;
  const sim::AxiPortConfig p = soc_.axi.hp_port();
  const double beat_ns = 1000.0 / p.clock_mhz;
  const double first = p.crossing_latency_ns + soc_.ddr.controller_latency_ns + (write ? t.CWL : t.CL) * tck_ns_;
  const double beats = static_cast<double>(ceil_div(bytes, p.bytes_per_beat()));
  const double bus = write ? accel_write_bus_ns(bytes)
                           : transfer_bus_ns(p, soc_.act_base, bytes, static_cast<uint32_t>(soc_.accel.n_channels));
  return std::max(first + p.crossing_latency_ns + beats * beat_ns,
                  first + bus + p.crossing_latency_ns + std::min<double>(beats, p.max_burst_beats) * beat_ns);
}

double AnalyticModel::accel_write_bus_ns(int64_t bytes) const {
  // The accelerator's writes come among its channels' reads: each pays both turnarounds.
  return transfer_bus_ns(soc_.axi.hp_port(), soc_.out_base, bytes, static_cast<uint32_t>(soc_.accel.n_channels + 1)) +
         cost_.turnaround_pair_cycles() * tck_ns_;
}

AnalyticModel::ChunkTime AnalyticModel::accel_chunk(int64_t in, int64_t out, int64_t ntok, bool bias) const {
  const ChunkKey key{in, out, ntok, bias};
  for (const auto& [k, t] : chunks_)
    if (k == key) return t;
  const ChunkTime t = time_chunk(in, out, ntok, bias);
  chunks_.emplace_back(key, t);
  return t;
}

struct AnalyticModel::PassPlan {
  int64_t n_tiles = 0, n_groups = 0, n_blocks = 0, block_bytes = 0, nch = 0;
  int64_t bpu = 0, n_units = 0, slots = 0, threads = 0;  ///< blocks per DMA unit, units, buffer slots, loader threads
  int64_t unit_blocks = 0;                               ///< blocks of a full unit
  int64_t act_bytes = 0, share = 0;                      ///< activations and each channel's share of them
  uint32_t streams = 0;
  double period = 0;                                     ///< PL clock period (ns)
  sim::AxiPortConfig hp;
  double beat_ns = 0, cross = 0, to_first_data = 0;
  double unit_ddr = 0, unit_beats = 0;                   ///< a full unit's DDR bus time and port beats
  double write_per_tile = 0, batch_conflict_ns = 0;
  double beats(int64_t bytes) const { return static_cast<double>(ceil_div(bytes, hp.bytes_per_beat())); }
};

AnalyticModel::PassPlan AnalyticModel::plan_pass(int64_t in, int64_t out, int64_t ntok) const {
  const sim::AccelConfig& a = soc_.accel;
  const MacroLayout& L = a.macro;
  PassPlan p;
  p.n_tiles = ceil_div(out, L.tile_rows), p.n_groups = ceil_div(in, L.group_size);
  p.n_blocks = p.n_tiles * p.n_groups, p.block_bytes = L.block_bytes();
  p.nch = a.n_channels;
  // DMA units as the fast accelerator cuts them (one transaction each, unit u on channel u % nch).
  p.bpu = a.fast_unit_blocks(p.n_blocks);
  p.n_units = ceil_div(p.n_blocks, p.bpu), p.slots = a.weight_buffer_blocks() / p.bpu;
  p.threads = p.nch * a.dma_outstanding_per_channel;
  p.period = a.clock_period_ns();
  // Memory path constants: HP port beats at the PL clock, DDR bus time per transaction.
  p.hp = soc_.axi.hp_port();
  p.beat_ns = 1000.0 / p.hp.clock_mhz, p.cross = p.hp.crossing_latency_ns;
  p.to_first_data = p.cross + soc_.ddr.controller_latency_ns + t_.CL * tck_ns_;
  p.streams = static_cast<uint32_t>(p.nch);
  // A full unit's DDR and port times are the same for every unit: computed once.
  p.unit_blocks = std::min(p.bpu, p.n_blocks);
  p.unit_ddr = weight_unit_bus_ns(p.unit_blocks, p.streams), p.unit_beats = p.beats(p.unit_blocks * p.block_bytes);
  // Each channel's first loader fetches its share of the activations.
  p.act_bytes = ntok * in * kF32Bytes;
  p.share = ceil_div(ceil_div(p.act_bytes, p.nch), kF32Bytes) * kF32Bytes;
  // Each token's output line of a tile is one write among the channels' reads.
  p.write_per_tile = accel_write_bus_ns(L.tile_rows * kF32Bytes) * static_cast<double>(ntok);
  // A write-back batch opens a row in the output region, so the weight stream re-opens its own: one
  // activation's share of the bus (the fast DDR model's count; the writes jump the read backlog, so
  // the banks they touch are free again before the stream comes back to them).
  p.batch_conflict_ns = cost_.act_extra_cycles() / (1.0 - cost_.refresh_share()) * tck_ns_;
  return p;
}

namespace {

/** The unit pipeline's state: DDR bus, ports, and a ring of the units' finish and compute times. */
struct UnitPipeline {
  double bus_free = 0, done = 0, issue_prev = 0;
  std::vector<double> port_free, finish_h, done_h;

  std::vector<double> snapshot() const {
    std::vector<double> v = {bus_free, done, issue_prev};
    v.insert(v.end(), port_free.begin(), port_free.end());
    v.insert(v.end(), finish_h.begin(), finish_h.end());
    v.insert(v.end(), done_h.begin(), done_h.end());
    return v;
  }
  void shift(double by) {
    bus_free += by, done += by, issue_prev += by;
    for (auto& x : port_free) x += by;
    for (auto& x : finish_h) x += by;
    for (auto& x : done_h) x += by;
  }
};

/**
 * Steady state: when two consecutive periods shifted every time by the same amount, the state after
 * k more periods is the state now shifted k times as far. advance() shifts by up to `max_periods`
 * periods once that holds and returns how many it skipped.
 */
struct SteadyState {
  std::vector<double> prev_snap;
  double prev_delta = -1;

  int64_t advance(UnitPipeline& st, int64_t max_periods) {
    std::vector<double> snap = st.snapshot();
    double delta = -1;
    bool same = prev_snap.size() == snap.size();
    for (size_t i = 0; same && i < snap.size(); ++i) {
      const double d = snap[i] - prev_snap[i];
      if (delta < 0) delta = d;
      same = std::abs(d - delta) <= 1e-9 * std::max(1.0, std::abs(delta));
    }
    int64_t skipped = 0;
    if (same && delta > 0 && std::abs(delta - prev_delta) <= 1e-9 * delta && max_periods > 0) {
      st.shift(static_cast<double>(max_periods) * delta);
      skipped = max_periods;
      snap = st.snapshot();
    }
    prev_delta = same ? delta : -1;
    prev_snap = std::move(snap);
    return skipped;
  }
};

}  // namespace

double AnalyticModel::pipeline_ns(const PassPlan& p, int64_t ntok) const {
  const sim::AccelConfig& a = soc_.accel;
  const int64_t nch = p.nch, bpu = p.bpu, slots = p.slots, threads = p.threads;
  // History ring of one period: a multiple of the channel count that reaches back past the slot
  // and loader-thread dependencies, so after a period the pipeline state repeats shifted in time.
  const size_t hist = static_cast<size_t>(ceil_div(std::max(slots, threads) + 1, nch) * nch);
  UnitPipeline st;
  st.port_free.assign(static_cast<size_t>(nch), 0.0);
  st.finish_h.assign(hist, 0.0);
  st.done_h.assign(hist, 0.0);
  // One transfer on channel c issued at `issue`, `bus` ns on the DDR bus: the DDR serves calls in
  // order on one bus, the port streams the beats once the first data is there (the fast DDR and AXI models).
  auto transfer = [&](int64_t c, double issue, double bus, double b) {
    const double first = std::max(issue + p.to_first_data, st.bus_free);
    const double ddr_done = first + bus;
    st.bus_free = ddr_done;
    double& pf = st.port_free[static_cast<size_t>(c)];
    const double start = std::max(first + p.cross, pf);
    const double finish =
        std::max(start + b * p.beat_ns, ddr_done + p.cross + std::min<double>(b, p.hp.max_burst_beats) * p.beat_ns);
    pf = finish;
    return finish;
  };
  // Each channel's first loader fetches its share of the activations, then the units follow in
  // allocation order. A unit needs a free buffer slot (the unit `slots` earlier consumed) and its
  // loader thread, which last waited for the unit nch x outstanding earlier.
  std::vector<double> act_finish(static_cast<size_t>(nch), 0.0);
  double act_done = 0;
  // Ring positions and the next tile boundary advance incrementally (this loop is the hot path).
  const auto H = static_cast<int64_t>(hist);
  int64_t c = 0, idx = 0, tile_end = p.n_groups;
  // The remaining full periods are added in closed form once the state repeats (and the tile
  // pattern repeats per period).
  const bool tiles_repeat = (H * bpu) % p.n_groups == 0;
  SteadyState steady;
  for (int64_t u = 0; u < p.n_units; ++u) {
    if (tiles_repeat && u % H == 0 && u >= 2 * H) {
      // Leave at least the last (possibly partial) unit to the loop.
      const int64_t k = steady.advance(st, (p.n_units - 1 - u) / H);
      u += k * H;
      tile_end += k * H * bpu;
    }
    double issue = st.issue_prev;
    if (u < nch) {  // this channel's activation share goes first, on the same loader
      const int64_t off = std::min(p.act_bytes, p.share * c), len = std::min(p.act_bytes, off + p.share) - off;
      if (len > 0)
        act_finish[static_cast<size_t>(c)] = transfer(
            c, 0.0, transfer_bus_ns(p.hp, soc_.act_base + static_cast<uint64_t>(off), len, p.streams), p.beats(len));
      act_done = std::max(act_done, act_finish[static_cast<size_t>(c)]);
      issue = std::max(issue, act_finish[static_cast<size_t>(c)]);
    }
    if (u >= slots)
      issue = std::max(issue, st.done_h[static_cast<size_t>(idx >= slots ? idx - slots : idx - slots + H)]);
    if (u >= threads)
      issue = std::max(issue, st.finish_h[static_cast<size_t>(idx >= threads ? idx - threads : idx - threads + H)]);
    st.issue_prev = issue;
    const int64_t k0 = u * bpu, k1 = std::min(p.n_blocks, k0 + bpu);
    const bool full = k1 - k0 == p.unit_blocks;
    const double fin = transfer(c, issue, full ? p.unit_ddr : weight_unit_bus_ns(k1 - k0, p.streams),
                                full ? p.unit_beats : p.beats((k1 - k0) * p.block_bytes));
    // Compute the unit at the kernel's pace (its slowest stage), the pass fill with the last unit.
    int64_t fills = 0;
    while (tile_end <= k1) ++fills, tile_end += p.n_groups;
    const int64_t busy =
        plan_.blocks_cycles(ntok, k0, k1) + (k1 == p.n_blocks ? plan_.pass_overhead_cycles(ntok, p.n_blocks) : 0);
    const double ready = a.weight_double_buffered ? fin : std::max(fin, st.done);
    st.done = std::max({st.done, ready, act_done}) + static_cast<double>(busy) * p.period;
    // Finished tiles' outputs leave over the same DDR bus.
    if (fills > 0) st.bus_free += static_cast<double>(fills) * p.write_per_tile + p.batch_conflict_ns;
    st.finish_h[static_cast<size_t>(idx)] = fin;
    st.done_h[static_cast<size_t>(idx)] = st.done;
    if (++idx == H) idx = 0;
    if (++c == nch) c = 0;
  }
  return st.done;
}

double AnalyticModel::pass_bus_ns(const PassPlan& p) const {
  // The weight units, the activation shares, the output lines and one re-opened row per unit that
  // finishes tiles.
  const int64_t full_units = p.n_blocks / p.unit_blocks, rest_blocks = p.n_blocks % p.unit_blocks;
  double bus =
      static_cast<double>(full_units) * p.unit_ddr + (rest_blocks ? weight_unit_bus_ns(rest_blocks, p.streams) : 0.0);
  for (int64_t ch = 0; ch < p.nch; ++ch) {
    const int64_t off = std::min(p.act_bytes, p.share * ch), len = std::min(p.act_bytes, off + p.share) - off;
    if (len > 0) bus += transfer_bus_ns(p.hp, soc_.act_base + static_cast<uint64_t>(off), len, p.streams);
  }
  const int64_t units_with_tiles = p.bpu <= p.n_groups ? p.n_tiles : p.n_units;
  bus +=
      static_cast<double>(p.n_tiles) * p.write_per_tile + static_cast<double>(units_with_tiles) * p.batch_conflict_ns;
  return bus;
}

AnalyticModel::ChunkTime AnalyticModel::time_chunk(int64_t in, int64_t out, int64_t ntok, bool bias) const {
  const PassPlan p = plan_pass(in, out, ntok);
  const double done = pipeline_ns(p, ntok);
  // End: the last batch (KernelPlan::tiles_per_batch tiles) leaves through its channel's store
  // (bias read, one write per token).
  const int64_t last_rows = std::min(out, plan_.batch_rows());
  const double tail_ns = (bias ? hp_transfer_latency_ns(last_rows * kF32Bytes, false) : 0.0) +
                         static_cast<double>(ntok) * hp_transfer_latency_ns(last_rows * kF32Bytes, true);
  return {done + tail_ns, pass_bus_ns(p)};
}

AnalyticModel::ChunkTime AnalyticModel::accel_job(int64_t in, int64_t out, int64_t n_tokens, bool bias) const {
  const sim::AccelConfig& a = soc_.accel;
  const int64_t chunk = plan_.chunk_tokens(in, n_tokens);
  ChunkTime t{static_cast<double>(a.descriptor_cycles + a.completion_cycles) * a.clock_period_ns(), 0.0};
  const int64_t full = n_tokens / chunk, rest = n_tokens % chunk;
  const ChunkTime c = accel_chunk(in, out, chunk, bias);
  t.ns += static_cast<double>(full) * c.ns, t.bus_ns += static_cast<double>(full) * c.bus_ns;
  if (rest) {
    const ChunkTime r = accel_chunk(in, out, rest, bias);
    t.ns += r.ns, t.bus_ns += r.bus_ns;
  }
  return t;
}

double AnalyticModel::pl_linear_ns(int64_t in, int64_t out, int64_t n, bool bias) const {
  const sim::PsConfig& ps = soc_.ps;
  const int64_t in_bytes = n * in * kF32Bytes, out_bytes = n * out * kF32Bytes;
  // The software stack's share (driver call, copies into/out of the DMA buffers, cache maintenance,
  // descriptor, completion) from the shared cost functions; a copy takes at least its DDR transfers.
  const sim::DriverCallAccesses a = sim::ps_driver_accesses(ps, soc_.accel.n_channels);
  return ps.software.driver_call_ns + std::max(ps_data_ns(in_bytes, true), sim::ps_copy_in_ns(ps, in_bytes)) +
         sim::ps_flush_ns(ps, a, in_bytes) + sim::ps_descriptor_ns(ps, a) + accel_job(in, out, n, bias).ns +
         sim::ps_completion_ns(ps, a) + sim::ps_invalidate_ns(ps, a, out_bytes) +
         std::max(ps_data_ns(out_bytes, false), sim::ps_copy_out_ns(ps, out_bytes));
}

double AnalyticModel::ps_linear_ns(OpKind op, int64_t in, int64_t out, int64_t n) const {
  const sim::AccelConfig& a = soc_.accel;
  return ps_op_ns(op, ps_linear_traffic(in, out, n, sim::ps_weight_bytes_per_param(a.ps_linear_weights, a.macro)));
}

double AnalyticModel::linear_ns(OpKind op, int64_t in, int64_t out, int64_t n, bool bias) const {
  return soc_.accel.offloads(op) ? pl_linear_ns(in, out, n, bias) : ps_linear_ns(op, in, out, n);
}

PerfFigures AnalyticModel::evaluate(const ModelConfig& c, const Workload& w) const {
  const int64_t H = c.hidden_size, I = c.intermediate_size, Q = c.q_dim(), KV = c.kv_dim(), V = c.vocab_size;
  const int64_t nh = c.num_heads, hd = c.head_dim;
  const double L = static_cast<double>(c.num_layers);
  using ByOp = std::array<double, kNumOpKinds>;
  auto add = [](ByOp& t, OpKind k, double ns, double times = 1.0) { t[static_cast<size_t>(k)] += ns * times; };
  // The accelerator jobs of the pass `fixed` is timing, when it keeps them: their time and the DDR
  // bus time within it (how busy the PL's decode jobs keep the bus).
  ChunkTime* pl_jobs = nullptr;
  auto linear = [&](ByOp& t, OpKind op, int64_t in, int64_t out, int64_t n, bool bias, double times) {
    add(t, op, linear_ns(op, in, out, n, bias), times);
    if (pl_jobs && soc_.accel.offloads(op)) {
      const ChunkTime j = accel_job(in, out, n, bias);
      pl_jobs->ns += j.ns * times, pl_jobs->bus_ns += j.bus_ns * times;
    }
  };
  // The ops of a forward pass of n tokens whose cost does not depend on the position.
  auto fixed = [&](int64_t n) {
    ByOp t{};
    const int64_t e = n * H;
    add(t, OpKind::Embedding, ps_op_ns(OpKind::Embedding, embed_traffic(n, H)));
    add(t, OpKind::AttnNorm, ps_op_ns(OpKind::AttnNorm, rmsnorm_traffic(n, H)), L);
    linear(t, OpKind::QProj, H, Q, n, c.qkv_bias, L);
    linear(t, OpKind::KProj, H, KV, n, c.qkv_bias, L);
    linear(t, OpKind::VProj, H, KV, n, c.qkv_bias, L);
    add(t, OpKind::Rope,
        ps_op_ns(OpKind::Rope, rope_traffic(n, nh, hd)) + ps_op_ns(OpKind::Rope, rope_traffic(n, c.num_kv_heads, hd)),
        L);
    linear(t, OpKind::OProj, Q, H, n, false, L);
    add(t, OpKind::ResidualAdd, 2 * ps_op_ns(OpKind::ResidualAdd, binary_elementwise_traffic(e)), L);
    add(t, OpKind::MlpNorm, ps_op_ns(OpKind::MlpNorm, rmsnorm_traffic(n, H)), L);
    linear(t, OpKind::GateProj, H, I, n, false, L);
    linear(t, OpKind::UpProj, H, I, n, false, L);
    add(t, OpKind::SiluMul, ps_op_ns(OpKind::SiluMul, binary_elementwise_traffic(n * I)), L);
    linear(t, OpKind::DownProj, I, H, n, false, L);
    // Only the last row goes through the final norm and lm_head.
    add(t, OpKind::FinalNorm, ps_op_ns(OpKind::FinalNorm, rmsnorm_traffic(1, H)));
    linear(t, OpKind::LmHead, H, V, 1, false, 1.0);
    add(t, OpKind::Sampling, ps_op_ns(OpKind::Sampling, sampling_traffic(V)));
    // The host loop's fixed cost per forward pass (kept with the sampling row here).
    add(t, OpKind::Sampling, sim::ps_forward_overhead_ns(soc_.ps));
    return t;
  };
  // Attention of n new tokens at position pos (causal: token t sees pos + t + 1 keys).
  auto attention = [&](ByOp& t, int64_t n, int64_t pos) {
    const kernels::AttnShape s{n, pos, nh, c.num_kv_heads, hd};
    add(t, OpKind::AttnScore, ps_op_ns(OpKind::AttnScore, attn_scores_traffic(s)), L);
    add(t, OpKind::Softmax, ps_op_ns(OpKind::Softmax, softmax_traffic(s)), L);
    add(t, OpKind::AttnValue, ps_op_ns(OpKind::AttnValue, attn_values_traffic(s)), L);
  };
  auto sum = [](const ByOp& t) {
    double s = 0;
    for (double x : t) s += x;
    return s;
  };
  PerfFigures f;
  ByOp pre = fixed(w.prompt_len);
  attention(pre, w.prompt_len, 0);
  f.prefill_tokens = w.prompt_len;
  f.prefill_ns = sum(pre);
  ChunkTime decode_jobs;
  pl_jobs = &decode_jobs;
  const ByOp step = fixed(1);
  pl_jobs = nullptr;
  for (size_t k = 0; k < step.size(); ++k) f.decode_ns_by_op[k] = step[k] * static_cast<double>(w.gen);
  for (int64_t i = 0; i < w.gen; ++i) attention(f.decode_ns_by_op, 1, w.prompt_len + i);
  f.decode_tokens = w.gen;
  f.decode_ns = sum(f.decode_ns_by_op);
  // How busy the PL's decode jobs keep the DDR data bus (where fast and cycle fidelity may part).
  f.decode_pl_ddr_busy = decode_jobs.ns > 0 ? decode_jobs.bus_ns / decode_jobs.ns : 0.0;
  return f;
}

}  // namespace fpgallm::dse
