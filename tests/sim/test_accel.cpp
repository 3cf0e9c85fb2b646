#include <unistd.h>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "models/quant/AwqKernels.h"
#include "models/core/Dtype.h"
#include "models/core/Error.h"
#include "models/quant/Macro.h"
#include "sim/accel/Accelerator.h"
#include "sim/soc/SocConfig.h"
#include "sim/soc/SocTop.h"
#include "tests/models/RandomQuant.h"
#include "tests/sim/SimFixture.h"
#include "tests/sim/TestMemory.h"

using namespace fpgallm;
using namespace fpgallm::sim;
using fpgallm::test::SimTest;
using fpgallm::test::TestMemory;
using sc_core::sc_time;
using sc_core::SC_NS;

namespace {

constexpr size_t kMemBytes = 8 << 20;
constexpr uint64_t kWeightAddr = 0x1000;
constexpr uint64_t kActAddr = 0x400000;
constexpr uint64_t kBiasAddr = 0x500000;
constexpr uint64_t kOutAddr = 0x600000;

/** TestMemory + Accelerator + a thread that runs the jobs and keeps any Error. */
struct Rig : sc_core::sc_module {
  TestMemory mem;
  Accelerator accel;
  std::vector<LinearJob> jobs;
  std::vector<LinearJobResult> results;
  std::string error;
  SC_HAS_PROCESS(Rig);
  Rig(const AccelConfig& cfg, sc_time latency, double bytes_per_ns, sc_core::sc_module_name name = "rig")
      : sc_module(name), mem("mem", static_cast<int>(cfg.n_channels), kMemBytes, latency, bytes_per_ns),
        accel("accel", cfg) {
    for (size_t c = 0; c < accel.dma.size(); ++c) accel.dma[c]->bind(*mem.ports[c]);
    SC_THREAD(run);
  }
  void run() {
    try {
      for (const auto& j : jobs) results.push_back(accel.run_linear(j));
    } catch (const Error& e) {
      error = e.what();
    }
  }
};

using fpgallm::test::random_floats;
using fpgallm::test::random_quant;

AccelConfig base_config() {
  AccelConfig c;
  c.name = "test";
  c.file = "test.yaml";
  return c;
}

LinearJob make_job(const AccelConfig& cfg, int64_t in, int64_t out, int64_t ntok, bool bias) {
  LinearJob j;
  j.ctx.op = OpKind::GateProj;
  j.ctx.layer = 3;
  j.weight_addr = kWeightAddr;
  j.layout = cfg.macro;
  j.in_features = in;
  j.out_features = out;
  j.n_tokens = ntok;
  j.act_addr = kActAddr;
  j.out_addr = kOutAddr;
  j.bias_addr = bias ? kBiasAddr : 0;
  return j;
}

/** Puts weights/activations/bias of a random layer in the rig's memory; returns the host reference. */
std::vector<float> stage_layer(Rig& rig, const LinearJob& j, uint32_t seed, const AwqAccum& accum = {}) {
  const QuantLinear q = random_quant(j.in_features, j.out_features, j.layout.group_size, seed, j.layout.bits);
  const MacroStream s = pack_macro(q, j.layout);
  rig.mem.backdoor_write(j.weight_addr, s.bytes.data(), s.bytes.size());
  const auto x = random_floats(static_cast<size_t>(j.n_tokens * j.in_features), seed + 1);
  rig.mem.backdoor_write(j.act_addr, x.data(), x.size() * sizeof(float));
  std::vector<float> bias;
  if (j.bias_addr) {
    bias = random_floats(static_cast<size_t>(j.out_features), seed + 2);
    rig.mem.backdoor_write(j.bias_addr, bias.data(), bias.size() * sizeof(float));
  }
  std::vector<float> y(static_cast<size_t>(j.n_tokens * j.out_features));
  awq_linear_accum(q, x.data(), j.n_tokens, j.bias_addr ? bias.data() : nullptr, y.data(), accum);
  return y;
}

std::vector<float> read_out(Rig& rig, const LinearJob& j) {
  std::vector<float> y(static_cast<size_t>(j.n_tokens * j.out_features));
  rig.mem.backdoor_read(j.out_addr, y.data(), y.size() * sizeof(float));
  return y;
}

double ns_of(sc_time t) { return t.to_seconds() * 1e9; }

/** SystemC tests of the accelerator (fresh simulation context each). */
class AccelSim : public SimTest {};

struct BitCase {
  Fidelity fidelity;
  int64_t in, out, ntok;
  bool bias;
  int64_t act_bytes;  ///< small values force several token chunks
  bool fixed_accum = false;  ///< accum_type fixed64 (accum_frac_bits 20)
  int bits = 4;              ///< accel.macro.bits
};

class AccelBitIdentity : public SimTest, public ::testing::WithParamInterface<BitCase> {};

}  // namespace

