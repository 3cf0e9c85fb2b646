// sc_spawn (one DMA worker thread per channel and outstanding slot) needs dynamic processes.
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "sim/tlm/Payload.h"
#include "sim/accel/Accelerator.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>

#include <fmt/format.h>

#include "models/quant/AwqKernels.h"
#include "models/core/Dtype.h"
#include "models/core/Error.h"

namespace fpgallm::sim {

using sc_core::sc_time;
using sc_core::sc_time_stamp;
using sc_core::SC_ZERO_TIME;

namespace {
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
}  // namespace

/** State of one token chunk of a job: what the stage threads share. */
struct Accelerator::Chunk {
  const LinearJob* job = nullptr;
  int64_t tok0 = 0, ntok = 0;
  int64_t n_tiles = 0, n_groups = 0, n_blocks = 0, block_bytes = 0;
  int64_t blocks_per_unit = 0, n_units = 0, slots = 0;
  int64_t blocks_per_txn = 0;  ///< DMA transaction size within a unit
  int64_t blocks_per_step = 0;  ///< compute granularity (one block, or a unit in fast fidelity)

  // Loaders: units are allocated buffer slots in stream order (unit u -> slot u % slots).
  std::vector<int64_t> channel_taken;
  int64_t alloc_next = 0, free_slots = 0;
  std::vector<std::vector<uint8_t>> slot_data;
  std::vector<char> loaded;
  std::vector<sc_time> load_done;

  std::vector<float> act;  ///< the activation buffer: fp32 [ntok, in]
  int64_t act_parts_done = 0;
  sc_time act_done = SC_ZERO_TIME;

  /** An output batch (KernelPlan::tiles_per_batch tiles): rows [row0, row0+rows), values [r * ntok + t]. */
  struct Batch {
    int64_t row0 = 0, rows = 0, n_tiles = 0;
    int64_t end_block = 0;  ///< the block its last tile ends with
    std::vector<float> v;
  };
  // The kernel's stores, one per channel: batch b goes to channel b % channels, whose queue holds at
  // most KernelPlan::store_batches_buffered of them (the front one is being written).
  int64_t n_batches = 0, store_capacity = 0;
  std::vector<std::deque<Batch>> store_queue;
  int64_t stores_done = 0;
  bool writer_done = false;

  // Fast fidelity with DMI: the PE array's results for the whole chunk, [out, ntok], computed from
  // the weight bytes in memory when the activations are in; the DMA transfers carry time only.
  bool dmi_numerics = false;
  std::vector<float> result;

