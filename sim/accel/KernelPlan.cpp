#include "sim/accel/KernelPlan.h"

#include <algorithm>

#include <fmt/format.h>

#include "models/core/Error.h"

namespace fpgallm::sim {

namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Latencies of the kernel's non-fp32 steps, in cycles (the fp32 ones are config fields).
/** BRAM/LUTRAM read with a registered output (UG573). */
constexpr int64_t kRamReadLatency = 2;
/** Assumed: int -> fp32 of the small (code - zero) difference; Vitis-generated designs show
 *  sitofp_32ns_32_6 cores with LATENCY 5. */
constexpr int64_t kIntToFloatLatency = 5;
/** Assumed: a 64-bit saturating integer add (fixed64 accumulators) fits one cycle (CARRY8 chains, UG574). */
constexpr int64_t kFixedAddLatency = 1;
/** Assumed: DSP48E2 slices of the fixed64 scale step (a 64-bit value times the 11-bit fp16
 *  significand: three 27x18 multipliers, UG579). */
constexpr int64_t kDspPerFixedScale = 3;
/** A single-stage register, a FIFO read/write, a compare: one cycle. */
constexpr int64_t kRegisterLatency = 1;
/** Storage choice the emitted BIND_STORAGE pragmas make: a bank at most a LUT6's 64 words deep
 *  (UG574: one SLICEM LUT is a 64 x 1 RAM), or of at most 4 Kbit, is distributed RAM (LUTRAM);
 *  deeper, larger ones are block RAM. A design choice of the kernel, not a guess about the tool
 *  (Vitis HLS would pick by itself otherwise); wide shallow arrays would waste BRAM36 columns. */
constexpr int64_t kLutramMaxDepth = 64;
constexpr int64_t kLutramMaxBankBits = 4096;
/** Lane sums of awq_group_partial. */
constexpr int64_t kLanes = kAwqPartialLanes;
/** Adds of the 8-lane combination tree of awq_group_partial, and its depth. */
constexpr int64_t kCombineAdds = kLanes - 1;
constexpr int64_t kCombineLevels = 3;

/** Lane-sum recurrence of the PE array: at most `adds` dependent adds into one lane sum per column
 *  step, and at least `gap` steps between two steps that touch the same lane sum. */
struct LaneTouch {
  int64_t adds = 1, gap = 1;
};

LaneTouch lane_touch(int64_t cols, int64_t col_steps, bool fixed) {
  if (fixed) return {cols, 1};  // one saturating sum in input order: lane 0 every step
  LaneTouch t{0, col_steps};
  std::vector<int64_t> last(kLanes, -1);
  // Element i = j * cols + c goes to lane i % 8; walk the steps of one group.
  for (int64_t j = 0; j < col_steps; ++j) {
    std::vector<int64_t> n(kLanes, 0);
    for (int64_t c = 0; c < cols; ++c) ++n[(j * cols + c) % kLanes];
    for (int64_t l = 0; l < kLanes; ++l) {
      if (!n[l]) continue;
      t.adds = std::max(t.adds, n[l]);
      if (last[l] >= 0) t.gap = std::min(t.gap, j - last[l]);
      last[l] = j;
    }
  }
  t.adds = std::max<int64_t>(t.adds, 1);
  t.gap = std::max<int64_t>(t.gap, 1);
  return t;
}

bool in_lutram(int64_t width_bits, int64_t depth) {
  return depth <= kLutramMaxDepth || width_bits * depth <= kLutramMaxBankBits;
}

KernelStorage ram_storage(int64_t width_bits, int64_t depth) {
  return in_lutram(width_bits, depth) ? KernelStorage::Lutram : KernelStorage::Bram;
}

KernelStorage fifo_storage(int64_t width_bits, int64_t depth) {
  return in_lutram(width_bits, depth) ? KernelStorage::FifoLutram : KernelStorage::FifoBram;
}

}  // namespace

const char* kernel_storage_name(KernelStorage s) {
  switch (s) {
    case KernelStorage::Bram: return "bram";
    case KernelStorage::Lutram: return "lutram";
    case KernelStorage::Registers: return "registers";
    case KernelStorage::FifoBram: return "fifo_bram";
    case KernelStorage::FifoLutram: return "fifo_lutram";
  }
  return "?";
}