TEST_P(AccelBitIdentity, RunLinearMatchesHostAwqLinearBitForBit) {
  const BitCase p = GetParam();
  AccelConfig cfg = base_config();
  cfg.fidelity = p.fidelity;
  cfg.act_buffer_bytes = p.act_bytes;
  cfg.fast_chunk_bytes = 4 * cfg.macro.block_bytes();  // several fast chunks even for small layers
  if (p.fixed_accum) {
    cfg.pe_accum_type = PeNumType::Fixed64;
    cfg.accum_frac_bits = 20;
  }
  cfg.macro.bits = p.bits;
  cfg.macro.validate("test accel");
  Rig rig(cfg, sc_time(50, SC_NS), 16.0);
  const LinearJob job = make_job(cfg, p.in, p.out, p.ntok, p.bias);
  const auto ref = stage_layer(rig, job, 1234, cfg.awq_accum());
  rig.jobs = {job};
  sc_core::sc_start();
  ASSERT_EQ(rig.error, "");
  ASSERT_EQ(rig.results.size(), 1u);
  const auto y = read_out(rig, job);
  ASSERT_EQ(y.size(), ref.size());
  EXPECT_EQ(std::memcmp(y.data(), ref.data(), y.size() * sizeof(float)), 0);
  for (size_t i = 0; i < y.size(); ++i) ASSERT_EQ(f32_bits(y[i]), f32_bits(ref[i])) << "element " << i;
  EXPECT_EQ(rig.results[0].useful_macs, p.in * p.out * p.ntok);
  const int64_t expected_chunks = (p.ntok + p.act_bytes / (p.in * 4) - 1) / (p.act_bytes / (p.in * 4));
  EXPECT_EQ(rig.results[0].token_chunks, expected_chunks);
}

// Tail tiles (out % 8 != 0), tail groups (in % 64 != 0), GEMV and GEMM, bias on/off, chunked prefill.
INSTANTIATE_TEST_SUITE_P(
    Shapes, AccelBitIdentity,
    ::testing::Values(BitCase{Fidelity::Cycle, 200, 37, 1, true, 65536},
                      BitCase{Fidelity::Cycle, 256, 64, 5, false, 65536},
                      BitCase{Fidelity::Cycle, 192, 40, 7, true, 192 * 4 * 3},
                      BitCase{Fidelity::Fast, 200, 37, 1, true, 65536},
                      BitCase{Fidelity::Fast, 256, 64, 5, false, 65536},
                      BitCase{Fidelity::Fast, 192, 40, 7, true, 192 * 4 * 3},
                      BitCase{Fidelity::Cycle, 200, 37, 1, true, 65536, true},
                      BitCase{Fidelity::Fast, 192, 40, 7, true, 192 * 4 * 3, true},
                      // 2-, 3- and 8-bit codes (3: codes and zeros cross byte and beat boundaries)
                      BitCase{Fidelity::Cycle, 200, 37, 1, true, 65536, false, 2},
                      BitCase{Fidelity::Cycle, 192, 40, 7, true, 192 * 4 * 3, false, 3},
                      BitCase{Fidelity::Cycle, 256, 64, 5, false, 65536, false, 8},
                      BitCase{Fidelity::Fast, 200, 37, 1, true, 65536, false, 3},
                      BitCase{Fidelity::Fast, 192, 40, 7, true, 192 * 4 * 3, true, 2},
                      BitCase{Fidelity::Fast, 256, 64, 5, false, 65536, false, 8}));

TEST_F(AccelSim, FixedPointAccumulatorDiffersFromFp32ButStaysClose) {
  // fixed64 is its own arithmetic (not fp32 relabelled): same job, results within rounding, not equal bits.
  AccelConfig cfg = base_config();
  const LinearJob job = make_job(cfg, 256, 64, 2, false);
  std::vector<float> fp32, fixed;
  {
    Rig rig(cfg, sc_time(50, SC_NS), 16.0, "fp32");
    stage_layer(rig, job, 99);
    rig.jobs = {job};
    sc_core::sc_start();
    fp32 = read_out(rig, job);
  }
  fpgallm::sim::new_simulation_context();
  cfg.pe_accum_type = PeNumType::Fixed64;
  cfg.accum_frac_bits = 16;
  Rig rig(cfg, sc_time(50, SC_NS), 16.0, "fixed");
  stage_layer(rig, job, 99);
  rig.jobs = {job};
  sc_core::sc_start();
  fixed = read_out(rig, job);
  int differ = 0;
  for (size_t i = 0; i < fp32.size(); ++i) {
    differ += f32_bits(fp32[i]) != f32_bits(fixed[i]);
    EXPECT_NEAR(fixed[i], fp32[i], 1e-3 * (1.0 + std::fabs(fp32[i]))) << i;
  }
  EXPECT_GT(differ, 0);
}

