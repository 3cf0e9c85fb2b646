// Host wall time to simulate one full-size Qwen2.5-0.5B decode token on the KV260 model, in each
// fidelity. The quantized synthetic model (RTN, G = 64) is built once per process; each iteration
// runs a fresh simulation of a short prompt plus `decode_steps` decode tokens and the per-token
// figure is the decode phase's own wall time (SimRunResult::decode_wall_seconds) / steps, so the
// prefill and the weight placement do not pollute it.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "models/llm/ModelConfig.h"
#include "models/quant/Quantizer.h"
#include "models/checkpoint/Synthetic.h"
#include "sim/soc/Simulation.h"
#include "sim/soc/SocConfig.h"

namespace {

using namespace fpgallm;
using namespace fpgallm::sim;

constexpr uint64_t kSeed = 1;
constexpr int64_t kGroupSize = 64;  // the paper's G
constexpr int32_t kPromptTokens = 4;

std::shared_ptr<const ModelWeights> full_size_model() {
  static const std::shared_ptr<const ModelWeights> w = [] {
    QuantOptions o;
    o.method = "rtn";
    o.group_size = kGroupSize;
    return quantize_model(*make_synthetic_weights(model_config_preset("qwen2.5-0.5b"), kSeed), o, {});
  }();
  return w;
}

void BM_SimDecodeToken(benchmark::State& state, Fidelity fidelity) {
  // Configs from the source tree: this file sits in <source>/bench/ (CMake passes absolute paths).
  const std::string src = std::filesystem::path(__FILE__).parent_path().parent_path().string();
  SocConfig cfg = load_soc_config(src + "/configs/platform/kv260.yaml", src + "/configs/accel/paper_gs64_pe8x8.yaml");
  cfg.set_fidelity(fidelity);
  const auto w = full_size_model();
  SimRunOptions opt;
  for (int32_t t = 0; t < kPromptTokens; ++t) opt.prompt.push_back(100 + t);
  opt.decode_steps = state.range(0);
  double decode_wall = 0, run_wall = 0, sim_tps = 0;
  int64_t tokens = 0;
  for (auto _ : state) {
    const SimRunResult r = simulate(cfg, w, opt);
    decode_wall += r.decode_wall_seconds;
    run_wall += r.wall_seconds;
    tokens += r.decode_tokens();
    sim_tps = r.decode_tokens_per_s();
  }
  const double per_token = tokens ? decode_wall / static_cast<double>(tokens) : 0.0;
  state.counters["wall_s_per_decode_token"] = per_token;
  state.counters["wall_s_per_run"] = run_wall / static_cast<double>(state.iterations());
  state.counters["simulated_decode_tok_per_s"] = sim_tps;
  std::printf("%-5s fidelity, %lld decode steps: %.3f s host time per decode token, %.2f s per run, "
              "simulated %.2f decode tokens/s\n",
              fidelity == Fidelity::cycle ? "cycle" : "fast", static_cast<long long>(state.range(0)), per_token,
              run_wall / static_cast<double>(state.iterations()), sim_tps);
}

}  // namespace

BENCHMARK_CAPTURE(BM_SimDecodeToken, cycle, fpgallm::sim::Fidelity::cycle)
    ->Arg(1)->Arg(3)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_SimDecodeToken, fast, fpgallm::sim::Fidelity::fast)
    ->Arg(1)->Arg(3)->Iterations(2)->Unit(benchmark::kSecond)->UseRealTime();

BENCHMARK_MAIN();
