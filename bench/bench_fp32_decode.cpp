// fp32 reference decode time per token on the host, for the real stories260K model and for the
// full-size Qwen2.5-0.5B shapes with synthetic weights. Decode reads every weight once per token,
// so these figures are the host baseline the accelerator estimates are compared with.
#include <sys/resource.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "models/llm/Backend.h"
#include "models/checkpoint/Llama2c.h"
#include "models/llm/ModelConfig.h"
#include "models/llm/Qwen2Model.h"
#include "models/checkpoint/Synthetic.h"

#include "bench/ProcessUsage.h"

namespace {

using namespace fpgallm;
using Clock = std::chrono::steady_clock;

// stories260K: prefill this many tokens, then time the decode of the next one (position fixed).
constexpr int64_t kStoriesPrefillTokens = 8;
// Qwen2.5-0.5B: prefill to a modest position once, then each iteration decodes one more token;
// attention over ~40 positions is negligible next to reading ~2 GB of fp32 weights per token.
constexpr int64_t kQwenPrefillTokens = 32;
constexpr int64_t kQwenDecodeIterations = 5;
constexpr uint64_t kSyntheticSeed = 1;
// Qwen2.5-0.5B prefill: a prompt of this many tokens, timed this many times.
constexpr int64_t kQwenPrefillBenchTokens = 128;
constexpr int64_t kQwenPrefillIterations = 2;

/** Deterministic token ids spread over the vocabulary (the weights' values do not matter here). */
std::vector<int32_t> prompt_tokens(int64_t n, int64_t vocab) {
  constexpr int64_t kStride = 7919;  // a prime, so ids do not repeat for small n
  std::vector<int32_t> t;
  for (int64_t i = 0; i < n; ++i) t.push_back(static_cast<int32_t>((1 + i * kStride) % vocab));
  return t;
}

std::shared_ptr<const ModelWeights> stories_weights() {
  static const auto w = load_llama2c(std::string(FPGALLM_DATA_DIR) + "/stories260K/stories260K.bin");
  return w;
}

void BM_Fp32DecodeStories260K(benchmark::State& state) {
  const auto w = stories_weights();
  ReferenceBackend backend;
  Qwen2Model model(w, backend);
  const auto prompt = prompt_tokens(kStoriesPrefillTokens, w->config.vocab_size);
  const int32_t next = prompt.front();
  double total_s = 0;
  for (auto _ : state) {
    model.reset();
    model.prefill(prompt);
    const auto t0 = Clock::now();
    auto logits = model.decode(next);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    benchmark::DoNotOptimize(logits.data());
    state.SetIterationTime(s);
    total_s += s;
  }
  state.counters["position"] = static_cast<double>(kStoriesPrefillTokens);
  state.counters["tokens_per_s"] = static_cast<double>(state.iterations()) / total_s;
}
BENCHMARK(BM_Fp32DecodeStories260K)->UseManualTime()->Unit(benchmark::kMicrosecond);

void BM_Fp32DecodeQwen25_05B_Synthetic(benchmark::State& state) {
  // Built once per process: ~494M parameters as fp32 is ~2 GB.
  static const std::shared_ptr<const ModelWeights> w =
      make_synthetic_weights(model_config_preset("qwen2.5-0.5b"), kSyntheticSeed);
  ReferenceBackend backend;
  Qwen2Model model(w, backend);
  const auto prompt = prompt_tokens(kQwenPrefillTokens, w->config.vocab_size);
  model.prefill(prompt);
  const int32_t next = prompt.back();
  const auto t0 = Clock::now();
  for (auto _ : state) {
    auto logits = model.decode(next);
    benchmark::DoNotOptimize(logits.data());
  }
  const double total_s = std::chrono::duration<double>(Clock::now() - t0).count();
  state.counters["position"] = static_cast<double>(kQwenPrefillTokens);
  state.counters["tokens_per_s"] = static_cast<double>(state.iterations()) / total_s;
  state.counters["weight_GB_per_s"] =
      static_cast<double>(w->config.num_parameters()) * sizeof(float) * state.iterations() / total_s / 1e9;
}
BENCHMARK(BM_Fp32DecodeQwen25_05B_Synthetic)
    ->Iterations(kQwenDecodeIterations)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_Fp32PrefillQwen25_05B_Synthetic(benchmark::State& state) {
  static const std::shared_ptr<const ModelWeights> w =
      make_synthetic_weights(model_config_preset("qwen2.5-0.5b"), kSyntheticSeed);
  ReferenceBackend backend;
  Qwen2Model model(w, backend);
  const auto prompt = prompt_tokens(kQwenPrefillBenchTokens, w->config.vocab_size);
  const auto t0 = Clock::now();
  const double cpu0 = bench::cpu_seconds();
  for (auto _ : state) {
    model.reset();
    auto logits = model.prefill(prompt);
    benchmark::DoNotOptimize(logits.data());
  }
  const double total_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const double n = static_cast<double>(state.iterations());
  state.counters["prompt_tokens"] = static_cast<double>(kQwenPrefillBenchTokens);
  state.counters["tokens_per_s"] = n * static_cast<double>(kQwenPrefillBenchTokens) / total_s;
  state.counters["cpu_s_per_prefill"] = (bench::cpu_seconds() - cpu0) / n;  // all threads
}
BENCHMARK(BM_Fp32PrefillQwen25_05B_Synthetic)
    ->Iterations(kQwenPrefillIterations)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