TEST(AccelPeArray, TheAcceleratorChargesTheKernelPlansSchedule) {
  AccelConfig cfg = base_config();
  fpgallm::sim::new_simulation_context();
  Accelerator a("a", cfg);
  // 8x8 array, 8 x 64 blocks: 8 column steps per token; 2 unpack lanes over 18-beat blocks: 9.
  EXPECT_EQ(a.plan().pe_cycles(1, 1), 8);
  EXPECT_EQ(a.plan().pe_cycles(16, 1), 8 * 16);
  EXPECT_EQ(a.plan().unpack_cycles(0, 2), 18);
  EXPECT_DOUBLE_EQ(a.plan().cycles_per_block(1), 9.0);
}

namespace {
/** Instant memory: every transfer is free, so job time is the accelerator's own cycles. */
LinearJobResult timed_run(const AccelConfig& cfg, const LinearJob& job) {
  Rig rig(cfg, sc_core::SC_ZERO_TIME, 1e12);
  stage_layer(rig, job, 7);
  rig.jobs = {job};
  sc_core::sc_start();
  EXPECT_EQ(rig.error, "");
  return rig.results.at(0);
}
}  // namespace

// Hand-derived from the kernel's structure at the defaults (250 MHz, 8x8 PEs, tile 8 x G 64, 4-bit,
// 16-byte beats: 288-byte blocks of 18 beats, 4 channels, fadd 4 / fmul 3 cycles): 4 interleaved
// blocks (a lane sum per step, adder latency 4), 1 scale row per cycle (8 groups), and the pass
// overhead 2*D*row_passes*ntok (lane sums cleared) + lane cycles of the first block + 3 (unpack
// depth) + D*steps (first slices) + padding + 16 (PE depth: 2 read + 1 + 5 int->fp32 + 3 + 4 + 1)
// + D*8*ntok (last partials) + 21 (scale depth: 1 + 3*4 + 3 + 4 + 1) + 6 (store depth: 1 + 4 + 1).
TEST_F(AccelSim, AGemvPassTakesTheDescriptorTheSlowestStageAndOneFillAndDrain) {
  AccelConfig cfg = base_config();
  cfg.unpack_codes_per_cycle = 512;  // 4 lanes (one per channel), a beat a cycle each: 18/4 -> 5 cycles
  const auto r = timed_run(cfg, make_job(cfg, 64, 8, 1, false));
  const int64_t stage = 8;  // PE array 8 = scale 8 > unpacker 5
  const int64_t fill = 2 * 4 * 1 * 1 + 18 + 3 + 4 * 8 + 3 * 8 /* one block padded to 4 */ + 16 + 4 * 8 + 21 + 6;
  EXPECT_NEAR(ns_of(r.time), (cfg.descriptor_cycles + stage + fill + cfg.completion_cycles) * cfg.clock_period_ns(), 1e-3);
  EXPECT_EQ(r.pe_busy_cycles, 8);
}

TEST_F(AccelSim, GemmPassScalesPeCyclesWithTokens) {
  AccelConfig cfg = base_config();
  cfg.unpack_codes_per_cycle = 512;
  // 2 tiles x 2 groups, 4 tokens: 4 blocks x (8 x 4) cycles, PE array and scale stage alike.
  const auto r = timed_run(cfg, make_job(cfg, 128, 16, 4, false));
  const int64_t pe = 4 * 8 * 4;
  const int64_t fill = 2 * 4 * 1 * 4 + 18 + 3 + 4 * 8 + 0 + 16 + 4 * 8 * 4 + 21 + 6;
  EXPECT_EQ(r.pe_busy_cycles, pe);
  EXPECT_NEAR(ns_of(r.time), (cfg.descriptor_cycles + pe + fill + cfg.completion_cycles) * cfg.clock_period_ns(), 1e-3);
}

