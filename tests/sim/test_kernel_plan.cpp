// The emitted kernel's structure and schedule (sim/accel/KernelPlan.h), derived by hand here from
// the loop nest docs/hls.md describes: no SystemC.
#include <gtest/gtest.h>

#include "models/core/Error.h"
#include "sim/accel/KernelPlan.h"

using namespace fpgallm;
using namespace fpgallm::sim;

namespace {

/** The published design's numbers: 8x8 PEs, tile 8 x G 64, 4-bit, 16-byte beats, 4 channels. */
AccelConfig paper_like() {
  AccelConfig c;
  c.name = "t";
  c.file = "t.yaml";
  c.clock_mhz = 300;
  return c;
}

}  // namespace

TEST(KernelPlan, ThePaperDesignIsUnpackBoundAtNineCyclesPerDecodeBlock) {
  const KernelPlan p(paper_like());
  EXPECT_EQ(p.block_beats(), 18);        // 256 code bytes + 16 scale bytes + 4 zero bytes -> 288
  EXPECT_EQ(p.unpack_lanes(), 4);        // one per channel
  EXPECT_EQ(p.unpack_ii(), 2);           // 64 codes / 4 lanes = 16 a cycle: a 32-code beat in 2
  EXPECT_EQ(p.steps(), 8);               // one row pass x 64 / 8 column steps
  EXPECT_EQ(p.interleave(), 4);          // one add per lane sum per step, adder latency 4
  EXPECT_EQ(p.scale_rows(), 1);          // 8 rows over 8 steps
  EXPECT_EQ(p.scale_min_tokens(), 1);    // 8 row groups >= 4 cycles of the accumulator add
  // Unpacker: each lane needs max(18 beats, 8 slices) x 2 = 36 cycles a block, four lanes: 9.
  EXPECT_DOUBLE_EQ(p.cycles_per_block(1), 9.0);
  EXPECT_DOUBLE_EQ(p.cycles_per_block(16), 128.0);  // the PE array: 8 steps x 16 tokens
  EXPECT_EQ(p.unpack_cycles(0, 3), 27);
  EXPECT_EQ(p.unpack_cycles(0, 1) + p.unpack_cycles(1, 2) + p.unpack_cycles(2, 3), 27);  // prefixes add up
}

TEST(KernelPlan, SixteenColumnsPutTwoAddsIntoALaneSumPerStepAndDoubleTheInterleave) {
  AccelConfig c = paper_like();
  c.pe_rows = 4;
  c.pe_cols = 16;
  const KernelPlan p(c);
  EXPECT_EQ(p.row_passes(), 2);
  EXPECT_EQ(p.col_steps(), 4);
  EXPECT_EQ(p.interleave(), 8);  // elements c and c + 8 meet in one lane: 2 x 4 cycles
}

TEST(KernelPlan, FourColumnsTouchALaneSumEveryOtherStepAndHalveTheInterleave) {
  AccelConfig c = paper_like();
  c.pe_cols = 4;
  EXPECT_EQ(KernelPlan(c).interleave(), 2);
}

TEST(KernelPlan, Fixed64AccumulatorsChainTheColumnsIntoOneSumWithOneCycleAdds) {
  AccelConfig c = paper_like();
  c.pe_accum_type = PeNumType::Fixed64;
  const KernelPlan p(c);
  EXPECT_EQ(p.interleave(), 8);        // 8 one-cycle adds per step into lane 0
  EXPECT_EQ(p.scale_min_tokens(), 1);  // integer accumulator add: one cycle
}

TEST(KernelPlan, AShortGroupOnAWideArrayIsScaleBoundByTheAdderLatency) {
  AccelConfig c = paper_like();
  c.pe_cols = 16;
  c.macro.group_size = 32;
  c.unpack_codes_per_cycle = 128;
  const KernelPlan p(c);
  EXPECT_EQ(p.steps(), 2);
  EXPECT_EQ(p.scale_rows(), 4);        // 8 rows in 2 steps
  EXPECT_EQ(p.scale_min_tokens(), 2);  // 2 row groups x 2 tokens = the 4-cycle add
  EXPECT_DOUBLE_EQ(p.cycles_per_block(1), 4.0);   // not the PE array's 2
  EXPECT_DOUBLE_EQ(p.cycles_per_block(8), 16.0);  // tokens cover the latency: PE array 2 x 8
}

