// Host AWQ dequant-GEMV (awq_linear, one token) vs the fp32 GEMV (kernels::linear_f32) for the
// Qwen2.5-0.5B linear shapes. Decode is memory bound, so the figure of merit is GB/s of packed
// weight bytes streamed: 4-bit codes + fp16 scales + 4-bit zeros per (row, group), i.e. what the
// accelerator reads from DDR. The in-memory QuantLinear holds one code per byte, so the host
// actually touches ~2x the packed bytes; the ratio to fp32 is the honest comparison.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "models/core/Dtype.h"
#include "models/quant/AwqKernels.h"
#include "models/llm/Kernels.h"
#include "models/quant/Quantizer.h"

namespace {

using namespace fpgallm;

constexpr int64_t kGroupSize = 64;  // the paper's G
constexpr int kBits = 4;
constexpr int64_t kTokens = 1;      // decode: one token per GEMV
constexpr double kBytesPerGB = 1e9;

struct Shape {
  const char* name;
  int64_t out, in;
};
// Qwen2.5-0.5B: q/o (896x896), k/v (128x896), gate/up (4864x896), down (896x4864), lm_head.
constexpr Shape kShapes[] = {{"q_o_896x896", 896, 896},       {"k_v_128x896", 128, 896},
                             {"gate_up_4864x896", 4864, 896}, {"down_896x4864", 896, 4864},
                             {"lm_head_151936x896", 151936, 896}};

/** Bytes of the packed form: codes at bits/8 bytes, fp16 scales, zeros packed at bits/8 bytes. */
double packed_bytes(int64_t out, int64_t in) {
  const int64_t ng = (in + kGroupSize - 1) / kGroupSize;
  return static_cast<double>(out * in * kBits) / 8.0 + static_cast<double>(out * ng * kF16Bytes) +
         static_cast<double>(out * ng * kBits) / 8.0;
}

std::vector<float> pseudo_random(int64_t n, uint32_t seed) {
  std::vector<float> v(static_cast<size_t>(n));
  uint32_t s = seed;
  for (auto& x : v) {
    s = s * 1664525u + 1013904223u;  // LCG: the values only need to be varied, not good
    x = static_cast<float>(static_cast<int32_t>(s >> 8) - (1 << 23)) / static_cast<float>(1 << 23);
  }
  return v;
}

struct Case {
  std::vector<float> w, x, y;
  QuantLinear q;
};

Case& case_for(const Shape& s) {
  static std::map<std::string, Case> cache;
  auto it = cache.find(s.name);
  if (it != cache.end()) return it->second;
  Case c;
  c.w = pseudo_random(s.out * s.in, 1);
  c.x = pseudo_random(kTokens * s.in, 2);
  c.y.resize(static_cast<size_t>(kTokens * s.out));
  QuantOptions o;
  o.method = "rtn";
  o.group_size = kGroupSize;
  o.bits = kBits;
  c.q = quantize_rtn(c.w.data(), s.out, s.in, o);
  return cache.emplace(s.name, std::move(c)).first->second;
}

void BM_AwqGemv(benchmark::State& state, Shape s) {
  Case& c = case_for(s);
  for (auto _ : state) {
    awq_linear(c.q, c.x.data(), kTokens, nullptr, c.y.data());
    benchmark::DoNotOptimize(c.y.data());
  }
  state.counters["packed_GBps"] = benchmark::Counter(packed_bytes(s.out, s.in) / kBytesPerGB,
                                                     benchmark::Counter::kIsIterationInvariantRate);
  state.counters["packed_MB"] = packed_bytes(s.out, s.in) / 1e6;
}

void BM_Fp32Gemv(benchmark::State& state, Shape s) {
  Case& c = case_for(s);
  for (auto _ : state) {
    kernels::linear_f32(c.x.data(), kTokens, c.w.data(), nullptr, s.in, s.out, c.y.data());
    benchmark::DoNotOptimize(c.y.data());
  }
  const double bytes = static_cast<double>(s.out * s.in * static_cast<int64_t>(sizeof(float)));
  state.counters["fp32_GBps"] = benchmark::Counter(bytes / kBytesPerGB, benchmark::Counter::kIsIterationInvariantRate);
}

/** Console output plus a closing table of AWQ time / fp32 time per shape. */
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      if (r.error_occurred || r.run_type != Run::RT_Iteration) continue;
      std::string name = r.benchmark_name();
      const std::string suffix = "/real_time";
      if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
        name.resize(name.size() - suffix.size());
      times_[name] = r.GetAdjustedRealTime();
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-22s %12s %12s %10s\n", "shape", "awq_us", "fp32_us", "awq/fp32");
    for (const auto& s : kShapes) {
      const auto a = times_.find(std::string("BM_AwqGemv/") + s.name);
      const auto f = times_.find(std::string("BM_Fp32Gemv/") + s.name);
      if (a == times_.end() || f == times_.end()) continue;
      std::printf("%-22s %12.1f %12.1f %10.3f\n", s.name, a->second, f->second, a->second / f->second);
    }
  }

 private:
  std::map<std::string, double> times_;
};

}  // namespace

int main(int argc, char** argv) {
  for (const auto& s : kShapes) {
    benchmark::RegisterBenchmark((std::string("BM_AwqGemv/") + s.name).c_str(), BM_AwqGemv, s)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();  // threaded: CPU time of the main thread would overstate the rate
    benchmark::RegisterBenchmark((std::string("BM_Fp32Gemv/") + s.name).c_str(), BM_Fp32Gemv, s)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