TEST_F(AccelSim, SlowUnpackerSetsThePaceAndIsReportedAsStall) {
  AccelConfig cfg = base_config();
  cfg.unpack_codes_per_cycle = 16;  // 4 codes a lane a cycle: II 8, 18 x 8 / 4 lanes = 36 per block
  const auto r = timed_run(cfg, make_job(cfg, 64, 8, 1, false));
  const int64_t fill = 2 * 4 * 1 * 1 + 18 * 8 + 3 + 4 * 8 + 3 * 8 + 16 + 4 * 8 + 21 + 6;
  EXPECT_NEAR(ns_of(r.time), (cfg.descriptor_cycles + 36 + fill + cfg.completion_cycles) * cfg.clock_period_ns(), 1e-3);
}

TEST_F(AccelSim, TheScaleStageSetsThePaceOfADecodeOnAShortGroupWideArray) {
  AccelConfig cfg = base_config();
  cfg.pe_cols = 16;
  cfg.macro.group_size = 32;  // 2 column steps: 2 PE cycles per block at one token
  cfg.unpack_codes_per_cycle = 128;  // 4 lanes, a beat a cycle each, over 10-beat blocks: 2.5 cycles
  // The scale stage takes 4 rows a cycle (8 rows in 2 steps) and pads the token loop to 2 so an
  // accumulator is rewritten 4 cycles later (the adder latency): 4 cycles per block.
  const auto r = timed_run(cfg, make_job(cfg, 32 * 8, 8, 1, false));  // 8 blocks
  const KernelPlan plan(cfg);
  EXPECT_EQ(plan.scale_cycles(1, 8), 8 * 4);
  EXPECT_EQ(plan.blocks_cycles(1, 0, 8), 8 * 4);
  EXPECT_EQ(r.pe_busy_cycles, 8 * 2);
}

namespace {
/**
 * One channel, one outstanding transfer, a memory bus of `bytes_per_ns`: a block load takes
 * block_bytes / bytes_per_ns; the kernel takes 18 cycles = 72 ns per block (GEMV, 250 MHz, one unpack lane).
 */
struct OverlapRun {
  double time_ns, act_ns, load_ns, pe_ns, fill_ns;
  int64_t blocks;
};
OverlapRun overlap_run(bool double_buffered, double bytes_per_ns) {
  fpgallm::sim::new_simulation_context();
  AccelConfig cfg = base_config();
  cfg.n_channels = 1;
  cfg.dma_outstanding_per_channel = 1;
  cfg.descriptor_cycles = 0;
  cfg.completion_cycles = 0;
  cfg.weight_double_buffered = double_buffered;
  cfg.weight_buffer_bytes = double_buffered ? 8 * cfg.macro.block_bytes() : cfg.macro.block_bytes();
  const LinearJob job = make_job(cfg, 64 * 16, 8 * 16, 1, false);
  Rig rig(cfg, sc_core::SC_ZERO_TIME, bytes_per_ns);
  stage_layer(rig, job, 99);
  rig.jobs = {job};
  sc_core::sc_start();
  EXPECT_EQ(rig.error, "");
  OverlapRun o;
  o.time_ns = ns_of(rig.results.at(0).time);
  o.act_ns = 64 * 16 * 4 / bytes_per_ns;
  o.load_ns = cfg.macro.block_bytes() / bytes_per_ns;
  // One channel, one unpack lane at a beat a cycle: 18 cycles per 18-beat block (the pace here).
  const KernelPlan plan(cfg);
  o.pe_ns = plan.cycles_per_block(1) * cfg.clock_period_ns();
  o.blocks = 16 * 16;
  o.fill_ns = static_cast<double>(plan.pass_overhead_cycles(1, o.blocks)) * cfg.clock_period_ns();
  return o;
}
}  // namespace

TEST(AccelOverlap, DoubleBufferedLoadBoundTimeIsMaxNotSum) {
  const auto o = overlap_run(true, 3.0);  // 288 B / 3 = 96 ns per load > 72 ns compute
  const double expect_max = o.act_ns + o.blocks * o.load_ns + o.pe_ns + o.fill_ns;
  EXPECT_NEAR(o.time_ns, expect_max, 0.03 * expect_max);
  EXPECT_LT(o.time_ns, o.act_ns + o.blocks * (o.load_ns + o.pe_ns) * 0.8);
}

