#include <gtest/gtest.h>

#include "models/llm/AwqBackend.h"
#include "models/core/Error.h"
#include "models/checkpoint/Llama2c.h"
#include "models/llm/Qwen2Model.h"
#include "models/quant/Quantizer.h"
#include "models/llm/Sampler.h"
#include "models/checkpoint/Synthetic.h"
#include "models/tokenizer/Tokenizer.h"
#include "models/llm/ModelConfig.h"
#include "sim/soc/Simulation.h"
#include "sim/soc/SocConfig.h"

using namespace fpgallm;
using namespace fpgallm::sim;

namespace {
const std::string kSrc = FPGALLM_SOURCE_DIR;
const std::string kData = FPGALLM_DATA_DIR;

SocConfig paper_config(Fidelity f) {
  SocConfig c = load_soc_config(kSrc + "/configs/platform/kv260.yaml", kSrc + "/configs/accel/paper_gs64_pe8x8.yaml");
  c.set_fidelity(f);
  return c;
}

std::shared_ptr<const ModelWeights> stories_rtn(int64_t group) {
  static std::map<int64_t, std::shared_ptr<const ModelWeights>> cache;
  auto& w = cache[group];
  if (!w) {
    QuantOptions o;
    o.method = "rtn";
    o.group_size = group;
    w = quantize_model(*load_llama2c(kData + "/stories260K/stories260K.bin"), o, {});
  }
  return w;
}

/** Host AWQ logits for the same token sequence the simulation saw (prefill, then one per step). */
std::vector<std::vector<float>> host_logits(std::shared_ptr<const ModelWeights> w, const std::vector<int32_t>& prompt,
                                            const std::vector<int32_t>& generated, AwqAccum accum = {}) {
  AwqBackend be(accum);
  Qwen2Model m(w, be);
  std::vector<std::vector<float>> out{m.prefill(prompt)};
  for (size_t i = 0; i + 1 < generated.size(); ++i) out.push_back(m.decode(generated[i]));
  return out;
}
}  // namespace

class SocSim : public ::testing::TestWithParam<Fidelity> {};

/** The story prompt "Once upon a time" (tok512 ids), keeping every step's logits. */
SimRunOptions story_run(int64_t decode_steps) {
  SimRunOptions opt;
  opt.prompt = {1, 403, 407, 261, 378};
  opt.decode_steps = decode_steps;
  opt.keep_logits = true;
  return opt;
}

TEST_P(SocSim, SimulatedLogitsAreBitIdenticalToHostAwq) {
  auto w = stories_rtn(64);
  const SimRunOptions opt = story_run(6);
  const SimRunResult r = simulate(paper_config(GetParam()), w, opt);
  const auto ref = host_logits(w, opt.prompt, r.generated);
  ASSERT_EQ(r.logits.size(), ref.size());
  for (size_t s = 0; s < ref.size(); ++s) {
    ASSERT_EQ(r.logits[s].size(), ref[s].size());
    for (size_t i = 0; i < ref[s].size(); ++i)
      ASSERT_EQ(r.logits[s][i], ref[s][i]) << "step " << s << " logit " << i;
  }
  // The PL really ran the linears: every decoder projection was a PL job.
  EXPECT_EQ(r.stats.value("accel.jobs"), 7.0 * 5 * (1 + opt.decode_steps));
  EXPECT_GT(r.decode_tokens_per_s(), 0.0);
}