TEST(KernelPlan, EachChannelHasItsUnpackLaneAndTheLanesShareTheDecodeWidth) {
  AccelConfig c = paper_like();
  c.n_channels = 3;  // 64 / 3 codes a lane: a beat in ceil(32 / 21.3) = 2 cycles, 36 per block on 3 lanes
  EXPECT_EQ(KernelPlan(c).unpack_lanes(), 3);
  EXPECT_DOUBLE_EQ(KernelPlan(c).cycles_per_block(1), 12.0);
  c.n_channels = 1;  // one lane, 64 codes a cycle: a beat a cycle (it cannot take more), 18 per block
  EXPECT_EQ(KernelPlan(c).unpack_ii(), 1);
  EXPECT_DOUBLE_EQ(KernelPlan(c).cycles_per_block(1), 18.0);
}

TEST(KernelPlan, ANarrowUnpackerTakesSeveralCyclesPerBeat) {
  AccelConfig c = paper_like();
  c.unpack_codes_per_cycle = 16;  // 4 codes a lane a cycle: a 32-code beat in 8
  const KernelPlan p(c);
  EXPECT_EQ(p.unpack_ii(), 8);
  EXPECT_DOUBLE_EQ(p.cycles_per_block(1), 18.0 * 8 / 4);
}

TEST(KernelPlan, AnUnpackerWidthThatDoesNotSplitEvenlyRoundsEachLanesIiUp) {
  AccelConfig c = paper_like();
  c.unpack_codes_per_cycle = 48;  // 12 codes a lane: ceil(32 / 12) = 3 cycles a beat
  EXPECT_EQ(KernelPlan(c).unpack_ii(), 3);
  EXPECT_DOUBLE_EQ(KernelPlan(c).cycles_per_block(1), 18.0 * 3 / 4);
}

TEST(KernelPlan, TokensPerPassAreBoundedByBothBuffersAndTheKernelsArrays) {
  const KernelPlan p(paper_like());
  EXPECT_EQ(p.chunk_tokens(896, 10), 10);
  EXPECT_EQ(p.chunk_tokens(896, 64), 16);     // max_chunk_tokens (64 KiB would hold 18 rows of 896)
  EXPECT_EQ(p.chunk_tokens(4864, 64), 3);     // 64 KiB / 19456 bytes
  EXPECT_THROW(p.chunk_tokens(18944, 1), Error);
  EXPECT_EQ(p.act_row_floats(900), 904);      // rows padded to the 8 PE columns (one bank each)
}

TEST(KernelPlan, APassPaysTheFillAndDrainOnceAndPadsTheLastInterleaveGroup) {
  const KernelPlan p(paper_like());
  // 2 D rp ntok + first block (18 beats x II 2 + 3) + D steps + pad + PE depth 16 + D 8 ntok + scale 21 + store 6.
  EXPECT_EQ(p.pass_overhead_cycles(1, 4), 8 + 39 + 32 + 0 + 16 + 32 + 21 + 6);
  EXPECT_EQ(p.pass_overhead_cycles(1, 5), p.pass_overhead_cycles(1, 4) + 3 * 8);
}

TEST(KernelPlan, TheScheduleJsonStatesWhatTheCycleFunctionsCharge) {
  const KernelPlan p(paper_like());
  const auto j = p.schedule_json();
  EXPECT_EQ(j["format"], "fpgallm-schedule");
  EXPECT_DOUBLE_EQ(j["cycles_per_block"]["decode"].get<double>(), p.cycles_per_block(1));
  EXPECT_DOUBLE_EQ(j["cycles_per_block"]["prefill_chunk"].get<double>(), p.cycles_per_block(16));
  EXPECT_EQ(j["stages"].size(), p.stages().size());
  for (const auto& s : j["stages"]) EXPECT_EQ(s["ii"], p.stage(s["name"]).ii) << s["name"];
  // The compute stages are built for II = 1 (interleaving and token padding), the unpacker for its width.
  EXPECT_EQ(p.stage("pe_array").ii, 1);
  EXPECT_EQ(p.stage("scale").ii, 1);
  EXPECT_EQ(p.stage("unpack").ii, 2);
}

TEST(KernelPlan, TheKernelsDspsArePeArrayScaleStageAndBiasAdds) {
  const KernelPlan p(paper_like());
  EXPECT_EQ(p.dsp48e2(), 64 * 5 + 1 * (7 * 2 + 3 + 2) + 4 * 4 * 2);
}
