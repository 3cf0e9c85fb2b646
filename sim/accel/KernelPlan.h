#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/accel/AccelConfig.h"

namespace fpgallm::sim {

/** Where the kernel keeps an array (BIND_STORAGE impl of the emitted code). */
enum class KernelStorage { Bram, Lutram, Registers, FifoBram, FifoLutram };
const char* kernel_storage_name(KernelStorage s);

/** One array or stream the emitted kernel declares, as the resource model and the emitter see it. */
struct KernelArray {
  std::string name;     ///< as declared in fpgallm_hls.h / fpgallm_top.cpp
  std::string process;  ///< the DATAFLOW process that owns it ("top" for storage outside the region)
  int64_t width_bits = 0;
  int64_t depth = 0;    ///< words per bank (per copy)
  int64_t banks = 1;    ///< partitions read in parallel
  int64_t copies = 1;   ///< instances (one per channel or lane, ping-pong halves)
  KernelStorage storage = KernelStorage::Bram;
  int64_t bits() const { return width_bits * depth * banks * copies; }
};

/** A pipelined loop of the kernel: the II it is designed for and its pipeline depth. */
struct KernelStage {
  std::string name;   ///< DATAFLOW process: load_weights, unpack, pe_array, scale, store
  std::string loop;   ///< label of its pipelined loop in fpgallm_hls.h
  int64_t ii = 1;
  int64_t depth = 1;  ///< iteration latency in cycles
  std::string why;    ///< how the II is reached (schedule.json, docs/hls.md)
};

/**
 * The emitted kernel's structure and schedule, derived once from the accel config: the simulator
 * charges its PL compute cycles from it (sim/accel/Accelerator.cpp, the analytic model), the HLS
 * emitter writes its constants, pragma literals and schedule.json from it, and the resource model
 * counts its arrays. Stages of one token pass (a DATAFLOW region):
 *   load_weights (one per channel) -> unpack (lanes) -> pe_array -> scale -> store (one per channel).
 *
 * - unpack: one lane per channel, reading that channel's FIFO (its only reader) and decoding
 *   codes_per_cycle / channels codes a cycle, so II = ceil(codes per beat / those codes); in one
 *   loop it gathers a block's beats while it hands the previous block to the PE array as
 *   row-pass x column-step slices: max(block beats, slices) x II cycles per block per lane.
 * - pe_array: R x C multiply-adds per cycle into the partial lane sums of awq_group_partial; the
 *   lane sums of `interleave` consecutive blocks are updated in turn, so the same sum is touched
 *   again at least `interleave` cycles later (the fp32 adder's recurrence) and the loop runs at
 *   II = 1 for any token count: row passes x column steps x tokens cycles per block. Slices of the
 *   next group and partials of the previous group move in the same loop.
 * - scale: combines the 8 lane sums, multiplies by the fp16 scale and accumulates the tile over its
 *   groups, `scale_rows` rows per cycle; the accumulator recurrence spans one block, so the token
 *   loop is padded to `scale_min_tokens` (II = 1 at a fixed distance): ceil(tile_rows / scale_rows)
 *   x max(tokens, scale_min_tokens) cycles per block.
 * A block costs the slowest of the three; a pass adds the pipeline fill and drain once.
 */
class KernelPlan {
 public:
  /** Throws fpgallm::Error naming the field when the kernel cannot implement `a`. */
  explicit KernelPlan(const AccelConfig& a);

  const AccelConfig& config() const { return a_; }