TEST(SocSimRun, Fixed64AccumulatorLogitsAreBitIdenticalToHostAwqWithTheSameAccumulator) {
  auto w = stories_rtn(64);
  SocConfig cfg = paper_config(Fidelity::Fast);
  cfg.accel.pe_accum_type = PeNumType::Fixed64;
  cfg.accel.accum_frac_bits = 20;
  SimRunOptions opt;
  opt.prompt = {1, 403, 407};
  opt.decode_steps = 3;
  opt.keep_logits = true;
  const SimRunResult r = simulate(cfg, w, opt);
  const auto ref = host_logits(w, opt.prompt, r.generated, cfg.accel.awq_accum());
  const auto fp32 = host_logits(w, opt.prompt, r.generated);
  ASSERT_EQ(r.logits.size(), ref.size());
  size_t differ_from_fp32 = 0;
  for (size_t s = 0; s < ref.size(); ++s)
    for (size_t i = 0; i < ref[s].size(); ++i) {
      ASSERT_EQ(r.logits[s][i], ref[s][i]) << "step " << s << " logit " << i;
      differ_from_fp32 += r.logits[s][i] != fp32[s][i];
    }
  EXPECT_GT(differ_from_fp32, 0u);  // a different arithmetic, not fp32 under another name
}

INSTANTIATE_TEST_SUITE_P(Fidelity, SocSim, ::testing::Values(Fidelity::Fast, Fidelity::Cycle),
                         [](const auto& info) { return std::string(to_string(info.param)); });

/** A timing-only run of the same shapes must charge exactly what the full-numerics run charges. */
void expect_same_timing(const SimRunResult& full, const SimRunResult& timing) {
  EXPECT_EQ(full.prefill_ns(), timing.prefill_ns());
  EXPECT_EQ(full.decode_ns(), timing.decode_ns());
  EXPECT_EQ(full.placed_weight_bytes, timing.placed_weight_bytes);
  EXPECT_EQ(full.stats.to_json().dump(), timing.stats.to_json().dump());
  EXPECT_TRUE(timing.logits.empty());
}

TEST_P(SocSim, TimingOnlyRunHasExactlyTheFullRunsTimingAndStatistics) {
  auto w = stories_rtn(64);
  const SimRunOptions opt = story_run(3);
  const SimRunResult full = simulate(paper_config(GetParam()), w, opt);
  const SimRunResult timing = simulate(paper_config(GetParam()), make_shape_only_weights(w->config), opt);
  expect_same_timing(full, timing);
  EXPECT_GT(timing.stats.value("accel.jobs"), 0.0);
}

TEST(SocSimRun, TimingOnlyBaselineMatchesTheFullFp32Run) {
  auto w = load_llama2c(kData + "/stories260K/stories260K.bin");
  const SocConfig c =
      load_soc_config(kSrc + "/configs/platform/kv260.yaml", kSrc + "/configs/accel/baseline_ps_only.yaml");
  SimRunOptions opt;
  opt.prompt = {1, 403, 407};
  opt.decode_steps = 2;
  expect_same_timing(simulate(c, w, opt), simulate(c, make_shape_only_weights(w->config), opt));
}

TEST(SocSimRun, ShapeOnlyWeightsRefuseAComputingBackend) {
  AwqBackend be;
  auto w = make_shape_only_weights(model_config_preset("tiny"));
  try {
    Qwen2Model m(w, be);
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("timing-only"), std::string::npos) << e.what();
  }
}

TEST(SocSimRun, SoftwareStackRowsAddUpWithTheOpsToThePhaseTime) {
  SimRunOptions opt;
  opt.prompt = {1, 2, 3};
  opt.decode_steps = 2;
  const SimRunResult r = simulate(paper_config(Fidelity::Fast), make_shape_only_weights(load_llama2c(
                                      kData + "/stories260K/stories260K.bin")->config), opt);
  for (Phase p : {Phase::Prefill, Phase::Decode}) {
    const double parts = r.ledger.total(p, Unit::PS).time_ns + r.ledger.total(p, Unit::PL).time_ns +
                         r.ledger.software_total(p).time_ns;
    EXPECT_NEAR(parts, r.ledger.phase_time_ns(p), 1e-6 * r.ledger.phase_time_ns(p)) << phase_name(p);
    // One host-loop charge per forward pass; driver calls = PL jobs; a dispatch per PS op.
    EXPECT_EQ(r.ledger.software(p, SwCost::ForwardOverhead).calls, p == Phase::Prefill ? 1 : 2);
    EXPECT_EQ(r.ledger.software(p, SwCost::DriverCall).calls, r.ledger.total(p, Unit::PL).calls);
    EXPECT_EQ(r.ledger.software(p, SwCost::OpDispatch).calls, r.ledger.total(p, Unit::PS).calls);
  }
  EXPECT_NE(r.ledger.breakdown_table(Phase::Decode).find("driver_call  SW"), std::string::npos)
      << r.ledger.breakdown_table(Phase::Decode);
}