KernelPlan::KernelPlan(const AccelConfig& a) : a_(a) {
  const MacroLayout& m = a.macro;
  const bool fixed = a.pe_accum_type == PeNumType::Fixed64;
  const int64_t beat_bits = m.beat_bytes * 8;
  codes_per_beat_ = std::max<int64_t>(1, beat_bits / m.bits);
  block_beats_ = m.block_bytes() / m.beat_bytes;

  // Unpacker: one lane per channel (each reads its channel's FIFO, the only reader), each
  // decoding codes_per_cycle / channels codes a cycle: a beat takes this many cycles.
  const int64_t bits_per_cycle = a.unpack_codes_per_cycle * m.bits;
  lanes_ = a.n_channels;
  unpack_ii_ = std::max<int64_t>(1, ceil_div(beat_bits * a.n_channels, bits_per_cycle));

  row_passes_ = ceil_div(m.tile_rows, a.pe_rows);
  col_steps_ = ceil_div(m.group_size, a.pe_cols);

  // Interleaved blocks: the chain of adds into one lane sum per step, spread over the steps
  // between touches, needs this many independent blocks in flight for II = 1 at one token.
  const LaneTouch touch = lane_touch(a.pe_cols, col_steps_, fixed);
  const int64_t add_latency = fixed ? kFixedAddLatency : a.fadd_latency_cycles;
  const int64_t chain = touch.adds * add_latency;
  interleave_ = std::max<int64_t>(1, ceil_div(chain, touch.gap));
  lane_adds_ = touch.adds;
  lane_gap_ = touch.gap;
  add_latency_ = add_latency;
  // A slice as the kernel declares it: a byte per code and per zero (Slice<C> in fpgallm_hls.h).
  slice_bits_ = (a.pe_rows * a.pe_cols + a.pe_rows) * 8;

  // Scale stage: the fewest rows per cycle (a divisor of tile_rows) that keep up with the PE array.
  scale_rows_ = m.tile_rows;
  for (int64_t s = 1; s <= m.tile_rows; ++s)
    if (m.tile_rows % s == 0 && m.tile_rows / s <= steps()) {
      scale_rows_ = s;
      break;
    }
  const int64_t acc_latency = fixed ? kFixedAddLatency : a.fadd_latency_cycles;
  scale_min_tokens_ = std::max<int64_t>(1, ceil_div(acc_latency, scale_groups()));
  acc_latency_ = acc_latency;

  lane_block_cycles_ = std::max(block_beats_, steps()) * unpack_ii_;

  unpack_depth_ = 3 * kRegisterLatency;  // FIFO read, beat into the block registers, slice out
  pe_depth_ = kRamReadLatency + kRegisterLatency + kIntToFloatLatency + a.fmul_latency_cycles + chain + kRegisterLatency;
  scale_depth_ = fixed ? kRegisterLatency + kDspPerFixedScale + kFixedAddLatency + kRegisterLatency
                       : kRegisterLatency + kCombineLevels * a.fadd_latency_cycles + a.fmul_latency_cycles +
                             a.fadd_latency_cycles + kRegisterLatency;
  store_depth_ = kRegisterLatency + a.fadd_latency_cycles + kRegisterLatency;

}

std::vector<KernelStage> KernelPlan::stages() const {
  std::vector<KernelStage> v;
  v.push_back({"load_weights", "load_beats", 1, 2 * kRegisterLatency,
                     "one beat per cycle per channel: a burst of whole MACRO blocks into the channel's FIFO"});
  v.push_back(
      {"unpack", "unpack_beats", unpack_ii_, unpack_depth_,
       fmt::format("one lane per channel ({}), each decoding {} codes a cycle (codes_per_cycle {} / {} lanes): a "
                   "{}-code beat in {} cycle(s); the block's bytes are registers (complete partition), so gathering "
                   "one block and slicing the previous one share the loop",
                   lanes_, a_.unpack_codes_per_cycle / lanes_, a_.unpack_codes_per_cycle, lanes_, codes_per_beat_,
                   unpack_ii_)});
  v.push_back(
      {"pe_array", "pe_steps", 1, pe_depth_,
       fmt::format("{} interleaved blocks: a lane sum is written again {} cycle(s) after a chain of {} add(s) of "
                   "{} cycles (DEPENDENCE distance); activations in {} banks, one per PE column; slices in and "
                   "partials out in the same loop",
                   interleave_, interleave_ * lane_gap_, lane_adds_, add_latency_, a_.pe_cols)});
  v.push_back(
      {"scale", "scale_rows", 1, scale_depth_,
       fmt::format("{} row(s) per cycle; the accumulator of a (row, token) is written once per block, so the token "
                   "loop is padded to {} for a distance of {} >= the {}-cycle add",
                   scale_rows_, scale_min_tokens_, scale_groups() * scale_min_tokens_, acc_latency_)});
  v.push_back({"store", "write_beats", 1, store_depth_, "one output beat per cycle per channel, bias added"});

  return v;
}