TEST(AccelOverlap, DoubleBufferedComputeBoundTimeIsMaxNotSum) {
  const auto o = overlap_run(true, 18.0);  // 16 ns per load < 72 ns compute
  const double expect_max = o.act_ns + o.load_ns + o.blocks * o.pe_ns + o.fill_ns;
  EXPECT_NEAR(o.time_ns, expect_max, 0.03 * expect_max);
}

TEST(AccelOverlap, SingleBlockWeightBufferSerialisesLoadAndCompute) {
  const auto o = overlap_run(false, 4.5);
  const double expect_sum = o.act_ns + o.blocks * (o.load_ns + o.pe_ns) + o.fill_ns;
  EXPECT_NEAR(o.time_ns, expect_sum, 0.03 * expect_sum);
}

TEST_F(AccelSim, WeightUnitsAreSpreadRoundRobinOverChannels) {
  AccelConfig cfg = base_config();
  Rig rig(cfg, sc_time(100, SC_NS), 16.0);
  const LinearJob job = make_job(cfg, 512, 64, 1, true);  // 8 tiles x 8 groups = 64 blocks
  stage_layer(rig, job, 5);
  rig.jobs = {job};
  sc_core::sc_start();
  ASSERT_EQ(rig.error, "");
  stats::Group g("accel");
  rig.accel.report_stats(g);
  const double block = static_cast<double>(cfg.macro.block_bytes());
  const double act_share = 512.0 * 4 / 4, bias_per_batch = 8 * 4;
  for (int c = 0; c < 4; ++c) {
    // 16 weight blocks + a quarter of the activations + 2 of the 8 tiles' bias reads per channel.
    EXPECT_DOUBLE_EQ(g.value(fmt::format("dma.ch{}.bytes_read", c)), 16 * block + act_share + 2 * bias_per_batch);
    EXPECT_DOUBLE_EQ(g.value(fmt::format("dma.ch{}.bytes_written", c)), 2 * 8 * 4.0);
  }
  EXPECT_EQ(g.value("jobs"), 1.0);
  EXPECT_EQ(g.value("jobs_by_op.gate_proj"), 1.0);
  EXPECT_EQ(g.value("pe_array.useful_macs"), 512.0 * 64);
  EXPECT_GT(g.value("pe_array.utilisation"), 0.0);
  EXPECT_LE(g.value("pe_array.utilisation"), 100.0);
}

TEST_F(AccelSim, FastFidelityIssuesFewerTransactionsAndStaysClose) {
  double times[2];
  int64_t txns[2];
  for (int f = 0; f < 2; ++f) {
    fpgallm::sim::new_simulation_context();
    AccelConfig cfg = base_config();
    cfg.fidelity = f == 0 ? Fidelity::Cycle : Fidelity::Fast;
    Rig rig(cfg, sc_time(80, SC_NS), 12.0);
    const LinearJob job = make_job(cfg, 896, 256, 1, false);
    stage_layer(rig, job, 11);
    rig.jobs = {job};
    sc_core::sc_start();
    ASSERT_EQ(rig.error, "");
    times[f] = ns_of(rig.results.at(0).time);
    txns[f] = rig.mem.transactions;
  }
  EXPECT_LT(txns[1] * 4, txns[0]);
  EXPECT_NEAR(times[1], times[0], 0.25 * times[0]);
}

TEST_F(AccelSim, MismatchedMacroLayoutIsRejected) {
  AccelConfig cfg = base_config();
  Rig rig(cfg, sc_time(10, SC_NS), 16.0);
  LinearJob job = make_job(cfg, 128, 8, 1, false);
  job.layout.group_size = 128;
  rig.jobs = {job};
  sc_core::sc_start();
  EXPECT_NE(rig.error.find("does not match accel.macro"), std::string::npos) << rig.error;
}

TEST_F(AccelSim, ActivationRowLargerThanBufferIsRejected) {
  AccelConfig cfg = base_config();
  cfg.act_buffer_bytes = 1024;
  Rig rig(cfg, sc_time(10, SC_NS), 16.0);
  rig.jobs = {make_job(cfg, 512, 8, 1, false)};
  sc_core::sc_start();
  EXPECT_NE(rig.error.find("accel.buffers.act_bytes = 1024 cannot hold one activation row"), std::string::npos)
      << rig.error;
}

TEST_F(AccelSim, DmaErrorResponseBecomesAnError) {
  AccelConfig cfg = base_config();
  Rig rig(cfg, sc_time(10, SC_NS), 16.0);
  LinearJob job = make_job(cfg, 64, 8, 1, false);
  job.out_addr = kMemBytes + 4096;  // outside the memory
  rig.jobs = {job};
  sc_core::sc_start();
  EXPECT_NE(rig.error.find("DMA write"), std::string::npos) << rig.error;
}