TEST(SocSimRun, SameInputsGiveIdenticalStatistics) {
  auto w = stories_rtn(64);
  SimRunOptions opt;
  opt.prompt = {1, 403, 407};
  opt.decode_steps = 2;
  const auto a = simulate(paper_config(Fidelity::Fast), w, opt);
  const auto b = simulate(paper_config(Fidelity::Fast), w, opt);
  EXPECT_EQ(a.stats.to_json().dump(), b.stats.to_json().dump());
  EXPECT_EQ(a.generated, b.generated);
}

TEST_P(SocSim, PrepackedWeightsGiveTheSameRunAsPackingInTheCall) {
  auto w = stories_rtn(64);
  const SocConfig c = paper_config(GetParam());
  SimRunOptions opt = story_run(2);
  const SimRunResult own = simulate(c, w, opt);
  opt.packed = std::make_shared<const PackedWeights>(w, c.accel.macro);
  EXPECT_GT(opt.packed->bytes(), 0);
  const SimRunResult pre = simulate(c, w, opt);
  EXPECT_EQ(own.stats.to_json().dump(), pre.stats.to_json().dump());
  EXPECT_EQ(own.logits, pre.logits);
  // Packed for another layout: the run packs its own, same result.
  MacroLayout other = c.accel.macro;
  other.tile_rows = 16;
  opt.packed = std::make_shared<const PackedWeights>(w, other);
  EXPECT_EQ(own.stats.to_json().dump(), simulate(c, w, opt).stats.to_json().dump());
}

TEST(SocSimRun, PrepackedWeightsOfAnotherModelAreRejected) {
  auto w = stories_rtn(64);
  QuantOptions o;
  o.method = "rtn";
  o.group_size = 64;
  auto other = quantize_model(*load_llama2c(kData + "/stories260K/stories260K.bin"), o, {});
  SimRunOptions opt = story_run(1);
  opt.packed = std::make_shared<const PackedWeights>(other, paper_config(Fidelity::Fast).accel.macro);
  try {
    simulate(paper_config(Fidelity::Fast), w, opt);
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("another model"), std::string::npos) << e.what();
  }
}

TEST(SocSimRun, GroupSizeDifferentFromTheUnpackerIsRejected) {
  SimRunOptions opt;
  opt.prompt = {1, 403};
  opt.decode_steps = 0;
  try {
    simulate(paper_config(Fidelity::Fast), stories_rtn(32), opt);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("group_size"), std::string::npos) << e.what();
  }
}

TEST(SocSimRun, Fp32ModelRunsOnThePsAndTellsTheGoldenStory) {
  // Unquantized linears fall back to the PS with fp32 arithmetic: the simulator then reproduces
  // llama2.c's reference output exactly (shared/data/README.md).
  const std::string golden =
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.";
  auto w = load_llama2c(kData + "/stories260K/stories260K.bin");
  Llama2cTokenizer tok(kData + "/stories260K/tok512.bin", w->config.vocab_size);
  SimRunOptions opt;
  opt.prompt = {tok.bos_id()};
  opt.decode_steps = 40;
  const auto r = simulate(paper_config(Fidelity::Fast), w, opt);
  std::string text;
  int32_t prev = tok.bos_id();
  for (int32_t t : r.generated) {
    text += tok.decode_token(prev, t);
    prev = t;
  }
  EXPECT_EQ(text.substr(0, golden.size()), golden);
  EXPECT_EQ(r.stats.value("accel.jobs"), 0.0);
}