std::vector<KernelArray> KernelPlan::arrays() const {
  const AccelConfig& a = a_;
  const MacroLayout& m = a.macro;
  const bool fixed = a.pe_accum_type == PeNumType::Fixed64;
  const int64_t beat_bits = m.beat_bytes * 8;
  std::vector<KernelArray> v;
  const int64_t floats_per_beat = m.beat_bytes / kF32Bytes;
  const int64_t batch_rows = this->batch_rows();
  const int64_t tmax = a.max_chunk_tokens;
  const int64_t act_depth = ceil_div(a.act_buffer_bytes / kF32Bytes, a.pe_cols);
  auto ram = [&](std::string name, std::string proc, int64_t width, int64_t depth, int64_t banks, int64_t copies) {
    v.push_back({std::move(name), std::move(proc), width, depth, banks, copies, ram_storage(width, depth)});
  };
  auto fifo = [&](std::string name, int64_t width, int64_t depth, int64_t copies) {
    v.push_back({std::move(name), "top", width, depth, 1, copies, fifo_storage(width, depth)});
  };
  ram("act", "top", 32, act_depth, a.pe_cols, 1);
  // Names as declared in fpgallm_hls.h / fpgallm_top.cpp; copies: one per channel (lane, store).
  v.push_back({"raw", "unpack", 8, 1, 2 * (m.block_bytes() + 1), lanes_, KernelStorage::Registers});
  ram("sl", "pe_array", slice_bits_, interleave_ * steps(), 2, 1);
  ram("lanes", "pe_array", 32 * (fixed ? 2 : 1), interleave_ * row_passes_ * tmax, 2 * a.pe_rows * (fixed ? 1 : kLanes), 1);
  ram("acc", "scale", fixed ? 64 : 32, scale_groups() * tmax, scale_rows_, 1);
  ram("line", "store", 32, batch_rows / floats_per_beat * tmax, floats_per_beat, a.n_channels);
  v.push_back({"bias", "store", 32, 1, batch_rows, a.n_channels, KernelStorage::Registers});
  fifo("weights", beat_bits, weight_fifo_beats(), a.n_channels);
  fifo("slices", slice_bits_, 2 * steps(), lanes_);
  fifo("scales", m.tile_rows * 16, scale_fifo_depth(), lanes_);
  fifo("partials", scale_rows_ * (fixed ? 64 : kLanes * 32), 2 * scale_groups(), 1);
  fifo("outs", scale_rows_ * 32, out_fifo_words(), a.n_channels);
  return v;
}

int64_t KernelPlan::weight_fifo_beats() const {
  return std::max<int64_t>(1, a_.weight_buffer_blocks() * block_beats_ / a_.n_channels);
}

int64_t KernelPlan::out_fifo_words() const { return batch_rows() / scale_rows_ * a_.max_chunk_tokens; }

int64_t KernelPlan::store_batches_buffered(int64_t ntok) const {
  return 1 + out_fifo_words() / (batch_rows() / scale_rows_ * std::max<int64_t>(1, ntok));
}

int64_t KernelPlan::tiles_per_batch() const {
  return std::max<int64_t>(1, a_.macro.beat_bytes / (a_.macro.tile_rows * kF32Bytes));
}

KernelStage KernelPlan::stage(const std::string& name) const {
  for (const auto& s : stages())
    if (s.name == name) return s;
  fail("kernel plan: no stage '{}'", name);
}

KernelArray KernelPlan::array(const std::string& name) const {
  for (const auto& x : arrays())
    if (x.name == name) return x;
  fail("kernel plan: no array '{}'", name);
}

int64_t KernelPlan::scale_fifo_depth() const {
  // Scales wait from their block's unpacking until the scale stage: a group being filled, one
  // computed and one drained in the PE array, and the pipeline's own depth.
  return ceil_div(4 * interleave_, lanes_) + 4;
}

int64_t KernelPlan::act_row_floats(int64_t in_features) const { return ceil_div(in_features, a_.pe_cols) * a_.pe_cols; }

int64_t KernelPlan::chunk_tokens(int64_t in_features, int64_t n_tokens) const {
  const int64_t row = act_row_floats(in_features) * kF32Bytes;
  const int64_t act_tokens = a_.act_buffer_bytes / row;
  if (act_tokens < 1)
    fail("accel.buffers.act_bytes = {} cannot hold one activation row of {} fp32 ({} bytes, padded to the {} PE "
         "columns) in {}",
         a_.act_buffer_bytes, in_features, row, a_.pe_cols, a_.file);
  const int64_t out_tokens = a_.out_buffer_bytes / (a_.macro.tile_rows * kF32Bytes);
  return std::max<int64_t>(1, std::min({n_tokens, act_tokens, out_tokens, a_.max_chunk_tokens}));
}

int64_t KernelPlan::unpack_cycles(int64_t k0, int64_t k1) const {
  // The lanes (one per channel) work side by side on consecutive blocks: the prefix k takes ceil(k * P / lanes).
  auto prefix = [&](int64_t k) { return ceil_div(k * lane_block_cycles_, lanes_); };
  return prefix(k1) - prefix(k0);
}

