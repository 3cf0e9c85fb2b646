#include <gtest/gtest.h>

#include "models/llm/AwqBackend.h"
#include "models/core/Error.h"
#include "models/checkpoint/Llama2c.h"
#include "models/llm/Qwen2Model.h"
#include "models/quant/Quantizer.h"
#include "models/llm/Sampler.h"
#include "models/checkpoint/Synthetic.h"
#include "models/tokenizer/Tokenizer.h"
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
                                            const std::vector<int32_t>& generated) {
  AwqBackend be;
  Qwen2Model m(w, be);
  std::vector<std::vector<float>> out{m.prefill(prompt)};
  for (size_t i = 0; i + 1 < generated.size(); ++i) out.push_back(m.decode(generated[i]));
  return out;
}
}  // namespace

class SocSim : public ::testing::TestWithParam<Fidelity> {};

TEST_P(SocSim, SimulatedLogitsAreBitIdenticalToHostAwq) {
  auto w = stories_rtn(64);
  SimRunOptions opt;
  opt.prompt = {1, 403, 407, 261, 378};
  opt.decode_steps = 6;
  opt.keep_logits = true;
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

INSTANTIATE_TEST_SUITE_P(Fidelity, SocSim, ::testing::Values(Fidelity::fast, Fidelity::cycle),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(SocSimRun, SameInputsGiveIdenticalStatistics) {
  auto w = stories_rtn(64);
  SimRunOptions opt;
  opt.prompt = {1, 403, 407};
  opt.decode_steps = 2;
  const auto a = simulate(paper_config(Fidelity::fast), w, opt);
  const auto b = simulate(paper_config(Fidelity::fast), w, opt);
  EXPECT_EQ(a.stats.to_json().dump(), b.stats.to_json().dump());
  EXPECT_EQ(a.generated, b.generated);
}

TEST(SocSimRun, GroupSizeDifferentFromTheUnpackerIsRejected) {
  SimRunOptions opt;
  opt.prompt = {1, 403};
  opt.decode_steps = 0;
  try {
    simulate(paper_config(Fidelity::fast), stories_rtn(32), opt);
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
  const auto r = simulate(paper_config(Fidelity::fast), w, opt);
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
  const SocConfig cfg = paper_config(Fidelity::cycle);
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