  // Structure.
  int64_t codes_per_beat() const { return codes_per_beat_; }
  int64_t block_beats() const { return block_beats_; }
  int64_t unpack_lanes() const { return lanes_; }
  /** Unpacker cycles per block in steady state: one lane's block cycles shared by the lanes. */
  double unpack_cycles_per_block() const;
  int64_t unpack_ii() const { return unpack_ii_; }
  int64_t row_passes() const { return row_passes_; }
  int64_t col_steps() const { return col_steps_; }
  /** Slices of a block the PE array takes: row passes x column steps. */
  int64_t steps() const { return row_passes_ * col_steps_; }
  int64_t interleave() const { return interleave_; }
  int64_t scale_rows() const { return scale_rows_; }
  int64_t scale_groups() const { return a_.macro.tile_rows / scale_rows_; }
  int64_t scale_min_tokens() const { return scale_min_tokens_; }
  int64_t max_chunk_tokens() const { return a_.max_chunk_tokens; }
  /** fp32 words per activation row in the buffer: in_features rounded up to the PE columns. */
  int64_t act_row_floats(int64_t in_features) const;
  /** Tokens per pass: the activation buffer, the output buffer and max_chunk_tokens bound it. Throws
   *  when one row does not fit. */
  int64_t chunk_tokens(int64_t in_features, int64_t n_tokens) const;

  // Cycles (PL clock) of a token pass of `ntok` tokens over a weight stream of `n_blocks` blocks.
  /** Unpacker for blocks [k0, k1) of the pass (lanes share the work; rounded per block prefix). */
  int64_t unpack_cycles(int64_t k0, int64_t k1) const;
  int64_t pe_cycles(int64_t ntok, int64_t blocks) const { return blocks * steps() * ntok; }
  int64_t scale_cycles(int64_t ntok, int64_t blocks) const;
  /** The pipeline's steady-state cycles for blocks [k0, k1): the slowest stage. */
  int64_t blocks_cycles(int64_t ntok, int64_t k0, int64_t k1) const;
  /** Once per pass: filling and draining the pipeline and the last interleave group's padding. */
  int64_t pass_overhead_cycles(int64_t ntok, int64_t n_blocks) const;
  /** Cycles per block in steady state for `ntok` tokens (what schedule.json states). */
  double cycles_per_block(int64_t ntok) const;

  /** Depth of each channel's weight FIFO: the weight buffer (accel.buffers.weight_bytes) split over the channels. */
  int64_t weight_fifo_beats() const;
  /** Depth of each lane's stream of block scales to the scale stage. */
  int64_t scale_fifo_depth() const;
  /** Tiles per output batch: at least one AXI beat of a token's row. */
  int64_t tiles_per_batch() const;
  int64_t batch_rows() const { return tiles_per_batch() * a_.macro.tile_rows; }
  /** Depth of each store's stream of output words (scale_rows floats each): one batch at max_chunk_tokens. */
  int64_t out_fifo_words() const;
  /**
   * Output batches channel `c`'s store holds at once for `ntok` tokens a pass: the one its line
   * buffer is writing plus those its stream of output words fits. The scale stage waits when the
   * store of a finished batch's channel (batch b goes to channel b % channels) is full.
   */
  int64_t store_batches_buffered(int64_t ntok) const;

  /** The pipelined loop of each stage (built on demand: the simulator's hot paths need only the numbers). */
  std::vector<KernelStage> stages() const;
  KernelStage stage(const std::string& name) const;
  /** Every array and stream the kernel declares. */
  std::vector<KernelArray> arrays() const;
  /** The array or stream `name`; throws when the kernel has none. */
  KernelArray array(const std::string& name) const;
  /** DSP48E2 slices of the kernel's fp32 operators: PE array, scale stage, bias adds in the store. */
  int64_t dsp48e2() const;

  /** schedule.json: stages (II, depth), cycles per block for decode and for a full prefill pass. */
  nlohmann::ordered_json schedule_json() const;

 private:
  AccelConfig a_;
  int64_t codes_per_beat_ = 0, block_beats_ = 0, lanes_ = 1, unpack_ii_ = 1;
  int64_t row_passes_ = 1, col_steps_ = 1, interleave_ = 1, scale_rows_ = 1, scale_min_tokens_ = 1;
  int64_t lane_block_cycles_ = 0;  ///< one unpack lane, per block
  int64_t lane_adds_ = 1, lane_gap_ = 1, add_latency_ = 1, acc_latency_ = 1, slice_bits_ = 0;
  int64_t pe_depth_ = 0, scale_depth_ = 0, unpack_depth_ = 0, store_depth_ = 0;
};

}  // namespace fpgallm::sim