// Full-size Qwen2.5-0.5B shapes (synthetic weights, RTN G=64): minutes of host time, label `long`.
TEST(LongSocFullSize, DecodeObeysTheDdrRooflineAndMatchesHostAwq) {
  const ModelConfig mc = model_config_preset("qwen2.5-0.5b");
  QuantOptions o;
  o.method = "rtn";
  o.group_size = 64;
  auto w = quantize_model(*make_synthetic_weights(mc, 0), o, {});
  const SocConfig cfg = paper_config(Fidelity::Cycle);
  SimRunOptions opt;
  opt.prompt = {151644, 872, 198, 9707};
  opt.decode_steps = 1;
  opt.keep_logits = true;
  const SimRunResult r = simulate(cfg, w, opt);
  const auto ref = host_logits(w, opt.prompt, r.generated);
  ASSERT_EQ(r.logits.size(), ref.size());
  for (size_t s = 0; s < ref.size(); ++s) EXPECT_EQ(r.logits[s], ref[s]) << "step " << s;
  // Physical limit: a decode step reads every MACRO byte plus the fp16 lm_head once.
  const double bytes = static_cast<double>(r.placed_weight_bytes) + 2.0 * mc.vocab_size * mc.hidden_size;
  const double peak_gbps = cfg.ddr.peak_gbps();
  EXPECT_GT(r.decode_ns(), bytes / peak_gbps);
  EXPECT_GT(r.stats.value("ddr.row_hit_rate"), 50.0);
}

/** Full-size Qwen2.5-0.5B timing-only runs in the validation setting (fast fidelity, 16-token prompt,
 *  4 decode steps): the calibrated platform meets both published decode figures within 10%. */
TEST(SocCalibration, ShippedCalibrationMeetsBothPublishedDecodeFiguresWithinTenPercent) {
  const auto w = make_shape_only_weights(model_config_preset("qwen2.5-0.5b"));
  SimRunOptions opt;
  for (int32_t i = 0; i < 16; ++i) opt.prompt.push_back(i);
  opt.decode_steps = 4;
  const std::string platform = kSrc + "/configs/platform/kv260.yaml";
  for (const auto& [accel, published] : {std::pair<std::string, double>{"baseline_ps_only", 2.8},
                                         std::pair<std::string, double>{"paper_gs64_pe8x8", 5.1}}) {
    SocConfig c = load_soc_config(platform, kSrc + "/configs/accel/" + accel + ".yaml");
    c.set_fidelity(Fidelity::Fast);
    const double tps = simulate(c, w, opt).decode_tokens_per_s();
    EXPECT_NEAR(tps, published, 0.1 * published) << accel;
  }
}

TEST(LongSocTimingOnly, SevenBillionShapesRunWithoutWeights) {
  const ModelConfig c = load_model_config_yaml(kSrc + "/configs/model/qwen2.5-7b.yaml");
  SimRunOptions opt;
  opt.prompt = {1, 2, 3, 4};
  opt.decode_steps = 1;
  SocConfig soc = paper_config(Fidelity::Fast);
  soc.accel.act_buffer_bytes = 128 << 10;  // one 18944-wide fp32 down_proj row is 74 KiB
  const SimRunResult r = simulate(soc, make_shape_only_weights(c), opt);
  // int4 MACRO streams of ~6.5 G decoder parameters: more than the default 1.5 GiB weight region.
  EXPECT_GT(r.placed_weight_bytes, int64_t{3} << 30);
  EXPECT_GT(r.decode_tokens_per_s(), 0.0);
  EXPECT_EQ(r.stats.value("accel.jobs"), 7.0 * 28 * 2);
}