  LinearJobResult* res = nullptr;
  std::string error;
};

/** Plain counters kept in the hot paths; report_stats copies them into the tree. */
struct Accelerator::Counters {
  std::vector<int64_t> ch_bytes_read, ch_bytes_written, ch_txns;
  std::vector<double> ch_busy_ns;
  std::vector<sc_time> ch_busy_until;
  int64_t unpack_busy_cycles = 0, scale_busy_cycles = 0, pipeline_fill_cycles = 0;
  int64_t pe_busy_cycles = 0, useful_macs = 0;
  double stall_weights_ns = 0, stall_unpacker_cycles = 0, stall_scale_cycles = 0, stall_out_ns = 0, stall_act_ns = 0;
  int64_t jobs = 0, chunks = 0, blocks = 0, tiles = 0;
  double job_ns = 0;
  std::array<int64_t, kNumOpKinds> jobs_by_op{};
};

Accelerator::Accelerator(sc_core::sc_module_name name, const AccelConfig& cfg)
    : sc_module(name), cfg_(cfg), plan_(cfg), chunk_(std::make_unique<Chunk>()), ctr_(std::make_unique<Counters>()) {
  if (cfg_.n_channels < 1) fail("accel.dma.channels must be >= 1 (got {}) in {}", cfg_.n_channels, cfg_.file);
  clock_period_ = sc_time(cfg_.clock_period_ns(), sc_core::SC_NS);
  const auto n = static_cast<size_t>(cfg_.n_channels);
  ctr_->ch_bytes_read.assign(n, 0);
  ctr_->ch_bytes_written.assign(n, 0);
  ctr_->ch_txns.assign(n, 0);
  ctr_->ch_busy_ns.assign(n, 0.0);
  ctr_->ch_busy_until.assign(n, SC_ZERO_TIME);
  for (int c = 0; c < cfg_.n_channels; ++c) {
    dma.push_back(std::make_unique<DmaSocket>(fmt::format("dma{}", c).c_str()));
    dma_track_.push_back(fmt::format("{}.dma{}", basename(), c));
    for (int j = 0; j < cfg_.dma_outstanding_per_channel; ++j) {
      loader_ev_.push_back(std::make_unique<sc_core::sc_event>());
      loader_wants_.push_back(-1);
      sc_core::sc_spawn([this, c, j] { loader_thread(c, j); }, fmt::format("loader_{}_{}", c, j).c_str());
    }
  }
  sc_core::sc_spawn([this] { compute_thread(); }, "compute");
  for (int c = 0; c < cfg_.n_channels; ++c) {
    store_ready_ev_.push_back(std::make_unique<sc_core::sc_event>());
    sc_core::sc_spawn([this, c] { writer_thread(c); }, fmt::format("store_{}", c).c_str());
  }
  if (cfg_.fidelity == Fidelity::Fast)
    tlm::tlm_global_quantum::instance().set(sc_time(cfg_.fast_quantum_ns, sc_core::SC_NS));
}

Accelerator::~Accelerator() = default;

void Accelerator::wait_until(sc_time t) {
  if (t > sc_time_stamp()) wait(t - sc_time_stamp());
}

void Accelerator::wake_next_loader() {
  // Without a free slot the loader would only wait again; the slot's release wakes it.
  if (chunk_->free_slots == 0) return;
  const int64_t next = chunk_->alloc_next;
  // Unit u is channel u mod n_channels's: only that channel's loaders can be waiting for it.
  const size_t per = static_cast<size_t>(cfg_.dma_outstanding_per_channel);
  const size_t first = static_cast<size_t>(next % cfg_.n_channels) * per;
  for (size_t i = first; i < first + per; ++i)
    if (loader_wants_[i] == next) {
      loader_ev_[i]->notify(SC_ZERO_TIME);
      return;
    }
}

void Accelerator::notify_activity(const std::string& track, const char* what, sc_time start, sc_time end) {
  if (hook_) hook_(track, what, start, end - start);
}

sc_time Accelerator::transfer(tlm::tlm_generic_payload& p, int c, tlm::tlm_command cmd, uint64_t addr, uint8_t* data,
                              int64_t bytes, tlm_utils::tlm_quantumkeeper* qk, bool timing_only, int64_t piece_bytes) {
  init_payload(p, cmd, addr, data, bytes);
  TimingOnlyExt timing_ext;
  if (timing_only) p.set_extension(&timing_ext);
  // Fast fidelity: what the cycle DMA's transactions would look like to the DRAM (one per MACRO
  // block; every channel's loader streaming meanwhile, and the writer's lines among them).
  TransferShapeExt shape;
  shape.piece_bytes = static_cast<uint64_t>(piece_bytes);
  shape.streams = static_cast<uint32_t>(cfg_.n_channels + (cmd == tlm::TLM_WRITE_COMMAND ? 1 : 0));
  const bool shaped = cfg_.fidelity == Fidelity::Fast;
  if (shaped) p.set_extension(&shape);
  sc_time delay = qk ? qk->get_local_time() : SC_ZERO_TIME;
  const sc_time start = sc_time_stamp() + delay;
  (*dma[c])->b_transport(p, delay);
  if (timing_only) p.clear_extension(&timing_ext);  // stack-owned: the payload must not free it
  if (shaped) p.clear_extension(&shape);
  sc_time end;
  if (qk) {
    qk->set(delay);
    end = qk->get_current_time();
    if (qk->need_sync()) qk->sync();
  } else {
    if (delay > SC_ZERO_TIME) wait(delay);
    end = sc_time_stamp();
  }
  if (p.is_response_error() && chunk_->error.empty())
    chunk_->error = fmt::format("accel: DMA {} of {} bytes at 0x{:x} on channel {} failed: {}",
                                cmd == tlm::TLM_READ_COMMAND ? "read" : "write", bytes, addr, c,
                                p.get_response_string());
  auto& until = ctr_->ch_busy_until[c];
  const sc_time from = std::max(start, until);
  if (end > from) ctr_->ch_busy_ns[c] += tc_.ns(end - from);
  until = std::max(until, end);
  ++ctr_->ch_txns[c];
  (cmd == tlm::TLM_READ_COMMAND ? ctr_->ch_bytes_read : ctr_->ch_bytes_written)[c] += bytes;
  (cmd == tlm::TLM_READ_COMMAND ? chunk_->res->bytes_read : chunk_->res->bytes_written) += bytes;
  if (hook_) notify_activity(dma_track_[c], cmd == tlm::TLM_READ_COMMAND ? "read" : "write", start, end);
  return end;
}

void Accelerator::loader_thread(int c, int j) {
  tlm::tlm_generic_payload p;
  std::unique_ptr<tlm_utils::tlm_quantumkeeper> qk;
  if (cfg_.fidelity == Fidelity::Fast) qk = std::make_unique<tlm_utils::tlm_quantumkeeper>();
  uint64_t seen = 0;
  for (;;) {
    while (seen == generation_) wait(start_ev_);
    seen = generation_;
    Chunk& ch = *chunk_;
    const LinearJob& job = *ch.job;
    if (qk) qk->reset();
    if (j == 0) {
      // The chunk's activations are contiguous; each channel fetches an equal share.
      const int64_t total = ch.ntok * job.in_features * kF32Bytes;
      const int64_t share = ceil_div(ceil_div(total, cfg_.n_channels), kF32Bytes) * kF32Bytes;
      const int64_t off = std::min(total, share * c), len = std::min(total, off + share) - off;
      if (len > 0) {
        const uint64_t addr = job.act_addr + static_cast<uint64_t>(ch.tok0 * job.in_features * kF32Bytes + off);
        const sc_time done =
            transfer(p, c, tlm::TLM_READ_COMMAND, addr, reinterpret_cast<uint8_t*>(ch.act.data()) + off, len, qk.get());
        ch.act_done = std::max(ch.act_done, done);
      }
      ++ch.act_parts_done;
      act_ev_.notify(SC_ZERO_TIME);
    }
    for (;;) {
      const int64_t u = c + cfg_.n_channels * ch.channel_taken[c]++;
      if (u >= ch.n_units) break;
      if (ch.alloc_next != u || ch.free_slots == 0) {
        if (qk) qk->sync();  // about to block on another thread: bring local time to the kernel's
        const size_t me = static_cast<size_t>(c * cfg_.dma_outstanding_per_channel + j);
        loader_wants_[me] = u;
        while (ch.alloc_next != u || ch.free_slots == 0) wait(*loader_ev_[me]);
        loader_wants_[me] = -1;
      }
      ++ch.alloc_next;
      --ch.free_slots;
      wake_next_loader();
      const int64_t k0 = u * ch.blocks_per_unit, k1 = std::min(ch.n_blocks, k0 + ch.blocks_per_unit);
      uint8_t* dst = ch.slot_data[u % ch.slots].data();
      sc_time done = SC_ZERO_TIME;
      for (int64_t k = k0; k < k1; k += ch.blocks_per_txn) {
        const int64_t nb = std::min(k1 - k, ch.blocks_per_txn);
        done = transfer(p, c, tlm::TLM_READ_COMMAND, job.weight_addr + static_cast<uint64_t>(k * ch.block_bytes),
                        dst + (k - k0) * ch.block_bytes, nb * ch.block_bytes, qk.get(), ch.dmi_numerics || !job.numerics,
                        ch.block_bytes);
      }
      ch.load_done[u] = done;
      ch.loaded[u] = 1;
      // Only the unit the compute stage waits for needs an event; others are found loaded (saves a
      // delta cycle per block in cycle fidelity).
      if (compute_waits_for_ == u) loaded_ev_.notify(SC_ZERO_TIME);
    }
    if (qk) qk->sync();
  }
}

void Accelerator::compute_thread() {
  const MacroLayout& L = cfg_.macro;
  std::vector<uint8_t> codes(static_cast<size_t>(L.tile_rows * L.group_size));
  std::vector<uint16_t> scales(static_cast<size_t>(L.tile_rows));
  std::vector<uint8_t> zeros(static_cast<size_t>(L.tile_rows));
  std::vector<float> acc;
  std::vector<int64_t> acc_fx;  // fixed64 accumulators (accel.pe_array.accum_type)
  const AwqAccum accum = cfg_.awq_accum();
  const bool fixed = accum.kind == AwqAccumKind::Fixed64;
  uint64_t seen = 0;
  for (;;) {
    while (seen == generation_) wait(start_ev_);
    seen = generation_;
    Chunk& ch = *chunk_;
    const LinearJob& job = *ch.job;
    const int64_t in = job.in_features, out = job.out_features, G = L.group_size, ntok = ch.ntok;

    sc_time t0 = sc_time_stamp();
    while (ch.act_parts_done < cfg_.n_channels) wait(act_ev_);
    wait_until(ch.act_done);
    ctr_->stall_act_ns += tc_.ns(sc_time_stamp() - t0);

    if (ch.dmi_numerics) {
      // The whole chunk at once, tiles in parallel, from the same bytes the DMA streams (read
      // through DMI); what follows only keeps time.
      ch.result.resize(static_cast<size_t>(out * ntok));
      awq_macro_tiles(tile_pointers(job, ch.n_tiles, ch.n_groups * ch.block_bytes), L, in, out, ch.act.data(), ntok,
                      ch.result.data());
    }
    acc.assign(static_cast<size_t>(L.tile_rows * ntok), 0.0f);
    acc_fx.assign(static_cast<size_t>(L.tile_rows * ntok), 0);
    const int64_t tiles_per_batch = plan_.tiles_per_batch();
    Chunk::Batch batch;  // the batch the finishing tiles fill
    int64_t next_batch = 0;
    std::vector<Chunk::Batch> done_batches;  // filled during a step, handed to the stores after it
    for (int64_t s0 = 0; s0 < ch.n_blocks; s0 += ch.blocks_per_step) {
      const int64_t s1 = std::min(ch.n_blocks, s0 + ch.blocks_per_step);
      const int64_t u = s0 / ch.blocks_per_unit;
      t0 = sc_time_stamp();
      compute_waits_for_ = u;
      while (!ch.loaded[u]) wait(loaded_ev_);
      compute_waits_for_ = -1;
      wait_until(ch.load_done[u]);
      ctr_->stall_weights_ns += tc_.ns(sc_time_stamp() - t0);

      const uint8_t* unit_data = ch.slot_data[u % ch.slots].data();
      auto finish_tile = [&](int64_t tile, int64_t rows) {  // its outputs leave the PE array
        if (batch.n_tiles == 0) batch.row0 = tile * L.tile_rows;
        batch.rows += rows;
        ++batch.n_tiles;
        if (ch.dmi_numerics) {
          const auto from = ch.result.begin() + tile * L.tile_rows * ntok;
          batch.v.insert(batch.v.end(), from, from + rows * ntok);
        } else {
          if (fixed && job.numerics)  // the fixed-point accumulators leave the array as fp32, converted once
            for (int64_t i = 0; i < rows * ntok; ++i) acc[i] = awq_fixed_to_float(acc_fx[i], accum.frac_bits);
          batch.v.insert(batch.v.end(), acc.begin(), acc.begin() + rows * ntok);
          std::fill(acc.begin(), acc.end(), 0.0f);
          std::fill(acc_fx.begin(), acc_fx.end(), 0);
        }
        if (batch.n_tiles == tiles_per_batch || tile == ch.n_tiles - 1) {
          batch.end_block = std::min(ch.n_blocks, (tile + 1) * ch.n_groups);
          done_batches.push_back(std::move(batch));
          batch = {};
        }
      };
      const bool block_numerics = job.numerics && !ch.dmi_numerics;
      if (!block_numerics) {
        // No arithmetic per block (done for the whole chunk, or timing only): the step's figures in
        // closed form, one tile's run of groups at a time (the same integer sums as block by block;
        // only a tile's last group can be short).
        for (int64_t k = s0; k < s1;) {
          const int64_t tile = k / ch.n_groups, g0 = k % ch.n_groups;
          const int64_t g1 = std::min(ch.n_groups, g0 + (s1 - k));
          const int64_t rows = std::min(L.tile_rows, out - tile * L.tile_rows);
          const int64_t cols = (g1 - g0) * G - (g1 == ch.n_groups ? ch.n_groups * G - in : 0);
          ctr_->useful_macs += rows * cols * ntok;
          ch.res->useful_macs += rows * cols * ntok;
          if (g1 == ch.n_groups) finish_tile(tile, rows);
          k += g1 - g0;
        }
      }
      for (int64_t k = s0; k < s1 && block_numerics; ++k) {
        const int64_t tile = k / ch.n_groups, g = k % ch.n_groups;
        const int64_t rows = std::min(L.tile_rows, out - tile * L.tile_rows);
        const int64_t begin = g * G, len = std::min(G, in - begin);
        unpack_macro_block(unit_data + (k - u * ch.blocks_per_unit) * ch.block_bytes, L, codes.data(),
                             scales.data(), zeros.data());
        if (fixed) {
          for (int64_t r = 0; r < rows; ++r) {
            const uint8_t* crow = codes.data() + r * G;
            for (int64_t t = 0; t < ntok; ++t) {
              const int64_t partial =
                  awq_group_partial_fixed(crow, zeros[r], ch.act.data() + t * in + begin, len, accum.frac_bits);
              acc_fx[r * ntok + t] = awq_fixed_add(acc_fx[r * ntok + t], awq_fixed_scale(partial, scales[r]));
            }
          }
        } else {
          awq_block_accumulate(codes.data(), G, zeros.data(), scales.data(), rows, ch.act.data() + begin, in, ntok,
                               len, acc.data());
        }
        ctr_->useful_macs += rows * len * ntok;
        ch.res->useful_macs += rows * len * ntok;
        if (g == ch.n_groups - 1) finish_tile(tile, rows);
      }
      // The kernel's DATAFLOW stages run side by side: the slowest sets the pace (KernelPlan, the
      // schedule the emitted kernel is built for); a pass fills and drains the pipeline once. A step
      // of several tiles (fast fidelity) advances tile by tile, so each finished batch reaches its
      // store when the kernel's would, not at the end of the step.
      const sc_time c0 = sc_time_stamp();
      size_t handed = 0;
      for (int64_t k = s0; k < s1;) {
        const int64_t k2 = std::min(s1, (k / ch.n_groups + 1) * ch.n_groups);
        const int64_t pe = plan_.pe_cycles(ntok, k2 - k), unpack = plan_.unpack_cycles(k, k2);
        const int64_t scale = plan_.scale_cycles(ntok, k2 - k);
        int64_t busy = std::max({pe, unpack, scale});
        ctr_->stall_unpacker_cycles += static_cast<double>(std::max<int64_t>(0, unpack - pe));
        ctr_->stall_scale_cycles += static_cast<double>(std::max<int64_t>(0, scale - std::max(pe, unpack)));
        if (k2 == ch.n_blocks) {
          const int64_t fill = plan_.pass_overhead_cycles(ntok, ch.n_blocks);
          busy += fill;
          ctr_->pipeline_fill_cycles += fill;
        }
        ctr_->pe_busy_cycles += pe;
        ch.res->pe_busy_cycles += pe;
        ctr_->unpack_busy_cycles += unpack;
        ctr_->scale_busy_cycles += scale;
        ctr_->blocks += k2 - k;
        wait(cycles(busy));
        if (k2 == s1 && s1 == std::min(ch.n_blocks, (u + 1) * ch.blocks_per_unit)) {  // unit consumed: free its slot
          ++ch.free_slots;
          wake_next_loader();
        }
        // Batches whose last tile ends by block k2 leave for the store of their channel.
        for (; handed < done_batches.size() && done_batches[handed].end_block <= k2; ++handed) {
          Chunk::Batch& b = done_batches[handed];
          const auto c = static_cast<size_t>(next_batch++ % cfg_.n_channels);
          t0 = sc_time_stamp();
          while (static_cast<int64_t>(ch.store_queue[c].size()) == ch.store_capacity) wait(out_free_ev_);
          ctr_->stall_out_ns += tc_.ns(sc_time_stamp() - t0);
          ctr_->tiles += b.n_tiles;
          ch.store_queue[c].push_back(std::move(b));
          store_ready_ev_[c]->notify(SC_ZERO_TIME);
        }
        k = k2;
      }
      if (hook_) notify_activity(std::string(basename()) + ".pe_array", "compute", c0, sc_time_stamp());
      done_batches.clear();
    }
  }
}

void Accelerator::writer_thread(int c) {
  std::unique_ptr<tlm_utils::tlm_quantumkeeper> qk;
  if (cfg_.fidelity == Fidelity::Fast) qk = std::make_unique<tlm_utils::tlm_quantumkeeper>();
  std::vector<float> bias, line;
  tlm::tlm_generic_payload p;
  uint64_t seen = 0;
  const auto me = static_cast<size_t>(c);
  for (;;) {
    while (seen == generation_) wait(start_ev_);
    seen = generation_;
    Chunk& ch = *chunk_;
    const LinearJob& job = *ch.job;
    if (qk) qk->reset();
    // Batches c, c + channels, ... in order, as the kernel's store_batches on this channel.
    for (int64_t bt = c; bt < ch.n_batches; bt += cfg_.n_channels) {
      if (ch.store_queue[me].empty()) {
        if (qk) qk->sync();
        while (ch.store_queue[me].empty()) wait(*store_ready_ev_[me]);
      }
      Chunk::Batch& b = ch.store_queue[me].front();
      const int64_t row_bytes = b.rows * kF32Bytes;
      if (job.bias_addr) {
        bias.resize(static_cast<size_t>(b.rows));
        transfer(p, c, tlm::TLM_READ_COMMAND, job.bias_addr + static_cast<uint64_t>(b.row0 * kF32Bytes),
                 reinterpret_cast<uint8_t*>(bias.data()), row_bytes, qk.get());
      }
      line.resize(static_cast<size_t>(b.rows));
      for (int64_t t = 0; t < ch.ntok; ++t) {
        // Bias last, as in awq_linear: y = acc + bias.
        for (int64_t r = 0; r < b.rows; ++r)
          line[r] = job.bias_addr ? b.v[r * ch.ntok + t] + bias[r] : b.v[r * ch.ntok + t];
        const uint64_t addr =
            job.out_addr + static_cast<uint64_t>(((ch.tok0 + t) * job.out_features + b.row0) * kF32Bytes);
        transfer(p, c, tlm::TLM_WRITE_COMMAND, addr, reinterpret_cast<uint8_t*>(line.data()), row_bytes, qk.get());
      }
      if (qk) qk->sync();  // the scale stage may be waiting for this store: the slot frees now
      ch.store_queue[me].pop_front();
      out_free_ev_.notify(SC_ZERO_TIME);
    }
    if (qk) qk->sync();
    if (++ch.stores_done == cfg_.n_channels) {
      ch.writer_done = true;
      done_ev_.notify(SC_ZERO_TIME);
    }
  }
}

const tlm::tlm_dmi* Accelerator::dmi_region(uint64_t addr) {
  const auto it = dmi_.lower_bound(addr);  // keyed by end address
  if (it != dmi_.end() && it->second.get_start_address() <= addr) return &it->second;
  tlm::tlm_generic_payload p;
  init_payload(p, tlm::TLM_READ_COMMAND, addr, nullptr, 0);
  tlm::tlm_dmi d;
  if (!(*dma[0])->get_direct_mem_ptr(p, d) || !d.is_read_allowed() || addr < d.get_start_address() ||
      addr > d.get_end_address())
    return nullptr;
  return &dmi_.emplace(d.get_end_address(), d).first->second;
}

bool Accelerator::weights_reachable_by_dmi(uint64_t addr, int64_t bytes) {
  for (uint64_t a = addr, end = addr + static_cast<uint64_t>(bytes); a < end;) {
    const tlm::tlm_dmi* d = dmi_region(a);
    if (!d) return false;
    a = d->get_end_address() + 1;
  }
  return true;
}

const uint8_t* const* Accelerator::tile_pointers(const LinearJob& job, int64_t n_tiles, int64_t tile_bytes) {
  // A tile's blocks are contiguous in DDR; one that straddles two DMI regions is gathered into a copy.
  tile_ptrs_.resize(static_cast<size_t>(n_tiles));
  straddle_.clear();
  std::vector<std::pair<int64_t, size_t>> gathered;
  for (int64_t i = 0; i < n_tiles; ++i) {
    const uint64_t a = job.weight_addr + static_cast<uint64_t>(i * tile_bytes);
    const tlm::tlm_dmi* d = dmi_region(a);
    if (a + static_cast<uint64_t>(tile_bytes) - 1 <= d->get_end_address()) {
      tile_ptrs_[i] = d->get_dmi_ptr() + (a - d->get_start_address());
      continue;
    }
    const size_t at = straddle_.size();
    straddle_.resize(at + static_cast<size_t>(tile_bytes));
    for (int64_t off = 0; off < tile_bytes;) {
      const tlm::tlm_dmi* r = dmi_region(a + static_cast<uint64_t>(off));
      const int64_t take = std::min<int64_t>(tile_bytes - off, static_cast<int64_t>(r->get_end_address() - (a + off)) + 1);
      std::memcpy(straddle_.data() + at + off, r->get_dmi_ptr() + (a + off - r->get_start_address()),
                  static_cast<size_t>(take));
      off += take;
    }
    gathered.emplace_back(i, at);
  }
  for (const auto& [i, at] : gathered) tile_ptrs_[i] = straddle_.data() + at;  // straddle_ no longer moves
  return tile_ptrs_.data();
}

void Accelerator::run_chunk(const LinearJob& job, int64_t tok0, int64_t ntok, LinearJobResult& res) {
  Chunk& ch = *chunk_;
  const MacroLayout& L = cfg_.macro;
  ch = Chunk{};
  ch.job = &job;
  ch.res = &res;
  ch.tok0 = tok0;
  ch.ntok = ntok;
  ch.n_tiles = ceil_div(job.out_features, L.tile_rows);
  ch.n_groups = ceil_div(job.in_features, L.group_size);
  ch.n_blocks = ch.n_tiles * ch.n_groups;
  ch.block_bytes = L.block_bytes();
  const int64_t buffer_blocks = cfg_.weight_buffer_blocks();
  // Cycle fidelity: a ring of block-sized slots, loads run ahead as far as space allows.
  ch.blocks_per_unit =
      cfg_.weight_double_buffered && cfg_.fidelity == Fidelity::Cycle ? 1 : cfg_.fast_unit_blocks(ch.n_blocks);
  ch.n_units = ceil_div(ch.n_blocks, ch.blocks_per_unit);
  ch.slots = buffer_blocks / ch.blocks_per_unit;
  // The whole-chunk fast path is the fp32 array; fixed-point accumulators go block by block.
  ch.dmi_numerics = job.numerics && cfg_.fidelity == Fidelity::Fast &&
                    cfg_.awq_accum().kind == AwqAccumKind::Fp32 &&
                    weights_reachable_by_dmi(job.weight_addr, ch.n_blocks * ch.block_bytes);
  ch.blocks_per_txn = cfg_.fidelity == Fidelity::Cycle ? 1 : ch.blocks_per_unit;
  ch.blocks_per_step = cfg_.fidelity == Fidelity::Cycle ? 1 : ch.blocks_per_unit;
  ch.channel_taken.assign(static_cast<size_t>(cfg_.n_channels), 0);
  ch.free_slots = ch.slots;
  // Storage even with DMI numerics: a target that does not know TimingOnlyExt still moves the bytes.
  ch.slot_data.assign(static_cast<size_t>(ch.slots),
                      std::vector<uint8_t>(static_cast<size_t>(ch.blocks_per_unit * ch.block_bytes)));
  ch.loaded.assign(static_cast<size_t>(ch.n_units), 0);
  ch.load_done.assign(static_cast<size_t>(ch.n_units), SC_ZERO_TIME);
  ch.act.assign(static_cast<size_t>(ntok * job.in_features), 0.0f);
  ch.act_done = sc_time_stamp();
  ch.n_batches = ceil_div(ch.n_tiles, plan_.tiles_per_batch());
  ch.store_capacity = plan_.store_batches_buffered(ntok);
  ch.store_queue.assign(static_cast<size_t>(cfg_.n_channels), {});

  ++generation_;
  start_ev_.notify(SC_ZERO_TIME);
  while (!ch.writer_done) wait(done_ev_);
  ++ctr_->chunks;
  ++res.token_chunks;
  if (!ch.error.empty()) fail("{}", ch.error);
}

LinearJobResult Accelerator::run_linear(const LinearJob& job) {
  const MacroLayout& L = cfg_.macro;
  const char* op = op_name(job.ctx.op);
  if (!(job.layout == L))
    fail("accel: layer {} {}: MACRO layout (tile_rows {}, group_size {}, bits {}, beat_bytes {}, zero_point {}) "
         "does not match accel.macro (tile_rows {}, group_size {}, bits {}, beat_bytes {}, zero_point {}) in {}",
         job.ctx.layer, op, job.layout.tile_rows, job.layout.group_size, job.layout.bits, job.layout.beat_bytes,
         job.layout.zero_point, L.tile_rows, L.group_size, L.bits, L.beat_bytes, L.zero_point, cfg_.file);
  if (job.in_features <= 0 || job.out_features <= 0 || job.n_tokens <= 0)
    fail("accel: layer {} {}: in_features, out_features and n_tokens must be > 0 (got {}, {}, {})", job.ctx.layer,
         op, job.in_features, job.out_features, job.n_tokens);
  int64_t chunk_tokens = 0;
  try {
    chunk_tokens = plan_.chunk_tokens(job.in_features, job.n_tokens);
  } catch (const Error& e) {
    fail("layer {} {}: {}", job.ctx.layer, op, e.what());
  }

  LinearJobResult res;
  const sc_time t0 = sc_time_stamp();
  wait(cycles(cfg_.descriptor_cycles));
  for (int64_t tok0 = 0; tok0 < job.n_tokens; tok0 += chunk_tokens)
    run_chunk(job, tok0, std::min(chunk_tokens, job.n_tokens - tok0), res);
  wait(cycles(cfg_.completion_cycles));
  res.time = sc_time_stamp() - t0;
  ++ctr_->jobs;
  ++ctr_->jobs_by_op[static_cast<size_t>(job.ctx.op)];
  ctr_->job_ns += tc_.ns(res.time);
  if (hook_) notify_activity(basename(), op, t0, sc_time_stamp());
  return res;
}

void Accelerator::report_stats(stats::Group& g) const {
  const Counters& c = *ctr_;
  const double period_ns = cfg_.clock_period_ns();
  const double active_cycles = c.job_ns / period_ns;
  g.set("jobs", static_cast<double>(c.jobs), stats::Quantity::Count, "linear jobs run");
  g.set("token_chunks", static_cast<double>(c.chunks), stats::Quantity::Count,
        "job passes limited by the activation/output buffers");
  g.set("blocks", static_cast<double>(c.blocks), stats::Quantity::Count, "MACRO blocks computed");
  g.set("tiles", static_cast<double>(c.tiles), stats::Quantity::Count, "output tiles written back");
  g.set("busy_time", c.job_ns, stats::Quantity::Ns, "descriptor fetch to completion, summed over jobs");
  auto& jobs = g.child("jobs_by_op");
  for (int k = 0; k < kNumOpKinds; ++k)
    if (c.jobs_by_op[k])
      jobs.set(op_name(static_cast<OpKind>(k)), static_cast<double>(c.jobs_by_op[k]), stats::Quantity::Count,
               "accelerator jobs of this op");
  auto& d = g.child("dma");
  for (int ch = 0; ch < cfg_.n_channels; ++ch) {
    auto& x = d.child(fmt::format("ch{}", ch));
    const double bytes = static_cast<double>(c.ch_bytes_read[ch] + c.ch_bytes_written[ch]);
    x.set("bytes_read", static_cast<double>(c.ch_bytes_read[ch]), stats::Quantity::Bytes,
          "bytes the channel read: weights, activations, biases");
    x.set("bytes_written", static_cast<double>(c.ch_bytes_written[ch]), stats::Quantity::Bytes,
          "bytes the channel wrote: output lines");
    x.set("transactions", static_cast<double>(c.ch_txns[ch]), stats::Quantity::Count,
          "DMA transactions the channel issued");
    x.set("busy_time", c.ch_busy_ns[ch], stats::Quantity::Ns, "time with at least one transfer in flight");
    x.set("bandwidth_busy", c.ch_busy_ns[ch] > 0 ? bytes / c.ch_busy_ns[ch] : 0.0, stats::Quantity::GBps,
          "bytes / busy time");
    x.set("bandwidth_active", c.job_ns > 0 ? bytes / c.job_ns : 0.0, stats::Quantity::GBps,
          "bytes / accelerator busy time");
  }
  auto& u = g.child("unpacker");
  u.set("busy_cycles", static_cast<double>(c.unpack_busy_cycles), stats::Quantity::Cycles,
        "PL cycles the stage was busy");
  u.set("utilisation", active_cycles > 0 ? 100.0 * c.unpack_busy_cycles / active_cycles : 0.0, stats::Quantity::Percent,
        "busy cycles / accelerator busy cycles");
  auto& sc = g.child("scale");
  sc.set("busy_cycles", static_cast<double>(c.scale_busy_cycles), stats::Quantity::Cycles,
         "scale stage (lane combination, fp16 scale, tile accumulation)");
  sc.set("utilisation", active_cycles > 0 ? 100.0 * c.scale_busy_cycles / active_cycles : 0.0, stats::Quantity::Percent,
         "busy cycles / accelerator busy cycles");
  g.set("pipeline_fill_cycles", static_cast<double>(c.pipeline_fill_cycles), stats::Quantity::Cycles,
        "filling and draining the kernel's pipeline, once per token pass");
  auto& pe = g.child("pe_array");
  const double macs_per_cycle = static_cast<double>(cfg_.pe_rows * cfg_.pe_cols);
  pe.set("busy_cycles", static_cast<double>(c.pe_busy_cycles), stats::Quantity::Cycles, "PL cycles the stage was busy");
  pe.set("useful_macs", static_cast<double>(c.useful_macs), stats::Quantity::Count,
         "multiply-accumulates that contribute to the outputs");
  pe.set("utilisation_busy", c.pe_busy_cycles ? 100.0 * c.useful_macs / (macs_per_cycle * c.pe_busy_cycles) : 0.0,
         stats::Quantity::Percent, "useful MACs / (R*C*busy cycles)");
  pe.set("utilisation", active_cycles > 0 ? 100.0 * c.useful_macs / (macs_per_cycle * active_cycles) : 0.0,
         stats::Quantity::Percent, "useful MACs / (R*C*accelerator busy cycles)");
  auto& st = pe.child("stall_cycles");
  st.set("waiting_for_weights", c.stall_weights_ns / period_ns, stats::Quantity::Cycles,
         "next MACRO block not in the weight buffer");
  st.set("waiting_for_unpacker", c.stall_unpacker_cycles, stats::Quantity::Cycles, "unpacker slower than the PE array");
  st.set("waiting_for_scale", c.stall_scale_cycles, stats::Quantity::Cycles,
         "scale stage slower than the PE array and the unpacker");
  st.set("waiting_for_output_buffer", c.stall_out_ns / period_ns, stats::Quantity::Cycles,
         "finished batch, the store of its channel full (KernelPlan::store_batches_buffered)");
  st.set("waiting_for_activations", c.stall_act_ns / period_ns, stats::Quantity::Cycles,
         "activation load at job start");
}

}  // namespace fpgallm::sim
