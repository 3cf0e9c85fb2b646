// How far the fast (transaction-level) fidelity lands from the cycle-approximate one on a whole
// SoC run: a reduced Qwen2-structured model (same op mix and layouts as Qwen2.5-0.5B, small
// enough for a unit test) through the paper configuration in both modes.
#include <cmath>
#include <cstdio>

#include <gtest/gtest.h>

#include "models/llm/ModelConfig.h"
#include "models/quant/Quantizer.h"
#include "models/checkpoint/Synthetic.h"
#include "sim/soc/Simulation.h"
#include "sim/soc/SocConfig.h"

using namespace fpgallm;
using namespace fpgallm::sim;

namespace {
const std::string kSrc = FPGALLM_SOURCE_DIR;
constexpr uint64_t kSeed = 7;
constexpr int64_t kGroupSize = 64;  // the paper's G, what the unpacker is built for
constexpr int64_t kDecodeSteps = 4;
// Measured gaps (fast vs cycle, this model and config): see docs/simulator.md. The
// tolerances leave margin over them; a model change that moves the gap beyond it should be looked at.
constexpr double kDecodeTolerance = 0.02;  // measured +0.05 %
constexpr double kPrefillTolerance = 0.02;  // measured +0.16 %

std::shared_ptr<const ModelWeights> reduced_qwen2() {
  static const std::shared_ptr<const ModelWeights> w = [] {
    ModelConfig c = model_config_preset("qwen2.5-0.5b");
    c.hidden_size = 256;
    c.intermediate_size = 1024;
    c.num_layers = 4;
    c.num_heads = 4;
    c.num_kv_heads = 2;
    c.head_dim = 64;
    c.vocab_size = 2048;
    c.max_context = 64;
    c.validate("reduced qwen2 test config");
    QuantOptions o;
    o.method = "rtn";
    o.group_size = kGroupSize;
    return quantize_model(*make_synthetic_weights(c, kSeed), o, {});
  }();
  return w;
}

SimRunResult run(Fidelity f) {
  SocConfig cfg = load_soc_config(kSrc + "/configs/platform/kv260.yaml", kSrc + "/configs/accel/paper_gs64_pe8x8.yaml");
  cfg.set_fidelity(f);
  SimRunOptions opt;
  opt.prompt = {11, 222, 333, 1444, 55, 1666, 7, 1888};
  opt.decode_steps = kDecodeSteps;
  opt.keep_logits = true;
  return simulate(cfg, reduced_qwen2(), opt);
}

double rel_gap(double fast, double cycle) { return (fast - cycle) / cycle; }
}  // namespace

TEST(SocFidelity, FastAndCycleGiveIdenticalNumericsAndCloseTimes) {
  const SimRunResult cyc = run(Fidelity::Cycle);
  const SimRunResult fst = run(Fidelity::Fast);

  // Numerics do not depend on the timing model at all.
  ASSERT_EQ(cyc.generated, fst.generated);
  ASSERT_EQ(cyc.logits.size(), fst.logits.size());
  for (size_t s = 0; s < cyc.logits.size(); ++s) EXPECT_EQ(cyc.logits[s], fst.logits[s]) << "step " << s;
  ASSERT_EQ(cyc.decode_tokens(), kDecodeSteps);
  ASSERT_EQ(fst.decode_tokens(), kDecodeSteps);

  const double decode_gap = rel_gap(fst.decode_ns(), cyc.decode_ns());
  const double prefill_gap = rel_gap(fst.prefill_ns(), cyc.prefill_ns());
  std::printf("reduced qwen2 (hidden 256, 4 layers): prefill cycle %.1f us, fast %.1f us (%+.2f %%); "
              "decode/token cycle %.1f us, fast %.1f us (%+.2f %%); wall cycle %.2f s, fast %.2f s\n",
              cyc.prefill_ns() / 1e3, fst.prefill_ns() / 1e3, 100 * prefill_gap,
              cyc.decode_ns() / 1e3 / kDecodeSteps, fst.decode_ns() / 1e3 / kDecodeSteps, 100 * decode_gap,
              cyc.wall_seconds, fst.wall_seconds);
  EXPECT_LT(std::abs(decode_gap), kDecodeTolerance);
  EXPECT_LT(std::abs(prefill_gap), kPrefillTolerance);
}