int64_t KernelPlan::scale_cycles(int64_t ntok, int64_t blocks) const {
  return blocks * scale_groups() * std::max(ntok, scale_min_tokens_);
}

int64_t KernelPlan::blocks_cycles(int64_t ntok, int64_t k0, int64_t k1) const {
  return std::max({pe_cycles(ntok, k1 - k0), unpack_cycles(k0, k1), scale_cycles(ntok, k1 - k0)});
}

int64_t KernelPlan::pass_overhead_cycles(int64_t ntok, int64_t n_blocks) const {
  const int64_t d = interleave_;
  const int64_t pad_blocks = (d - n_blocks % d) % d;
  return 2 * d * row_passes_ * ntok               // lane sums cleared for the pass (both halves)
         + lane_block_cycles_ + unpack_depth_     // the first block gathered and sliced
         + d * steps()                            // the first group's slices into the PE array
         + pad_blocks * steps() * ntok            // the last group padded to `interleave` blocks
         + pe_depth_                              // the last step through the PE pipeline
         + d * scale_groups() * ntok              // the last group's partials out
         + scale_depth_ + store_depth_;
}

double KernelPlan::unpack_cycles_per_block() const {
  return static_cast<double>(lane_block_cycles_) / static_cast<double>(lanes_);
}

double KernelPlan::cycles_per_block(int64_t ntok) const {
  return std::max({static_cast<double>(steps() * ntok), unpack_cycles_per_block(),
                   static_cast<double>(scale_groups() * std::max(ntok, scale_min_tokens_))});
}

int64_t KernelPlan::dsp48e2() const {
  const bool fixed = a_.pe_accum_type == PeNumType::Fixed64;
  const int64_t pe = a_.pe_rows * a_.pe_cols * a_.dsp_per_pe;
  const int64_t scale = fixed ? scale_rows_ * kDspPerFixedScale
                              : scale_rows_ * (kCombineAdds * kDspPerFp32Add + kDspPerFp32Mul + kDspPerFp32Add);
  const int64_t bias = a_.n_channels * (a_.macro.beat_bytes / kF32Bytes) * kDspPerFp32Add;
  return pe + scale + bias;
}

nlohmann::ordered_json KernelPlan::schedule_json() const {
  nlohmann::ordered_json j;
  j["format"] = "fpgallm-schedule";
  j["version"] = 1;
  j["accel"] = a_.name;
  j["clock_mhz"] = a_.clock_mhz;
  j["source"] = "sim/accel/KernelPlan: the schedule the simulator charges (sim/accel/Accelerator.cpp, dse/Analytic.cpp)";
  j["operator_latency_cycles"] = {{"fadd", a_.fadd_latency_cycles}, {"fmul", a_.fmul_latency_cycles},
                                  {"int_to_float", kIntToFloatLatency}, {"ram_read", kRamReadLatency}};
  j["structure"] = {{"unpack_lanes", lanes_},
                    {"unpack_ii", unpack_ii_},
                    {"row_passes", row_passes_},
                    {"col_steps", col_steps_},
                    {"interleave", interleave_},
                    {"scale_rows", scale_rows_},
                    {"scale_min_tokens", scale_min_tokens_},
                    {"max_chunk_tokens", a_.max_chunk_tokens},
                    {"block_beats", block_beats_}};
  const int64_t tmax = a_.max_chunk_tokens;
  auto per_block = [&](const KernelStage& s, int64_t ntok) -> double {
    if (s.name == "unpack") return unpack_cycles_per_block();
    if (s.name == "pe_array") return static_cast<double>(steps() * ntok);
    if (s.name == "scale") return static_cast<double>(scale_groups() * std::max(ntok, scale_min_tokens_));
    if (s.name == "load_weights") return static_cast<double>(block_beats_) / static_cast<double>(a_.n_channels);
    return 0.0;  // store: per output batch, not per block
  };
  nlohmann::ordered_json stage_list = nlohmann::ordered_json::array();
  for (const auto& s : stages()) {
    nlohmann::ordered_json e{{"name", s.name}, {"loop", s.loop}, {"ii", s.ii}, {"depth", s.depth}, {"why", s.why}};
    if (s.name != "store")
      e["cycles_per_block"] = {{"decode", per_block(s, 1)}, {"prefill_chunk", per_block(s, tmax)}};
    stage_list.push_back(e);
  }
  j["stages"] = stage_list;
  j["cycles_per_block"] = {{"decode", cycles_per_block(1)},
                           {"prefill_chunk", cycles_per_block(tmax)},
                           {"prefill_chunk_tokens", tmax}};
  j["pass_overhead_cycles"] = {{"decode", pass_overhead_cycles(1, interleave_)},
                               {"prefill_chunk", pass_overhead_cycles(tmax, interleave_)},
                               {"note", "one pass over a weight stream whose block count is a multiple of interleave"}};
  return j;
}

}  // namespace fpgallm::sim
