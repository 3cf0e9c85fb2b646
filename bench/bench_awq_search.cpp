// Full-size AWQ search (AutoAWQ's scale + clip search, G = 64) on synthetic Qwen2.5-0.5B weights,
// then the host AWQ backend's decode time per token on the result. A bench command, not a timed
// test: it prints wall and CPU time per phase and in total, peak RSS (at the end of the search and
// overall) and the settings, and checks nothing.
//   build/bench/bench_awq_search [--layers N] [--blocks N] [--random] [--group-size G]
//                                [--search-tokens N] [--decode-tokens N] [--rtn]
// --rtn skips the search (RTN) to time only the host AWQ decode of the full model.
// Calibration defaults to the shipped text through the Qwen2.5 tokenizer, as `fpgallm run --quant awq`.
#include <sys/resource.h>

#include <omp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "models/checkpoint/Synthetic.h"
#include "models/core/Gemm.h"
#include "models/llm/AwqBackend.h"
#include "models/llm/ModelConfig.h"
#include "models/llm/Qwen2Model.h"
#include "models/quant/Quantizer.h"
#include "models/tokenizer/Tokenizer.h"

#include "bench/ProcessUsage.h"

namespace {

using namespace fpgallm;
using Clock = std::chrono::steady_clock;
using bench::cpu_seconds;
using bench::peak_rss_mib;

constexpr uint64_t kSyntheticSeed = 1;
constexpr uint64_t kCalibSeed = 0;
constexpr int64_t kPrefillTokens = 32;
constexpr int64_t kStride = 7919;  // spreads prompt ids over the vocabulary

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

}  // namespace

int main(int argc, char** argv) {
  int64_t layers = 0, blocks = kDefaultRandomCalibBlocks, group = 64, search_tokens = 0, decode_tokens = 5;
  bool random = false, rtn = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return std::atoll(argv[++i]);
    };
    if (a == "--layers") layers = next();
    else if (a == "--blocks") blocks = next();
    else if (a == "--group-size") group = next();
    else if (a == "--search-tokens") search_tokens = next();
    else if (a == "--decode-tokens") decode_tokens = next();
    else if (a == "--random") random = true;
    else if (a == "--rtn") rtn = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  ModelConfig c = model_config_preset("qwen2.5-0.5b");
  if (layers > 0) c.num_layers = layers;
  const auto t0 = Clock::now();
  auto fp = make_synthetic_weights(c, kSyntheticSeed);
  const double t_load = seconds_since(t0);

  QuantOptions o;
  o.group_size = group;
  o.search_tokens = search_tokens;
  if (rtn) o.method = "rtn";
  std::vector<std::vector<int32_t>> calib;
  if (random && !rtn) {
    calib = make_random_sequences(c.vocab_size, blocks, o.calib_seq_len, kCalibSeed);
  } else if (!rtn) {
    auto tok = load_tokenizer(std::string(FPGALLM_DATA_DIR) + "/qwen2.5-tokenizer", c.vocab_size);
    calib = make_calibration_sequences(*tok, read_text_file(std::string(FPGALLM_SOURCE_DIR) + "/configs/calib/default.txt"),
                                       o.calib_samples, o.calib_seq_len);
  }
  const double t_calib = seconds_since(t0) - t_load;
  if (rtn) std::printf("RTN (no search) on synthetic Qwen2.5-0.5B, G=%lld\n", static_cast<long long>(group));
  else std::printf("AWQ search on synthetic Qwen2.5-0.5B: %lld layers, G=%lld, %zu calibration blocks x %lld tokens (%s), "
              "scale search on %s tokens, clip loss on ~%lld tokens\n",
              static_cast<long long>(c.num_layers), static_cast<long long>(group), calib.size(),
              static_cast<long long>(o.calib_seq_len), random ? "random ids" : "configs/calib/default.txt",
              search_tokens > 0 ? std::to_string(search_tokens).c_str() : "all",
              static_cast<long long>(o.clip_sample_tokens));
  std::printf("threads %d, matrix products through %s\n", omp_get_max_threads(),
              gemm::isa_name(gemm::isa()));
  std::fflush(stdout);
  const auto tq = Clock::now();
  const double cpu0 = cpu_seconds();
  o.progress = [&](int64_t layer, int64_t n, const std::string& what) {
    if (what == "capture") std::fprintf(stderr, "[%7.1f s] layer %lld/%lld\n", seconds_since(tq),
                                        static_cast<long long>(layer + 1), static_cast<long long>(n));
  };
  auto q = quantize_model(*fp, o, calib);
  const double t_awq = seconds_since(tq);
  const double cpu_awq = cpu_seconds() - cpu0;
  const double rss_search = peak_rss_mib();  // fp32 model + activations + the quantized copy
  fp.reset();

  // Host AWQ backend: prefill, then time single-token decodes.
  AwqBackend be;
  Qwen2Model model(q, be);
  std::vector<int32_t> prompt;
  for (int64_t i = 0; i < kPrefillTokens; ++i) prompt.push_back(static_cast<int32_t>((1 + i * kStride) % c.vocab_size));
  model.prefill(prompt);
  const auto td = Clock::now();
  const double cpu_d0 = cpu_seconds();
  for (int64_t i = 0; i < decode_tokens; ++i) model.decode(prompt[static_cast<size_t>(i % kPrefillTokens)]);
  const double per = decode_tokens > 0 ? 1.0 / static_cast<double>(decode_tokens) : 0.0;
  const double t_decode = seconds_since(td) * per, cpu_decode = (cpu_seconds() - cpu_d0) * per;

  std::printf("synthetic weights      %8.1f s\n", t_load);
  std::printf("calibration tokens     %8.1f s\n", t_calib);
  std::printf("AWQ search + quantize  %8.1f s wall (%.1f s per layer), %.1f CPU-s (%.1f CPU-s per layer; "
              "%.0f%% of %d threads busy)\n", t_awq, t_awq / static_cast<double>(c.num_layers), cpu_awq,
              cpu_awq / static_cast<double>(c.num_layers), 100.0 * cpu_awq / (t_awq * omp_get_max_threads()),
              omp_get_max_threads());
  std::printf("host AWQ decode        %8.1f ms per token wall, %.1f CPU-ms (fp32 lm_head, %lld tokens after a "
              "%lld-token prefill)\n", t_decode * 1e3, cpu_decode * 1e3, static_cast<long long>(decode_tokens),
              static_cast<long long>(kPrefillTokens));
  std::printf("peak RSS               %8.0f MiB by the end of the search, %.0f MiB in all\n", rss_search,
              peak_rss_mib());
  std::printf("total                  %8.1f s wall, %.1f CPU-s\n", seconds_since(t0), cpu_seconds());
  return 0;
}