// ---- configuration ---------------------------------------------------------------------------

namespace {
std::string write_yaml(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::path(FPGALLM_BINARY_DIR) / ("test_accel_configs_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto p = dir / name;
  std::ofstream(p) << text;
  return p.string();
}
std::string load_error(const std::string& name, const std::string& text, const PlResources* pl = nullptr) {
  const auto file = write_yaml(name, text);
  try {
    const AccelConfig c = load_accel_config(file);
    if (pl) c.check_against_resources(*pl);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(AccelConfigTest, ShippedConfigsParseAndFitTheXck26) {
  const PlResources xck26;  // defaults are the xck26's
  for (const char* f : {"paper_gs64_pe8x8.yaml", "baseline_ps_only.yaml"}) {
    const AccelConfig c = load_accel_config(std::string(FPGALLM_SOURCE_DIR) + "/configs/accel/" + f);
    EXPECT_NO_THROW(c.check_against_resources(xck26)) << f;
  }
  const AccelConfig paper = load_accel_config(std::string(FPGALLM_SOURCE_DIR) + "/configs/accel/paper_gs64_pe8x8.yaml");
  EXPECT_EQ(paper.n_channels, 4);
  EXPECT_EQ(paper.pe_rows * paper.pe_cols, 64);
  EXPECT_EQ(paper.macro.group_size, 64);
  // PE array 8x8 x 5, one scale row (7 combining adds, a multiply, an add), 4 channels x 4 bias adds.
  EXPECT_EQ(paper.dsp_used(), 8 * 8 * 5 + 1 * (7 * 2 + 3 + 2) + 4 * 4 * 2);
  EXPECT_TRUE(paper.offloads(OpKind::DownProj));
  EXPECT_FALSE(paper.offloads(OpKind::AttnScore));
  const AccelConfig base = load_accel_config(std::string(FPGALLM_SOURCE_DIR) + "/configs/accel/baseline_ps_only.yaml");
  EXPECT_FALSE(base.offloads(OpKind::QProj));
  EXPECT_DOUBLE_EQ(ps_weight_bytes_per_param(base.ps_linear_weights, base.macro), 2.0);
}

TEST(AccelConfigTest, ZeroChannelsRejectedNamingFieldAndFile) {
  const auto e = load_error("zero_ch.yaml", "accel:\n  name: x\n  dma:\n    channels: 0\n");
  EXPECT_NE(e.find("accel.dma.channels must be >= 1"), std::string::npos) << e;
  EXPECT_NE(e.find("zero_ch.yaml"), std::string::npos) << e;
}

TEST(AccelConfigTest, PeArrayBeyondTheDspsRejected) {
  const PlResources xck26;
  const auto e = load_error("big_pe.yaml", "accel:\n  name: x\n  pe_array:\n    rows: 16\n    cols: 16\n", &xck26);
  EXPECT_NE(e.find("accel.pe_array"), std::string::npos) << e;
  EXPECT_NE(e.find("the kernel needs 1388 DSP48E2 (rows x cols x dsp_per_pe = 16 x 16 x 5"), std::string::npos) << e;
  EXPECT_NE(e.find("big_pe.yaml"), std::string::npos) << e;
}

TEST(AccelConfigTest, WeightBufferBelowTwoBlocksRejected) {
  const auto e = load_error("small_wb.yaml", "accel:\n  name: x\n  buffers:\n    weight_bytes: 400\n");
  EXPECT_NE(e.find("accel.buffers.weight_bytes = 400 cannot hold 2 MACRO block(s) of 288 bytes"), std::string::npos)
      << e;
}

TEST(AccelConfigTest, BuffersBeyondOnChipRamRejected) {
  const PlResources xck26;
  const auto e = load_error("huge_buf.yaml", "accel:\n  name: x\n  buffers:\n    act_bytes: 4000000\n", &xck26);
  EXPECT_NE(e.find("accel.buffers:"), std::string::npos) << e;
  EXPECT_NE(e.find("exceeds the xck26's on-chip RAM"), std::string::npos) << e;
}

TEST(AccelConfigTest, NarrowPeTypesRejectedWithReason) {
  auto e = load_error("fp16.yaml", "accel:\n  name: x\n  pe_array:\n    operand_type: fp16\n");
  EXPECT_NE(e.find("accel.pe_array.operand_type 'fp16' is not supported"), std::string::npos) << e;
  // int8 names what exists (the host reference) and what does not, so nobody takes it for a typo.
  e = load_error("int8.yaml", "accel:\n  name: x\n  pe_array:\n    operand_type: int8\n");
  EXPECT_NE(e.find("operand_type 'int8' is not supported"), std::string::npos) << e;
  EXPECT_NE(e.find("do not implement it yet"), std::string::npos) << e;
}

TEST(AccelConfigTest, Fixed64AccumulatorParsesWithItsFractionBitsAndDspCount) {
  const auto file = write_yaml("fixed.yaml",
                               "accel:\n  name: x\n  pe_array:\n    accum_type: fixed64\n    accum_frac_bits: 18\n");
  const AccelConfig c = load_accel_config(file);
  EXPECT_EQ(c.pe_accum_type, PeNumType::Fixed64);
  EXPECT_EQ(c.awq_accum(), (AwqAccum{AwqAccumKind::Fixed64, 18}));
  EXPECT_EQ(c.dsp_per_pe, kDspPerFp32MulFixed64Acc);
  EXPECT_EQ(base_config().awq_accum(), AwqAccum{});
  auto e = load_error("frac.yaml", "accel:\n  name: x\n  pe_array:\n    accum_type: fixed64\n    accum_frac_bits: 41\n");
  EXPECT_NE(e.find("accel.pe_array.accum_frac_bits must be in [1, 40] (got 41)"), std::string::npos) << e;
  e = load_error("fxop.yaml", "accel:\n  name: x\n  pe_array:\n    operand_type: fixed64\n");
  EXPECT_NE(e.find("operand_type 'fixed64' is not supported"), std::string::npos) << e;
}

TEST(AccelConfigTest, UnknownKeysAndBadBeatRejected) {
  auto e = load_error("typo.yaml", "accel:\n  name: x\n  pe_aray:\n    rows: 4\n");
  EXPECT_NE(e.find("accel.pe_aray is not a known field"), std::string::npos) << e;
  e = load_error("beat.yaml", "accel:\n  name: x\n  macro:\n    beat_bytes: 24\n");
  EXPECT_NE(e.find("beat_bytes must be a power of two"), std::string::npos) << e;
  e = load_error("attn.yaml", "accel:\n  name: x\n  offload:\n    attention: true\n");
  EXPECT_NE(e.find("accel.offload.attention"), std::string::npos) << e;
}

TEST(AccelConfigTest, PlResourcesParseAndRejectNonPositive) {
  YamlMap ok(YAML::Load("{device: xck26, luts: 117120, ffs: 234240, dsp48e2: 1248, bram36: 144, uram288: 64}"), "pl",
             "kv.yaml");
  const PlResources r = parse_pl_resources(ok);
  EXPECT_EQ(r.dsp48e2, 1248);
  EXPECT_EQ(r.on_chip_bytes(), 144 * 4096 + 64 * 32768);
  YamlMap bad(YAML::Load("{device: xck26, luts: 1, ffs: 1, dsp48e2: 0, bram36: 1, uram288: 1}"), "pl", "kv.yaml");
  try {
    parse_pl_resources(bad);
    FAIL() << "accepted dsp48e2: 0";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pl.dsp48e2 must be > 0 (got 0) in kv.yaml"), std::string::npos) << e.what();
  }
}

// ---- on the KV260 memory system ----------------------------------------------------------------


namespace {
/** SocTop (real AXI + DDR models) and a thread that runs one job on its accelerator. */
struct SocRig : sc_core::sc_module {
  SocTop soc;
  LinearJob job;
  LinearJobResult result;
  std::string error;
  SC_HAS_PROCESS(SocRig);
  SocRig(sc_core::sc_module_name n, const SocConfig& cfg) : sc_module(n), soc("soc", cfg) { SC_THREAD(run); }
  void run() {
    try {
      result = soc.accel().run_linear(job);
    } catch (const Error& e) {
      error = e.what();
    }
  }
};

/** Runs an in x out layer for ntok tokens on the paper config; returns outputs, reference, result. */
struct SocRun {
  std::vector<float> y, ref;
  LinearJobResult result;
  std::string error;
  stats::Group stats{"accel"};
};
SocRun run_on_kv260(Fidelity f, int64_t in, int64_t out, int64_t ntok, uint64_t weight_offset = 0) {
  fpgallm::sim::new_simulation_context();
  SocConfig cfg = load_soc_config(std::string(FPGALLM_SOURCE_DIR) + "/configs/platform/kv260.yaml",
                                  std::string(FPGALLM_SOURCE_DIR) + "/configs/accel/paper_gs64_pe8x8.yaml");
  cfg.set_fidelity(f);
  SocRig rig("rig", cfg);
  LinearJob& j = rig.job;
  j.ctx.op = OpKind::GateProj;
  j.layout = cfg.accel.macro;
  j.in_features = in;
  j.out_features = out;
  j.n_tokens = ntok;
  j.weight_addr = cfg.weights_base + weight_offset;
  j.act_addr = cfg.act_base;
  j.out_addr = cfg.out_base;
  j.bias_addr = cfg.out_base - 0x100000;
  const QuantLinear q = random_quant(in, out, j.layout.group_size, 77);
  const MacroStream s = pack_macro(q, j.layout);
  rig.soc.ddr().write_backdoor(j.weight_addr, s.bytes.data(), s.bytes.size());
  const auto x = random_floats(static_cast<size_t>(ntok * in), 78);
  const auto bias = random_floats(static_cast<size_t>(out), 79);
  rig.soc.ddr().write_backdoor(j.act_addr, x.data(), x.size() * 4);
  rig.soc.ddr().write_backdoor(j.bias_addr, bias.data(), bias.size() * 4);
  SocRun r;
  r.ref.resize(static_cast<size_t>(ntok * out));
  awq_linear(q, x.data(), ntok, bias.data(), r.ref.data());
  sc_core::sc_start();
  r.y.resize(r.ref.size());
  rig.soc.ddr().read_backdoor(j.out_addr, r.y.data(), r.y.size() * 4);
  r.result = rig.result;
  r.error = rig.error;
  rig.soc.accel().report_stats(r.stats);
  return r;
}
}  // namespace

TEST(AccelOnKv260, BitIdenticalThroughTheAxiAndDdrModelsInBothFidelities) {
  double t[2];
  for (int f = 0; f < 2; ++f) {
    const SocRun r = run_on_kv260(f == 0 ? Fidelity::Cycle : Fidelity::Fast, 896, 128, 2);
    ASSERT_EQ(r.error, "");
    ASSERT_EQ(std::memcmp(r.y.data(), r.ref.data(), r.y.size() * 4), 0) << "fidelity " << f;
    t[f] = ns_of(r.result.time);
    // Sustained weight bandwidth stays below the 19.2 GB/s DDR4-2400 x64 peak.
    const double weight_bytes = 16.0 * 14 * 288;
    EXPECT_LT(weight_bytes / t[f], 19.2) << "fidelity " << f;
  }
  EXPECT_NEAR(t[1], t[0], 0.35 * t[0]);
}

TEST(AccelOnKv260, FastFidelityNumericsReadWeightsAcrossDdrPagesThroughDmi) {
  // The DDR model grants DMI one 1 MiB page at a time; weights starting 4 KiB below a page end put
  // tiles (14 blocks = 4032 bytes each) across the boundary, which must be gathered exactly.
  for (Fidelity f : {Fidelity::Fast, Fidelity::Cycle}) {
    const SocRun r = run_on_kv260(f, 896, 64, 3, DdrController::kPageBytes - 4096);
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(std::memcmp(r.y.data(), r.ref.data(), r.y.size() * 4), 0) << to_string(f);
  }
}

// Opt-in figure for the docs (--gtest_also_run_disabled_tests): host wall time and simulated time
// of one decode-token gate_proj (896 -> 4864) in each fidelity.
TEST(AccelOnKv260, DISABLED_WallTimeOfOneFullSizeGateProj) {
  for (Fidelity f : {Fidelity::Cycle, Fidelity::Fast}) {
    const auto w0 = std::chrono::steady_clock::now();
    const SocRun r = run_on_kv260(f, 896, 4864, 1);
    const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(std::memcmp(r.y.data(), r.ref.data(), r.y.size() * 4), 0);
    const double sim_ns = ns_of(r.result.time);
    std::printf("%s: wall %.3f s, simulated %.1f us, %.2f GB/s read, PE utilisation %.1f%%, stalls (cycles) "
                "weights %.0f unpacker %.0f out %.0f\n",
                to_string(f), wall_s, sim_ns / 1e3, r.result.bytes_read / sim_ns, r.stats.value("pe_array.utilisation"),
                r.stats.value("pe_array.stall_cycles.waiting_for_weights"),
                r.stats.value("pe_array.stall_cycles.waiting_for_unpacker"),
                r.stats.value("pe_array.stall_cycles.waiting_for_output_buffer"));
  }
}
